"""Batches of handwriting lines for training and evaluation.

Lines are normalised with the training statistics, padded to the longest line of their batch and
masked. Batches draw lines of similar length (sorted within shuffled pools) so that little compute
is spent on padding. The order of an epoch is a pure function of (seed, epoch), which is what lets a
resumed run continue from the exact batch where it stopped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from handsynth.alphabet import Alphabet
from handsynth.errors import UserError
from handsynth.prepare import load_prepared
from handsynth.strokes import normalise

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

    def num_batches(self, batch_size: int) -> int:
        return -(-len(self) // batch_size)

    def epoch_order(self, batch_size: int, seed: int, epoch: int) -> list[np.ndarray]:
        """The batches of one epoch as arrays of line indices; fixed by (seed, epoch)."""
        rng = np.random.default_rng([seed, epoch])
        order = rng.permutation(len(self))
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

    def batch(self, indices: np.ndarray) -> HandwritingBatch:
        B = len(indices)
        T = max(len(self.offsets[i]) for i in indices) - 1
        U = max(max(len(self.chars[i]) for i in indices), 1)
        strokes = np.zeros((B, T + 1, 3), dtype=np.float32)
        mask = np.zeros((B, T), dtype=np.float32)
        chars = np.zeros((B, U), dtype=np.int64)
        char_mask = np.zeros((B, U), dtype=bool)
        for row, i in enumerate(indices):
            n, u = len(self.offsets[i]), len(self.chars[i])
            strokes[row, :n] = self.offsets[i]
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


def load_handwriting(
    data_dir, split: str, alphabet: Alphabet, mean: np.ndarray, std: np.ndarray
) -> HandwritingData:
    """A prepared split, normalised with (mean, std) and with texts encoded by `alphabet`."""
    offsets, texts, line_ids = load_prepared(data_dir, split)
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
    return HandwritingData(normalised, encoded, list(texts))
