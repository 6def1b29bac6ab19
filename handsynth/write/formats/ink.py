"""Ink that looks like a pen's: a stroke's outline whose width follows the pen's speed.

A pen leaves more ink where it moves slowly (turns, starts and ends) and less where it sweeps.
The points of a line come a constant time apart (`page.SECONDS_PER_POINT`), so the pen's speed at
a point is proportional to the length of its steps. `pen_widths` maps speed to width and
`stroke_outline` turns the stroke into a closed polygon of that varying width, with round ends,
to be filled (nonzero rule: it may cross itself at sharp turns). The plain pen, one width drawn
as a stroked path, is what the renderers draw without it.
"""

from __future__ import annotations

import numpy as np

THINNEST = 0.5  # fastest pen: this fraction of the plain width
THICKEST = 1.6  # slowest pen: this multiple of the plain width
CAP_POINTS = 8  # points on each round end of an outline


def pen_widths(
    stroke: np.ndarray,
    width: float,
    reference_step: float | None = None,
    thinnest: float = THINNEST,
    thickest: float = THICKEST,
) -> np.ndarray:
    """The pen's width at each point of a stroke (n, 2): (n,).

    At a point whose steps (to its neighbours, smoothed over three points) are `reference_step`
    long the width is `width`; it goes as 1/sqrt(speed), so slower is wider, and stays within
    [thinnest, thickest] x width. `reference_step` defaults to the stroke's median step. A single
    point, a dot made by a pen that did not move, is drawn at the thickest width.
    """
    stroke = np.asarray(stroke, dtype=np.float64)
    if len(stroke) < 2:
        return np.full(len(stroke), thickest * width)
    steps = np.linalg.norm(np.diff(stroke, axis=0), axis=1)  # (n-1,)
    at_points = np.concatenate([steps[:1], (steps[:-1] + steps[1:]) / 2, steps[-1:]])  # (n,)
    smooth = np.convolve(np.pad(at_points, 1, mode="edge"), np.ones(3) / 3, mode="valid")  # (n,)
    reference = float(np.median(steps)) if reference_step is None else reference_step
    ratio = np.sqrt(max(reference, 1e-9) / np.maximum(smooth, 1e-9))
    return width * np.clip(ratio, thinnest, thickest)


def stroke_outline(stroke: np.ndarray, width: float, **widths) -> np.ndarray:
    """A closed polygon (m, 2) around a stroke (n, 2) drawn `width` wide at its reference speed.

    `widths` are passed to `pen_widths`. Each point is pushed half its width to either side along
    the normal of the stroke there; the two sides are joined by half circles at the ends. A single
    point becomes a circle.
    """
    stroke = np.asarray(stroke, dtype=np.float64)
    keep = np.ones(len(stroke), dtype=bool)
    keep[1:] = np.any(np.diff(stroke, axis=0) != 0, axis=1)  # repeated points have no direction
    stroke = stroke[keep]
    half = pen_widths(stroke, width, **widths) / 2  # (n,)
    if len(stroke) == 1:
        return _arc(stroke[0], half[0], 0.0, 2 * np.pi)
    tangent = np.gradient(stroke, axis=0)  # (n, 2)
    forward = np.diff(stroke, axis=0, append=stroke[-1:] * 2 - stroke[-2:-1])  # (n, 2), no zeros
    # Where the pen turns straight back the central difference vanishes: use the next step.
    tangent = np.where(np.any(tangent != 0, axis=1, keepdims=True), tangent, forward)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)  # (n, 2), left of the direction
    left = stroke + normal * half[:, None]
    right = stroke - normal * half[:, None]
    # The normal points at angle a; the stroke's direction at a - pi/2. The end cap turns from the
    # left side (a) through the front to the right side (a - pi); the start cap from the right
    # side (a + pi) through the back to the left (a).
    a_end = np.arctan2(normal[-1, 1], normal[-1, 0])
    a_start = np.arctan2(normal[0, 1], normal[0, 0])
    end_cap = _arc(stroke[-1], half[-1], a_end, a_end - np.pi)
    start_cap = _arc(stroke[0], half[0], a_start + np.pi, a_start)
    return np.concatenate([left, end_cap, right[::-1], start_cap])


def _arc(centre: np.ndarray, radius: float, start: float, stop: float) -> np.ndarray:
    """CAP_POINTS points (k, 2) on a circle's arc from angle `start` to `stop`, ends excluded."""
    angles = np.linspace(start, stop, CAP_POINTS + 2)[1:-1]
    return centre + radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
