"""Tests of handsynth.write.hand_metrics on lines built of box letters whose x-height, slant and
tilt are set, so the measures are checked against the numbers the lines were drawn with."""

import numpy as np
import pytest

from handsynth.data.strokes import split_strokes, strokes_to_points
from handsynth.write.hand_metrics import (
    level,
    measure_line,
    measure_page,
    shear,
    slant,
    spread,
    turning_points,
)

# Letter shapes: a box from the baseline up to the mean line ("n"), up to twice that ("l", an
# ascender), down to the x-height below the baseline ("p", a descender) or up to 2.5 times it ("L",
# a capital). Each word is one stroke, as joined-up writing is.
WORDS = ("nnnln", "npnn", "Lnnlnnn", "nnpnnln", "nnn")


def box_stroke(word: str, x_height: float, start: float) -> np.ndarray:
    """Points (n, 2) of one joined-up word of box letters; the baseline is y = 0 (y down)."""
    width, gap = 0.6 * x_height, 0.3 * x_height
    tops = {"n": 1.0, "p": 1.0, "l": 2.0, "L": 2.5}
    corners, x = [], start
    for letter in word:
        top, foot = -tops[letter] * x_height, x_height if letter == "p" else 0.0
        # up the left side, across the top, down the right side (a descender comes back up to
        # the baseline), then along the baseline to the next letter
        corners += [(x, 0.0), (x, top), (x + width, top), (x + width, foot)]
        corners += [(x + width, 0.0)] if foot else []
        x += width + gap
    corners.append((x - gap / 2, 0.0))
    return _densify(np.array(corners), x_height / 10)


def _densify(corners: np.ndarray, step: float) -> np.ndarray:
    """The polyline through corners (k, 2) with points at most `step` apart."""
    points = [corners[:1]]
    for a, b in zip(corners[:-1], corners[1:], strict=True):
        n = max(1, int(np.ceil(np.linalg.norm(b - a) / step)))
        points.append(a + (b - a) * np.arange(1, n + 1)[:, None] / n)
    return np.concatenate(points)


def box_line(
    x_height: float, lean: float = 0.0, tilt: float = 0.0, words=WORDS, dots: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """A line of `words` with the given x-height, slant (tan, right positive) and baseline slope,
    and a full stop (a one-point stroke) after each word: points (N, 2), eos (N,)."""
    strokes, x = [], 0.0
    for word in words:
        stroke = box_stroke(word, x_height, x)
        x = stroke[-1, 0] + x_height
        strokes += [stroke, np.array([[x - 0.5 * x_height, 0.0]])] if dots else [stroke]
    points, eos = strokes_to_points(strokes)
    points = shear(points, lean, 0.0)
    return level(points, -tilt), eos  # levelling by -tilt tilts a level line by tilt


@pytest.mark.parametrize(
    ("x_height", "lean", "tilt"),
    [(40.0, 0.0, 0.0), (40.0, 0.3, 0.05), (25.0, -0.2, -0.08), (120.0, 0.5, 0.02)],
)
def test_measure_line_finds_the_x_height_slant_and_tilt_the_line_was_drawn_with(
    x_height, lean, tilt
):
    m = measure_line(*box_line(x_height, lean, tilt))
    assert m.x_height == pytest.approx(x_height, rel=1e-6)
    assert m.slant == pytest.approx(lean, abs=1e-6)
    assert m.slant_degrees == pytest.approx(np.degrees(np.arctan(lean)), abs=1e-4)
    assert m.tilt == pytest.approx(tilt, abs=1e-6)
    assert m.baseline == pytest.approx(0.0, abs=1e-6)


def test_ascenders_descenders_and_capitals_do_not_move_the_x_height():
    plain = measure_line(*box_line(30.0, words=("nnnn", "nnnnn", "nnn")))
    # 6 of the 14 letters reach above the mean line, 2 below the baseline
    tall = measure_line(*box_line(30.0, words=("Llnl", "nplnn", "lnpLn")))
    assert plain.x_height == pytest.approx(30.0) and tall.x_height == pytest.approx(30.0)


def test_jittered_strokes_measure_close_to_the_drawn_hand():
    points, eos = box_line(40.0, lean=0.25, tilt=0.03)
    rng = np.random.default_rng(0)
    # Jitter of 1 % of the x-height on every point. The flat tops and baselines of box letters
    # are where jitter counts most: a turning point is the jitter's peak there, so the x-height
    # comes out about three standard deviations of the jitter too tall.
    m = measure_line(points + rng.normal(0.0, 0.4, points.shape), eos)
    assert m.x_height == pytest.approx(40.0, rel=0.05)
    assert m.slant == pytest.approx(0.25, abs=0.03)
    assert m.tilt == pytest.approx(0.03, abs=0.005)


def test_a_baseline_that_bends_is_followed():
    points, eos = box_line(30.0)
    points[:, 1] += 2e-4 * points[:, 0] ** 2  # sags 30 units, an x-height, over the line
    assert measure_line(points, eos).x_height == pytest.approx(30.0, rel=0.05)


def test_the_slant_moves_by_exactly_the_shear():
    points, eos = box_line(40.0, lean=0.1)
    rng = np.random.default_rng(1)
    points = points + rng.normal(0.0, 1.5, points.shape)
    for k in (-0.4, 0.2, 0.6):
        assert slant(shear(points, k, 0.0), eos) == pytest.approx(slant(points, eos) + k, abs=1e-3)


def test_turning_points_ignore_jitter_smaller_than_the_swing():
    x = np.linspace(0.0, 100.0, 400)
    y = 20.0 * np.sin(x / 5) + 0.5 * np.sin(x * 7)  # 20-unit waves with a ripple on them
    tops, bottoms = turning_points(np.column_stack([x, y]), np.zeros(len(x)))
    # sin(x / 5) has 3 tops (y = -20) and 3 bottoms on 0..100, plus a top where the pen starts
    # going down at x = 0, y = 0.
    assert len(tops) == 4 and len(bottoms) == 3
    np.testing.assert_allclose(tops[1:, 1], -20.0, atol=1.0)
    np.testing.assert_allclose(bottoms[:, 1], 20.0, atol=1.0)


def test_lines_without_an_x_height_are_not_measured():
    dots = strokes_to_points([np.array([[x, 0.0]]) for x in (0.0, 10.0, 20.0)])
    dash = strokes_to_points([np.column_stack([np.linspace(0, 50, 20), np.zeros(20)])])
    upstroke = strokes_to_points([np.column_stack([np.zeros(20), -np.linspace(0, 50, 20)])])
    for points, eos in (dots, dash, upstroke):
        assert measure_line(points, eos) is None


def test_measure_page_and_spread():
    lines = [box_line(h, lean) for h, lean in ((30.0, 0.0), (36.0, 0.2), (33.0, -0.1))]
    strokes = [split_strokes(points, eos) for points, eos in lines]
    page = measure_page([*strokes, [], [np.array([[0.0, 0.0]])]])  # a blank line, a dot
    np.testing.assert_allclose(page.x_heights, [30.0, 36.0, 33.0])
    assert page.x_height_spread == pytest.approx(6.0 / 33.0)
    assert page.slant_range_degrees == pytest.approx(
        np.degrees(np.arctan(0.2) - np.arctan(-0.1)), abs=1e-4
    )
    assert page.unmeasured == 1
    assert spread([90.0, 100.0, 110.0]) == pytest.approx(0.2)
    with pytest.raises(ValueError, match="no line"):
        measure_page([[np.array([[0.0, 0.0]])]])
