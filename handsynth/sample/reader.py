"""The recogniser in numpy: reading drawn lines inside `write`, where torch is never imported.

`write --candidates N` draws every line N times and keeps the draw that the recogniser
(`nn/recogniser.py`, shipped as `weights/recogniser.safetensors`) reads closest to the line's text,
and of draws read alike the one in which it finds the text likeliest (`read_against`).
`LineReader` runs that recogniser's bidirectional LSTM with the sampler's packed weights and
compiled cell (`stepper.pack_lstm`, `kernels.lstm_cell`) and decodes it by best path, as
the torch recogniser does (`nn/ctc.py`, which needs no torch); tests/test_reader.py holds it to
the torch recogniser.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from handsynth.data.alphabet import Alphabet
from handsynth.data.strokes import Normalisation
from handsynth.guard import deferred
from handsynth.nn.ctc import best_paths, text_log_likelihoods
from handsynth.sample.kernels import lstm_cell
from handsynth.sample.stepper import pack_lstm

LSTM_ARRAYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")  # torch's nn.LSTM names


def _run_direction(
    matrix: np.ndarray, bias: np.ndarray, frames: np.ndarray
) -> np.ndarray:  # (4H, I + H), (4H,), (B, T', I) -> (B, T', H)
    """One LSTM direction over frames from zero state, first frame first."""
    B, T, _ = frames.shape
    H = len(bias) // 4
    h, c = np.zeros((B, H), np.float32), np.zeros((B, H), np.float32)
    out = np.empty((B, T, H), np.float32)
    for t in range(T):
        gates = np.concatenate([frames[:, t], h], axis=1) @ matrix.T  # (B, 4H)
        with deferred():  # an interrupt waits for the compiled call (guard.py)
            h, c = lstm_cell(gates, bias, c)
        out[:, t] = h
    return out


def _reverse_within(x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """x (B, T, D) with each row's first lengths[b] steps reversed in place, zeros after them."""
    T = x.shape[1]
    source = lengths[:, None] - 1 - np.arange(T)  # (B, T) the step each position comes from
    reversed_x = np.take_along_axis(x, np.maximum(source, 0)[..., None], axis=1)
    return reversed_x * (source >= 0)[..., None]


@dataclass
class Reading:
    """The recogniser's reading of a line, weighed against the text it should say."""

    text: str  # what it reads (best path)
    doubt: float  # -log p(wanted text | line) over every CTC alignment, in nats a character


class LineReader:
    """Reads lines of raw pen offsets with a recogniser's weights (its model file's arrays), its
    config's layers and frame steps, and the alphabet and normalisation it was trained with."""

    def __init__(
        self,
        arrays: Mapping[str, np.ndarray],
        num_layers: int,
        frame_steps: int,
        alphabet: Alphabet,
        normalisation: Normalisation,
    ):
        self.alphabet = alphabet
        self.normalisation = normalisation
        self.frame_steps = frame_steps
        # Per layer: the forward and the reverse direction, each a packed (matrix, bias).
        self.layers = [
            [
                pack_lstm(*(arrays[f"lstm.{name}_l{n}{suffix}"] for name in LSTM_ARRAYS))
                for suffix in ("", "_reverse")
            ]
            for n in range(num_layers)
        ]
        self.head_weight = np.asarray(arrays["head.weight"], np.float32)  # (C, 2H)
        self.head_bias = np.asarray(arrays["head.bias"], np.float32)  # (C,)

    def _frames(self, lines: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Raw offsets -> normalised steps stacked into frames (B, T', 3F) and lengths (B,)."""
        F = self.frame_steps
        lengths = np.array([-(-len(line) // F) for line in lines])  # ceil(T / F)
        frames = np.zeros((len(lines), int(lengths.max()) * F, 3), np.float32)  # zero padding
        for row, line in enumerate(lines):
            frames[row, : len(line)] = self.normalisation.normalise(line)
        return frames.reshape(len(lines), -1, 3 * F), lengths

    def logits(self, lines: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Non-empty lines of raw pen offsets (T, 3) -> class scores per frame (B, T', C) before
        the softmax, and each line's frames (B,)."""
        x, lengths = self._frames(lines)  # (B, T', 3F), (B,)
        for forward, backward in self.layers:
            ahead = _run_direction(*forward, x)  # (B, T', H)
            behind = _reverse_within(
                _run_direction(*backward, _reverse_within(x, lengths)), lengths
            )
            x = np.concatenate([ahead, behind], axis=2)  # (B, T', 2H)
        return x @ self.head_weight.T + self.head_bias, lengths

    def read(self, lines: list[np.ndarray]) -> list[str]:
        """What the recogniser reads in each non-empty line of raw pen offsets (T, 3)."""
        return self._decode(*self.logits(lines))

    def read_against(self, lines: list[np.ndarray], texts: list[str]) -> list[Reading]:
        """What the recogniser reads in each non-empty line of raw pen offsets (T, 3), weighed
        against the text the line should say (`Reading`)."""
        logits, lengths = self.logits(lines)
        log_probs = logits - np.logaddexp.reduce(logits, axis=2, keepdims=True)  # (B, T', C)
        labels = [self.alphabet.encode(self.alphabet.spell(text)).tolist() for text in texts]
        blank = len(self.head_bias) - 1
        nats = -text_log_likelihoods(log_probs, lengths, labels, blank)  # (B,)
        return [
            Reading(text, float(n) / max(len(label), 1))
            for text, n, label in zip(self._decode(logits, lengths), nats, labels, strict=True)
        ]

    def _decode(self, logits: np.ndarray, lengths: np.ndarray) -> list[str]:
        best = logits.argmax(axis=2)  # (B, T') the likeliest class of each frame
        paths = best_paths(best.tolist(), lengths.tolist(), blank=len(self.head_bias) - 1)
        return ["".join(self.alphabet.decode(path)) for path in paths]
