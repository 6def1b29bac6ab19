"""How often a training line is shown an epoch so that rare characters are seen more
(`train --oversample-rare N --rare-weighting W`). numpy only: the command line reads the
weightings' names without loading torch."""

from __future__ import annotations

import numpy as np


def rare_character_repeats(
    chars: list[np.ndarray], alphabet_size: int, rare_share: float, max_repeats: int
) -> np.ndarray:
    """How often each line should appear in an epoch so that rare characters are seen more.

    A character is rare when it makes up less than `rare_share` of all characters in `chars` (in
    IAM-OnDB: the digits, most capitals, j q x z and most punctuation). A line appears once, plus
    once for each rare character it holds, at most `max_repeats` times in all.
    chars: encoded lines, each (U_i,) -> repeats (L,) int64.
    """
    counts = np.bincount(np.concatenate(chars), minlength=alphabet_size)  # (A,)
    rare = counts < rare_share * counts.sum()  # (A,) bool
    rare_in_line = np.array([int(rare[c].sum()) for c in chars])  # (L,)
    return np.minimum(1 + rare_in_line, max_repeats).astype(np.int64)


def rarest_character_repeats(
    chars: list[np.ndarray], alphabet_size: int, rare_share: float, max_repeats: int
) -> np.ndarray:
    """How often each line should appear in an epoch so that every character is seen about as
    often as the rare threshold: a line appears threshold / count times, where count is how often
    its rarest character occurs in `chars` and threshold is `rare_share` of all characters,
    rounded, at least once and at most `max_repeats` times. A line with an 8 (39 in IAM-OnDB's
    312,650 training characters) appears far more often than one whose rarest letter is a k.
    chars: encoded lines, each (U_i,) -> repeats (L,) int64.
    """
    counts = np.bincount(np.concatenate(chars), minlength=alphabet_size)  # (A,)
    threshold = rare_share * counts.sum()
    rarest = np.array([counts[c].min() if len(c) else threshold for c in chars])  # (L,)
    return np.clip(np.rint(threshold / rarest), 1, max_repeats).astype(np.int64)


RARE_WEIGHTINGS = {  # --rare-weighting: how a line's appearances an epoch are counted
    "per-character": rare_character_repeats,
    "rarest": rarest_character_repeats,
}
