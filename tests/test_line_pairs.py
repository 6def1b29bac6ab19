"""Joining two lines of one writer for training (data/line_pairs.py)."""

import numpy as np

from handsynth.data.line_pairs import consecutive_pairs, form_of, join_lines, joined_lines


def _line(points: list[tuple[float, float, int]]) -> np.ndarray:
    """Absolute points (x, y, eos) -> offsets (T, 3) with row 0 the first point at (0, 0)."""
    xy = np.array([p[:2] for p in points], dtype=np.float32)
    offsets = np.zeros((len(points), 3), dtype=np.float32)
    offsets[1:, :2] = np.diff(xy, axis=0)
    offsets[:, 2] = [p[2] for p in points]
    return offsets


def test_lines_pair_only_with_the_next_line_of_their_form():
    ids = ["a01-000u-01", "a01-000u-02", "a01-000u-03", "a01-001w-01", "b02-010-04"]
    assert form_of("a01-000u-03") == "a01-000u"
    assert consecutive_pairs(ids) == [(0, 1), (1, 2)]


def test_the_second_line_goes_on_to_the_right_at_the_height_where_the_first_ended():
    # First line: 10 points from x 0 to 90, rising from y 0 to y -90 (drifting up the page);
    # 'abcdefghi' is 9 characters, so one character is 10 units wide.
    first = _line([(10 * i, -10 * i, int(i in (4, 9))) for i in range(10)])
    # Second line: its first point 5 units right of its leftmost ink, level at y 7.
    second = _line([(5, 7, 0), (0, 7, 0), (20, 7, 1)])
    joined = join_lines(first, second, "abcdefghi")
    assert joined.shape == (13, 3)
    np.testing.assert_array_equal(joined[:10], first)
    np.testing.assert_array_equal(joined[11:], second[1:])
    points = np.cumsum(joined[:, :2], axis=0)
    # Rightmost ink 90, one character width 10, and the second line's ink starts 5 units left
    # of its first point: that point is at x 105. The first line's last fifth (2 points: y -80,
    # -90) has median -85, the second's first fifth (its first point) sits level with it.
    np.testing.assert_allclose(points[10], [105, -85])
    np.testing.assert_allclose(points[11:, 0], [100, 120])
    assert joined[10, 2] == 0 and joined[9, 2] == 1  # the pen lifts before the move, not after


def test_joined_texts_follow_each_other_after_a_space():
    lines = [_line([(0, 0, 0), (10, 0, 1)]) for _ in range(3)]
    joined, texts = joined_lines(lines, ["one", "two", "three"], ["x-1-01", "x-1-02", "y-2-01"])
    assert texts == ["one two"] and len(joined) == 1 and len(joined[0]) == 4
