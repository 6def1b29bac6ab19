"""One hand for a page: lines written independently brought to a common size, slant and level.

The synthesis network writes each line of a page from a fresh state, so each comes out in its own
size, slant and tilt, and a page of them does not look like one person's letter. (Priming each line
with the first one's strokes made lines less legible.) `match_lines` measures every line
(`hand_metrics.measure_line`) and takes the page's hand to be the median x-height and median slant
of its lines. Each line is then, in this order:

1. rotated about (0, 0) so its baseline is level;
2. sheared horizontally about its baseline to the median slant (y is unchanged);
3. scaled about (0, 0) to the median x-height, by a factor kept within 1/MAX_SCALE..MAX_SCALE.

A line that cannot be measured (dots, a dash, one straight stroke) is left as it is. The x-height
is measured on the tops of the small letters, so a line whose text (when the texts are given) is
mostly digits, capitals and marks ("12/03/2025", "QWERTY 4817") would measure its digits' height
as its x-height and be shrunk to half size: such a line is levelled and sheared like the others
but scaled by the median factor of the lines that are mostly small letters, and does not count
towards the page's x-height. The layout then sets the lines on their baselines at an even pitch
(`render.layout_lines`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from handsynth.write.hand_metrics import LineMetrics, level, measure_line, shear

# A line is grown or shrunk by at most this factor: a line that measures more than three times or
# less than a third of the page's x-height is more likely mismeasured than written that size.
MAX_SCALE = 3.0
# A line's x-height is trusted when at least this share of its characters (spaces aside) are
# lower-case letters, whose tops mostly sit on the mean line.
MIN_SMALL_LETTERS = 0.5


def match_lines(
    lines: Sequence[tuple[np.ndarray, np.ndarray]],
    texts: Sequence[str] | None = None,
) -> tuple[list[np.ndarray], list[float]]:
    """Lines (points (N_i, 2), eos (N_i,)) in one hand: their new points (N_i, 2) and baselines.

    `texts`, what each line says, marks the lines whose x-height cannot be measured on small
    letters (`sized_by_letters`); None trusts every line. A baseline is the y the line sits on:
    the measured one, moved with the line; for a line that cannot be measured, the bottom of its
    ink; 0.0 for an empty line.
    """
    metrics = [measure_line(points, eos) if len(points) else None for points, eos in lines]
    sized = [True] * len(lines) if texts is None else [sized_by_letters(t) for t in texts]
    sizing = [m for m, trusted in zip(metrics, sized, strict=True) if m is not None and trusted]
    # The page's hand; with no line measured there is nothing to bring to it.
    x_height = float(np.median([m.x_height for m in sizing])) if sizing else 0.0
    measured = [m for m in metrics if m is not None]
    slant = float(np.median([m.slant for m in measured])) if measured else 0.0
    typical_factor = float(np.median([_factor(x_height, m) for m in sizing])) if sizing else 1.0
    matched, baselines = [], []
    for (points, _), m, trusted in zip(lines, metrics, sized, strict=True):
        points = np.asarray(points, dtype=np.float64)
        if m is None:
            matched.append(points)
            baselines.append(float(points[:, 1].max()) if len(points) else 0.0)
            continue
        factor = _factor(x_height, m) if trusted else typical_factor
        new_points, baseline = _transform(points, m, factor, slant)
        matched.append(new_points)
        baselines.append(baseline)
    return matched, baselines


def sized_by_letters(text: str) -> bool:
    """Whether a line saying `text` has enough small letters to measure its x-height on."""
    characters = [c for c in text if not c.isspace()]
    small = sum(c.islower() for c in characters)
    return not characters or small >= MIN_SMALL_LETTERS * len(characters)


def _factor(x_height: float, m: LineMetrics) -> float:
    """The scale that brings a line measured as `m` to `x_height`, within the MAX_SCALE bounds."""
    return float(np.clip(x_height / m.x_height, 1 / MAX_SCALE, MAX_SCALE))


def _transform(
    points: np.ndarray, m: LineMetrics, factor: float, slant: float
) -> tuple[np.ndarray, float]:
    """Points (N, 2) levelled, sheared to `slant` and scaled by `factor`; and their baseline."""
    out = shear(level(points, m.tilt), slant - m.slant, m.baseline)  # (N, 2)
    return out * factor, m.baseline * factor
