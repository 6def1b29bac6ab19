"""Ink at the start of a primed line that still belongs to the style line.

After reading a style line (Graves §5.5) the attention window often moves onto the line's first
letter before the network has finished the style's last word, so a mark of that word (a letter's
tail, a full stop, a dash) comes out as the line's first stroke, left of where the line then
starts. The network learnt to write a line to the right of the one it has read (`train
--joined-lines`), so a leading stroke that stays within the style's own extent, drawn while the
window is still on the line's first letter, is the style's: it is dropped.
"""

from __future__ import annotations

import numpy as np

from handsynth.data.strokes import Normalisation
from handsynth.sample.synthesis import SampledLine, without_first_rows


def style_right_edge(style: np.ndarray, normalisation: Normalisation) -> float:
    """How far right of its last point a style's ink reaches, in pen units; style (P, 3)
    normalised offsets."""
    x = np.cumsum(normalisation.denormalise(style)[:, 0])  # (P,)
    return float(x.max() - x[-1])


def residue_rows(line: SampledLine, right_edge: float, normalisation: Normalisation) -> int:
    """How many of `line`'s first offsets rows are the style's ink (see the module doc); 0 if none.

    Positions come from `line.steps`, which start at the style's last point (x = 0)."""
    x = np.cumsum(normalisation.denormalise(line.steps)[1:, 0])  # (S + T,) x of each drawn point
    own_x = x[line.lead :]  # offsets row k >= 1 is the point at own_x[k - 1]
    focus = line.phi.argmax(axis=1)  # (T,) row j goes with offsets row j + 1; 0 is the 1st letter
    lifts = np.flatnonzero(line.offsets[1:, 2] > 0.5) + 1  # offsets rows that end a stroke
    dropped = 0
    for end in lifts[:-1]:  # the line's last stroke is always kept
        rows = slice(dropped, end)  # the stroke's rows, offsets rows dropped + 1 .. end
        if own_x[rows].max() > right_edge or focus[rows].max() > 0:
            break
        dropped = int(end)
    return dropped


def without_style_residue(
    line: SampledLine, right_edge: float, normalisation: Normalisation
) -> SampledLine:
    """`line` without the style's ink it starts with; `right_edge` is the style's
    (`style_right_edge`)."""
    rows = residue_rows(line, right_edge, normalisation)
    return without_first_rows(line, rows) if rows else line
