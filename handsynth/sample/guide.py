"""Characters drawn from real handwriting while the network writes the rest of the line.

The synthesis network writes the glyphs it saw rarely in training (digits, some capitals) badly:
IAM-OnDB holds 45 sevens among 312,650 characters. A `GlyphGuide` (`write/glyphs.py`) names the
characters of a line it has real strokes for and, when the sampler reaches one, gives those
strokes placed where the writing is. The network reads them as its input, as it reads a style line
(Graves §5.5), so its window moves over the character and it goes on after it in its own hand;
what it drew for those steps is set aside.

A guided character is started at a pen lift (or at the line's start) once the window reads the
character before it, or a space before it, and the network has not started on it itself: a letter
joined to the next one is never cut. A guided character right after a glyph follows it at once. A
line is not ended while a glyph is being drawn, nor after one until the network has drawn a
stroke of the text that follows it; a line whose last character is a glyph ends with it.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

import numpy as np

# Once a glyph is drawn the window is moved at least this far past its character's centre, to
# where the next character begins, if the strokes did not take it there: a window left on the
# glyph makes the network write the character again.
CAUGHT_UP = 1.1

S = TypeVar("S")


class GlyphGuide(Protocol):
    def heads_on(self, jump: np.ndarray) -> bool:
        """Whether a pen jump (3,) normalised moves right, to write on, rather than back to
        cross or dot a letter already written."""

    def guided(self, text: str) -> list[int]:
        """The positions in `text` of the characters to draw from real strokes, in order."""

    def glyph(
        self,
        text: str,
        position: int,
        read: np.ndarray,
        own: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray | None:
        """Normalised offsets (G, 3) drawing text[position] after the network has read `read`
        (S, 3) normalised offsets, of which `own` (S,) marks those it drew itself (or read from a
        style) rather than a glyph: row 0 jumps from the last point read to the glyph's first
        point, the last row lifts the pen. None when it has no strokes for it there."""

    def next_word(self, jump: np.ndarray, read: np.ndarray, own: np.ndarray) -> np.ndarray:
        """The network's jump (3,) normalised to the first stroke of the word after a glyph and a
        space, moved on if it would start that word closer to the ink than a word gap. read
        (S, 3): what the network has read, up to the stroke before the jump; own (S,) as for
        `glyph`."""


def _catch_up(phi: np.ndarray, position: int) -> float:
    """How many characters to move a window phi (U + 1,) on so that its centre of weight lies
    CAUGHT_UP past `position`."""
    centre = float(np.arange(len(phi)) @ phi / max(float(phi.sum()), 1e-6))
    return max(0.0, position + CAUGHT_UP - centre)


class Forcing:
    """Which rows of a batch are drawing a guided glyph, and what they feed the network next."""

    def __init__(
        self,
        guide: GlyphGuide,
        texts: list[str],
        first: list[int],
        history: list[np.ndarray],
        rng: np.random.Generator,
    ):
        """texts: each row's whole text (a style's text in front); first[b]: the first position
        of texts[b] that may still be guided; history[b] (S_b, 3): what row b read before its
        first input."""
        self.guide, self.texts, self.history, self.rng = guide, texts, history, rng
        self.pending = [
            [u for u in guide.guided(text) if u >= start]
            for text, start in zip(texts, first, strict=True)
        ]
        self.glyphs: list[np.ndarray | None] = [None] * len(texts)  # the glyph each row draws
        self.busy = np.zeros(len(texts), dtype=bool)  # (B,) rows in the middle of a glyph
        self.waiting = np.array([bool(p) for p in self.pending])  # (B,) rows with glyphs to come
        self.drawn = np.zeros(len(texts), dtype=np.int64)  # its rows already fed
        self.last = np.full(len(texts), -1)  # the position of each row's latest glyph
        # Per step, (B,) the rows whose input was a glyph's point; the first input is the network's.
        self.forced = [np.zeros(len(texts), dtype=bool)]
        self.first_glyph = np.full(len(texts), np.iinfo(np.int64).max)  # (B,) see `_start`
        # (B,) rows whose glyph has ended with text after it that the network has not yet begun:
        # until it lifts the pen from a stroke of its own the line must not end, or a last full
        # stop after a last digit is never drawn.
        self.owed = np.zeros(len(texts), dtype=bool)
        # (B,) rows whose text's last character was a glyph, now drawn: the line is done.
        self.completed = np.zeros(len(texts), dtype=bool)
        # (B,) rows whose glyph has ended before a space: their next jump on is a word gap.
        self.spacing = np.zeros(len(texts), dtype=bool)

    @property
    def holding(self) -> np.ndarray:
        """(B,) rows that must not end now: drawing a glyph or owing the text after one."""
        return self.busy | self.owed

    def apply(
        self,
        x: np.ndarray,
        phi: np.ndarray,
        at_lift: np.ndarray,
        steps: list[np.ndarray],
        active: np.ndarray,
        state: S,
    ) -> S:
        """Overwrite the sampled x (B_active, 3) of the rows drawing a glyph, in place; the
        state to step on from, its window moved past each glyph finished now.

        phi (B_active, U + 1): the window of the step that drew x; at_lift (B_active,): the
        row's last input ended a stroke (or began the line); steps: every row's inputs so far,
        each (B, 3); active (B_active,): the rows of the batch being stepped, whose `state` it is.
        """
        shift = np.zeros(len(active), dtype=np.float32)  # (B_active,)
        forced = np.zeros(len(self.texts), dtype=bool)
        self.owed[active[~self.busy[active] & (x[:, 2] > 0.5)]] = False  # the network lifted
        spacing = self.spacing[active] & at_lift  # (B_active,) x jumps to a new stroke
        concerned = self.busy[active] | (at_lift & self.waiting[active])  # (B_active,)
        for r in np.flatnonzero(concerned):
            b = active[r]
            if not self.busy[b]:
                self._start(b, int(phi[r].argmax()), x[r], len(steps) == 1, steps)
            glyph = self.glyphs[b]
            if glyph is None:
                continue
            x[r] = glyph[self.drawn[b]]
            forced[b] = True
            self.drawn[b] += 1
            if self.drawn[b] == len(glyph):
                self.glyphs[b], self.busy[b] = None, False
                self.owed[b] = self.last[b] < len(self.texts[b]) - 1
                self.completed[b] = not self.owed[b]
                self.spacing[b] = self.texts[b][self.last[b] + 1 : self.last[b] + 2] == " "
                shift[r] = _catch_up(phi[r], self.last[b])
        for r in np.flatnonzero(spacing & ~forced[active]):
            if self.guide.heads_on(x[r]):  # not back to cross or dot a letter
                x[r] = self.guide.next_word(x[r], *self._read(active[r], steps))
                self.spacing[active[r]] = False
        self.forced.append(forced)
        return state.window_moved(shift) if shift.any() else state

    def _start(
        self, b: int, reading: int, jump: np.ndarray, line_start: bool, steps: list[np.ndarray]
    ) -> None:
        """Start row b's next guided character if the network is about to write it. At a lift
        the window reads the character the next stroke writes: the guided one, a space before
        it, or, just after a glyph the window has not caught up with, that glyph. The `jump` the
        network drew to its next stroke must head on: one back is a t-cross or an i-dot, drawn
        once the window has moved on, and the glyph waits for the lift after it."""
        pending = self.pending[b]
        # A glyph right after the one just drawn follows it, wherever the window has run to.
        chained = bool(pending) and self.last[b] == pending[0] - 1
        while pending and pending[0] < reading and not chained:  # the network wrote it itself
            pending.pop(0)
        self.waiting[b] = bool(pending)
        if not pending:
            return
        position, text = pending[0], self.texts[b]
        about_to = reading == position or (reading == position - 1 and text[reading] == " ")
        about_to &= line_start or self.guide.heads_on(jump)
        if not (about_to or self.last[b] == position - 1):
            return
        pending.pop(0)
        self.waiting[b] = bool(pending)
        self.glyphs[b] = self.guide.glyph(text, position, *self._read(b, steps), self.rng)
        self.busy[b] = self.glyphs[b] is not None
        self.spacing[b] &= not self.busy[b]  # a glyph after the space is placed by the guide
        self.drawn[b] = 0
        if self.busy[b]:  # its first point will be steps[len(steps)]
            self.first_glyph[b] = min(self.first_glyph[b], len(steps))
        self.last[b] = position

    def _read(self, b: int, steps: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """What row b's network has read so far (S + t + 1, 3), and which of it it drew itself or
        read from a style (S + t + 1,) rather than from a glyph."""
        read = np.concatenate([self.history[b], [step[b] for step in steps]])
        forced = [step[b] for step in self.forced]  # (t + 1,)
        own = np.concatenate([np.ones(len(self.history[b]), bool), ~np.array(forced)])
        return read, own
