"""Does a style line write its text? Checked when a style is saved, before anything is written.

A style primes the synthesis network with a line and the text it says (Graves §5.5); a line saved
under another text ("completely different words here") only fails later, at Write, when the
window does not move along the text. Here the CTC recogniser (`sample/reader.py`, the shipped
`weights/recogniser.safetensors`) reads the line, and a reading whose character error rate
against the text is over MAX_ERROR_RATE is refused with what it read.

Calibrated on the 1,438 real lines of IAM-OnDB's testset_v (`scripts/measure_style_check.py`;
3 texts shorter than MIN_READ_LETTERS are not judged): with their own texts 1.2 % of them read
worse than 0.6 (median 0.09; the worst are scrawled or one-word lines), and paired with another
line's text 0.16 % read better than 0.6 (unrelated texts differ in over half their characters).

The line's units are unknown (screen pixels, millimetres, pen units), so it is first scaled to the
size of the recogniser's training data (`styles.pen_scale`), as SVG and InkML lines are; real
IAM-OnDB lines read the same either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from handsynth.data.strokes import points_to_offsets, strokes_to_points
from handsynth.errors import UserError
from handsynth.nn.char_errors import compare
from handsynth.sample.reader import LineReader
from handsynth.write.line_checks import judged_by_reading
from handsynth.write.styles import pen_scale

MAX_ERROR_RATE = 0.6  # edits from the reading to the text, per character of the text
MAX_SHOWN = 60  # characters of a reading quoted in a message


class StyleMismatch(UserError):
    """A style line whose strokes do not write the text it was given."""


@dataclass(frozen=True)
class StyleReading:
    reading: str  # what the recogniser reads in the line
    text: str  # what the line is said to read
    error_rate: float  # edit distance from reading to text, per character of the text
    judged: bool  # False for texts too short to judge (fewer than MIN_READ_LETTERS characters)

    @property
    def passes(self) -> bool:
        return not self.judged or self.error_rate <= MAX_ERROR_RATE


def read_style(reader: LineReader, offsets: np.ndarray, text: str) -> StyleReading:
    """What `reader` reads in a line of pen offsets (T, 3) in any unit, against `text`."""
    offsets = np.array(offsets, dtype=np.float64).reshape(-1, 3)
    offsets[:, :2] *= pen_scale(offsets, reader.normalisation)  # the recogniser's pen units
    reading = reader.read([offsets.astype(np.float32)])[0]
    distance, _ = compare(reading, text)
    judged = judged_by_reading(text)
    return StyleReading(reading, text, distance / max(len(text), 1), judged)


def check_style_reads(reader: LineReader, offsets: np.ndarray, text: str) -> StyleReading:
    """`read_style`, refusing a line that does not write `text` with `StyleMismatch`."""
    found = read_style(reader, offsets, text)
    if not found.passes:
        reading = found.reading
        if len(reading) > MAX_SHOWN:
            reading = reading[: MAX_SHOWN - 1] + "…"
        raise StyleMismatch(
            f"the line reads as {reading!r}, not {text!r}: type what you wrote, or write it again"
        )
    return found


def check_strokes_read(reader: LineReader, strokes: list[np.ndarray], text: str) -> StyleReading:
    """`check_style_reads` for strokes (n_i, 2 or more) of x, y (and more columns, ignored)."""
    points, eos = strokes_to_points(strokes)
    return check_style_reads(reader, points_to_offsets(points, eos), text)
