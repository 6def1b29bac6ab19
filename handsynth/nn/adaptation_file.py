"""A writer's adaptation (`nn.adapt`) kept as a file beside their style: the tuned mixture head,
float16 safetensors (no pickle) with a note of how it was made. Read without torch, so that
`write` with an adapted style stays a numpy program.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from handsynth.atomic import write_atomically
from handsynth.errors import CheckpointError

# A style file's adaptation lies beside it: my-hand.xml -> my-hand.adapted.safetensors.
ADAPTATION_SUFFIX = ".adapted.safetensors"
ADAPTATION_KEY = "handsynth_adaptation"  # metadata: what was adapted, how


def adaptation_path(style_file: str | Path) -> Path:
    """Where the adaptation of a style file is kept."""
    path = Path(style_file)
    return path.with_name(path.stem + ADAPTATION_SUFFIX)


def save_adaptation(path: str | Path, tuned: dict[str, np.ndarray], note: dict) -> None:
    """Write tuned head weights (float16, safetensors, no pickle) with `note` in the metadata."""
    from safetensors.numpy import save

    arrays = {name: np.ascontiguousarray(a, dtype=np.float16) for name, a in tuned.items()}
    data = save(arrays, metadata={ADAPTATION_KEY: json.dumps(note)})
    write_atomically(Path(path), lambda f: f.write(data))


def load_adaptation(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """The tuned head weights (float32) and the note of an adaptation file."""
    from safetensors import SafetensorError, safe_open
    from safetensors.numpy import load_file

    try:
        with safe_open(str(path), framework="numpy") as f:
            note = json.loads((f.metadata() or {})[ADAPTATION_KEY])
        arrays = load_file(str(path))
    except (SafetensorError, KeyError, OSError, ValueError) as error:
        raise CheckpointError(f"{path}: not a handsynth adaptation file ({error})") from None
    if not arrays or not all(name.startswith("head.") for name in arrays):
        raise CheckpointError(f"{path}: an adaptation holds the mixture head's weights only")
    return {name: a.astype(np.float32) for name, a in arrays.items()}, note
