"""A writer encoder: a line of pen offsets in, a unit-length embedding of its hand out.

Lines of one hand should land close together whatever they say, where they sit on the page and
how large they are drawn, so the line is first put in its own units (`line_inputs`): offsets are
shift-free already, and each line is divided by its vertical size, the interquartile range of its
levelled heights (about the x-height). A stack of 1-D convolutions then reads the offsets, its
deeper layers each at half the rate of the one before, so the last sees a few letters at a time; the
mean and standard deviation of its channels over the whole line, projected and L2-normalised, are
the embedding. Padding is zeroed after every layer, so a line embeds the same alone or in a
padded batch.

A model file is safetensors: the weights, and as metadata under WRITER_KEY the JSON of the
config and how it was trained. Reading one needs no pickle.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save
from torch import nn

from handsynth.atomic import write_atomically
from handsynth.errors import CheckpointError

WRITER_KEY = "handsynth_writer_id"
MAX_STEP = 8.0  # a pen jump between words is clipped to this many line heights
MIN_HEIGHT = 1e-3  # below this, in pen units, a line is a dot: its height is taken as 1


@dataclass
class WriterEncoderConfig:
    channels: tuple[int, ...] = (
        64,
        96,
        128,
        128,
        128,
    )  # per conv layer; each after the first halves T
    kernel: int = 5  # steps each conv layer sees
    embedding_size: int = 128


def line_height(offsets: np.ndarray) -> float:
    """The vertical size of a line of raw offsets (T, 3): the interquartile range of its point
    heights after the least-squares slope of y on x is taken off (a tilted line is not taller)."""
    points = np.cumsum(offsets[:, :2].astype(np.float64), axis=0)  # (T, 2)
    x, y = points[:, 0], points[:, 1]
    if np.ptp(x) > 0:
        y = y - np.polyval(np.polyfit(x, y, 1), x)
    q1, q3 = np.percentile(y, [25, 75])
    height = q3 - q1
    return float(height) if height > MIN_HEIGHT else 1.0


def line_inputs(offsets: np.ndarray) -> np.ndarray:
    """Raw offsets (T, 3) [dx, dy, pen lift] -> the encoder's inputs (T, 3) float32: the moves in
    line heights (`line_height`), clipped to +-MAX_STEP, and the pen lift as it is."""
    moves = np.clip(offsets[:, :2] / line_height(offsets), -MAX_STEP, MAX_STEP)
    return np.concatenate([moves, offsets[:, 2:3]], axis=1).astype(np.float32)


def pad_inputs(inputs: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Lines of inputs (T_i, 3) -> x (B, T, 3) zero-padded and lengths (B,)."""
    lengths = torch.tensor([len(line) for line in inputs])
    x = torch.zeros(len(inputs), int(lengths.max()), 3)
    for row, line in enumerate(inputs):
        x[row, : len(line)] = torch.from_numpy(line)
    return x, lengths


class WriterEncoder(nn.Module):
    """Conv stack over line inputs -> masked mean and std pooling -> unit-length embedding."""

    def __init__(self, config: WriterEncoderConfig):
        super().__init__()
        self.config = config
        sizes = (3, *config.channels)
        self.convs = nn.ModuleList(
            nn.Conv1d(a, b, config.kernel, stride=1 if i == 0 else 2, padding=config.kernel // 2)
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True))
        )
        self.norms = nn.ModuleList(nn.BatchNorm1d(c) for c in config.channels)
        self.project = nn.Linear(2 * config.channels[-1], config.embedding_size)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """x (B, T, 3) padded line inputs, lengths (B,) -> embeddings (B, D), each of length 1."""
        B, T, _ = x.shape
        h = x.transpose(1, 2)  # (B, 3, T)
        lengths = lengths.to(x.device)
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms, strict=True)):
            if i > 0:
                lengths = (lengths - 1) // 2 + 1  # what a stride-2 conv with this padding keeps
            h = F.relu(norm(conv(h)))  # (B, C, T_i)
            mask = torch.arange(h.shape[2], device=x.device) < lengths.unsqueeze(1)  # (B, T_i)
            h = h * mask.unsqueeze(1)
        n = lengths.clamp(min=1).unsqueeze(1).to(h.dtype)  # (B, 1)
        mean = h.sum(2) / n  # (B, C)
        var = (h.square().sum(2) / n - mean.square()).clamp(min=1e-6)  # (B, C)
        pooled = torch.cat([mean, var.sqrt()], dim=1)  # (B, 2C)
        return F.normalize(self.project(pooled), dim=1)  # (B, D)

    @torch.no_grad()
    def embed(self, lines: list[np.ndarray], batch_size: int = 64) -> np.ndarray:
        """Raw offsets of lines, each (T_i, 3) -> embeddings (N, D) float32, in eval mode."""
        was_training = self.training
        self.eval()
        out = []
        order = np.argsort([len(line) for line in lines])  # similar lengths pad little
        for start in range(0, len(lines), batch_size):
            chunk = [line_inputs(lines[i]) for i in order[start : start + batch_size]]
            out.append(self(*pad_inputs(chunk)))
        self.train(was_training)
        embeddings = np.empty((len(lines), self.config.embedding_size), dtype=np.float32)
        embeddings[order] = torch.cat(out).numpy()
        return embeddings


def save_encoder(path: str | Path, encoder: WriterEncoder, training: dict) -> None:
    """Write the encoder's weights (float32) and its config and `training` notes as safetensors,
    atomically."""
    tensors = {k: v.detach().cpu().float().contiguous() for k, v in encoder.state_dict().items()}
    tensors = {k: v for k, v in tensors.items() if not k.endswith("num_batches_tracked")}
    notes = {"config": asdict(encoder.config), "training": training}
    metadata = {WRITER_KEY: json.dumps(notes)}
    write_atomically(Path(path), lambda f: f.write(save(tensors, metadata=metadata)))


def load_encoder(path: str | Path) -> tuple[WriterEncoder, dict]:
    """(the encoder in eval mode, its training notes) from a file `save_encoder` wrote."""
    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            notes = json.loads((f.metadata() or {})[WRITER_KEY])
        tensors = load_file(str(path))
        config = notes["config"]
        encoder = WriterEncoder(
            WriterEncoderConfig(**{**config, "channels": (*config["channels"],)})
        )
        missing, unexpected = encoder.load_state_dict(tensors, strict=False)
    except (SafetensorError, OSError, KeyError, TypeError, ValueError, RuntimeError) as error:
        raise CheckpointError(
            f"{path}: not a writer encoder ({type(error).__name__}: {error})"
        ) from None
    missing = [name for name in missing if not name.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise CheckpointError(f"{path}: weights missing {missing}, unexpected {unexpected}")
    return encoder.eval(), notes["training"]
