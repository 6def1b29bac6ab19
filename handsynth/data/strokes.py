"""Stroke geometry with numpy: pen points, pen offsets, denoising, slant and normalisation.

A line of handwriting is held in two forms:
- points: absolute pen positions (N, 2) plus `eos` (N,), 1.0 on the last point of each stroke
  (the pen lifts after it);
- offsets: (N, 3) rows (dx, dy, eos), the input/target format of Graves (2013, §4). Row 0 is
  (0, 0, eos[0]): offsets are relative to the first point.
y grows downwards as on the whiteboard; nothing here flips it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def strokes_to_points(strokes: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate strokes of shape (n_i, 2+) (x, y, anything else) into points and pen lifts.

    Returns points (N, 2) float64 and eos (N,) float64 with 1.0 on the last point of each stroke.
    Empty strokes contribute nothing.
    """
    kept = [np.asarray(s, dtype=np.float64)[:, :2] for s in strokes if len(s) > 0]
    if not kept:
        return np.zeros((0, 2)), np.zeros(0)
    points = np.concatenate(kept)  # (N, 2)
    eos = np.zeros(len(points))
    eos[np.cumsum([len(s) for s in kept]) - 1] = 1.0
    return points, eos


def split_strokes(points: np.ndarray, eos: np.ndarray) -> list[np.ndarray]:
    """Cut points (N, 2) into strokes (n_i, 2) after every point with eos > 0.5.

    Points after the last pen lift form a final stroke of their own.
    """
    ends = np.flatnonzero(np.asarray(eos) > 0.5) + 1
    pieces = np.split(np.asarray(points)[:, :2], ends)
    return [piece for piece in pieces if len(piece) > 0]


def points_to_offsets(points: np.ndarray, eos: np.ndarray) -> np.ndarray:
    """Offsets (N, 3) float32 (dx, dy, eos) from points (N, 2); row 0 is (0, 0, eos[0])."""
    points = np.asarray(points, dtype=np.float64)
    offsets = np.zeros((len(points), 3), dtype=np.float64)
    offsets[1:, :2] = np.diff(points, axis=0)
    offsets[:, 2] = eos
    return offsets.astype(np.float32)


def offsets_to_points(
    offsets: np.ndarray, start: Sequence[float] = (0.0, 0.0)
) -> tuple[np.ndarray, np.ndarray]:
    """Points (N, 2) float64 and eos (N,) by cumulative sum of offsets (N, 3) from `start`."""
    offsets = np.asarray(offsets, dtype=np.float64)
    points = np.cumsum(offsets[:, :2], axis=0) + np.asarray(start, dtype=np.float64)
    return points, offsets[:, 2].copy()


def remove_outlier_jumps(
    points: np.ndarray, eos: np.ndarray, max_jump: float
) -> tuple[np.ndarray, np.ndarray]:
    """Drop isolated spikes: single points that the whiteboard sensor threw far off the stroke.

    IAM-OnDB lines contain occasional points that sit a few hundred units away from both of their
    neighbours inside a stroke while the two neighbours are close to each other: the pen did not go
    there. A model trained on them learns to scribble long spikes. A point is dropped when it lies
    more than `max_jump` from the previous and from the next point of its own stroke, and those
    two neighbours lie within `max_jump` of each other (so a genuinely fast stroke, whose points
    are all far apart, is kept). Strokes are never dropped: one- and two-point strokes are the dots
    of i, j and full stops.

    points (N, 2), eos (N,) -> the kept points (M, 2) and their eos (M,).
    """
    points = np.asarray(points, dtype=np.float64)
    eos = np.asarray(eos, dtype=np.float64)
    n = len(points)
    if n < 3:
        return points.copy(), eos.copy()
    # A point i in 1..N-2 is interior to its stroke when neither it nor its predecessor ends one.
    pen_up = eos > 0.5
    interior = ~pen_up[1:-1] & ~pen_up[:-2]  # (N-2,)
    to_prev = np.linalg.norm(points[1:-1] - points[:-2], axis=1)  # (N-2,)
    to_next = np.linalg.norm(points[2:] - points[1:-1], axis=1)  # (N-2,)
    prev_to_next = np.linalg.norm(points[2:] - points[:-2], axis=1)  # (N-2,)
    spike = interior & (to_prev > max_jump) & (to_next > max_jump) & (prev_to_next <= max_jump)
    keep = np.ones(n, dtype=bool)
    keep[1:-1] = ~spike
    return points[keep], eos[keep]


def savgol_weights(window: int, order: int) -> np.ndarray:
    """Savitzky-Golay weights (window,) that give a window's centre value of its least-squares
    polynomial of degree `order`: a polynomial of that degree passes through unchanged."""
    if window % 2 == 0 or window <= order:
        raise ValueError(f"window must be odd and longer than order ({window=}, {order=})")
    half = window // 2
    vandermonde = np.vander(np.arange(-half, half + 1, dtype=np.float64), order + 1, True)
    return np.linalg.pinv(vandermonde)[0]  # row 0: the polynomial's value at offset 0


