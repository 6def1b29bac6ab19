"""Fault detection on constructed attention records and strokes, one case per kind of fault."""

import numpy as np

from handsynth.write.faults import Fault, badness, find_faults

TEXT = "abcd"


def record(focus: list[int], moves: np.ndarray | None = None, lift_every: int = 6):
    """phi (T, U + 1) that focuses on `focus[t]` at step t, and offsets (T + 1, 3).

    By default each step moves the pen one unit right, and the pen lifts every `lift_every` points.
    """
    T = len(focus)
    phi = np.zeros((T, len(TEXT) + 1))
    phi[np.arange(T), focus] = 1.0
    offsets = np.zeros((T + 1, 3))
    offsets[1:, 0] = 1.0 if moves is None else moves
    offsets[lift_every::lift_every, 2] = 1.0
    offsets[-1, 2] = 1.0
    return offsets, phi


def kinds(faults: list[Fault]) -> list[tuple[str, int | None]]:
    return [(f.kind, f.position) for f in faults]


def test_an_even_line_has_no_faults():
    offsets, phi = record(list(np.repeat(range(4), 10)))
    assert find_faults(TEXT, offsets, phi, finished=True) == []


def test_a_letter_never_in_focus_is_skipped_but_a_space_is_not():
    offsets, phi = record([0] * 10 + [1] * 10 + [3] * 10)
    faults = find_faults(TEXT, offsets, phi, finished=True)
    assert kinds(faults) == [("skipped", 2)] and str(faults[0]) == "skipped 'c' at 2"
    assert find_faults("ab d", offsets, phi, finished=True) == []


def test_a_long_stay_with_little_ink_is_a_stall():
    focus = [0] * 5 + [1] * 60 + [2] * 5 + [3] * 5
    moves = np.ones(len(focus))
    moves[5:65] = 0.0  # the pen rests on 'b'
    offsets, phi = record(focus, moves)
    assert kinds(find_faults(TEXT, offsets, phi, finished=True)) == [("stalled", 1)]


def test_a_long_stay_with_much_ink_is_a_repeat():
    offsets, phi = record([0] * 5 + [1] * 60 + [2] * 5 + [3] * 5)
    assert kinds(find_faults(TEXT, offsets, phi, finished=True)) == [("repeated", 1)]


def test_much_ink_at_a_normal_pace_is_a_scribble():
    focus = list(np.repeat(range(4), 10))
    moves = np.ones(len(focus))
    moves[20:30] = 12.0  # 'c' drawn with twelve times the ink
    offsets, phi = record(focus, moves)
    assert kinds(find_faults(TEXT, offsets, phi, finished=True)) == [("scribble", 2)]


def test_a_trail_of_dots_is_found_where_it_starts():
    focus = list(np.repeat(range(4), 10)) + [3] * 12
    offsets, phi = record(focus)
    offsets[41:, 0] = 0.05  # the last 12 points: six strokes of two tiny points each
    offsets[41:, 2] = 0.0
    offsets[40::2, 2] = 1.0  # the letters' last stroke ends at row 40
    faults = find_faults(TEXT, offsets, phi, finished=True)
    assert [f.kind for f in faults] == ["dots"]
    assert faults[0].position == 3 and "run of 6 dots" in str(faults[0])
    # Three dots in a row ("...") are writing, not a fault.
    offsets[47:, 0] = 1.0
    offsets[47:, 2] = 0.0
    offsets[-1, 2] = 1.0
    assert find_faults(TEXT, offsets, phi, finished=True) == []


def test_an_unfinished_line_weighs_more_than_small_faults():
    offsets, phi = record(list(np.repeat(range(4), 10)))
    unfinished = find_faults(TEXT, offsets, phi, finished=False)
    assert kinds(unfinished) == [("unfinished", None)]
    skipped = find_faults(TEXT, *record([0] * 10 + [1] * 10 + [3] * 10), finished=True)
    assert badness(unfinished) > badness(skipped + skipped) > badness([]) == 0
