"""Checkpoints that rebuild and sample on their own, written atomically, read without pickle.

A checkpoint is a dict of plain tensors and types (`torch.load(weights_only=True)` refuses anything
else): model kind and config, weights, optimizer state, training progress, the alphabet and the
normalisation statistics. `build_model` turns a kind and a config back into a network: the three
networks of `models.py` and the recogniser of `recogniser.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from handsynth.atomic import write_atomically
from handsynth.errors import CheckpointError
from handsynth.nn.models import (
    PredictionConfig,
    PredictionNetwork,
    SynthesisConfig,
    SynthesisNetwork,
    TextConfig,
    TextNetwork,
)
from handsynth.nn.recogniser import Recogniser, RecogniserConfig

FORMAT_VERSION = 1
REQUIRED_KEYS = ("format_version", "kind", "config", "model")
NETWORKS = {  # kind -> (config class, network class)
    "prediction": (PredictionConfig, PredictionNetwork),
    "synthesis": (SynthesisConfig, SynthesisNetwork),
    "text": (TextConfig, TextNetwork),
    "recogniser": (RecogniserConfig, Recogniser),
}


def save_checkpoint(path: str | os.PathLike, payload: dict) -> None:
    """Write `payload` to `path` atomically (see `handsynth.atomic`)."""
    write_atomically(path, lambda f: torch.save({"format_version": FORMAT_VERSION, **payload}, f))


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint with `weights_only=True`; a bad file raises `CheckpointError` naming it."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # torch.load fails in many ways on damaged or foreign files
        raise CheckpointError(
            f"{path}: not a handsynth checkpoint: it is damaged, truncated or not a torch file, or "
            "it holds Python objects besides tensors, which handsynth never loads (they could run "
            "code); give a last.pt or best.pt from `handsynth train`, or a .safetensors file"
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


def build_model(kind: str, config: dict) -> torch.nn.Module:
    """A fresh network of `kind` from `asdict(config)`."""
    if kind not in NETWORKS:
        raise ValueError(f"unknown model kind {kind!r}; expected one of {sorted(NETWORKS)}")
    config_class, network_class = NETWORKS[kind]
    return network_class(config_class(**config))


def model_from_checkpoint(payload: dict) -> torch.nn.Module:
    """Rebuild the network a checkpoint describes and load its weights."""
    return rebuild_model(payload["kind"], payload["config"], payload["model"])


def rebuild_model(kind: str, config: dict, state_dict: dict) -> torch.nn.Module:
    """Build a `kind` network from `config` and load `state_dict`, or raise `CheckpointError`."""
    try:
        model = build_model(kind, config)
        model.load_state_dict(state_dict)
    except (TypeError, ValueError, RuntimeError) as error:
        raise CheckpointError(
            f"the weights do not fit the model's config: {_first_line(error)}"
        ) from None
    return model


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0]
