"""Batches of handwriting lines for training and evaluation.

Lines are normalised with the training statistics, padded to the longest line of their batch and
masked. Batches draw lines of similar length (sorted within shuffled pools) so that little compute
is spent on padding. The order of an epoch is a pure function of (seed, epoch), which is what lets a
resumed run continue from the exact batch where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from handsynth.data.alphabet import Alphabet
from handsynth.data.line_pairs import consecutive_pairs, joined_lines
from handsynth.data.prepare import load_prepared
from handsynth.data.strokes import Normalisation, normalise
from handsynth.errors import UserError

POOL_BATCHES = 20  # a shuffled pool of this many batches is sorted by length, then cut into batches


@dataclass
class HandwritingBatch:
    inputs: torch.Tensor  # (B, T, 3) offsets x_1..x_T fed to the network
    targets: torch.Tensor  # (B, T, 3) offsets x_2..x_{T+1} it must predict
    mask: torch.Tensor  # (B, T) 1.0 on real steps, 0.0 on padding
    chars: torch.Tensor  # (B, U) character indices of the transcription
    char_mask: torch.Tensor  # (B, U) true on real characters

    @property
    def num_points(self) -> int:
        return int(self.mask.sum())


class HandwritingData:
    """Normalised lines with their encoded transcriptions."""

    def __init__(self, offsets: list[np.ndarray], chars: list[np.ndarray], texts: list[str]):
        if not offsets:
            raise ValueError("no handwriting lines to batch")
        self.offsets = offsets
        self.chars = chars
        self.texts = texts

    def __len__(self) -> int:
        return len(self.offsets)

    def __add__(self, other: HandwritingData) -> HandwritingData:
        """The lines of both, self's first."""
        return HandwritingData(
            self.offsets + other.offsets, self.chars + other.chars, self.texts + other.texts
        )

    def epoch_order(
        self, batch_size: int, seed: int, epoch: int, repeats: np.ndarray | None = None
    ) -> list[np.ndarray]:
        """The batches of one epoch as arrays of line indices; fixed by (seed, epoch).

        repeats (L,) ints >= 1: how many times each line appears in the epoch (oversampling), each
        copy drawn into its own batch position; None: every line once.
        """
        rng = np.random.default_rng([seed, epoch])
        lines = (
            np.arange(len(self)) if repeats is None else np.repeat(np.arange(len(self)), repeats)
        )
        order = lines[rng.permutation(len(lines))]
        lengths = np.array([len(o) for o in self.offsets])
        pool = batch_size * POOL_BATCHES
        batches = []
        for start in range(0, len(order), pool):
            chunk = order[start : start + pool]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
        return [batches[i] for i in rng.permutation(len(batches))]

    def sequential_order(self, batch_size: int) -> list[np.ndarray]:
        """Every line once, in length order (for evaluation)."""
        order = np.argsort([len(o) for o in self.offsets], kind="stable")
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]

    def batch(
        self, indices: np.ndarray, transform: Callable[[np.ndarray], np.ndarray] | None = None
    ) -> HandwritingBatch:
        """The lines `indices`, each passed through `transform` (T, 3) -> (T, 3) if given."""
        lines = [
            self.offsets[i] if transform is None else transform(self.offsets[i]) for i in indices
        ]
        B = len(indices)
        T = max(len(line) for line in lines) - 1
        U = max(max(len(self.chars[i]) for i in indices), 1)
        strokes = np.zeros((B, T + 1, 3), dtype=np.float32)
        mask = np.zeros((B, T), dtype=np.float32)
        chars = np.zeros((B, U), dtype=np.int64)
        char_mask = np.zeros((B, U), dtype=bool)
        for row, (i, line) in enumerate(zip(indices, lines, strict=True)):
            n, u = len(line), len(self.chars[i])
            strokes[row, :n] = line
            mask[row, : n - 1] = 1.0
            chars[row, :u] = self.chars[i]
            char_mask[row, :u] = True
        strokes_t = torch.from_numpy(strokes)  # (B, T + 1, 3)
        return HandwritingBatch(
            inputs=strokes_t[:, :-1],
            targets=strokes_t[:, 1:],
            mask=torch.from_numpy(mask),
            chars=torch.from_numpy(chars),
            char_mask=torch.from_numpy(char_mask),
        )

    def iter_batches(self, order: list[np.ndarray], start: int = 0) -> Iterator[HandwritingBatch]:
        for indices in order[start:]:
            yield self.batch(indices)


@dataclass
class Augmentation:
    """Random geometric changes to a line, in raw pen units, so that a reader learns hands it has
    not seen: each line is drawn larger or smaller, wider or narrower, and slanted."""

    scale: float = 0.15  # the size is multiplied by a factor within 1 +- scale
    stretch: float = 0.1  # the width alone, within 1 +- stretch
    shear: float = 0.25  # dx += k * dy with k within +- shear: slanted forwards or backwards

    def apply(
        self, offsets: np.ndarray, normalisation: Normalisation, rng: np.random.Generator
    ) -> np.ndarray:
        """Normalised offsets (T, 3) -> a randomly changed copy (T, 3) float32, normalised."""
        raw = normalisation.denormalise(offsets).astype(np.float64)  # (T, 3) pen units
        size = rng.uniform(1 - self.scale, 1 + self.scale)
        width = rng.uniform(1 - self.stretch, 1 + self.stretch)
        k = rng.uniform(-self.shear, self.shear)
        dx, dy = raw[:, 0], raw[:, 1]
        raw[:, 0], raw[:, 1] = size * width * (dx + k * dy), size * dy
        return normalisation.normalise(raw)


def load_handwriting(
    data_dir, split: str, alphabet: Alphabet, mean: np.ndarray, std: np.ndarray
) -> HandwritingData:
    """A prepared split, normalised with (mean, std) and with texts encoded by `alphabet`."""
    offsets, texts, line_ids = load_prepared(data_dir, split)
    return _encoded(offsets, list(texts), list(line_ids), split, data_dir, alphabet, mean, std)


def load_joined_handwriting(
    data_dir, split: str, alphabet: Alphabet, mean: np.ndarray, std: np.ndarray
) -> HandwritingData:
    """Each pair of consecutive lines of one form in a prepared split, joined into one line
    (`line_pairs`), normalised and encoded as `load_handwriting` does."""
    offsets, texts, line_ids = load_prepared(data_dir, split)
    joined, joined_texts = joined_lines(offsets, list(texts), list(line_ids))
    pair_ids = [f"{a}+{b}" for a, b in consecutive_pairs(list(line_ids))]
    return _encoded(joined, joined_texts, pair_ids, split, data_dir, alphabet, mean, std)


def _encoded(
    offsets: list[np.ndarray],
    texts: list[str],
    line_ids: list[str],
    split: str,
    data_dir,
    alphabet: Alphabet,
    mean: np.ndarray,
    std: np.ndarray,
) -> HandwritingData:
    encoded = []
    for text, line_id, line in zip(texts, line_ids, offsets, strict=True):
        if not np.isfinite(line).all():
            raise UserError(
                f"line {line_id} of the {split} split in {data_dir} has NaN or infinite pen "
                f"offsets; run `handsynth prepare` again"
            )
        try:
            encoded.append(alphabet.encode(text))
        except ValueError as error:
            raise UserError(f"line {line_id} of the {split} split: {error}") from None
    normalised = [normalise(o, mean, std).astype(np.float32) for o in offsets]
    return HandwritingData(normalised, encoded, texts)
