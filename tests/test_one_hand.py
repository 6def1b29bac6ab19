"""Tests of one hand for a page (handsynth.write.one_hand through render.layout_lines):
constructed lines of set sizes and slants come out alike, and so does a 30-line letter the shipped
model writes."""

from pathlib import Path

import numpy as np
import pytest

from handsynth import load_model
from handsynth.data.strokes import points_to_offsets, strokes_to_points
from handsynth.write.hand_metrics import measure_line, measure_page
from handsynth.write.one_hand import MAX_SCALE
from handsynth.write.render import RenderOptions, layout_lines
from tests.test_hand_metrics import box_line

LETTER = Path(__file__).resolve().parents[1] / "docs" / "letter.txt"
LETTER_SEED = 4  # the README's docs/sample-letter.png


def _offsets(x_height: float, lean: float, tilt: float) -> np.ndarray:
    return points_to_offsets(*box_line(x_height, lean, tilt))


# Three lines as three independent draws might come out: other sizes, slants and tilts.
LINES = [_offsets(40.0, 0.0, 0.0), _offsets(60.0, 0.35, 0.04), _offsets(32.0, -0.15, -0.03)]


def test_layout_brings_lines_to_one_x_height_slant_and_level_on_even_baselines():
    options = RenderOptions(scale=1, line_spacing=0.5)
    laid_out = layout_lines(LINES, options)
    metrics = [measure_line(*strokes_to_points(strokes)) for strokes in laid_out]
    # The medians of the three: x-height 40, slant 0.
    np.testing.assert_allclose([m.x_height for m in metrics], 40.0, rtol=1e-6)
    np.testing.assert_allclose([m.slant for m in metrics], 0.0, atol=1e-6)
    np.testing.assert_allclose([m.tilt for m in metrics], 0.0, atol=1e-6)
    # Measured after layout the baselines are in page coordinates: evenly spaced.
    baselines = np.array([m.baseline for m in metrics])
    heights = [np.ptp(np.concatenate(strokes)[:, 1]) for strokes in laid_out]
    np.testing.assert_allclose(np.diff(baselines), 1.5 * np.median(heights), rtol=1e-6)

    as_drawn = measure_page(layout_lines(LINES, RenderOptions(scale=1, one_hand=False)))
    np.testing.assert_allclose(as_drawn.x_heights, [40.0, 60.0, 32.0], rtol=1e-6)


def test_a_single_line_is_left_as_drawn():
    one_hand = layout_lines(LINES[1:2], RenderOptions())
    as_drawn = layout_lines(LINES[1:2], RenderOptions(one_hand=False))
    for a, b in zip(one_hand[0], as_drawn[0], strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_line_without_an_x_height_keeps_its_shape_and_blank_lines_stay_blank():
    dots = points_to_offsets(*strokes_to_points([np.array([[x, 0.0]]) for x in (0, 9, 18)]))
    empty = np.zeros((0, 3), dtype=np.float32)
    laid_out = layout_lines([LINES[0], dots, empty, LINES[1]], RenderOptions(scale=1))
    drawn_dots = np.concatenate(laid_out[1])
    np.testing.assert_allclose(drawn_dots - drawn_dots[0], [[0, 0], [9, 0], [18, 0]], atol=1e-9)
    assert laid_out[2] == []
    assert measure_line(*strokes_to_points(laid_out[3])).x_height == pytest.approx(50.0)


def test_a_line_is_scaled_by_at_most_max_scale():
    huge = _offsets(40.0 * 10, 0.0, 0.0)
    laid_out = layout_lines([LINES[0], LINES[0], huge], RenderOptions(scale=1))
    x_height = measure_line(*strokes_to_points(laid_out[2])).x_height
    assert x_height == pytest.approx(400.0 / MAX_SCALE)


def test_a_written_letter_comes_out_in_one_hand():
    """The README's 30-line letter: its lines' x-heights, as drawn, spread by more than 10 % of
    the median, and once in one hand by at most 10 %; their slants come together too."""
    handwriting = load_model().write(LETTER.read_text(encoding="utf-8"), seed=LETTER_SEED)
    assert len(handwriting.offsets) == 30
    as_drawn = measure_page(layout_lines(handwriting.offsets, RenderOptions(one_hand=False)))
    one_hand = measure_page(layout_lines(handwriting.offsets, RenderOptions()))
    assert as_drawn.unmeasured == one_hand.unmeasured == 0
    assert one_hand.x_height_spread <= 0.10 < as_drawn.x_height_spread
    assert one_hand.slant_range_degrees <= 2.0 < as_drawn.slant_range_degrees
