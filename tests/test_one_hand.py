"""Tests of one hand for a page (handsynth.write.one_hand through render.layout_lines):
constructed lines of set sizes and slants come out alike, and so does a 30-line letter the shipped
model writes."""

from pathlib import Path

import numpy as np
import pytest

from handsynth import load_model
from handsynth.data.strokes import points_to_offsets, strokes_to_points
from handsynth.write.formats.page import page_strokes
from handsynth.write.hand_metrics import measure_line, measure_page
from handsynth.write.handwriting import Handwriting
from handsynth.write.one_hand import MAX_SCALE, sized_by_letters
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


def test_a_line_of_digits_keeps_the_size_the_typical_line_is_scaled_by():
    """A date's digits stand twice as tall as small letters, so its line measures an x-height
    twice the others': told the texts, the layout scales it as it scales the median line (here
    not at all) instead of shrinking its digits to the size of small letters."""
    digits = _offsets(80.0, 0.0, 0.0)
    texts = ["dear ada", "thank you", "see you", "12/03/2025"]
    told = layout_lines([*LINES, digits], RenderOptions(scale=1), texts)
    x_heights = [measure_line(*strokes_to_points(strokes)).x_height for strokes in told]
    np.testing.assert_allclose(x_heights, [40.0, 40.0, 40.0, 80.0], rtol=1e-6)
    untold = layout_lines([*LINES, digits], RenderOptions(scale=1))
    x_heights = [measure_line(*strokes_to_points(strokes)).x_height for strokes in untold]
    np.testing.assert_allclose(x_heights, 50.0, rtol=1e-6)  # the median of 32, 40, 60 and 80
    page = Handwriting([*LINES, digits], texts, [[] for _ in texts])
    for ours, theirs in zip(page_strokes(page, RenderOptions(scale=1)), told, strict=True):
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("text", "sized"),
    [
        ("Dear Ada, thank you", True),
        ("12 March 2025", False),  # 5 small letters of 11 characters
        ("Order No. 4817, 10:30", False),
        ("QWERTY", False),
        ("", True),
        ("ok 12", True),
    ],
)
def test_a_line_is_sized_by_its_letters_when_half_its_characters_are_small_letters(text, sized):
    assert sized_by_letters(text) is sized


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
