"""The training loop, shared by the prediction, synthesis and text networks.

Read it top to bottom: resume from `last.pt` if there is one, then per step: loss, NaN guard,
backward, optimizer step, progress, periodic checkpoint; per epoch: validation, `best.pt` on
improvement, and an early stop once `patience` epochs have passed without one. Ctrl-C or SIGTERM
writes `last.pt` at the current step, and a later run with the same output folder carries on from
exactly there (same batch order, optimizer state and step count).
Under `torchrun` the batches of each epoch are shared out between processes and gradients averaged
by DistributedDataParallel; rank 0 alone writes checkpoints and prints.
"""

from __future__ import annotations

import math
import os
import signal
import time
from dataclasses import asdict
from pathlib import Path

import torch
import torch.distributed as dist
from tqdm import tqdm

from handsynth.data.alphabet import Alphabet
from handsynth.data.dataset import Augmentation
from handsynth.errors import CheckpointError, FieldError, UserError
from handsynth.nn.checkpoint import (
    build_model,
    load_checkpoint,
    model_from_checkpoint,
    rebuild_model,
    save_checkpoint,
)
from handsynth.nn.weights import read_start_weights
from handsynth.train.config import TrainConfig
from handsynth.train.optim import make_optimizer
from handsynth.train.precision import require_bf16
from handsynth.train.splice import Splicing
from handsynth.train.tasks import move
from handsynth.write.glyphs import GlyphBank


class TrainingDiverged(FieldError):
    """The loss or the gradients stayed NaN or infinite."""


class _Stop(Exception):
    """Raised from the SIGTERM handler so a kill saves like Ctrl-C does."""


def world_size() -> int:
    """The processes training together: more than one when launched by torchrun."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def _distributed() -> tuple[int, int]:
    """(rank, world size), starting the process group when launched by torchrun."""
    world = world_size()
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return (dist.get_rank(), world) if world > 1 else (0, 1)


def _leave_group() -> None:
    """Wait until every process has finished training and saving, then close the process group,
    so that no process leaves while another still exchanges with it."""
    dist.barrier()
    dist.destroy_process_group()


def _current_rate(config: TrainConfig, progress: dict) -> float:
    """The configured rate, lowered by each plateau so far (`plateau_decay`)."""
    return config.learning_rate * progress.get("rate_scale", 1.0)


def _set_learning_rate(optimizer: torch.optim.Optimizer, rate: float, log) -> None:
    """Resuming restores the optimizer's state, rate included; a new rate takes over from it."""
    for group in optimizer.param_groups:
        if group["lr"] != rate:
            if log is not None:
                log(f"learning rate {group['lr']:g} -> {rate:g}")
            group["lr"] = rate


def _device_type(device: str) -> str:
    """'cuda:1' -> 'cuda', as torch.autocast wants it."""
    return torch.device(device).type


def _all_finite(loss: torch.Tensor, model: torch.nn.Module) -> bool:
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), math.inf)
    return bool(torch.isfinite(loss) and torch.isfinite(grad_norm))


