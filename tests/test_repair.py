"""Repairing a line's bad word: where the word began, drawing on from there in the state the
network was in, and `write_lines` keeping the repaired draw or naming the line it could not fix."""

import dataclasses

import numpy as np
import pytest

from handsynth.errors import UserError
from handsynth.loaded import load_model
from handsynth.nn.char_errors import align
from handsynth.options import DEFAULT_CANDIDATES, WriteOptions
from handsynth.sample.reader import Reading
from handsynth.sample.stepper import Mixture, sample_mixture
from handsynth.sample.synthesis import _read_each, continue_synthesis, sample_synthesis
from handsynth.sample.torch_stepper import TorchSynthesis
from handsynth.write.faults import Fault
from handsynth.write.lines import POLISH_DRAWS, RETRY_CANDIDATES, write_lines
from handsynth.write.repair import first_faulty_word, first_misread_word, name_word, restart_row

TEXT = "the lazy dogs run home"
NAMED = "we wrote to Ada Lovelace today"
WORD = "Lovelace"


@pytest.fixture(scope="module")
def model():
    return load_model()


def _constructed(focus: list[int], lifts: list[int], U: int) -> tuple[np.ndarray, np.ndarray]:
    """offsets (T + 1, 3) lifting the pen at rows `lifts`, phi (T, U + 1) reading focus[k] at k."""
    T = len(focus)
    offsets = np.zeros((T + 1, 3), np.float32)
    offsets[1:, 0] = 1.0
    offsets[lifts, 2] = 1.0
    phi = np.full((T, U + 1), 0.01, np.float32)
    phi[np.arange(T), focus] = 1.0
    return offsets, phi


def test_a_word_is_redrawn_from_the_last_pen_lift_before_the_window_reaches_it():
    # "ab cd": step k draws row k + 1; the window first reads 'c' (3) at step 7.
    offsets, phi = _constructed([0, 0, 1, 1, 1, 2, 2, 3, 3, 4], lifts=[2, 5, 8], U=5)
    assert restart_row(offsets, phi, 3) == 5
    assert restart_row(offsets, phi, 2) == 5  # reached at step 5: the lift at row 5 is before it
    assert restart_row(offsets, phi, 1) == 2
    assert restart_row(offsets, phi, 0) == 0  # the first word: nothing to keep
    offsets, phi = _constructed([0, 1, 1, 2, 2, 3], lifts=[3], U=8)
    assert restart_row(offsets, phi, 6) == 0  # the window never got there


def test_the_first_faulty_word_is_where_repair_starts():
    text = "ab cd ef"
    assert first_faulty_word(text, [Fault("skipped", 7, ""), Fault("stalled", 4, "")]) == 3
    assert first_faulty_word(text, [Fault("stalled", 5, "")]) == 3  # a space: the word before
    assert first_faulty_word(text, [Fault("misread", 6, "")]) == 6
    assert first_faulty_word(text, [Fault("misread", 6, ""), Fault("stray", None, "")]) is None
    assert first_faulty_word(text, [Fault("unreadable", 6, "")]) is None  # drawn again whole
    assert first_faulty_word(text, []) is None


def test_polishing_starts_at_the_first_word_read_wrong():
    def misread_at(reading: str, text: str) -> int | None:
        return first_misread_word(align(reading, text), text)

    assert misread_at("ab xd ef", "ab cd ef") == 3
    assert misread_at("ab cd f", "ab cd ef") == 6  # a letter left out of the reading
    assert misread_at("b cd", "ab cd") == 0
    assert misread_at("ab cd ef", "ab cd ef") is None
    assert misread_at("ab cd eff", "ab cd ef") is None  # only a character added


def test_a_fault_names_its_word_once():
    text = "ab cd ef"
    assert str(name_word(text, Fault("skipped", 4, "skipped 'd' at 4"))) == (
        "skipped 'd' at 4 in 'cd'"
    )
    misread = Fault("misread", 6, "'ef' at 6 read as 'x'")
    assert name_word(text, misread) == misread
    whole = Fault("unfinished", None, "never reached the end of the text")
    assert name_word(text, whole) == whole


def test_reading_rows_of_different_lengths_gives_each_its_own_state(model):
    weights = model.synthesis_weights
    chars, mask = np.ones((3, 6), np.int64), np.ones((3, 6), bool)
    rng = np.random.default_rng(0)
    inputs = [rng.normal(size=(n, 3)).astype(np.float32) for n in (7, 0, 4)]
    together = _read_each(weights.stepper(chars, mask), weights.initial_state(3), inputs)
    for row, points in enumerate(inputs):
        alone = weights.initial_state(1)
        if len(points):
            _, alone = weights.stepper(chars[:1], mask[:1]).read(points[None], alone)
        for a, b in zip(alone.h + alone.c, together.h + together.c, strict=True):
            np.testing.assert_allclose(a[0], b[row], atol=1e-5)
        np.testing.assert_allclose(alone.window[0], together.window[row], atol=1e-5)
        np.testing.assert_allclose(alone.kappa[0], together.kappa[row], atol=1e-5)
    # The torch network on its device reads them to the same states.
    torch_weights = TorchSynthesis(model.network)
    on_torch = _read_each(
        torch_weights.stepper(chars, mask), torch_weights.initial_state(3), inputs
    )
    np.testing.assert_allclose(on_torch.state.kappa.numpy(), together.kappa, atol=1e-4)
    for (h, c), h_numpy, c_numpy in zip(on_torch.state.layers, together.h, together.c, strict=True):
        np.testing.assert_allclose(h.numpy(), h_numpy, atol=1e-4)
        np.testing.assert_allclose(c.numpy(), c_numpy, atol=1e-4)


