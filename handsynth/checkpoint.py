"""Checkpoints that rebuild and sample on their own, written atomically, read without pickle.

A checkpoint is a dict of plain tensors and types (`torch.load(weights_only=True)` refuses anything
else): model kind and config, weights, optimizer state, training progress, the alphabet and the
normalisation statistics.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import zipfile
from pathlib import Path

import torch

from handsynth.models import build_model

FORMAT_VERSION = 1
REQUIRED_KEYS = ("format_version", "kind", "config", "model")


class CheckpointError(ValueError):
    """A checkpoint file that is missing, damaged, or not one of ours."""


def save_checkpoint(path: str | os.PathLike, payload: dict) -> None:
    """Write `payload` to `path` atomically: a temp file in the same folder, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save({"format_version": FORMAT_VERSION, **payload}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint with `weights_only=True`; a bad file raises `CheckpointError` naming it."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, zipfile.BadZipFile, RuntimeError, EOFError, ValueError) as e:
        raise CheckpointError(
            f"{path}: not a readable handsynth checkpoint (damaged, truncated, or it holds objects "
            f"other than tensors and plain types): {str(e).splitlines()[0]}"
        ) from None
    missing = [k for k in REQUIRED_KEYS if not isinstance(payload, dict) or k not in payload]
    if missing:
        raise CheckpointError(f"{path}: not a handsynth checkpoint (missing {', '.join(missing)})")
    if payload["format_version"] != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format {payload['format_version']}, this handsynth reads "
            f"{FORMAT_VERSION}"
        )
    return payload


def model_from_checkpoint(payload: dict) -> torch.nn.Module:
    """Rebuild the network a checkpoint describes and load its weights."""
    model = build_model(payload["kind"], payload["config"])
    model.load_state_dict(payload["model"])
    return model
