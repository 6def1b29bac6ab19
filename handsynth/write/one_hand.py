"""One hand for a page: lines written independently brought to a common size, slant and level.

The synthesis network writes each line of a page from a fresh state, so each comes out in its own
size, slant and tilt, and a page of them does not look like one person's letter. (Priming each line
with the first one's strokes made lines less legible.) `match_lines` measures every line
(`hand_metrics.measure_line`) and takes the page's hand to be the median x-height and median slant
of its lines. Each line is then, in this order:

1. rotated about (0, 0) so its baseline is level;
2. sheared horizontally about its baseline to the median slant (y is unchanged);
3. scaled about (0, 0) to the median x-height, by a factor kept within 1/MAX_SCALE..MAX_SCALE.

A line that cannot be measured (dots, a dash, one straight stroke) is left as it is. The layout
then sets the lines on their baselines at an even pitch (`render.layout_lines`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from handsynth.write.hand_metrics import LineMetrics, level, measure_line, shear

# A line is grown or shrunk by at most this factor: a line that measures more than three times or
# less than a third of the page's x-height is more likely mismeasured than written that size.
MAX_SCALE = 3.0


def match_lines(
    lines: Sequence[tuple[np.ndarray, np.ndarray]],
) -> tuple[list[np.ndarray], list[float]]:
    """Lines (points (N_i, 2), eos (N_i,)) in one hand: their new points (N_i, 2) and baselines.

    A baseline is the y the line sits on: the measured one, moved with the line; for a line that
    cannot be measured, the bottom of its ink; 0.0 for an empty line.
    """
    metrics = [measure_line(points, eos) if len(points) else None for points, eos in lines]
    measured = [m for m in metrics if m is not None]
    # The page's hand; with no line measured there is nothing to bring to it.
    x_height = float(np.median([m.x_height for m in measured])) if measured else 0.0
    slant = float(np.median([m.slant for m in measured])) if measured else 0.0
    matched, baselines = [], []
    for (points, _), m in zip(lines, metrics, strict=True):
        points = np.asarray(points, dtype=np.float64)
        if m is None:
            matched.append(points)
            baselines.append(float(points[:, 1].max()) if len(points) else 0.0)
            continue
        new_points, baseline = _transform(points, m, x_height, slant)
        matched.append(new_points)
        baselines.append(baseline)
    return matched, baselines


def _transform(
    points: np.ndarray, m: LineMetrics, x_height: float, slant: float
) -> tuple[np.ndarray, float]:
    """Points (N, 2) levelled, sheared to `slant` and scaled to `x_height`; and their baseline."""
    out = shear(level(points, m.tilt), slant - m.slant, m.baseline)  # (N, 2)
    factor = float(np.clip(x_height / m.x_height, 1 / MAX_SCALE, MAX_SCALE))
    return out * factor, m.baseline * factor
