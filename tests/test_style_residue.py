"""Ink a primed line starts with that belongs to the style (write/style_residue.py)."""

import numpy as np

from handsynth.data.strokes import Normalisation
from handsynth.sample.synthesis import SampledLine
from handsynth.write.style_residue import residue_rows, style_right_edge, without_style_residue

UNIT = Normalisation(np.zeros(2), np.ones(2))  # normalised offsets are pen units


def _line(moves: list[tuple[float, float, int]], focus: list[int]) -> SampledLine:
    """A line drawn straight after a style (lead 0): `moves` (dx, dy, lift) from the style's last
    point, the window on letter focus[k] while drawing move k."""
    steps = np.array([(0.0, 0.0, 1.0), *moves], dtype=np.float32)  # row 0: the style's last point
    offsets = steps.copy()
    offsets[0] = 0.0
    offsets[1, :2] = 0.0  # the first move is tidied away, as `_cut_lines` does
    phi = np.zeros((len(moves), 5), dtype=np.float32)
    phi[np.arange(len(moves)), focus] = 1.0
    return SampledLine("ab", offsets, phi, True, steps, 0)


STYLE = np.array([(0, 0, 0), (30, 0, 0), (10, 0, 1), (-25, 0, 1)], dtype=np.float32)  # right: +25


def test_the_style_reaches_right_of_its_last_point():
    assert style_right_edge(STYLE, UNIT) == 25.0


def test_a_mark_within_the_style_drawn_on_the_first_letter_is_dropped():
    # A dash from x -10 to 5 (within the style's ink, which reaches x 25), then the line's first
    # letter from x 100 on, then its second.
    moves = [(-10, 0, 0), (15, 0, 1), (95, 0, 0), (20, 5, 1), (30, 0, 0), (10, 0, 1)]
    line = _line(moves, focus=[0, 0, 0, 0, 1, 1])
    assert residue_rows(line, 25.0, UNIT) == 2
    trimmed = without_style_residue(line, style_right_edge(STYLE, UNIT), UNIT)
    assert trimmed.lead == 2 and len(trimmed.offsets) == len(line.offsets) - 2
    np.testing.assert_array_equal(trimmed.offsets[2:], line.offsets[4:])
    np.testing.assert_array_equal(trimmed.offsets[1], [0, 0, 0])  # it starts at its first point
    np.testing.assert_array_equal(trimmed.phi, line.phi[2:])
    np.testing.assert_array_equal(trimmed.steps, line.steps)


def test_ink_right_of_the_style_or_on_a_later_letter_is_the_line_s():
    right_of_style = [(10, 0, 0), (30, 0, 1), (20, 0, 0), (10, 0, 1)]  # the stroke reaches x 40
    assert residue_rows(_line(right_of_style, [0, 0, 1, 1]), 25.0, UNIT) == 0
    on_second_letter = [(-10, 0, 0), (15, 0, 1), (95, 0, 0), (10, 0, 1)]
    assert residue_rows(_line(on_second_letter, [0, 1, 1, 1]), 25.0, UNIT) == 0
    only_stroke = [(-10, 0, 0), (15, 0, 1)]  # a line's last stroke is always kept
    assert residue_rows(_line(only_stroke, [0, 0]), 25.0, UNIT) == 0
