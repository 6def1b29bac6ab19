"""Connectionist temporal classification (Graves et al. 2006): best-path decoding, how likely a
text is under the outputs (the forward algorithm, in numpy), edit distance and the character error
rate, shared by the torch recogniser (`recogniser.py`), its numpy reader (`sample/reader.py`),
training (`train/tasks.py`) and legibility.

Nothing here imports torch: `greedy_decode` only calls a tensor's own methods, so the numpy reader
inside `handsynth write` decodes with the same code and never loads torch. The blank is the last
class (index alphabet size), as the recogniser lays out its outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

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


def text_log_likelihoods(
    log_probs: np.ndarray, lengths: np.ndarray, labels: list[list[int]], blank: int
) -> np.ndarray:
    """log p(text | outputs) of each line summed over every CTC alignment (the forward algorithm):
    log_probs (B, T', C) log-softmaxed outputs, lengths (B,) frames, labels B lists of character
    indices -> (B,); -inf where a text needs more frames than its line has."""
    B = len(labels)
    extended, states, may_skip = _extended_labels(labels, blank)
    alpha = np.full(extended.shape, -np.inf)  # log p(first t frames end in state s)
    alpha[:, :2] = _emitted(log_probs, 0, extended)[:, :2]
    for t in range(1, int(lengths.max())):
        skip = np.where(may_skip, _shifted(alpha, 2), -np.inf)
        moved = np.logaddexp(np.logaddexp(alpha, _shifted(alpha, 1)), skip)
        moved += _emitted(log_probs, t, extended)
        alpha = np.where((t < lengths)[:, None], moved, alpha)
    rows = np.arange(B)
    last = alpha[rows, states - 1]
    before_last = np.where(states > 1, alpha[rows, np.maximum(states - 2, 0)], -np.inf)
    with np.errstate(invalid="ignore"):
        return np.logaddexp(last, before_last)


def _extended_labels(
    labels: list[list[int]], blank: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each text as CTC's states (blank, c1, blank, c2, ..., blank), padded with blanks: (B, S);
    each text's own number of states (B,); and where a path may skip the blank before a state
    (between two different characters) (B, S)."""
    B = len(labels)
    S = 2 * max((len(text) for text in labels), default=0) + 1
    extended = np.full((B, S), blank)
    for b, text in enumerate(labels):
        extended[b, 1 : 2 * len(text) : 2] = text
    may_skip = np.zeros((B, S), bool)
    may_skip[:, 2:] = (extended[:, 2:] != blank) & (extended[:, 2:] != extended[:, :-2])
    return extended, np.array([2 * len(text) + 1 for text in labels]), may_skip


def _emitted(log_probs: np.ndarray, t: int, extended: np.ndarray) -> np.ndarray:
    """log p of each state's class at frame t: (B, T', C), (B, S) -> (B, S)."""
    return np.take_along_axis(log_probs[:, t], extended, axis=1)


def _shifted(x: np.ndarray, by: int) -> np.ndarray:
    """x (B, S) moved `by` states along, -inf where nothing moves in."""
    return np.concatenate([np.full((len(x), by), -np.inf), x[:, :-by]], axis=1)[:, : x.shape[1]]


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
