"""Whether a page is in one hand: per-line features that scaling and shearing a line cannot change,
and a page's spread of them against the spread between writers.

Each line of a page is levelled, sheared upright and scaled by its x-height (`hand_metrics`), so
what the one-hand layout equalises (size, slant, tilt) cannot make lines alike; what is left is how
the letters are made:

- pen lifts per letter (joined-up writing lifts rarely, print often);
- width per letter, in x-heights (wide or cramped);
- ink per letter, in x-heights (loops and flourishes, or plain strokes);
- roundness: the upright line's vertical over its horizontal pen-down movement;
- dot strokes per letter (i-dots, full stops, and the dotting habits of a hand).

A page's score is, averaged over the features, its lines' standard deviation over the standard
deviation of the same feature among lines of many writers (`Population`). Lines by one writer
score well under 1; lines of different writers shuffled into a page score about 1.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from handsynth.data.line_pairs import form_of
from handsynth.data.strokes import offsets_to_points
from handsynth.write.hand_metrics import level, measure_line, shear

FEATURES = (
    "lifts_per_letter",
    "width_per_letter",
    "ink_per_letter",
    "roundness",
    "dots_per_letter",
)
DOT_INK = 0.3  # a stroke with less ink than this many x-heights is a dot
MIN_LETTERS = 8  # shorter lines say too little about the hand to be measured
MIN_PAGE_LINES = 6  # real pages with fewer measured lines are left out


def line_features(offsets: np.ndarray, text: str) -> np.ndarray | None:
    """The FEATURES of one line of raw pen offsets (T, 3) written for `text`; None for a line too
    short to measure or whose x-height cannot be found."""
    letters = sum(not c.isspace() for c in text)
    if letters < MIN_LETTERS or len(offsets) < 10:
        return None
    points, eos = offsets_to_points(offsets)  # (T, 2), (T,)
    metrics = measure_line(points, eos)
    if metrics is None:
        return None
    upright = shear(level(points, metrics.tilt), -metrics.slant, metrics.baseline)
    upright = upright / metrics.x_height  # (T, 2) in x-heights
    steps = np.diff(upright, axis=0)  # (T - 1, 2)
    pen_down = eos[:-1] < 0.5
    drawn = steps[pen_down]
    ends = np.flatnonzero(eos > 0.5)
    starts = np.r_[0, ends[:-1] + 1]
    lengths = np.hypot(steps[:, 0], steps[:, 1]) * pen_down  # (T - 1,) ink of each step
    cumulative = np.r_[0.0, np.cumsum(lengths)]
    stroke_ink = cumulative[ends] - cumulative[starts]
    width = upright[:, 0].max() - upright[:, 0].min()
    return np.array(
        [
            len(ends) / letters,
            width / letters,
            lengths.sum() / letters,
            np.abs(drawn[:, 1]).sum() / max(np.abs(drawn[:, 0]).sum(), 1e-9),
            (stroke_ink < DOT_INK).sum() / letters,
        ]
    )


@dataclass(frozen=True)
class Population:
    """The spread of each feature among lines of many writers: what a page is compared with."""

    std: np.ndarray  # (F,)

    @classmethod
    def from_lines(cls, features: Sequence[np.ndarray]) -> Population:
        return cls(np.std(np.stack(features), axis=0))


def page_score(features: Sequence[np.ndarray], population: Population) -> float:
    """Mean over FEATURES of the page's spread over the population's: under 1 is one hand. A
    feature that does not vary among the population's lines tells writers nothing and is left
    out."""
    if len(features) < 2:
        raise ValueError("a page needs two measured lines to have a spread")
    varies = population.std > 0  # (F,)
    spread = np.std(np.stack(features), axis=0)  # (F,)
    return float(np.mean(spread[varies] / population.std[varies]))


def real_pages(
    offsets: Sequence[np.ndarray], texts: Sequence[str], line_ids: Sequence[str]
) -> tuple[list[list[np.ndarray]], Population]:
    """The measured lines' features of each form (one writer's page, line ids 'a01-020x-03') with
    at least MIN_PAGE_LINES of them, and the population of every measured line."""
    forms: dict[str, list[np.ndarray]] = defaultdict(list)
    for line, text, line_id in zip(offsets, texts, line_ids, strict=True):
        features = line_features(line, text)
        if features is not None:
            forms[form_of(line_id)].append(features)
    every_line = [f for page in forms.values() for f in page]
    pages = [page for page in forms.values() if len(page) >= MIN_PAGE_LINES]
    return pages, Population.from_lines(every_line)
