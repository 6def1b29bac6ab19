"""What a line of handwriting's hand measures, in numpy: its tilt, x-height and slant.

A line is points (N, 2) with y growing downwards and `eos` (N,) marking each stroke's last point,
in any unit (pen units or pixels); lengths come back in that unit.

- Turning points: along each stroke, the points where the pen stops going down and turns up
  (bottoms, local maxima of y) or stops going up and turns down (tops, local minima of y). A turn
  counts only once the pen has come back by `SWING` of the line's interquartile y range, so the
  jitter of sampled strokes makes none. Where a stroke first comes down from is a top too: many
  letters (u, s, i, y) start on the mean line. Where it ends is not: a stroke often ends in an
  exit flick that stops anywhere.
- Tilt: the slope dy/dx of the baseline, the Theil-Sen estimate (the median slope over all pairs)
  through the bottoms. Most bottoms sit on the baseline; the feet of descenders are a minority,
  which a median ignores.
- x-height: the height of the core zone, the band between the baseline and the mean line that a,
  c, e, m, n, o, r, s, u... fill: the median, over the tops of the levelled line, of the top's
  height above the baseline under it (the median y of the nearest bottoms, so a baseline that
  bends along the line is followed). The tops of ascenders and capitals and the feet of
  descenders are outliers on the far side of the medians as long as most letters are small ones,
  which holds for ordinary text.
- Slant: how far the letters lean from vertical, tan(angle), positive leaning right: the shear
  that leaves the levelled line's near-vertical pen-down segments (the downstrokes and upstrokes
  of letters) with no net horizontal drift (`slant`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from handsynth.data.strokes import estimate_slant, split_strokes, strokes_to_points

SWING = 0.15  # a turn counts after the pen comes back this fraction of the line's y quartile range
NEIGHBOURS = 5  # bottoms, nearest in x, whose median y is the baseline under a top
SLANT_ROUNDS = 6  # re-measurements of the slant after taking the estimate off


@dataclass(frozen=True)
class LineMetrics:
    """A line's hand. `baseline` is in the levelled frame: the line rotated by -atan(tilt) about
    (0, 0), as `level` does."""

    tilt: float  # dy/dx of the baseline as drawn; positive runs downhill (y grows downwards)
    baseline: float  # y of the baseline, levelled
    x_height: float  # baseline minus mean line, > 0
    slant: float  # tan of the lean from vertical, levelled; positive leans right

    @property
    def slant_degrees(self) -> float:
        return float(np.degrees(np.arctan(self.slant)))


def measure_line(points: np.ndarray, eos: np.ndarray) -> LineMetrics | None:
    """Tilt, baseline, x-height and slant of one line (points (N, 2), eos (N,)).

    The x-height is measured on the line levelled and sheared upright, so that shearing a line
    does not change which bottoms are nearest each top. None when the line has no x-height to
    measure: no turn both ways (dots, dashes, a single straight stroke) or a mean line not above
    the baseline.
    """
    points = np.asarray(points, dtype=np.float64)
    _, bottoms = turning_points(points, eos)  # (B, 2)
    if not len(bottoms):
        return None
    tilt = theil_sen_slope(bottoms)
    levelled = level(points, tilt)
    lean = slant(levelled, eos)
    tops, bottoms = turning_points(shear(levelled, -lean, 0.0), eos)
    if not len(tops) or not len(bottoms):
        return None
    x_height = float(np.median(local_baselines(tops, bottoms) - tops[:, 1]))
    if x_height <= 0:
        return None
    return LineMetrics(tilt, float(np.median(bottoms[:, 1])), x_height, lean)


def shear(points: np.ndarray, lean: float, y0: float) -> np.ndarray:
    """Points (N, 2) leaning `lean` (tan) more to the right, sheared about the line y = y0.

    A right lean puts a point further right the higher it is above y0 (y grows downwards).
    """
    out = np.array(points, dtype=np.float64)
    out[:, 0] -= lean * (out[:, 1] - y0)
    return out


def local_baselines(tops: np.ndarray, bottoms: np.ndarray, count: int = NEIGHBOURS) -> np.ndarray:
    """The baseline's y under each top: the median y of the `count` bottoms nearest to it in x.

    tops (T, 2), bottoms (B, 2) -> (T,). A line whose baseline bends along its length is
    measured against the baseline where each letter is.
    """
    dx = np.abs(tops[:, None, 0] - bottoms[None, :, 0])  # (T, B)
    nearest = np.argsort(dx, axis=1)[:, :count]  # (T, min(count, B))
    return np.median(bottoms[nearest, 1], axis=1)


def slant(points: np.ndarray, eos: np.ndarray, rounds: int = SLANT_ROUNDS) -> float:
    """tan of the lean from vertical, positive leaning right, of points (N, 2), eos (N,).

    `strokes.estimate_slant` averages the drift of the segments within 45 degrees of vertical,
    but which segments those are depends on the lean itself, so shearing a line by k does not
    change the estimate by exactly k. Here the estimate is taken off and the line measured again,
    `rounds` times: the result is the shear that leaves the near-vertical segments no net drift,
    which moves by exactly k when the line is sheared by k.
    """
    lean = 0.0
    for _ in range(rounds):
        upright = shear(points, -lean, float(np.mean(points[:, 1])))
        # estimate_slant is positive when x grows as the pen goes down: a left lean.
        lean -= estimate_slant(upright, eos)
    return lean


def level(points: np.ndarray, tilt: float) -> np.ndarray:
    """Points (N, 2) rotated about (0, 0) so that a line of slope `tilt` becomes horizontal."""
    angle = -np.arctan(tilt)
    c, s = np.cos(angle), np.sin(angle)
    rotation = np.array([[c, -s], [s, c]])  # (2, 2)
    return np.asarray(points, dtype=np.float64) @ rotation.T


def turning_points(points: np.ndarray, eos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The tops (T, 2) and bottoms (B, 2) of a line's strokes (see the module docstring)."""
    points = np.asarray(points, dtype=np.float64)
    tops, bottoms = [], []
    if len(points):
        q1, q3 = np.percentile(points[:, 1], [25, 75])
        swing = SWING * (q3 - q1)
        for stroke in split_strokes(points, eos):
            stroke_tops, stroke_bottoms = _turns(stroke[:, 1], swing)
            tops.append(stroke[stroke_tops])
            bottoms.append(stroke[stroke_bottoms])
    empty = np.zeros((0, 2))
    return np.concatenate([empty, *tops]), np.concatenate([empty, *bottoms])


