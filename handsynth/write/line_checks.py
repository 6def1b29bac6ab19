"""What a reader sees wrong in a drawn line: ink that leaves the line's band, long stray strokes,
and words the recogniser cannot read. `faults.py` reads the attention window; this module reads
the ink itself, so a line that wanders down the page, slashes across it or writes a scribble in
place of a word is flagged even when its window moved along the text as it should.

The limits were set on the 1,438 real lines of IAM-OnDB's testset_v: no real line goes past the
geometric ones, and 3.7 % of them (3.6 % smoothed) are unreadable or misread by the shipped
recogniser (`tests/test_line_checks.py` holds constructed failures and clean lines to them).
Letter heights are measured slice by slice, so a line drifting down the page does not inflate its
own scale.
"""

from __future__ import annotations

import numpy as np

from handsynth.nn.char_errors import compare
from handsynth.write.faults import Fault

# Limits in letter heights (the median over slices along the line of the middle half of each
# slice's ink heights), each above the largest value on any real line of testset_v (in brackets).
WANDER_LIMIT = 12.0  # ink this far from the line's course (11.6; 99 % of lines under 5.7)
DRIFT_LIMIT = 13.0  # the course rising or falling this much along the line (12.2; 99 %: 5.5)
STRAY_LIMIT = 10.0  # one pen-down step this long (9.5; 99 %: 3.8)
# The recogniser's character error rate on a line above which it is called unreadable, and the
# share of a name's or number's characters read wrong that makes it misread; together they flag
# 3.7 % of testset_v's real lines (3.6 % smoothed; the line rate alone 1.9 % and 2.0 %).
UNREADABLE_CER = 0.5
MISREAD_SHARE = 2 / 3
MIN_READ_LETTERS = 4  # a shorter line ("x", "OK") says too little for its reading to judge it
COURSE_SLICES = 8  # the line's course: the median height of its ink in this many slices along x


def geometry_faults(offsets: np.ndarray) -> list[Fault]:
    """Wandering or drifting ink and stray strokes in one line of raw pen offsets (T, 3)."""
    if len(offsets) < 2:
        return []
    points = np.cumsum(offsets[:, :2].astype(np.float64), axis=0)  # (T, 2)
    x, y = points[:, 0], points[:, 1]
    centres, middles, heights = _slices(x, y)
    if len(centres) < 2:
        return []
    body = max(float(np.median(heights)), 1e-6)
    faults = []
    off_course = np.abs(y - np.interp(x, centres, middles)).max() / body
    drift = (max(middles) - min(middles)) / body
    if off_course > WANDER_LIMIT or drift > DRIFT_LIMIT:
        far = max(off_course, drift)
        faults.append(Fault("wander", None, f"ink {far:.0f} letter heights off the line"))
    pen_down = offsets[:-1, 2] < 0.5  # the step to point t + 1 is drawn
    steps = np.hypot(offsets[1:, 0], offsets[1:, 1])[pen_down] / body
    if len(steps) and steps.max() > STRAY_LIMIT:
        faults.append(Fault("stray", None, f"a stray stroke {steps.max():.0f} letter heights long"))
    return faults


def _slices(x: np.ndarray, y: np.ndarray) -> tuple[list, list, list]:
    """Cut the line into COURSE_SLICES along x; for each slice with ink enough, its median x, its
    median y (the course) and the spread of the middle half of its y (a letter height)."""
    edges = np.linspace(x.min(), x.max() + 1e-9, COURSE_SLICES + 1)
    slice_of = np.clip(np.digitize(x, edges) - 1, 0, COURSE_SLICES - 1)  # (T,)
    centres, middles, heights = [], [], []
    for s in range(COURSE_SLICES):
        inside = slice_of == s
        if inside.sum() >= 5:
            q25, q50, q75 = np.percentile(y[inside], [25, 50, 75])
            centres.append(float(np.median(x[inside])))
            middles.append(q50)
            heights.append(q75 - q25)
    return centres, middles, heights


def reading_faults(reading: str, text: str) -> list[Fault]:
    """What the recogniser could not read: the whole line ("unreadable", its character error rate
    over UNREADABLE_CER), or a name, title or number in it ("misread": a word holding a capital
    or a digit with MISREAD_SHARE of its characters read wrong), each naming the word."""
    return faults_of_alignment(reading, text, *compare(reading, text))


def faults_of_alignment(
    reading: str, text: str, distance: int, pairs: list[tuple[str, str]]
) -> list[Fault]:
    """`reading_faults` from the reading's edit distance to `text` and their alignment, one
    (wanted, read) pair per character of the text (`nn.char_errors.compare`)."""
    if not judged_by_reading(text):
        return []
    words = []  # (position, word, share of its characters read wrong)
    start = 0
    for word in text.split(" "):
        if word:
            wrong = sum(a != b for a, b in pairs[start : start + len(word)])
            words.append((start, word, wrong / len(word)))
        start += len(word) + 1
    if distance / len(text) > UNREADABLE_CER:
        position, word, _ = max(words, key=lambda w: w[2])
        return [Fault("unreadable", position, f"read as {reading!r}; worst {word!r}")]
    return [
        Fault(
            "misread",
            position,
            f"{word!r} at {position} read as {_read_as(pairs, position, word)!r}",
        )
        for position, word, share in words
        if share >= MISREAD_SHARE and _names_or_numbers(word)
    ]


def judged_by_reading(text: str) -> bool:
    """Whether a line says enough for its reading to judge it: MIN_READ_LETTERS characters or
    more besides spaces."""
    return sum(not c.isspace() for c in text) >= MIN_READ_LETTERS


def _names_or_numbers(word: str) -> bool:
    """A word holding a capital or a digit beyond its punctuation: "Ada,", "4817", "Mr."."""
    core = word.strip(".,;:!?'\"()")
    return len(core) >= 2 and any(c.isupper() or c.isdigit() for c in core)


def _read_as(pairs: list[tuple[str, str]], position: int, word: str) -> str:
    return "".join(got for _, got in pairs[position : position + len(word)])
