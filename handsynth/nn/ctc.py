"""Connectionist temporal classification (Graves et al. 2006) without the loss: best-path decoding,
edit distance and the character error rate, shared by the torch recogniser (`recogniser.py`), its
numpy reader (`sample/reader.py`), training (`train/tasks.py`) and legibility.

Nothing here imports torch: `greedy_decode` only calls a tensor's own methods, so the numpy reader
inside `handsynth write` decodes with the same code and never loads torch. The blank is the last
class (index alphabet size), as the recogniser lays out its outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from handsynth.data.alphabet import Alphabet

if TYPE_CHECKING:
    import torch


def collapse_path(path: Sequence[int], blank: int) -> list[int]:
    """A best path of classes per frame -> characters: runs merged, then blanks dropped."""
    out, previous = [], blank
    for c in path:
        if c != previous and c != blank:
            out.append(c)
        previous = c
    return out


def best_paths(best: list[list[int]], lengths: list[int], blank: int) -> list[list[int]]:
    """The likeliest class per frame of each line (B lists of T'), cut to its length (B,) and
    collapsed: character indices per line."""
    return [collapse_path(path[:n], blank) for path, n in zip(best, lengths, strict=True)]


def greedy_decode(log_probs: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
    """Best-path decoding: log_probs (T', B, C), lengths (B,) -> character indices per line.

    Takes the likeliest class per frame, merges runs of the same class, then drops blanks (the last
    class), so a letter written twice needs a blank between its two runs.
    """
    best = log_probs.argmax(-1).T.cpu().tolist()  # (B, T')
    return best_paths(best, lengths.tolist(), blank=log_probs.shape[-1] - 1)


def read_texts(log_probs: torch.Tensor, lengths: torch.Tensor, alphabet: Alphabet) -> list[str]:
    """What the recogniser's outputs (T', B, C) read in each line, decoded by best path."""
    return ["".join(alphabet.decode(line)) for line in greedy_decode(log_probs, lengths)]


def edit_distance(a, b) -> int:
    """Levenshtein distance: insertions, deletions and substitutions turning `a` into `b`."""
    previous = list(range(len(b) + 1))  # distances from a[:0] to every prefix of b
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def character_error_rate(predictions: list[str], references: list[str]) -> float:
    """Total edit distance over total reference length (can exceed 1 with many insertions)."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    total = sum(len(r) for r in references)
    if total == 0:
        raise ValueError("the references hold no characters")
    return sum(edit_distance(p, r) for p, r in zip(predictions, references, strict=True)) / total
