"""Sampling handwriting from the synthesis network, many lines at once, in numpy (`stepper.py`).

Each step feeds the last pen offset back in and draws the next from the mixture (eqs 61-62 for the
bias). A line ends once its window has moved past the last character (Graves's rule, phi(t, U + 1)
above phi(t, u) for every real character u, §5.3) *and* the pen has lifted, so the last letter is
finished rather than cut off (the window often passes before the cross of a final t is drawn);
END_GRACE_STEPS bounds the wait for that lift. After a final t, i, j or x the line waits for one
more lift, that of the cross, dot or second stroke, where the pen moves back to begin it. Past a
final full stop or comma only a dot may still be drawn: a longer stroke is the network starting on
text that is not there, and the line ends at the lift before it. The same holds past any last
character for a stroke begun once the window has passed (at most a step before): a t-cross, an i-dot
or an apostrophe is short, a longer one is a letter the text does not have ("Maryo"), and the line
ends at the lift before it. The attention record of each line is kept for `faults.find_faults`, and
every step the network read, so that `continue_synthesis` can draw a line on again from any of its
pen lifts (redrawing a bad word without the words before it).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from threadpoolctl import threadpool_limits

from handsynth.data.alphabet import Alphabet
from handsynth.errors import CheckpointError, UserError
from handsynth.sample.guide import Forcing, GlyphGuide
from handsynth.sample.stepper import (
    NOT_FINITE,
    StepState,
    SynthesisStepper,
    SynthesisWeights,
    sample_mixture,
)

if TYPE_CHECKING:
    from handsynth.sample.torch_stepper import TorchStepper, TorchStepState, TorchSynthesis

STEPS_PER_CHARACTER = 40  # a safety limit: real lines use about 25 points per character
MIN_STEPS = 60
END_GRACE_STEPS = 40  # past the last character, steps allowed for the pen to finish and lift
# Past a full stop or comma at the end of a line, the window has passed and the mark is (almost
# always) drawn: a stroke longer than a dot is the network going on to text that is not there.
FINAL_MARKS = (".", ",")
MAX_DOT_POINTS = 8  # IAM-OnDB full stops ending a line are 5 points (median of testset_v)
# Letters whose writers add a stroke once the body is written (a t's cross, an i's or j's dot, an
# x's second stroke): a line ending in one ends at the lift after that stroke, not the one before,
# where the stroke begins with a move back (normalised dx <= 0: raw dx at most the mean step).
LATE_STROKES = "tijx"
# Past the last character, a stroke begun after the window passed and longer than this is a letter
# the text does not have. On testset_v lines read by the shipped model, 90 % of the strokes begun
# then are shorter (t-crosses, i-dots); on 240 sampled lines, cutting the longer ones read 25
# lines better by the recogniser, one worse.
MAX_AFTERTHOUGHT_POINTS = 20
# Only a last word holding one of these letters, whose crossing stroke writers often add last, may
# end with such a stroke; past any other last word a stroke begun after the window passed may be
# no longer than a dot (an i's dot, a full stop): a longer one is a stray mark ("very|", "summer.").
CROSSED = "tfxTFXEHAJ"
COMPACT_FRACTION = 0.75  # finished lines leave the batch once a quarter of it has finished
# After reading a style line the window should rest near the end of the style's text; far from it,
# the text does not say what the strokes write (Graves §5.5 primes with a line and its text).
PRIME_FOCUS_MIN_FRACTION = 0.8
PRIME_FOCUS_SLACK = 3


class StyleMismatch(UserError):
    """A style line's strokes do not write the text given for them."""


@dataclass
class SampledLine:
    text: str
    offsets: np.ndarray  # (T, 3) normalised pen offsets, row 0 the starting (0, 0, 0)
    phi: np.ndarray  # (T, U + 1) window weights per step; column U is "past the end"
    finished: bool  # the window passed the last character before the step limit
    # (S + T + 1, 3) normalised offsets as the network read them after the style: row 0 its first
    # input, row t + 1 what step t drew. The line's own points are rows S + 1 on (its first jump
    # and last lift tidied in `offsets`); the S steps before them wrote the end of the style's text.
    steps: np.ndarray
    lead: int  # S
    # The network's state at the start of each stroke, by row of `steps`: the state it was in
    # before reading that row (the pen lift that ends the stroke before), so that
    # `continue_synthesis` draws on from a lift without reading the steps before it again.
    states: dict[int, StepState | TorchStepState] = field(default_factory=dict)