def train(task, config: TrainConfig, log=print) -> dict:
    """Train `task`'s network; returns the final progress (step, epoch, best validation metrics)."""
    if config.bf16:
        require_bf16(_device_type(config.device))
    rank, world = _distributed()
    deadline = math.inf if config.time_limit is None else time.monotonic() + config.time_limit
    out_dir = Path(config.out_dir)
    last_path, best_path = out_dir / "last.pt", out_dir / "best.pt"
    torch.manual_seed(config.seed)

    if last_path.exists():
        payload = load_checkpoint(last_path)
        _check_resume(payload, task, config, last_path)
        model = model_from_checkpoint(payload)
        progress = payload["progress"]
        log(f"resuming from {last_path} at step {progress['step']}, epoch {progress['epoch']}")
    else:
        payload = None
        model = _initial_model(task, config, log)
        progress = {"step": 0, "epoch": 0, "batch_in_epoch": 0, "best": None, "history": []}
    model.to(config.device)
    model.output_clip, model.lstm_clip = config.output_clip, config.lstm_clip
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.learning_rate)
    if payload is not None:
        optimizer.load_state_dict(payload["optimizer"])
    _set_learning_rate(optimizer, _current_rate(config, progress), log if payload else None)
    if config.joined_lines:
        task.add_joined_lines()
    if config.max_repeats > 1:
        task.oversample_rare(config.max_repeats, config.rare_weighting)
    if config.augment:
        task.augment(Augmentation())
    if config.splice is not None:
        try:
            task.splice(Splicing(GlyphBank.load(config.splice), task.alphabet))
        except ValueError as error:
            raise UserError(f"the bank to splice from, {config.splice}: {error}") from None
    task_state = dict(payload.get("task_state", {})) if payload else {}
    trained = model
    if world > 1:
        task.shard(rank, world)
        trained = torch.nn.parallel.DistributedDataParallel(model)

    def checkpoint(path: Path) -> None:
        if rank == 0:
            save_checkpoint(
                path,
                {
                    "kind": task.kind,
                    "config": asdict(model.config),
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "progress": progress,
                    "train_config": asdict(config),
                    "data": task.data_info(),
                    "task_state": task_state,
                },
            )

    def on_sigterm(signum, frame):
        raise _Stop

    previous_handler = signal.signal(signal.SIGTERM, on_sigterm)
    bad_steps = 0
    try:
        while (
            progress["epoch"] < config.epochs
            and not _done(progress, config)
            and not _patience_spent(progress, config, world)
            and time.monotonic() < deadline
        ):
            order = task.epoch_batches(config.batch_size, config.seed, progress["epoch"])
            bar = tqdm(
                total=len(order),
                initial=progress["batch_in_epoch"],
                desc=f"epoch {progress['epoch'] + 1}/{config.epochs}",
                disable=not config.progress or rank != 0,
                dynamic_ncols=True,
            )
            model.train()
            for batch in task.iter_batches(order, progress["batch_in_epoch"], task_state):
                with torch.autocast(_device_type(config.device), torch.bfloat16, config.bf16):
                    loss, points = task.loss(trained, move(batch, config.device), task_state)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if not _all_finite(loss, model):
                    bad_steps += 1
                    if bad_steps >= config.max_bad_steps:
                        raise TrainingDiverged(
                            "learning_rate",
                            f"{bad_steps} steps in a row had a non-finite loss or gradient at step "
                            f"{progress['step']}; lower {{field}} or check the data",
                        )
                    continue
                bad_steps = 0
                optimizer.step()
                progress["step"] += 1
                progress["batch_in_epoch"] += 1
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}", step=progress["step"])
                if progress["step"] % config.checkpoint_every == 0:
                    checkpoint(last_path)
                if _sample_due(task, config, progress, rank):
                    bar.write(f"--- sample at step {progress['step']} ---")
                    bar.write(task.sample_text(model))
                    model.train()
                if _done(progress, config) or time.monotonic() >= deadline:
                    break
            bar.close()
            if progress["batch_in_epoch"] >= len(order):
                _end_epoch(task, model, config, progress, log, rank)
                if progress["best"] is progress["history"][-1]:
                    checkpoint(best_path)
                elif config.plateau_decay is not None:
                    progress["rate_scale"] = progress.get("rate_scale", 1.0) * config.plateau_decay
                    _set_learning_rate(optimizer, _current_rate(config, progress), log)
        checkpoint(last_path)
        if time.monotonic() >= deadline:
            log(f"time limit reached at step {progress['step']}; run again to carry on")
        if _patience_spent(progress, config, world):
            log(
                f"stopped early: no better validation in {config.patience} epochs; best.pt is "
                f"epoch {progress['best']['epoch']}"
            )
        if world > 1:
            _leave_group()
    except (KeyboardInterrupt, _Stop):
        checkpoint(last_path)
        log(f"interrupted at step {progress['step']}; run the same command again to resume")
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
    return progress