def _turns(y: np.ndarray, swing: float) -> tuple[list[int], list[int]]:
    """Indices of the tops and bottoms of one stroke's y (n,), turns of at least `swing` > 0."""
    tops, bottoms = [], []
    heading = 0  # +1 going down (y grows), -1 going up, 0 until the pen first moves by `swing`
    low = high = 0  # before the first move: the highest and lowest points so far
    extreme = 0  # after it: the furthest point in the heading since the last turn
    for i in range(1, len(y)):
        if heading == 0:
            low = i if y[i] < y[low] else low
            high = i if y[i] > y[high] else high
            if swing > 0 and y[high] - y[low] >= swing:
                # Where the pen first came down from is a top (the start of u, s, i), and where
                # it first came up from a bottom.
                if high > low:
                    tops.append(low)
                    heading, extreme = 1, high
                else:
                    bottoms.append(high)
                    heading, extreme = -1, low
        elif (y[i] - y[extreme]) * heading > 0:
            extreme = i
        elif (y[extreme] - y[i]) * heading >= swing:
            (bottoms if heading > 0 else tops).append(extreme)
            heading, extreme = -heading, i
    return tops, bottoms


def theil_sen_slope(points: np.ndarray) -> float:
    """The median of the slopes dy/dx between all pairs of points (n, 2) apart in x; 0.0 if none."""
    i, j = np.triu_indices(len(points), k=1)  # (P,), (P,)
    dx = points[j, 0] - points[i, 0]
    apart = dx != 0
    if not apart.any():
        return 0.0
    return float(np.median((points[j, 1] - points[i, 1])[apart] / dx[apart]))


@dataclass(frozen=True)
class PageMetrics:
    """How alike the lines of a page are: per measured line its x-height and slant."""

    x_heights: list[float]
    slants_degrees: list[float]
    unmeasured: int  # lines with ink but no x-height to measure

    @property
    def x_height_spread(self) -> float:
        return spread(self.x_heights)

    @property
    def slant_range_degrees(self) -> float:
        return max(self.slants_degrees) - min(self.slants_degrees)


def measure_page(laid_out: Sequence[Sequence[np.ndarray]]) -> PageMetrics:
    """The metrics of a page given per line as its strokes (n_i, 2), as `render.layout_lines`
    returns them; blank lines are left out. At least one line must be measurable."""
    metrics = [measure_line(*strokes_to_points(strokes)) for strokes in laid_out if strokes]
    measured = [m for m in metrics if m is not None]
    if not measured:
        raise ValueError("no line of the page has an x-height to measure")
    return PageMetrics(
        [m.x_height for m in measured],
        [m.slant_degrees for m in measured],
        len(metrics) - len(measured),
    )


def spread(values: Sequence[float]) -> float:
    """(max - min) / median of positive values (x-heights): 0.1 means they differ by at most 10 %
    of the typical one."""
    values = np.asarray(values, dtype=np.float64)
    return float((values.max() - values.min()) / np.median(values))
