"""Training the writer encoder (`nn/writer_encoder.py`): which form a line comes from.

IAM-OnDB names no writers, but a form is one writer's page, so each training form is a class.
A batch is random lines, each from the smoothed or the raw recording (when both are given, so
that smoothing is no clue), bent a little (`WriterAugmentation`) and cut to one window of
consecutive steps; the loss is a cosine-softmax with an additive margin over the forms (CosFace,
Wang et al. 2018), which trains the embeddings to be compared by angle, as identification
compares them.

The schedule (warm-up, then cosine decay of the learning rate) is fixed by the number of steps,
and each step's batch is drawn from its own generator seeded by (seed, step), so a run is
reproduced by its seed, and a resumed run draws what it would have drawn. A training state file
(model, classifier, optimizer, step) is written every `checkpoint_every` steps and when training
stops for any reason; the model file gets the encoder as it stands after each validation and at
the end. Validation only reports: nothing is chosen by it, so the held-out forms stay unseen.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from handsynth.atomic import write_atomically
from handsynth.errors import CheckpointError
from handsynth.nn.writer_encoder import (
    WriterEncoder,
    WriterEncoderConfig,
    line_inputs,
    save_encoder,
)


@dataclass
class WriterAugmentation:
    """Small random changes to a line that a hand survives, in line heights where it says so."""

    rotate: float = 0.05  # radians, either way: the line is written a little uphill or downhill
    stretch: float = 0.08  # the width alone is multiplied by 1 +- stretch
    shear: float = 0.08  # dx += k * dy with k within +- shear: slanted a little more or less
    jitter: float = 0.02  # standard deviation of noise added to each point, in line heights

    def apply(self, offsets: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Raw offsets (T, 3) -> a changed copy (T, 3) float32."""
        moves = offsets[:, :2].astype(np.float64)  # (T, 2)
        a = rng.uniform(-self.rotate, self.rotate)
        k = rng.uniform(-self.shear, self.shear)
        width = rng.uniform(1 - self.stretch, 1 + self.stretch)
        turn = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        bend = np.array([[width, k], [0.0, 1.0]]) @ turn  # turned, then stretched and sheared
        moves = moves @ bend.T  # each move m -> bend @ m
        points = np.cumsum(moves, axis=0)  # (T, 2)
        height = np.subtract(*np.percentile(points[:, 1], [75, 25])) or 1.0
        points += rng.normal(0.0, self.jitter * height, points.shape)
        moves = np.diff(points, axis=0, prepend=np.zeros((1, 2)))
        return np.concatenate([moves, offsets[:, 2:3]], axis=1).astype(np.float32)


@dataclass
class WriterTrainOptions:
    steps: int = 3000  # optimizer steps; the learning-rate schedule spans them
    batch_size: int = 64  # lines per step
    window: int = 384  # consecutive pen steps of each line per step (~15 letters)
    lr: float = 2e-3  # peak learning rate of AdamW
    warmup: int = 100  # steps of linear warm-up
    weight_decay: float = 1e-4
    scale: float = 24.0  # CosFace s: the cosines are multiplied by this before the softmax
    margin: float = 0.2  # CosFace m: taken off the cosine of a line's own form
    seed: int = 0
    validate_every: int = 250  # steps between calls of `validate`
    checkpoint_every: int = 100  # steps between writes of the training state


class FormClassifier(nn.Module):
    """CosFace head: embeddings (B, D) and forms (B,) -> cross-entropy of scaled cosines."""

    def __init__(self, forms: int, embedding_size: int, scale: float, margin: float):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(forms, embedding_size) / math.sqrt(embedding_size))
        self.scale, self.margin = scale, margin

    def forward(self, embeddings: torch.Tensor, forms: torch.Tensor) -> tuple[torch.Tensor, float]:
        """-> (mean loss, share of lines whose nearest form centre is their own)."""
        cosines = embeddings @ F.normalize(self.weight, dim=1).T  # (B, K)
        own = F.one_hot(forms, cosines.shape[1]).to(cosines.dtype)  # (B, K)
        loss = F.cross_entropy(self.scale * (cosines - self.margin * own), forms)
        accuracy = (cosines.argmax(1) == forms).float().mean().item()
        return loss, accuracy


def form_labels(form_ids: list[str]) -> tuple[np.ndarray, list[str]]:
    """Each line's form as a class number (N,) int64, and the forms in class order."""
    forms = sorted(set(form_ids))
    index = {form: i for i, form in enumerate(forms)}
    return np.array([index[f] for f in form_ids], dtype=np.int64), forms


