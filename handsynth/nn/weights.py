"""Model files: one safetensors file holding the weights and, as metadata, the JSON description that
rebuilds the network (kind, config, alphabet, normalisation, how it was trained); and the files
shipped inside the package.

`read_model_arrays` reads that file or a training checkpoint (`.pt`, with `weights_only=True`) and
gives the same float32 arrays and description for both; `handsynth.loaded` turns them into a model
ready for use. Reading a safetensors file needs numpy only, so `write` starts without torch.
Weights are stored in float16 to keep the shipped files a few MB.
"""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import load_file

from handsynth.atomic import write_atomically
from handsynth.data.validate import valid_normalisation
from handsynth.errors import CheckpointError, UserError
from handsynth.nn.configs import CONFIGS, DATA_SIZES

METADATA_KEY = "handsynth"
MAX_CONFIG_SIZE = 1 << 20  # no size of a network, alphabet or window reaches this
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
        except TypeError:
            raise CheckpointError(f"{path}: not a handsynth checkpoint (progress)") from None
        arrays = _checkpoint_arrays(weights, path)
        check_model_file(arrays, description, path)
        return arrays, description
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
    arrays = {k: v.astype(np.float32) for k, v in arrays.items()}
    check_model_file(arrays, description, path)
    return arrays, description


def _checkpoint_arrays(weights, path: Path) -> dict[str, np.ndarray]:
    """A checkpoint's state dict as float32 arrays; anything but named tensors is refused."""
    import torch

    if not isinstance(weights, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in weights.items()
    ):
        raise CheckpointError(f"{path}: not a handsynth checkpoint (model: not named tensors)")
    try:
        return {k: v.float().numpy() for k, v in weights.items()}
    except (TypeError, RuntimeError) as error:  # complex, sparse or meta tensors
        raise CheckpointError(f"{path}: weights that are not real numbers ({error})") from None


def check_model_file(arrays: dict[str, np.ndarray], description, path: Path) -> None:
    """Refuse, naming `path`, a model whose weights are not all finite or whose description has a
    field missing, of the wrong type or out of range. What is checked here is what sampling and
    rebuilding read; the weights' shapes are held to the config where the network is built."""

    def refuse(problem: str) -> CheckpointError:
        return CheckpointError(f"{path}: a damaged model file: {problem}")

    for name, array in arrays.items():
        if not np.isfinite(array).all():
            raise refuse(f"the weights {name} hold NaN or infinite numbers")
    if not isinstance(description, dict):
        raise refuse("its description is not a JSON object")
    kind = description.get("kind")
    if kind not in CONFIGS:
        raise refuse(f"kind {kind!r} is none of {sorted(CONFIGS)}")
    config = description.get("config")
    if not isinstance(config, dict):
        raise refuse("config is not an object")
    fields = {f.name: f for f in dataclasses.fields(CONFIGS[kind])}
    unknown = sorted(set(config) - set(fields))
    if unknown:
        raise refuse(f"config has unknown fields {unknown}")
    for name, field in fields.items():
        if name not in config:
            if field.default is dataclasses.MISSING:
                raise refuse(f"config.{name} is missing")
            continue
        value = config[name]
        whole = type(value) is int and 1 <= value <= MAX_CONFIG_SIZE
        if field.type == "int" and not whole:
            raise refuse(f"config.{name} is {value!r}, not a whole number 1-{MAX_CONFIG_SIZE}")
        fraction = type(value) in (int, float) and 0 <= value < 1
        if field.type == "float" and not fraction:
            raise refuse(f"config.{name} is {value!r}, not a number from 0 below 1")
    data = description.get("data")
    if not isinstance(data, dict):
        raise refuse("data is not an object")
    alphabet = data.get("alphabet")
    symbols = alphabet.get("symbols") if isinstance(alphabet, dict) else None
    if (
        not isinstance(symbols, list)
        or not all(isinstance(s, str) and s for s in symbols)
        or len(set(symbols)) != len(symbols)
        or alphabet.get("fold_unknown_to", None) not in (None, *symbols)
    ):
        raise refuse("data.alphabet is not a list of distinct symbols")
    for size in DATA_SIZES:
        if size in config and config[size] != len(symbols):
            raise refuse(f"config.{size} is {config[size]}, the alphabet has {len(symbols)}")
    if kind == "text":
        if data.get("level") not in ("char", "word"):
            raise refuse(f"data.level is {data.get('level')!r}, not 'char' or 'word'")
    else:
        if not valid_normalisation(data.get("normalisation")):
            raise refuse("data.normalisation is not 2 finite means and 2 positive deviations")
    training = description.get("training", {})
    if not isinstance(training, dict) or not isinstance(training.get("train_config", {}), dict):
        raise refuse("training is not an object")
    bptt = training.get("train_config", {}).get("bptt", 1)
    if type(bptt) is not int or not 1 <= bptt <= MAX_CONFIG_SIZE:
        raise refuse(f"training.train_config.bptt is {bptt!r}, not a whole number")


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
