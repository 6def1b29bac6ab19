"""Model files: one safetensors file holding the weights and, as metadata, the JSON description that
rebuilds the network (kind, config, alphabet, normalisation, how it was trained); and the files
shipped inside the package.

`read_model_arrays` reads that file or a training checkpoint (`.pt`, with `weights_only=True`) and
gives the same float32 arrays and description for both; `handsynth.loaded` turns them into a model
ready for use. Reading a safetensors file needs numpy only, so `write` starts without torch.
Weights are stored in float16 to keep the shipped files a few MB.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import load_file

from handsynth.atomic import write_atomically
from handsynth.errors import CheckpointError, UserError

METADATA_KEY = "handsynth"
SHIPPED = {
    "synthesis": "synthesis.safetensors",
    "prediction": "prediction.safetensors",
    "text": "text.safetensors",
    "shakespeare": "shakespeare.safetensors",  # a text model; trained by scripts/train_shipped.sh
    "recogniser": "recogniser.safetensors",  # the CTC reader `eval legibility` scores with
}


def describe(payload: dict) -> dict:
    """The description of a training checkpoint's model: kind, config, data, training."""
    return {
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


def write_model_file(path: str | Path, state_dict: dict, description: dict) -> None:
    """Write weights (a torch state dict, as float16) and their description as safetensors,
    atomically."""
    import torch
    from safetensors.torch import save

    tensors = {k: v.detach().cpu().to(torch.float16).contiguous() for k, v in state_dict.items()}
    metadata = {METADATA_KEY: json.dumps(description)}
    write_atomically(Path(path), lambda f: f.write(save(tensors, metadata=metadata)))


def export_weights(payload: dict, path: str | Path) -> dict:
    """Write a training checkpoint's model as safetensors; returns the embedded description."""
    description = describe(payload)
    write_model_file(path, payload["model"], description)
    return description


def read_model_arrays(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """(float32 weights by state-dict name, description) from a `.pt` checkpoint or a safetensors
    model file."""
    path = Path(path)
    if path.suffix == ".pt":
        from handsynth.nn.checkpoint import load_checkpoint  # a torch file: torch reads it

        payload = load_checkpoint(path)
        try:
            weights, description = payload["model"], describe(payload)
        except KeyError as error:
            raise CheckpointError(f"{path}: not a handsynth checkpoint (missing {error})") from None
        return {k: v.float().numpy() for k, v in weights.items()}, description
    if not path.is_file():
        raise CheckpointError(f"{path}: no such model file")
    try:
        with safe_open(str(path), framework="numpy") as f:
            description = json.loads((f.metadata() or {})[METADATA_KEY])
        arrays = load_file(str(path))
    except (SafetensorError, KeyError, json.JSONDecodeError, OSError) as error:
        raise CheckpointError(
            f"{path}: not a handsynth model file ({type(error).__name__}: {error})"
        ) from None
    return {k: v.astype(np.float32) for k, v in arrays.items()}, description


def read_start_weights(path: str | Path, kind: str) -> tuple[dict[str, np.ndarray], dict, dict]:
    """What a new training run that starts from a model file needs: its float32 weights, its
    model config and its alphabet (as JSON), refusing a file of another `kind`."""
    arrays, description = read_model_arrays(path)
    if description["kind"] != kind:
        raise CheckpointError(f"{path} holds a {description['kind']} model, not a {kind} model")
    return arrays, description["config"], description["data"]["alphabet"]


def weights_folder() -> Path:
    """The folder of the files shipped inside the package."""
    return Path(str(resources.files("handsynth") / "weights"))


def shipped_path(kind: str) -> Path:
    """Where the weights shipped inside the package under the name `kind` live."""
    if kind not in SHIPPED:
        raise UserError(f"no shipped {kind} model; shipped: {sorted(SHIPPED)}")
    path = weights_folder() / SHIPPED[kind]
    if not path.is_file():
        raise CheckpointError(
            f"the shipped {kind} model is missing from this installation ({path}); reinstall "
            "handsynth, make it with scripts/train_shipped.sh, or pass a model file of your own"
        )
    return path