def pad_texts(alphabet: Alphabet, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Encode and pad: chars (B, U) and char_mask (B, U)."""
    encoded = [alphabet.encode(text) for text in texts]
    U = max(len(e) for e in encoded)
    chars = np.zeros((len(texts), U), dtype=np.int64)
    mask = np.zeros((len(texts), U), dtype=bool)
    for row, e in enumerate(encoded):
        chars[row, : len(e)] = e
        mask[row, : len(e)] = True
    return chars, mask


def _check_prime(phi_end: np.ndarray, prime_text: str) -> None:
    """phi_end (U + 1,): the window after the style's last point; raise if it is far off the end."""
    focus = int(phi_end.argmax()) + 1  # 1-based character the window reads
    n = len(prime_text)
    if not PRIME_FOCUS_MIN_FRACTION * n <= focus <= n + PRIME_FOCUS_SLACK:
        raise StyleMismatch(
            f"the style's strokes do not seem to write {prime_text!r}: after them the network was "
            f"reading character {focus} of {n}; check that the style text matches its line"
        )


@dataclass
class SynthesisStep:
    """What one step of batched sampling drew, for streaming and progress."""

    t: int  # the step, from 0
    max_steps: int  # the step limit of this batch
    offsets: np.ndarray  # (B, 3) normalised pen offsets drawn at this step
    finished: np.ndarray  # (B,) lines that are done; what is drawn for them from now on is unused


def sample_synthesis(
    weights: SynthesisWeights | TorchSynthesis,
    alphabet: Alphabet,
    texts: list[str],
    bias: float = 0.0,
    temperature: float = 1.0,
    rng: np.random.Generator | None = None,
    prime: tuple[np.ndarray, str] | None = None,
    on_step: Callable[[SynthesisStep], None] | None = None,
    guide: GlyphGuide | None = None,
) -> list[SampledLine]:
    """Write each of `texts` as one batch; `on_step` sees every step as it is drawn."""
    stream = stream_synthesis(weights, alphabet, texts, bias, temperature, rng, prime, guide)
    return _run(stream, on_step)


def _run(
    stream: Generator[SynthesisStep, None, list[SampledLine]],
    on_step: Callable[[SynthesisStep], None] | None,
) -> list[SampledLine]:
    """Drive a sampling generator to its end, showing `on_step` each step; its lines."""
    while True:
        try:
            step = next(stream)
        except StopIteration as done:
            return done.value
        if on_step is not None:
            on_step(step)


def stream_synthesis(
    weights: SynthesisWeights | TorchSynthesis,
    alphabet: Alphabet,
    texts: list[str],
    bias: float = 0.0,
    temperature: float = 1.0,
    rng: np.random.Generator | None = None,
    prime: tuple[np.ndarray, str] | None = None,
    guide: GlyphGuide | None = None,
) -> Generator[SynthesisStep, None, list[SampledLine]]:
    """Write each of `texts`, all lines as one batch, yielding each step as it is drawn.

    The generator's return value (`lines = yield from stream_synthesis(...)`) is the finished
    lines. `weights` steps the network: numpy `SynthesisWeights`, or `TorchSynthesis` to run the
    torch network on its device. `rng` draws the noise (a fresh unseeded one when None). `prime`
    is (normalised offsets (P, 3), its transcription): the network reads that handwriting first,
    with its text in front of each line's text, and then continues in the same style (§5.5).
    `guide` draws the characters it names from real strokes (`sample.guide`).
    """
    B = len(texts)
    rng = rng if rng is not None else np.random.default_rng()
    prime_text = prime[1] + " " if prime is not None else ""
    full_texts = [prime_text + t for t in texts]
    chars, char_mask = pad_texts(alphabet, full_texts)
    history = np.zeros((0, 3), np.float32)  # what the network read before its first input
    stepper = weights.stepper(chars, char_mask)
    step_state = weights.initial_state(B)
    x = np.zeros((B, 3), dtype=np.float32)  # the first input, a pen at rest
    # A step's products are matrix-vector sized: extra BLAS threads only wait on each other, and
    # on a busy machine they made a step ten times slower.
    with threadpool_limits(limits=1, user_api="blas"):
        if prime is not None:
            strokes = np.asarray(prime[0], dtype=np.float32)  # (P, 3)
            primed = np.repeat(strokes[None], B, axis=0)  # (B, P, 3)
            phi_end, step_state = stepper.read(primed, step_state)  # (B, U + 1)
            _check_prime(phi_end[0], prime[1])
            x = primed[:, -1]
            history = strokes[:-1]
        last_words = np.array([_last_word(text) for text in texts])
        max_steps = max(MIN_STEPS, STEPS_PER_CHARACTER * int(char_mask.sum(1).max()))
        forcing = None
        if guide is not None:
            skips = [len(prime_text)] * B
            forcing = Forcing(guide, full_texts, skips, [history] * B, rng)
        drawn = yield from _draw(
            stepper,
            step_state,
            x,
            char_mask,
            last_words,
            bias,
            temperature,
            rng,
            max_steps,
            forcing,
        )
    if not np.isfinite(drawn.offsets).all():  # finite weights can still overflow: a damaged file
        raise CheckpointError(NOT_FINITE)
    return _cut_lines(texts, len(prime_text), drawn)


def continue_synthesis(
    weights: SynthesisWeights | TorchSynthesis,
    alphabet: Alphabet,
    lines: list[SampledLine],
    cuts: list[int],
    draws: int | list[int],
    bias: float = 0.0,
    temperature: float = 1.0,
    rng: np.random.Generator | None = None,
    prime: tuple[np.ndarray, str] | None = None,
    on_step: Callable[[SynthesisStep], None] | None = None,
    guide: GlyphGuide | None = None,
) -> list[SampledLine]:
    """Draw each of `lines` on from row cuts[b] of its offsets (1 or more), `draws` times (or
    draws[b] times).

    Each line keeps its rows up to cuts[b] exactly; the network reads the steps that drew them
    (after `prime`, the style the lines were first drawn with), which brings it back to the state
    it was in there, and then every draw of every line goes on as one batch with fresh noise from
    `rng`. Returns the continuations of lines[0], then of lines[1], and so on.
    """
    stream = stream_continuation(
        weights, alphabet, lines, cuts, draws, bias, temperature, rng, prime, guide
    )
    return _run(stream, on_step)


def stream_continuation(
    weights: SynthesisWeights | TorchSynthesis,
    alphabet: Alphabet,
    lines: list[SampledLine],
    cuts: list[int],
    draws: int | list[int],
    bias: float = 0.0,
    temperature: float = 1.0,
    rng: np.random.Generator | None = None,
    prime: tuple[np.ndarray, str] | None = None,
    guide: GlyphGuide | None = None,
) -> Generator[SynthesisStep, None, list[SampledLine]]:
    """`continue_synthesis`, yielding each step of the batch as it is drawn."""
    rng = rng if rng is not None else np.random.default_rng()
    prime_text = prime[1] + " " if prime is not None else ""
    full_texts = [prime_text + line.text for line in lines]
    chars, char_mask = pad_texts(alphabet, full_texts)
    stepper = weights.stepper(chars, char_mask)
    style = np.zeros((0, 3), np.float32) if prime is None else np.asarray(prime[0], np.float32)
    restarts = [line.lead + cut for line, cut in zip(lines, cuts, strict=True)]  # rows of `steps`
    pairs = list(zip(lines, restarts, strict=True))
    read = [np.concatenate([style, line.steps[:r]]) for line, r in pairs]  # each (P + r, 3)
    copies = np.repeat(np.arange(len(lines)), draws)  # (B,) the line each draw continues
    x = np.stack([line.steps[r] for line, r in pairs])[copies]  # (B, 3) the kept last points
    last_words = np.array([_last_word(line.text) for line in lines])[copies]
    # The step limit of a whole line, less the steps already drawn.
    left = [STEPS_PER_CHARACTER * len(t) - r for t, r in zip(full_texts, restarts, strict=True)]
    max_steps = max(MIN_STEPS, *left)
    forcing = None
    if guide is not None:  # characters the window has passed at the restart are not guided again
        texts = [full_texts[b] for b in copies]
        forcing = Forcing(
            guide, texts, [len(prime_text)] * len(copies), [read[b] for b in copies], rng
        )
    with threadpool_limits(limits=1, user_api="blas"):  # as in `stream_synthesis`
        kept = [line.states.get(r) for line, r in pairs]
        if all(state is not None for state in kept):
            step_state = type(kept[0]).concatenate(kept)
        else:
            step_state = _read_each(stepper, weights.initial_state(len(lines)), read)
        drawn = yield from _draw(
            stepper.rows(copies),
            step_state.rows(copies),
            x,
            char_mask[copies],
            last_words,
            bias,
            temperature,
            rng,
            max_steps,
            forcing,
        )
    if not np.isfinite(drawn.offsets).all():
        raise CheckpointError(NOT_FINITE)
    return [_joined(lines[b], cuts[b], drawn, row, len(prime_text)) for row, b in enumerate(copies)]


def _read_each(
    stepper: SynthesisStepper | TorchStepper,
    step_state: StepState | TorchStepState,
    inputs: list[np.ndarray],
) -> StepState | TorchStepState:
    """The state of each row after the network read its own inputs[b] (S_b, 3) (`stepper.read`).

    The rows read together, shortest first, each leaving the batch when its inputs end.
    """
    lengths = np.array([len(i) for i in inputs])
    order = np.argsort(lengths, kind="stable")
    padded = np.zeros((len(inputs), lengths.max(), 3), np.float32)  # (B, S_max, 3) in `order`
    for row, b in enumerate(order):
        padded[row, : lengths[b]] = inputs[b]
    stepper, step_state, lengths = stepper.rows(order), step_state.rows(order), lengths[order]
    done, position = [], 0
    for end in np.unique(lengths):
        if end > position:
            _, step_state = stepper.read(padded[:, position:end], step_state)
            position = end
        ended = lengths == end
        done.append(step_state.rows(ended))
        kept = ~ended
        stepper, step_state = stepper.rows(kept), step_state.rows(kept)
        padded, lengths = padded[kept], lengths[kept]
    return type(step_state).concatenate(done).rows(np.argsort(order))  # back in the given order


@dataclass
class _Drawn:
    """What `_draw` drew for a batch of B lines over T steps."""

    offsets: np.ndarray  # (B, T + 1, 3) normalised pen offsets, row 0 the starting point
    phi: np.ndarray  # (B, T, U + 1) window weights per step
    lengths: np.ndarray  # (B,) steps that belong to each line
    passed: np.ndarray  # (B,) the window passed the last character
    # (B,) the step whose point begins each line's first guided glyph (beyond the last: none);
    # the glyph is the line's own even where the window has not yet reached its first character.
    first_glyph: np.ndarray
    states: list[dict[int, StepState | TorchStepState]]  # per line, SampledLine.states by step


def _draw(
    stepper: SynthesisStepper | TorchStepper,
    step_state: StepState | TorchStepState,
    x: np.ndarray,
    char_mask: np.ndarray,
    last_words: np.ndarray,
    bias: float,
    temperature: float,
    rng: np.random.Generator,
    max_steps: int,
    forcing: Forcing | None = None,
) -> Generator[SynthesisStep, None, _Drawn]:
    """Sample from the first input x (B, 3) until every line has ended (see the module doc) or
    `max_steps` steps.

    last_words (B,): each line's last word. `forcing` feeds guided glyphs in place of what was
    drawn (`sample.guide`); a line drawing one does not end.
    """
    B = len(x)
    last_characters = np.array([word[-1:] for word in last_words])  # (B,)
    ends_in_mark = np.isin(last_characters, FINAL_MARKS)  # (B,)
    # (B,) the longest stroke begun past the end that is still part of the last word
    crossed = np.array([any(c in CROSSED for c in word) for word in last_words])
    afterthought = np.where(crossed, MAX_AFTERTHOUGHT_POINTS, MAX_DOT_POINTS)
    # (B,) lifts past the end before the line may end: after the body of a final t, i, j or x
    # comes its cross, dot or second stroke
    lifts_owed = np.isin(last_characters, list(LATE_STROKES)).astype(np.int64)
    lifts_past = np.zeros(B, dtype=np.int64)  # (B,) lifts since the window passed the end
    ends = char_mask.sum(1)  # (B,) index of each line's "past the end" weight
    U = char_mask.shape[1]
    # (B, U + 1): -inf after each line's "past the end" weight, so the padding never wins an argmax
    padding = np.where(np.arange(U + 1) <= ends[:, None], 0.0, -np.inf).astype(np.float32)
    steps, phis = [x], []
    passed = np.zeros(B, dtype=bool)  # the window has moved beyond the last character
    any_passed = False
    passed_at = np.full(B, max_steps)
    finished = np.zeros(B, dtype=bool)
    lengths = np.full(B, max_steps)
    last_lift = np.zeros(B, dtype=np.int64)  # index in `steps` of each line's latest pen lift
    active = np.arange(B)  # the lines still being written, whose rows the stepper computes
    x_active = x
    held = np.zeros(B, dtype=bool)  # (B,) rows a glyph keeps from ending (`Forcing.holding`)
    snapshots = []  # (step, the rows starting a stroke there, their state before it)
    for t in range(max_steps):
        at_lift = (x_active[:, 2] > 0.5) | (t == 0)  # (B_active,) the next point starts a stroke
        if at_lift.any():
            snapshots.append((t, active[at_lift], step_state.rows(at_lift)))
        mixture, phi_active, step_state = stepper.step(x_active, step_state)
        x_active = sample_mixture(mixture, bias, temperature, rng)  # (B_active, 3)
        if forcing is not None:
            step_state = forcing.apply(x_active, phi_active, at_lift, steps, active, step_state)
            held = forcing.holding
        x = _all_rows(x_active, active, B)  # (B, 3): finished lines draw nothing more
        phi = _all_rows(phi_active, active, B)  # (B, U + 1)
        steps.append(x)
        phis.append(phi)
        lifted = x[:, 2] > 0.5
        newly_passed = ((phi + padding).argmax(axis=1) == ends) & ~passed
        if forcing is not None:  # a last character drawn as a glyph has been passed too
            newly_passed |= forcing.completed & ~passed
        ending = any_passed or newly_passed.any()  # most steps: no line is near its end
        if ending:
            any_passed = True
            passed_at[newly_passed] = t
            passed |= newly_passed
            lifts_past += passed & lifted
            lifted_free = lifted & (lifts_past > lifts_owed)
            done_now = passed & (lifted_free | (t - passed_at >= END_GRACE_STEPS)) & ~finished
            done_now &= ~held
            lengths[done_now] = t + 1
            # Past a final full stop or comma, a stroke longer than a dot is the network starting
            # on text that is not there: the line ends at the lift before it.
            stroke = t + 1 - last_lift  # points of the stroke in progress
            cut = passed & ends_in_mark & (stroke > MAX_DOT_POINTS)
            # A stroke begun once the window had passed (a lift at most a step before) that grows
            # longer than an afterthought is a letter the text does not have.
            cut |= passed & (last_lift >= passed_at) & (stroke > afterthought)
            # The stroke owed to a final t, i, j or x goes back over the letter: one that heads on
            # from the lift (a forward move) is a mark the text does not have.
            owed_now = passed & (lifts_owed > 0) & (lifts_past == lifts_owed) & (last_lift == t)
            cut |= owed_now & (x[:, 0] > 0)
            cut &= (last_lift > 0) & ~finished & ~done_now & ~held
            lengths[cut] = last_lift[cut]
            finished |= done_now | cut
        last_lift[lifted] = t + 1
        yield SynthesisStep(t, max_steps, x, finished.copy())
        if not ending:
            continue
        if finished.all():
            break
        keep = ~finished[active]
        if keep.sum() <= COMPACT_FRACTION * len(active):  # drop finished lines from the batch
            active, x_active = active[keep], x_active[keep]
            step_state, stepper = step_state.rows(keep), stepper.rows(keep)
    first_glyph = forcing.first_glyph if forcing is not None else np.full(B, max_steps + 1)
    states: list[dict] = [{} for _ in range(B)]
    for t, rows, state in snapshots:
        for k, b in enumerate(rows):
            if t <= lengths[b]:
                states[b][t] = state.rows(np.array([k]))
    drawn = (np.stack(steps, axis=1), np.stack(phis, axis=1), lengths, passed, first_glyph)
    return _Drawn(*drawn, states)


def _last_word(text: str) -> str:
    return text.rsplit(" ", 1)[-1]


def _all_rows(values: np.ndarray, active: np.ndarray, B: int) -> np.ndarray:
    """values (B_active, ...) of the `active` rows -> (B, ...) with zeros in the other rows."""
    if len(active) == B:
        return values
    full = np.zeros((B, *values.shape[1:]), dtype=values.dtype)
    full[active] = values
    return full


def _cut_lines(texts: list[str], skip: int, drawn: _Drawn) -> list[SampledLine]:
    """Each line's own steps, without the `skip` characters of a style line before its text."""
    lines = []
    for b, text in enumerate(texts):
        n = int(drawn.lengths[b])
        first = _first_step_of_text(drawn.offsets[b, : n + 1], drawn.phi[b, :n], skip)
        first = min(first, int(drawn.first_glyph[b]) - 1)
        line_offsets = np.concatenate(
            [np.zeros((1, 3), np.float32), drawn.offsets[b, first + 1 : n + 1]]
        )
        # The first step jumps from wherever the pen rested to where the writing starts; drawn, it
        # would be a stray lead-in stroke. The line starts at its first point instead.
        line_offsets[1, :2] = 0.0
        line_offsets[-1, 2] = 1.0  # the pen lifts at the end of the line
        U = len(text)
        phi_line = drawn.phi[b, first:n, skip : skip + U + 1]
        steps = drawn.offsets[b, : n + 1]
        states = {t: state for t, state in drawn.states[b].items() if t >= first}
        lines.append(
            SampledLine(text, line_offsets, phi_line, bool(drawn.passed[b]), steps, first, states)
        )
    return lines


def without_first_rows(line: SampledLine, rows: int) -> SampledLine:
    """`line` without rows 1..rows of its offsets (whole strokes, `rows` ending one), as if it had
    started after them: its first kept point becomes its start."""
    offsets = np.concatenate([np.zeros((1, 3), np.float32), line.offsets[rows + 1 :]])
    offsets[1, :2] = 0.0
    phi = line.phi[rows:]  # phi row j goes with offsets row j + 1
    lead = line.lead + rows
    states = {t: state for t, state in line.states.items() if t >= lead}
    return SampledLine(line.text, offsets, phi, line.finished, line.steps, lead, states)


def _joined(line: SampledLine, cut: int, drawn: _Drawn, row: int, skip: int) -> SampledLine:
    """`line` up to row `cut` of its offsets, then row `row` of a batch drawn on from there."""
    n = int(drawn.lengths[row])
    drawn_on = drawn.offsets[row, 1 : n + 1]  # (n, 3): row 0 is the kept point drawn on from
    offsets = np.concatenate([line.offsets[: cut + 1], drawn_on])
    if cut == 0:  # as in `_cut_lines`: the line starts at its first point, not with a jump to it
        offsets[1, :2] = 0.0
    offsets[-1, 2] = 1.0  # the pen lifts at the end of the line
    U = len(line.text)
    phi = np.concatenate([line.phi[:cut], drawn.phi[row, :n, skip : skip + U + 1]])
    restart = line.lead + cut
    steps = np.concatenate([line.steps[: restart + 1], drawn_on])
    states = {t: state for t, state in line.states.items() if t <= restart}
    states |= {restart + t: state for t, state in drawn.states[row].items()}
    return SampledLine(line.text, offsets, phi, bool(drawn.passed[row]), steps, line.lead, states)


def _first_step_of_text(offsets: np.ndarray, phi: np.ndarray, skip: int) -> int:
    """The first step to keep of a line written after a style line of `skip` characters.

    offsets (T + 1, 3), phi (T, U + 1). Strokes that end before the window reaches the line's own
    first character (index `skip`) still belong to the style's text or the space after it: they
    are dropped. Without a style (skip 0) every step is kept.
    """
    if skip == 0:
        return 0
    reached = np.flatnonzero(phi.argmax(axis=1) >= skip)
    if len(reached) == 0:
        return 0
    lifts = np.flatnonzero(offsets[1 : reached[0] + 1, 2] > 0.5)  # steps whose point ends a stroke
    return int(lifts[-1]) + 1 if len(lifts) else 0
