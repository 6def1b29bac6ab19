"""Tesseract reads lines rendered from pen offsets, and its absence is reported with the fix."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from handsynth.data.strokes import points_to_offsets, strokes_to_points
from handsynth.errors import UserError
from handsynth.eval import ocr

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="the tesseract program is not installed"
)

# Block capitals on a 60 x 100 box, y growing downwards as in IAM-OnDB: polylines per letter.
BLOCK_LETTERS = {
    "E": [[(60, 0), (0, 0), (0, 100), (60, 100)], [(0, 50), (45, 50)]],
    "F": [[(60, 0), (0, 0), (0, 100)], [(0, 50), (45, 50)]],
    "H": [[(0, 0), (0, 100)], [(60, 0), (60, 100)], [(0, 50), (60, 50)]],
    "L": [[(0, 0), (0, 100), (60, 100)]],
    "T": [[(0, 0), (60, 0)], [(30, 0), (30, 100)]],
}


def block_word(word: str, pen_units: float = 5.0) -> np.ndarray:
    """Raw pen offsets (T, 3) writing `word` in straight-stroke capitals, 8 points a segment."""
    strokes = []
    for position, letter in enumerate(word):
        for polyline in BLOCK_LETTERS[letter]:
            corners = np.array(polyline, dtype=float) + [90 * position, 0]  # (C, 2)
            segments = [
                a + (b - a) * t
                for a, b in zip(corners[:-1], corners[1:], strict=True)
                for t in np.linspace(0, 1, 8, endpoint=False)
            ]
            strokes.append(np.array([*segments, corners[-1]]) * pen_units)
    return points_to_offsets(*strokes_to_points(strokes))


@needs_tesseract
def test_tesseract_reads_rendered_block_letters():
    lines = [block_word("LEFT"), np.zeros((0, 3), np.float32), block_word("THEFT")]
    assert ocr.read_lines(lines) == ["LEFT", "", "THEFT"]


def test_a_missing_tesseract_names_the_install(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(UserError, match="apt-get install tesseract-ocr"):
        ocr.read_lines([block_word("LEFT")])


@needs_tesseract
@pytest.mark.slow
def test_read_paragraph_script_prints_one_json_line_of_its_pages():
    script = Path(__file__).resolve().parents[1] / "scripts" / "read_paragraph.py"
    arguments = ["--text", "thank you", "--seeds", "2", "--candidates", "2"]
    done = subprocess.run([sys.executable, script, *arguments], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["pages"] == 2 and report["candidates"] == 2
    assert set(report["recogniser_exact_seeds"]) <= {1, 2}
    assert report["recogniser_exact_pages"] == len(report["recogniser_exact_seeds"])
    assert 0.0 <= report["tesseract_cer_mean"] < 1.0