def draw_batch(
    sources: list[list[np.ndarray]],
    labels: np.ndarray,
    options: WriterTrainOptions,
    augmentation: WriterAugmentation,
    rng: np.random.Generator,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One step's lines: inputs (B, W, 3), lengths (B,) and forms (B,).

    `sources` holds the same lines, one list per recording (smoothed, raw); W is `window` or the
    shortest drawn line, so no row is padded (batch norm sees only ink).
    """
    rows = rng.integers(0, len(labels), options.batch_size)  # (B,)
    lines = [augmentation.apply(sources[rng.integers(len(sources))][i], rng) for i in rows]
    inputs = [line_inputs(line) for line in lines]  # scaled by the whole line's height
    W = min(options.window, *(len(line) for line in inputs))
    starts = [rng.integers(0, len(line) - W + 1) for line in inputs]
    x = torch.from_numpy(
        np.stack([line[s : s + W] for line, s in zip(inputs, starts, strict=True)])
    )
    return x, torch.full((len(rows),), W), torch.from_numpy(labels[rows])


def learning_rate(step: int, options: WriterTrainOptions) -> float:
    """Linear warm-up to `lr`, then cosine decay to zero at `steps`."""
    if step < options.warmup:
        return options.lr * (step + 1) / options.warmup
    done = (step - options.warmup) / max(1, options.steps - options.warmup)
    return options.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, done)))


def train_writer_encoder(
    sources: list[list[np.ndarray]],
    form_ids: list[str],
    out: str | Path,
    state_path: str | Path,
    options: WriterTrainOptions,
    config: WriterEncoderConfig | None = None,
    validate: Callable[[WriterEncoder], float] | None = None,
    seconds: float | None = None,
    log: Callable[[str], None] = print,
) -> WriterEncoder:
    """Train on the lines of `sources` (one list per recording, all in the order of `form_ids`)
    and return the encoder as it stands.

    `out` gets the encoder, with its `validate` score in its notes, after each validation and at
    the end; `state_path` the training state, from which a later call with the same arguments
    resumes. Training stops after `options.steps` steps or `seconds` of this call, whichever is
    first; Ctrl-C stops it too, after writing the state.
    """
    torch.manual_seed(options.seed)
    labels, forms = form_labels(form_ids)
    config = config or WriterEncoderConfig()
    encoder = WriterEncoder(config)
    head = FormClassifier(len(forms), config.embedding_size, options.scale, options.margin)
    parameters = [*encoder.parameters(), *head.parameters()]
    optimizer = torch.optim.AdamW(parameters, lr=options.lr, weight_decay=options.weight_decay)
    step = 0
    if Path(state_path).is_file():
        step = _resume(state_path, encoder, head, optimizer, options)
        log(f"resumed at step {step}")
    augmentation = WriterAugmentation()
    started = time.monotonic()
    notes = {"options": asdict(options), "forms": len(forms), "lines": len(form_ids)}
    score = None
    encoder.train()
    try:
        while step < options.steps and (seconds is None or time.monotonic() - started < seconds):
            rng = np.random.default_rng([options.seed, step])
            x, lengths, target = draw_batch(sources, labels, options, augmentation, rng)
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(step, options)
            loss, accuracy = head(encoder(x, lengths), target)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(parameters, 5.0)
            optimizer.step()
            step += 1
            if step % 25 == 0:
                elapsed = time.monotonic() - started
                log(f"step {step} loss {loss.item():.3f} acc {accuracy:.3f} {elapsed:.0f}s")
            if validate is not None and (
                step % options.validate_every == 0 or step == options.steps
            ):
                score = validate(encoder)
                encoder.train()
                log(f"step {step} validation {score:.4f}")
                save_encoder(out, encoder, {**notes, "step": step, "validation": score})
            if step % options.checkpoint_every == 0:
                _save_state(state_path, encoder, head, optimizer, step, options)
    finally:
        _save_state(state_path, encoder, head, optimizer, step, options)
    if score is None or step % options.validate_every:
        save_encoder(out, encoder, {**notes, "step": step, "validation": score})
    return encoder.eval()


def _save_state(path, encoder, head, optimizer, step: int, options) -> None:
    state = {
        "encoder": encoder.state_dict(),
        "head": head.state_dict(),
        "optimizer": optimizer.state_dict(),
        "step": step,
        "options": asdict(options),
    }
    write_atomically(Path(path), lambda f: torch.save(state, f))


def _resume(path, encoder, head, optimizer, options: WriterTrainOptions) -> int:
    """Load a training state into the modules; its step."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state["options"] != asdict(options):
        raise CheckpointError(f"{path}: a training state of other options; remove it or match them")
    encoder.load_state_dict(state["encoder"])
    head.load_state_dict(state["head"])
    optimizer.load_state_dict(state["optimizer"])
    return state["step"]