def _skip_noise(rng: np.random.Generator, steps: int, K: int) -> None:
    """Draw from `rng` what `steps` steps of one line draw, so the next step gets the same noise."""

    def zeros(*shape: int) -> np.ndarray:
        return np.zeros(shape, np.float32)

    blank = Mixture(zeros(1), zeros(1, K), zeros(1, K, 2), zeros(1, K, 2), zeros(1, K))
    for _ in range(steps):
        sample_mixture(blank, 1.0, 1.0, rng)


@pytest.mark.parametrize("style", [None, 1])
def test_drawing_on_from_a_lift_with_the_noise_that_followed_draws_the_same_line(model, style):
    # The network reads the line up to the lift and must be in the state it was in when it drew
    # it: with the same noise from there, it draws exactly the rest of the line again.
    weights, prime = model.synthesis_weights, None if style is None else model.load_style(style)
    [line] = sample_synthesis(
        weights, model.alphabet, [TEXT], 1.0, 1.0, np.random.default_rng(5), prime
    )
    assert (line.lead > 0) == (style is not None)  # strokes of the style's text were dropped
    cut = restart_row(line.offsets, line.phi, TEXT.index("dogs"))
    assert 0 < cut < len(line.offsets) - 100
    rng = np.random.default_rng(5)
    _skip_noise(rng, line.lead + cut, weights.num_mixtures)
    [again] = continue_synthesis(weights, model.alphabet, [line], [cut], 1, 1.0, 1.0, rng, prime)
    np.testing.assert_array_equal(again.offsets, line.offsets)
    np.testing.assert_array_equal(again.steps, line.steps)
    np.testing.assert_array_equal(again.phi, line.phi)
    assert again.finished == line.finished and again.lead == line.lead


