"""An independent reader for legibility: Tesseract OCR on lines drawn as `write` draws them.

The recogniser (`recogniser.py`) learned to read from the IAM-OnDB lines the synthesis network
learned to write, so it may forgive the network's own habits. Tesseract never saw either: each
line is rendered alone, black on white with the default pen (`render.RenderOptions`), real and
synthesized lines alike, and read as one line of English text (`--psm 7`). Tesseract is a system
program (`apt-get install tesseract-ocr`, `brew install tesseract`), found on the PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from handsynth.errors import FieldError, UserError
from handsynth.write.render import RenderOptions, render_png

TESSERACT = "tesseract"
PAGE_MODE = "7"  # one text line per image
LANGUAGE = "eng"


def tesseract_program() -> str:
    """The path of the tesseract program; UserError saying how to install it when missing."""
    program = shutil.which(TESSERACT)
    if program is None:
        raise FieldError(
            "ocr",
            "tesseract is not installed (it reads the lines for {field}): install it with "
            "`apt-get install tesseract-ocr` or `brew install tesseract`",
        )
    return program


def read_lines(lines: list[np.ndarray], workers: int = 2) -> list[str]:
    """What Tesseract reads in each line of raw pen offsets (T, 3); "" for an empty line.

    Lines are rendered one after another, then read by `workers` tesseract processes at a time,
    each on one thread. Runs of whitespace in a reading become one space.
    """
    program = tesseract_program()
    environment = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    with tempfile.TemporaryDirectory(prefix="handsynth-ocr-") as folder:
        images = []
        for i, offsets in enumerate(lines):
            image = Path(folder) / f"line{i}.png"
            if len(offsets):
                render_png([offsets], image, RenderOptions(background="white"))
            images.append(image)

        def read(image: Path) -> str:
            if not image.exists():
                return ""
            command = [program, str(image), "-", "--psm", PAGE_MODE, "-l", LANGUAGE]
            done = subprocess.run(command, capture_output=True, text=True, env=environment)
            if done.returncode != 0:
                raise UserError(f"tesseract failed on {image.name}: {done.stderr.strip()}")
            return " ".join(done.stdout.split())

        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(read, images))
