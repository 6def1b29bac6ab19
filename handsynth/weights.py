"""Model files for inference: one safetensors file holding the weights and, as metadata, the JSON
that rebuilds the network (kind, config, alphabet, normalisation, how it was trained).

Weights are stored in float16 to keep the shipped files a few MB, and read back as float32. Nothing
is unpickled: a training checkpoint (`.pt`) is read with `weights_only=True`.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save

from handsynth.atomic import write_atomically
from handsynth.checkpoint import (
    CheckpointError,
    load_checkpoint,
    model_from_checkpoint,
    rebuild_model,
)

METADATA_KEY = "handsynth"
SHIPPED = {"synthesis": "synthesis.safetensors", "text": "text.safetensors"}


def export_weights(payload: dict, path: str | Path) -> dict:
    """Write a training checkpoint's model as safetensors; returns the embedded description."""
    path = Path(path)
    description = {
        "kind": payload["kind"],
        "config": payload["config"],
        "data": payload["data"],
        "training": {
            "step": payload["progress"]["step"],
            "epoch": payload["progress"]["epoch"],
            "best": payload["progress"]["best"],
            "train_config": payload["train_config"],
        },
    }
    tensors = {k: v.detach().to(torch.float16).contiguous() for k, v in payload["model"].items()}
    metadata = {METADATA_KEY: json.dumps(description)}
    write_atomically(path, lambda f: f.write(save(tensors, metadata=metadata)))
    return description


def shipped_path(kind: str) -> Path:
    """Where the weights shipped inside the package for `kind` live."""
    if kind not in SHIPPED:
        raise ValueError(f"no shipped {kind} model; shipped: {sorted(SHIPPED)}")
    path = Path(str(resources.files("handsynth") / "weights" / SHIPPED[kind]))
    if not path.is_file():
        raise CheckpointError(
            f"the shipped {kind} model is missing from this installation ({path}); "
            f"reinstall handsynth or pass --model with a checkpoint of your own"
        )
    return path


def load_any_model(path: str | Path) -> tuple[torch.nn.Module, dict]:
    """A model ready for inference and its description, from safetensors or a `.pt` checkpoint."""
    path = Path(path)
    if path.suffix == ".pt":
        payload = load_checkpoint(path)
        model, description = model_from_checkpoint(payload), payload
    else:
        model, description = _load_safetensors(path)
    model.eval()
    return model, description


def load_model(path: str | Path, kind: str) -> tuple[torch.nn.Module, dict]:
    """Like `load_any_model`, refusing a model of another kind than `kind`."""
    model, description = load_any_model(path)
    if description["kind"] != kind:
        raise CheckpointError(f"{path} holds a {description['kind']} model, not a {kind} model")
    return model, description


def _load_safetensors(path: Path) -> tuple[torch.nn.Module, dict]:
    if not path.is_file():
        raise CheckpointError(f"{path}: no such model file")
    try:
        with safe_open(str(path), framework="pt") as f:
            description = json.loads((f.metadata() or {})[METADATA_KEY])
        tensors = load_file(str(path))
    except (SafetensorError, KeyError, json.JSONDecodeError, OSError) as error:
        raise CheckpointError(
            f"{path}: not a handsynth model file ({type(error).__name__}: {error})"
        ) from None
    state_dict = {k: v.float() for k, v in tensors.items()}
    return rebuild_model(description["kind"], description["config"], state_dict), description