def test_continuations_keep_each_line_up_to_its_cut(model):
    weights = model.synthesis_weights
    lines = sample_synthesis(
        weights, model.alphabet, [TEXT, NAMED], 1.0, 1.0, np.random.default_rng(1)
    )
    cuts = [restart_row(lines[0].offsets, lines[0].phi, TEXT.index("run")), 1]
    drawn = continue_synthesis(
        weights, model.alphabet, lines, cuts, 3, 1.0, 1.0, np.random.default_rng(2)
    )
    assert [d.text for d in drawn] == [TEXT] * 3 + [NAMED] * 3
    for k, d in enumerate(drawn):
        line, cut = lines[k // 3], cuts[k // 3]
        np.testing.assert_array_equal(d.offsets[: cut + 1], line.offsets[: cut + 1])
        assert len(d.phi) == len(d.offsets) - 1 == len(d.steps) - 1 - d.lead
        np.testing.assert_array_equal(d.offsets[2:-1], d.steps[d.lead + 2 : -1])
        assert d.offsets[-1, 2] == 1.0
    assert not np.array_equal(drawn[0].offsets, drawn[1].offsets)  # fresh noise for each draw
    each = continue_synthesis(
        weights, model.alphabet, lines, cuts, [2, 1], 1.0, 1.0, np.random.default_rng(2)
    )
    assert [d.text for d in each] == [TEXT, TEXT, NAMED]  # a number of draws for each line


class GarblingReader:
    """Reads `text` with `word` garbled, except the draws named in `correct` ((call, row) pairs);
    keeps what it was given."""

    def __init__(self, alphabet, text, word, correct=()):
        self.alphabet, self.text, self.word = alphabet, text, word
        self.correct, self.given = set(correct), []

    def read(self, lines):
        self.given.append(lines)
        call = len(self.given) - 1
        garbled = self.text.replace(self.word, "x" * len(self.word))
        return [self.text if (call, row) in self.correct else garbled for row in range(len(lines))]

    def read_against(self, lines, texts):
        return [Reading(t, 0.0) for t in self.read(lines)]


def test_a_misread_word_is_repaired_and_the_repaired_draw_is_kept(model):
    # Round 2 draws the line whole RETRY_CANDIDATES times, then repaired as many times; the
    # reader reads only the second repair right. (At seed 1 the first draw's only fault is the
    # misread word, so it can be repaired.)
    chosen = RETRY_CANDIDATES + 1
    reader = GarblingReader(model.alphabet, NAMED, WORD, correct=[(1, chosen)])
    args = (model.synthesis_weights, model.alphabet, model.normalisation, [NAMED])
    [written] = write_lines(*args, WriteOptions(seed=1, retries=2), reader=reader)
    first, repaired = reader.given[0][0], reader.given[1][chosen]
    assert [len(call) for call in reader.given] == [1, 2 * RETRY_CANDIDATES]
    assert written.faults == []
    np.testing.assert_array_equal(written.offsets, repaired)
    kept = np.flatnonzero((first[: len(repaired)] != repaired[: len(first)]).any(axis=1))[0]
    assert kept > len(first) // 3  # the words before the misread one are kept...
    assert first[kept - 1, 2] == 1.0  # ...up to a pen lift


def test_a_line_still_wrong_after_repair_is_named_in_the_faults(model):
    reader = GarblingReader(model.alphabet, NAMED, WORD)
    model.line_reader = reader
    try:
        handwriting = model.write(f"\n{NAMED}", seed=4, retries=1)  # an empty line, then NAMED
    finally:
        del model.line_reader
    # write's default candidates, then RETRY_CANDIDATES whole draws and as many repairs
    assert [len(call) for call in reader.given] == [DEFAULT_CANDIDATES, 2 * RETRY_CANDIDATES]
    assert handwriting.faults[0] == []
    [fault] = handwriting.faults[1]
    assert fault.kind == "misread" and repr(WORD) in str(fault)


def test_a_model_the_recogniser_cannot_read_writes_one_draw_unless_told_more(model):
    model.line_reader = None  # as for a model of another alphabet
    try:
        model.write("ab", seed=0, retries=0)  # one draw: two would need a reader
        with pytest.raises(UserError, match="cannot choose among candidates"):
            model.write("ab", seed=0, candidates=2)
    finally:
        del model.line_reader
    reader = GarblingReader(model.alphabet, NAMED, WORD)
    model.line_reader = reader
    try:
        model.write("ab", seed=0, retries=0)
    finally:
        del model.line_reader
    assert [len(call) for call in reader.given] == [DEFAULT_CANDIDATES]


def test_a_misread_lower_case_word_is_drawn_on_from_where_it_began(model):
    # "dogs" read wrong is no fault (no name or number), so the line is polished: drawn on once
    # from the lift before "dogs"; the reader reads that draw right, which ends the rounds.
    reader = GarblingReader(model.alphabet, TEXT, "dogs", correct=[(1, 0)])
    args = (model.synthesis_weights, model.alphabet, model.normalisation, [TEXT])
    options = WriteOptions(seed=1, retries=3, candidates=2)
    [written] = write_lines(*args, options, reader=reader)
    assert [len(call) for call in reader.given] == [2, POLISH_DRAWS]
    assert written.faults == []
    polished = reader.given[1][0]
    np.testing.assert_array_equal(written.offsets, polished)
    first = next(d for d in reader.given[0] if np.array_equal(d[:10], polished[:10]))
    kept = np.flatnonzero((first[: len(polished)] != polished[: len(first)]).any(axis=1))[0]
    assert kept > len(first) // 4  # "the lazy" is kept...
    assert first[kept - 1, 2] == 1.0  # ...up to a pen lift


def test_polishing_stops_after_the_retries_and_a_misread_first_word_is_drawn_anew(model):
    reader = GarblingReader(model.alphabet, TEXT, "the")
    args = (model.synthesis_weights, model.alphabet, model.normalisation, [TEXT])
    [written] = write_lines(*args, WriteOptions(seed=1, retries=3, candidates=2), reader=reader)
    assert [len(call) for call in reader.given] == [2] + [POLISH_DRAWS] * 3  # every retry round
    assert written.faults == []  # a misread word that is not a name or number is no fault
    for call in reader.given[1:]:  # drawn from the start: none begins as a first-round draw did
        assert not any(
            np.array_equal(d[:20], first[:20]) for d in call for first in reader.given[0]
        )


@pytest.mark.parametrize("style", [None, 1])
def test_drawing_on_from_a_kept_state_draws_what_reading_the_strokes_again_draws(model, style):
    # The sampler keeps the network's state at each pen lift; without it, continue_synthesis
    # reads the kept strokes again. Both must put the network in the same state.
    weights, prime = model.synthesis_weights, None if style is None else model.load_style(style)
    [line] = sample_synthesis(
        weights, model.alphabet, [TEXT], 1.0, 1.0, np.random.default_rng(5), prime
    )
    cut = restart_row(line.offsets, line.phi, TEXT.index("dogs"))
    assert line.lead + cut in line.states and line.lead in line.states
    unkept = dataclasses.replace(line, states={})
    for cuts in ([cut], [0]):
        kept = continue_synthesis(
            weights, model.alphabet, [line], cuts, 2, 1.0, 1.0, np.random.default_rng(9), prime
        )
        read = continue_synthesis(
            weights, model.alphabet, [unkept], cuts, 2, 1.0, 1.0, np.random.default_rng(9), prime
        )
        for a, b in zip(kept, read, strict=True):
            np.testing.assert_array_equal(a.offsets, b.offsets)
            restart = line.lead + cuts[0]
            assert set(b.states) == {t for t in a.states if t >= restart}  # the new lifts' states
    # From row 0 the line is drawn anew from its start: no jump to its first point.
    assert kept[0].offsets[1, :2].tolist() == [0.0, 0.0]
    assert not np.array_equal(kept[0].offsets[:30], line.offsets[:30])
