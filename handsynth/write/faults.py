"""What went wrong in a sampled line, read from its attention record and its strokes.

The synthesis window tells which character the network was writing at each step (the one with the
largest phi), so a fault can be pinned to a letter:
- skipped: a letter the window never focused on;
- stalled: the window stayed on a letter far longer than on the others while little was written;
- repeated: it stayed far longer and wrote a lot there, usually the letter twice;
- scribble: far more ink on one letter than on the others, at a normal pace;
- dots: a run of tiny strokes, the trail a stalled network leaves instead of letters;
- unfinished: the window never passed the last character before the step limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# A letter's stay or ink counts as abnormal beyond FACTOR x the line's median plus a margin, so that
# short lines with few letters are not flagged for ordinary variation.
STAY_FACTOR, STAY_MARGIN = 4.0, 10
REPEAT_INK_FACTOR = 2.0
SCRIBBLE_INK_FACTOR = 5.0
# A stroke of at most this many points whose ink is under DOT_INK_FACTOR median steps is a dot;
# real text has a few in a row at most ("...", "i.").
DOT_POINTS, DOT_INK_FACTOR, MAX_DOT_RUN = 3, 3.0, 4
# Redrawing prefers a line with a few small faults over one that never finished.
UNFINISHED_WEIGHT = 10


@dataclass(frozen=True)
class Fault:
    kind: str  # skipped, stalled, repeated, scribble, dots or unfinished
    position: int | None  # index of the letter in the line's text, None for the whole line
    detail: str  # what was seen, for people

    def __str__(self) -> str:
        return self.detail


def badness(faults: list[Fault]) -> int:
    """A score to keep the best of several draws of a line: 0 is a clean line."""
    return sum(UNFINISHED_WEIGHT if f.kind == "unfinished" else 1 for f in faults)


def _ink_per_step(offsets: np.ndarray) -> np.ndarray:
    """offsets (T + 1, 3), row 0 the start -> (T,) length of pen-down movement of each step."""
    lengths = np.hypot(offsets[1:, 0], offsets[1:, 1])
    pen_down = offsets[:-1, 2] < 0.5  # the pen lifts after a point whose eos is 1
    return lengths * pen_down


def _dot_runs(offsets: np.ndarray, typical_step: float) -> list[tuple[int, int]]:
    """(first step, length) of each run of more than MAX_DOT_RUN consecutive dot strokes."""
    ends = np.flatnonzero(offsets[1:, 2] > 0.5) + 1  # rows where a stroke ends
    runs, start, run_length, first_step = [], 0, 0, 0
    for end in ends:
        steps = offsets[start : end + 1, :2]  # the points of this stroke
        ink = np.hypot(steps[1:, 0], steps[1:, 1]).sum()
        if len(steps) <= DOT_POINTS and ink <= DOT_INK_FACTOR * typical_step:
            if run_length == 0:
                first_step = max(start - 1, 0)  # row r holds the point sampled at step r - 1
            run_length += 1
        else:
            if run_length > MAX_DOT_RUN:
                runs.append((first_step, run_length))
            run_length = 0
        start = end + 1
    if run_length > MAX_DOT_RUN:
        runs.append((first_step, run_length))
    return runs


def find_faults(text: str, offsets: np.ndarray, phi: np.ndarray, finished: bool) -> list[Fault]:
    """Faults of one sampled line.

    text: what was to be written (U characters); offsets (T + 1, 3) the sampled pen offsets in
    the model's normalised units, row 0 the start; phi (T, U + 1) the window weights of each
    step; finished: whether the window passed the last character.
    """
    faults = []
    if not finished:
        faults.append(Fault("unfinished", None, "never reached the end of the text"))
    U, T = len(text), len(phi)
    if U == 0 or T == 0:
        return faults
    focus = phi[:, :U].argmax(axis=1)  # (T,) the letter being written at each step
    stays = np.bincount(focus, minlength=U)  # (U,) steps spent on each letter
    ink = np.bincount(focus, weights=_ink_per_step(offsets)[:T], minlength=U)  # (U,)
    visited = stays > 0
    typical_stay = np.median(stays[visited])
    typical_ink = np.median(ink[visited])
    for u in range(U):
        letter = text[u]
        if not visited[u]:
            if not letter.isspace():
                faults.append(Fault("skipped", u, f"skipped {letter!r} at {u}"))
        elif stays[u] > STAY_FACTOR * typical_stay + STAY_MARGIN:
            if ink[u] > REPEAT_INK_FACTOR * typical_ink:
                faults.append(Fault("repeated", u, f"wrote {letter!r} at {u} over again"))
            else:
                faults.append(Fault("stalled", u, f"stalled on {letter!r} at {u}"))
        elif ink[u] > SCRIBBLE_INK_FACTOR * typical_ink and not letter.isspace():
            faults.append(Fault("scribble", u, f"scribbled on {letter!r} at {u}"))
    moving = _ink_per_step(offsets)
    typical_step = float(np.median(moving[moving > 0])) if (moving > 0).any() else 1.0
    for first_step, length in _dot_runs(offsets, typical_step):
        u = int(focus[min(first_step, T - 1)])
        faults.append(Fault("dots", u, f"a run of {length} dots after {text[u]!r} at {u}"))
    return faults