def _check_resume(payload: dict, task, config: TrainConfig, last_path: Path) -> None:
    """Refuse, before any step, to resume `last_path` with what does not fit it: another kind,
    optimizer, alphabet or architecture, or a checkpoint whose parts are of the wrong types."""
    if payload["kind"] != task.kind:
        raise UserError(f"{last_path} holds a {payload['kind']} model, not {task.kind}")
    progress, train_config = payload.get("progress"), payload.get("train_config")
    counters = ("step", "epoch", "batch_in_epoch")
    if (
        not isinstance(progress, dict)
        or not all(type(progress.get(name)) is int and progress[name] >= 0 for name in counters)
        or not isinstance(progress.get("history"), list)
        or not isinstance(payload.get("optimizer"), dict)
        or not isinstance(train_config, dict)
        or not isinstance(payload.get("data"), dict)
    ):
        raise CheckpointError(f"{last_path}: a damaged checkpoint (progress or optimizer)")
    again = f"give another output folder to start afresh, or delete {last_path}"
    if train_config.get("optimizer", config.optimizer) != config.optimizer:
        raise FieldError(
            "optimizer",
            f"{last_path} was trained with {train_config['optimizer']}; resume it with {{field}} "
            f"{train_config['optimizer']}, or {again}",
        )
    if payload["data"].get("alphabet") != task.alphabet.to_json() or payload["data"].get(
        "level"
    ) != task.data_info().get("level"):
        raise UserError(f"{last_path} was trained on data of another alphabet; {again}")
    changed = {
        name: value
        for name, value in config.model.items()
        if payload["config"].get(name, value) != value
    }
    if changed:
        raise UserError(
            f"{last_path} holds a network with {_sizes(payload['config'], changed)}; a resumed "
            f"run keeps its architecture: drop the size settings, or {again}"
        )


def _sizes(config: dict, names) -> str:
    return ", ".join(f"{name} {config[name]}" for name in names)


def _initial_model(task, config: TrainConfig, log) -> torch.nn.Module:
    """A fresh network, or one whose weights start from `config.init_from` (fine-tuning)."""
    if config.init_from is None:
        return build_model(task.kind, task.model_config(**config.model))
    arrays, model_config, alphabet = read_start_weights(config.init_from, task.kind)
    if Alphabet.from_json(alphabet) != task.alphabet:
        raise UserError(f"{config.init_from} was trained with another alphabet than this data")
    log(f"starting from the weights of {config.init_from}")
    state_dict = {name: torch.from_numpy(array) for name, array in arrays.items()}
    return rebuild_model(task.kind, model_config, state_dict)


def _done(progress: dict, config: TrainConfig) -> bool:
    return config.max_steps is not None and progress["step"] >= config.max_steps


def _patience_spent(progress: dict, config: TrainConfig, world: int) -> bool:
    """Whether `config.patience` epochs have been validated since the best one (early stopping).

    Only rank 0 validates, so under torchrun its answer is shared with the other processes.
    """
    if config.patience is None:
        return False
    best = progress["best"]
    spent = best is not None and progress["history"][-1]["epoch"] - best["epoch"] >= config.patience
    if world > 1:
        answer = [spent]
        dist.broadcast_object_list(answer, src=0)
        spent = answer[0]
    return spent


def _sample_due(task, config: TrainConfig, progress: dict, rank: int) -> bool:
    every = config.sample_every
    return rank == 0 and hasattr(task, "sample_text") and every and progress["step"] % every == 0


def _end_epoch(task, model, config: TrainConfig, progress: dict, log, rank: int) -> None:
    """Validate, record the epoch in the history, and advance to the next epoch."""
    model.eval()
    metrics = task.evaluate(model, device=config.device) if rank == 0 else {}
    record = {"epoch": progress["epoch"] + 1, "step": progress["step"], **metrics}
    progress["history"].append(record)
    key = task.best_metric  # lower is better
    if rank == 0 and (progress["best"] is None or metrics[key] < progress["best"][key]):
        progress["best"] = record
    numbers = {k: v for k, v in metrics.items() if isinstance(v, int | float)}  # not per class
    log(f"epoch {record['epoch']}: " + ", ".join(f"{k}={v:.4g}" for k, v in numbers.items()))
    progress["epoch"] += 1
    progress["batch_in_epoch"] = 0
