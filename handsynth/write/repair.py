"""Where to redraw a faulty or misread line from, so that the words before its first bad word are
kept.

A fault read from the window or the reading names a character of the line's text (`Fault.position`);
the first word holding one is drawn again. It began at the pen lift before the window first
reached its first character: the strokes up to that lift are kept and the network draws on from
there (`sample.synthesis.continue_synthesis`). A fault of the whole line (ink off the line, never
finished) has no position: such a line is drawn again whole. A line with no fault that the reader
still reads other than its text is drawn on from its first misread word (`first_misread_word`).
"""

from __future__ import annotations

import numpy as np

from handsynth.write.faults import Fault

WHOLE_LINE = ("unreadable",)  # faults with a position that still call for drawing the line again


def word_start(text: str, position: int) -> int:
    """The first character of the word holding text[position]; a space belongs to the word
    before it, which the network may not have finished."""
    return text.rfind(" ", 0, position) + 1


def word_at(text: str, position: int) -> str:
    """The word holding text[position] (`word_start`)."""
    start = word_start(text, position)
    end = text.find(" ", start)
    return text[start:] if end < 0 else text[start:end]


def first_faulty_word(text: str, faults: list[Fault]) -> int | None:
    """The start of the earliest word a fault is pinned to; None when there is no fault or one of
    them concerns the whole line, as a line read as mostly wrong does (it names its worst word,
    but redrawn from there, the words before it would stay wrong)."""
    if not faults or any(f.position is None or f.kind in WHOLE_LINE for f in faults):
        return None
    return min(word_start(text, f.position) for f in faults)


def first_misread_word(pairs: list[tuple[str, str]], text: str) -> int | None:
    """The start of the first word of `text` with a character its reading does not read as itself,
    from their alignment (`nn.char_errors.compare`: a (wanted, read) pair for each character of
    `text`); None when the reading differs only by characters it adds."""
    wrong = next((k for k, (wanted, got) in enumerate(pairs) if wanted != got), None)
    return None if wrong is None else word_start(text, wrong)


def restart_row(offsets: np.ndarray, phi: np.ndarray, position: int) -> int:
    """The row of offsets (T + 1, 3) after which the word starting at text[position] was drawn:
    the last pen lift before the window phi (T, U + 1) first reached that character. 0 when the
    network lifted no pen before it (the line must be drawn again whole)."""
    focus = phi.argmax(axis=1)  # (T,) the character read at each step; step k draws row k + 1
    reached = np.flatnonzero(focus >= position)
    if len(reached) == 0:
        return 0
    lifts = np.flatnonzero(offsets[1 : reached[0] + 1, 2] > 0.5) + 1  # rows that end a stroke
    return int(lifts[-1]) if len(lifts) else 0


def name_word(text: str, fault: Fault) -> Fault:
    """`fault` with the word it is in named, for a warning a person can find in the text."""
    if fault.position is None:
        return fault
    word = word_at(text, fault.position)
    if not word or repr(word) in fault.detail:
        return fault
    return Fault(fault.kind, fault.position, f"{fault.detail} in {word!r}")
