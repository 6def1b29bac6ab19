"""The accepted range of every number a user sets, shared by the command line and the library.

Each is (low, high), inclusive unless its comment says "above low". The command line checks flags
against these as it parses them; `WriteOptions.check` holds the Python API to the same ranges.
"""

BIAS = (0.0, 10.0)  # Graves eqs 61-62; beyond 10 every sample is the mixture's mode
TEMPERATURE = (0.0, 5.0)  # above low
RETRIES = (0, 20)
CANDIDATES = (1, 16)  # draws of each line to choose from
WRAP = (10, 120)  # characters per line; 0 (the text's own lines) is also accepted
LINE_SPACING = (0.0, 5.0)  # in line heights
STROKE_WIDTH = (0.0, 50.0)  # px, above low
SCALE = (0.0, 10.0)  # px per pen unit, above low
SAMPLE_STEPS = (1, 20_000)
SAMPLE_LINES = (1, 100)
TEXT_LENGTH = (1, 10_000_000)
IMAGE_PIXELS = 25_000_000  # a PNG, GIF or WebP page; 1,000 written characters are 2-5 million
