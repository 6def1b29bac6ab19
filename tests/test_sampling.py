"""When a sampled line ends, on a scripted network whose window and pen do exactly what a test
says: the window passes the end at a chosen step and the pen lifts where the script lifts it."""

import numpy as np
import pytest

from handsynth.data.alphabet import Alphabet
from handsynth.sample.stepper import Mixture, StepState
from handsynth.sample.synthesis import (
    CROSSED,
    END_GRACE_STEPS,
    LATE_STROKES,
    MAX_AFTERTHOUGHT_POINTS,
    MAX_DOT_POINTS,
    sample_synthesis,
)

ALPHABET = Alphabet(list(" .,abft"))


class ScriptedStepper:
    """Stands in for `SynthesisStepper`: at step t every line moves one unit right (or moves[t]),
    lifts the pen when t is in `lifts`, and has its window on character reading(t) (U: past the
    end of the text). It records the first window location of each state it is given."""

    def __init__(self, lifts: set[int], reading, U: int, moves: dict | None = None):
        self.lifts, self.reading, self.U, self.t = lifts, reading, U, 0
        self.moves = moves or {}
        self.kappas: list[float] = []

    def rows(self, keep):
        return self

    def step(self, x: np.ndarray, state: StepState):
        B = len(x)
        self.kappas.append(float(state.kappa[0, 0]))
        phi = np.zeros((B, self.U + 1), np.float32)
        phi[:, self.reading(self.t)] = 1.0
        e_hat = -20.0 if self.t in self.lifts else 20.0  # sigmoid(-e_hat): lift or not
        mixture = Mixture(
            e_hat=np.full(B, e_hat, np.float32),
            pi_hat=np.zeros((B, 1), np.float32),
            mu=np.tile(np.float32(self.moves.get(self.t, [1.0, 0.0])), (B, 1, 1)),
            sigma_hat=np.zeros((B, 1, 2), np.float32),
            rho_hat=np.zeros((B, 1), np.float32),
        )
        self.t += 1
        return mixture, phi, state


class ScriptedWeights:
    def __init__(self, scripted: ScriptedStepper):
        self.scripted = scripted

    def initial_state(self, batch_size: int) -> StepState:
        return StepState([], [], np.zeros((batch_size, 4)), np.zeros((batch_size, 1)))

    def stepper(self, chars: np.ndarray, char_mask: np.ndarray) -> ScriptedStepper:
        return self.scripted


def write(text: str, lifts: set[int], passes: int, moves: dict | None = None) -> np.ndarray:
    """The line's offsets, its window on the first character until step `passes`, then past;
    `moves` as ScriptedStepper takes them."""
    U = len(text)
    reading = lambda t: U if t >= passes else 0  # noqa: E731 - the script's window
    weights = ScriptedWeights(ScriptedStepper(lifts, reading, U, moves))
    (line,) = sample_synthesis(weights, ALPHABET, [text], temperature=0.0)
    return line.offsets


# Steps 0-9 write a letter (lift at 9), 10-11 a dot (lift at 11), then a stroke that never lifts.
LETTER_AND_DOT = {9, 11}


@pytest.mark.parametrize("text", ["ab.", "ab,"])
def test_past_a_final_full_stop_a_stroke_longer_than_a_dot_is_not_drawn(text):
    offsets = write(text, LETTER_AND_DOT, passes=13)
    assert len(offsets) == 1 + 12  # the starting point and the 12 points up to the dot's lift
    np.testing.assert_array_equal(np.flatnonzero(offsets[:, 2]), [10, 12])


def test_a_dot_drawn_after_the_window_passes_is_kept():
    offsets = write("ab.", LETTER_AND_DOT, passes=10)
    np.testing.assert_array_equal(np.flatnonzero(offsets[:, 2]), [10, 12])
    assert len(offsets) == 1 + 12


def test_past_a_final_letter_the_stroke_in_progress_is_finished():
    # The cross of a final t is often drawn after the window passes: the line waits for the lift,
    # and without one it stops END_GRACE_STEPS after the pass.
    offsets = write("ab", LETTER_AND_DOT, passes=13)
    assert len(offsets) == 1 + 13 + END_GRACE_STEPS + 1
    offsets = write("ab", LETTER_AND_DOT | {20}, passes=13)
    assert len(offsets) == 1 + 21


def test_a_letter_begun_after_the_window_passed_the_last_one_is_not_drawn():
    # The pen lifts at step 9 and the window passes at step 10; the stroke that follows never
    # lifts ("Maryo"): the line ends at the lift before it, not END_GRACE_STEPS after the pass.
    offsets = write("ab", {9}, passes=10)
    np.testing.assert_array_equal(np.flatnonzero(offsets[:, 2]), [10])
    assert len(offsets) == 1 + 10


def test_a_short_stroke_begun_after_the_window_passed_is_kept():
    # A dot: four points begun after the pass, then a lift that ends the line.
    offsets = write("ab", {9, 14}, passes=10)
    np.testing.assert_array_equal(np.flatnonzero(offsets[:, 2]), [10, 15])
    assert len(offsets) == 1 + 15
    assert MAX_DOT_POINTS > 15 - 10


def test_past_a_last_word_without_a_crossed_letter_only_a_dot_long_stroke_is_kept():
    # Twelve points begun after the pass: longer than a dot, short enough for a cross. After
    # "ab f" (an f is often crossed last) the line ends at its lift; after "af ab" it ends before.
    assert "f" in CROSSED and "b" not in CROSSED and "f" not in LATE_STROKES
    assert MAX_DOT_POINTS < 12 <= MAX_AFTERTHOUGHT_POINTS
    offsets = write("ab f", {9, 21}, passes=10)
    np.testing.assert_array_equal(np.flatnonzero(offsets[:, 2]), [10, 22])
    offsets = write("af ab", {9, 21}, passes=10)
    np.testing.assert_array_equal(np.flatnonzero(offsets[:, 2]), [10])
    assert len(offsets) == 1 + 10


def test_a_final_t_keeps_its_cross_drawn_after_the_lift_that_ends_its_stem():
    # The window passes at step 8 while the stem is drawn; the stem lifts at 9, the pen moves back
    # to begin the cross, four points, which lifts at 14. A line ending in "b" ends at the stem's
    # lift; one ending in "t" (a letter of LATE_STROKES) at the cross's.
    assert "t" in LATE_STROKES and "b" not in LATE_STROKES
    back = {10: [-3.0, -1.0]}
    offsets = write("ab", {9, 14}, passes=8, moves=back)
    np.testing.assert_array_equal(np.flatnonzero(offsets[:, 2]), [10])
    offsets = write("at", {9, 14}, passes=8, moves=back)
    np.testing.assert_array_equal(np.flatnonzero(offsets[:, 2]), [10, 15])
    assert len(offsets) == 1 + 15
    # A short stroke that heads on from the stem is a mark, not a cross; a stroke that goes back
    # but never lifts is no cross either: either way the line ends at the stem's lift.
    for lifts, moves in (({9, 14}, None), ({9}, back)):
        offsets = write("at", lifts, passes=8, moves=moves)
        np.testing.assert_array_equal(np.flatnonzero(offsets[:, 2]), [10])
        assert len(offsets) == 1 + 10
