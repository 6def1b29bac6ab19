"""From a text to lines of handwriting: check and tidy the text, wrap it, sample, repair bad lines.

Every character is checked against the model's alphabet before anything is sampled, so an
unsupported character is reported with where it is, not found out halfway through a page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from handsynth.data.alphabet import Alphabet
from handsynth.data.strokes import Normalisation
from handsynth.errors import UserError
from handsynth.nn.char_errors import compare
from handsynth.options import MAX_CHARACTERS, MAX_LINE_CHARACTERS, WriteOptions
from handsynth.sample.guide import GlyphGuide
from handsynth.sample.reader import LineReader
from handsynth.sample.stepper import SynthesisWeights
from handsynth.sample.synthesis import (
    SampledLine,
    SynthesisStep,
    continue_synthesis,
    sample_synthesis,
)
from handsynth.write.char_widths import wrap_by_width
from handsynth.write.faults import Fault, badness, find_faults
from handsynth.write.line_checks import (
    faults_of_alignment,
    geometry_faults,
    judged_by_reading,
)
from handsynth.write.repair import first_faulty_word, first_misread_word, name_word, restart_row
from handsynth.write.style_residue import style_right_edge, without_style_residue

if TYPE_CHECKING:
    from handsynth.sample.torch_stepper import TorchSynthesis


# A faulty line is drawn this many times in each retry, whole and, where its faults lie in its
# later words, again from the first faulty word on: most lines come out clean at the first draw,
# so the extra draws cost little, and a hard line gets several chances a round.
RETRY_CANDIDATES = 4
# A line with no fault that the reader still reads other than its text is drawn on again from its
# first misread word (from its start when that is its first) POLISH_DRAWS times in each retry
# round: a word drawn again usually comes out readable, and the words before it stay as they were.
# One draw a round read better than two for about the same time (practical set, Tesseract CER
# 0.099 against 0.110 at seed 0, both in two rounds).
POLISH_DRAWS = 1


class TextError(UserError):
    """A text that cannot be written as given."""


@dataclass
class WrittenLine:
    text: str  # what the line says
    offsets: np.ndarray  # (T, 3) raw pen offsets (dx, dy, eos); empty for an empty line
    faults: list[Fault]  # what the best of the draws still got wrong; empty when clean


def tidy_lines(text: str, alphabet: Alphabet, wrap: int) -> list[str]:
    """Split `text` into lines to write, each checked against `alphabet`.

    Tabs and runs of spaces become one space, line ends are kept (an empty line leaves a gap), and
    lines wider than `wrap` average characters, by the width each character is predicted to take
    (`char_widths.text_width`: an m is three times an i), are wrapped at word boundaries; no line
    is longer than MAX_LINE_CHARACTERS characters.
    """
    if len(text) > MAX_CHARACTERS:
        raise TextError(
            f"the text has {len(text)} characters; write at most {MAX_CHARACTERS} at a time"
        )
    paragraphs = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\r\n|\r|\n", text)]
    if not any(paragraphs):
        raise TextError("nothing to write: the text is empty or only whitespace")
    check_characters(paragraphs, alphabet)
    width = wrap or float("inf")
    lines = []
    for paragraph in paragraphs:
        lines += wrap_by_width(paragraph, width, MAX_LINE_CHARACTERS) or [""]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def check_characters(paragraphs: list[str], alphabet: Alphabet) -> None:
    """Raise TextError naming every character (line, column) that `alphabet` cannot write."""
    problems = []
    for number, paragraph in enumerate(paragraphs, start=1):
        for column, char in enumerate(paragraph, start=1):
            if alphabet.unknown(char):
                problems.append(f"{char!r} (U+{ord(char):04X}) at line {number}, column {column}")
    if problems:
        shown = "; ".join(problems[:10]) + ("; ..." if len(problems) > 10 else "")
        supported = "".join(s for s in alphabet.symbols if s.isprintable())
        raise TextError(
            f"{len(problems)} character(s) the model cannot write: {shown}. "
            f"Supported characters: {supported}"
        )


def write_lines(
    weights: SynthesisWeights | TorchSynthesis,
    alphabet: Alphabet,
    normalisation: Normalisation,
    lines: list[str],
    options: WriteOptions,
    prime: tuple[np.ndarray, str] | None = None,
    on_step: Callable[[SynthesisStep], None] | None = None,
    reader: LineReader | None = None,
    guide: GlyphGuide | None = None,
) -> list[WrittenLine]:
    """Handwriting for each line; an empty line gives empty offsets.

    `weights` step the synthesis network (`sample.synthesis.stream_synthesis`); `alphabet` and
    `normalisation` are the ones it was trained with; the offsets come back in raw pen units. All
    lines are drawn as one batch, each `options.candidates` times; lines whose best draw has
    faults (skipped, stalled or repeated letters, scribbles, dot runs, no end, ink off the line,
    stray strokes, or, with a `reader`, a reading too far from the text) are drawn again with
    fresh noise, at least RETRY_CANDIDATES times each, for up to `options.retries` rounds. A line
    whose faults all lie in words after its first (none in the whole line) is also repaired, as
    many times: its best draw is kept up to the pen lift before the first faulty word and drawn
    on from there (`write.repair`). A line with no fault that `reader` reads other than its text
    is drawn on, in the same rounds, from its first misread word (POLISH_DRAWS times). Each line
    keeps its least faulty draw and, among equally faulty ones, the one `reader` (needed for more
    than one candidate) reads closest to its text and, among those, the one in which it finds the
    text likeliest (CTC over every alignment), or else the first; its remaining faults are
    returned with it, each naming its word.
    `guide` draws the characters it names from real strokes (`sample.guide`).
    """
    if options.candidates > 1 and reader is None:
        raise ValueError("choosing among candidates needs a reader")
    rng = np.random.default_rng(options.seed)
    edge = None if prime is None else style_right_edge(prime[0], normalisation)
    best: dict[int, _Draw] = {}
    todo = [i for i, line in enumerate(lines) if line]
    for retry in range(options.retries + 1):
        if not todo:
            break
        draws = max(options.candidates, RETRY_CANDIDATES) if retry else options.candidates
        whole, again = _plan_round(todo, best, draws) if retry else ({i: draws for i in todo}, {})
        watch = on_step if retry or on_step is None else _first_of_each(on_step, draws)
        knobs = (options.bias, options.temperature, rng, prime, watch)
        drawn_for = [i for i in whole for _ in range(whole[i])]
        sampled = []
        if drawn_for:
            texts = [lines[i] for i in drawn_for]
            sampled = sample_synthesis(weights, alphabet, texts, *knobs, guide=guide)
        if prime is not None:
            sampled = [without_style_residue(line, edge, normalisation) for line in sampled]
        if again:
            drawn_for += [i for i in again for _ in range(again[i][1])]
            lines_so_far = [best[i].line for i in again]
            cut_rows, times = [again[i][0] for i in again], [again[i][1] for i in again]
            sampled += continue_synthesis(
                weights, alphabet, lines_so_far, cut_rows, times, *knobs, guide=guide
            )
        for i, draw in zip(drawn_for, _judge(sampled, normalisation, reader), strict=True):
            if i not in best or draw.score < best[i].score:
                best[i] = draw
        todo = [i for i in todo if best[i].faults or _misread(best[i], lines[i])]
    empty = np.zeros((0, 3), dtype=np.float32)
    written = []
    for i, text in enumerate(lines):
        if i in best:
            faults = [name_word(text, fault) for fault in best[i].faults]
            written.append(WrittenLine(text, best[i].raw, faults))
        else:
            written.append(WrittenLine(text, empty, []))
    return written


def _first_of_each(
    on_step: Callable[[SynthesisStep], None], draws: int
) -> Callable[[SynthesisStep], None]:
    """`on_step` shown the first of each line's `draws` candidates (rows drawn line by line):
    one row a line, as the first round promises watchers."""

    def watch(step: SynthesisStep) -> None:
        on_step(replace(step, offsets=step.offsets[::draws], finished=step.finished[::draws]))

    return watch if draws > 1 else on_step


@dataclass
class _Draw:
    """One draw of a line and what is wrong with it."""

    line: SampledLine
    raw: np.ndarray  # (T, 3) its offsets in raw pen units
    faults: list[Fault]
    # (badness of the faults, edit distance of the reading, the reader's doubt in the text in nats
    # a character): lower is better
    score: tuple[int, int, float]
    misread_at: int | None  # the first word the reader reads wrong (`repair.first_misread_word`)


def _judge(
    sampled: list[SampledLine], normalisation: Normalisation, reader: LineReader | None
) -> list[_Draw]:
    """The faults of each drawn line, read by `reader` (all in one batch) when there is one."""
    raw = [normalisation.denormalise(line.offsets) for line in sampled]
    texts = [line.text for line in sampled]
    readings = [None] * len(sampled) if reader is None else reader.read_against(raw, texts)
    draws = []
    for line, offsets, reading in zip(sampled, raw, readings, strict=True):
        faults = find_faults(line.text, line.offsets, line.phi, line.finished)
        faults += geometry_faults(offsets)
        score, misread_at = (badness(faults), 0, 0.0), None
        if reading is not None:
            wanted = reader.alphabet.spell(line.text)
            distance, pairs = compare(reading.text, wanted)
            faults += faults_of_alignment(reading.text, wanted, distance, pairs)
            score = (badness(faults), distance, reading.doubt)
            misread_at = first_misread_word(pairs, wanted) if distance else None
        draws.append(_Draw(line, offsets, faults, score, misread_at))
    return draws


def _plan_round(
    todo: list[int], best: dict[int, _Draw], draws: int
) -> tuple[dict[int, int], dict[int, tuple[int, int]]]:
    """A retry round for the lines `todo`, from their best draws so far: how many times to draw
    each line whole ({line: draws}) and from which row of its best draw to draw it on, how many
    times ({line: (row, draws)}). A faulty line is drawn whole `draws` times and, where its
    faults lie after its first word, drawn on as many times; a misread line is drawn on from its
    first misread word (from its start when that is its first) POLISH_DRAWS times."""
    whole, again = {}, {}
    for i in todo:
        if best[i].faults:
            whole[i] = draws
            cut = _repair_cut(best[i])
            if cut:
                again[i] = (cut, draws)
        else:
            again[i] = (_polish_cut(best[i]), POLISH_DRAWS)
    return whole, again


def _misread(draw: _Draw, text: str) -> bool:
    """Whether the reader read a draw of `text` other than its text, where the text is long enough
    for its reading to judge it (`line_checks.judged_by_reading`)."""
    return draw.score[1] > 0 and judged_by_reading(text)


def _polish_cut(draw: _Draw) -> int:
    """The row of a misread draw's offsets to draw it on from; 0: from its start."""
    if draw.misread_at is None:
        return 0
    return restart_row(draw.line.offsets, draw.line.phi, draw.misread_at)


def _repair_cut(draw: _Draw) -> int:
    """The row of the draw's offsets to draw it on from (`write.repair`); 0: draw it whole."""
    position = first_faulty_word(draw.line.text, draw.faults)
    if position is None:
        return 0
    return restart_row(draw.line.offsets, draw.line.phi, position)