def smooth_strokes(
    points: np.ndarray, eos: np.ndarray, window: int = 7, order: int = 3
) -> np.ndarray:
    """Smooth the whiteboard's pen jitter in each stroke with a Savitzky-Golay filter.

    Each interior point of a stroke becomes the centre value of the degree-`order` polynomial
    fitted to the `window` points around it, so curves keep their shape while point-to-point
    jitter averages out. The first and last window // 2 points of a stroke, and strokes shorter
    than `window`, are kept as recorded: a stroke's ends are where letters join, and no point
    borrows from another stroke. points (N, 2), eos (N,) -> smoothed points (N, 2) float64.
    """
    points = np.asarray(points, dtype=np.float64)
    smoothed = points.copy()
    weights = savgol_weights(window, order)
    half = window // 2
    start = 0
    for stroke in split_strokes(points, eos):
        n = len(stroke)
        if n >= window:
            windows = np.lib.stride_tricks.sliding_window_view(stroke, window, axis=0)
            # windows (n - window + 1, 2, window) . weights (window,) -> centres (n - 2 half, 2)
            smoothed[start + half : start + n - half] = windows @ weights
        start += n
    return smoothed


def estimate_slant(points: np.ndarray, eos: np.ndarray, max_angle_deg: float = 45.0) -> float:
    """The dominant slant of the writing, as tan(angle from vertical), from near-vertical segments.

    Segments inside strokes within `max_angle_deg` of vertical are the down- and up-strokes of
    letters; their summed horizontal drift per unit of vertical travel is the shear to remove.
    Positive when x grows as the pen moves down (y grows downwards), i.e. writing that leans left;
    ordinary right-leaning writing gives a negative value. Returns 0.0 without such segments.
    """
    points = np.asarray(points, dtype=np.float64)
    if len(points) < 2:
        return 0.0
    step = np.diff(points, axis=0)  # (N-1, 2)
    inside = np.asarray(eos[:-1]) < 0.5  # segment i joins points i and i+1 of one stroke
    dx, dy = step[:, 0], step[:, 1]
    steep = inside & (np.abs(dx) <= np.tan(np.radians(max_angle_deg)) * np.abs(dy)) & (dy != 0)
    if not steep.any():
        return 0.0
    # Orient every segment downwards so up- and down-strokes add up rather than cancel.
    return float(np.sum(dx[steep] * np.sign(dy[steep])) / np.sum(np.abs(dy[steep])))


def correct_slant(points: np.ndarray, eos: np.ndarray) -> np.ndarray:
    """Shear points (N, 2) so the dominant slant becomes vertical.

    x' = x - tan(slant) (y - mean y); y is unchanged. Returns the sheared points (N, 2) float64.
    """
    points = np.asarray(points, dtype=np.float64)
    if len(points) == 0:
        return points.copy()
    tan_slant = estimate_slant(points, eos)
    sheared = points.copy()
    sheared[:, 0] -= tan_slant * (points[:, 1] - points[:, 1].mean())
    return sheared


def normalisation_stats(offset_arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Mean (2,) and standard deviation (2,) of dx, dy over all rows but row 0 of each line.

    Row 0 is the (0, 0) origin, not a pen movement, so it is left out. Computed in float64.
    """
    moves = [np.asarray(o, dtype=np.float64)[1:, :2] for o in offset_arrays]
    moves = [m for m in moves if len(m) > 0]
    if not moves:
        raise ValueError("no pen movements to compute normalisation statistics from")
    stacked = np.concatenate(moves)  # (P, 2)
    std = stacked.std(axis=0)
    if np.any(std == 0):
        raise ValueError(f"dx/dy standard deviation is zero ({std.tolist()}); data is degenerate")
    return stacked.mean(axis=0), std


def normalise(offsets: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """(dx, dy) -> ((dx - mean) / std); the eos column is unchanged. (T, 3) -> (T, 3) float32."""
    out = np.array(offsets, dtype=np.float64)
    out[:, :2] = (out[:, :2] - np.asarray(mean)) / np.asarray(std)
    return out.astype(np.float32)


def denormalise(offsets: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Inverse of `normalise`: (dx, dy) -> dx * std + mean. (T, 3) -> (T, 3) float32."""
    out = np.array(offsets, dtype=np.float64)
    out[:, :2] = out[:, :2] * np.asarray(std) + np.asarray(mean)
    return out.astype(np.float32)


@dataclass(frozen=True, eq=False)
class Normalisation:
    """The statistics a model's pen offsets are normalised with (`handsynth prepare` computes them
    over the training lines): mean (2,) and standard deviation (2,) of dx and dy."""

    mean: np.ndarray  # (2,)
    std: np.ndarray  # (2,)

    @classmethod
    def from_json(cls, data: dict) -> Normalisation:
        mean = np.asarray(data["mean"], dtype=np.float64)
        return cls(mean, np.asarray(data["std"], dtype=np.float64))

    def to_json(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    def normalise(self, offsets: np.ndarray) -> np.ndarray:
        """Raw offsets (T, 3) -> the network's units (T, 3) float32."""
        return normalise(offsets, self.mean, self.std)

    def denormalise(self, offsets: np.ndarray) -> np.ndarray:
        """The network's offsets (T, 3) -> raw pen units (T, 3) float32."""
        return denormalise(offsets, self.mean, self.std)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Normalisation)
            and np.array_equal(self.mean, other.mean)
            and np.array_equal(self.std, other.std)
        )
