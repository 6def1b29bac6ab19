"""argparse types that check a flag's value as it is parsed, before any work starts.

Each returns the converted value or raises argparse.ArgumentTypeError with what is wrong and what
is allowed; argparse adds the flag's name. Numbers must be finite and inside the range that the
flag's --help states; output paths must be writable files with a known extension, which is found
out by creating (and removing) a file beside the target, so that a run never does its work and
then fails to save it.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from handsynth import limits
from handsynth.errors import UserError

_HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_MODEL_NAME = re.compile(r"[A-Za-z0-9_-]+")
MAX_SEED = 2**63 - 1


def span(bounds: tuple[float, float], joiner: str = "-") -> str:
    """'0-10' for (0.0, 10.0): a range as --help states it."""
    return joiner.join(f"{bound:g}" for bound in bounds)


def _format(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def integer(low: int, high: int) -> Callable[[str], int]:
    """An integer in [low, high]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"must be between {_format(low)} and {_format(high)}, got {text}"
            )
        return value

    return parse


def number(low: float, high: float, above_low: bool = False) -> Callable[[str], float]:
    """A finite number in [low, high], or in (low, high] with above_low."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
        too_low = value <= low if above_low else value < low
        if not math.isfinite(value) or too_low or value > high:
            bound = "above" if above_low else "from"
            raise argparse.ArgumentTypeError(
                f"must be a number {bound} {_format(low)} up to {_format(high)}, got {text}"
            )
        return value

    return parse


def seed(text: str) -> int:
    """A random seed: a whole number from 0 to 2**63 - 1."""
    return integer(0, MAX_SEED)(text)


def wrap(text: str) -> int:
    """Characters per line: 0 (the text's own lines) or a width in limits.WRAP."""
    value = integer(0, limits.WRAP[1])(text)
    if 0 < value < limits.WRAP[0]:
        raise argparse.ArgumentTypeError(
            f"must be 0 (the text's own lines) or from {span(limits.WRAP, ' to ')}, got {text}"
        )
    return value


def colour(text: str) -> str:
    """#rgb, #rrggbb or a CSS colour name (as SVG and PNG output both understand)."""
    if _HEX_COLOUR.fullmatch(text):
        return text
    from matplotlib.colors import CSS4_COLORS

    if text.lower() in CSS4_COLORS:
        return text.lower()
    raise argparse.ArgumentTypeError(
        f"{text!r} is not a colour; use a name such as black or navy, or #rrggbb"
    )


def _check_writable_folder(folder: Path, for_what: str) -> None:
    if not folder.exists():
        raise argparse.ArgumentTypeError(f"{for_what}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"{for_what}: {folder} is a file, not a folder")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".handsynth-write-test-"):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise argparse.ArgumentTypeError(
            f"{for_what}: cannot write in {folder} ({reason})"
        ) from None


def output_file(suffixes: tuple[str, ...]) -> Callable[[str], Path]:
    """A file to create or replace, ending in one of `suffixes`, in a folder we can write to."""

    def parse(text: str) -> Path:
        path = Path(text)
        if path.is_dir() or text.endswith(os.sep):
            raise argparse.ArgumentTypeError(f"{text} is a folder; give a file name")
        if path.suffix.lower() not in suffixes:
            raise argparse.ArgumentTypeError(
                f"{text}: the file must end in {' or '.join(suffixes)}"
            )
        _check_writable_folder(path.parent, text)
        return path

    return parse


def output_folder(text: str) -> Path:
    """A folder to write into: existing, or one that can be made inside an existing folder."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file; give a folder")
    if path.is_dir():
        _check_writable_folder(path, text)
    else:
        parent = next((p for p in path.parents if p.exists()), Path("."))
        _check_writable_folder(parent, text)
    return path


def input_file(text: str) -> Path:
    """An existing, readable file."""
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give a file")
    if not os.access(path, os.R_OK):
        raise argparse.ArgumentTypeError(f"{text}: not readable")
    return path


def device(text: str) -> str:
    """--device: cpu, cuda or cuda:N (whether this machine has it is checked when the command runs,
    by `check_device`, so that parsing never imports torch)."""
    if not re.fullmatch(r"cpu|cuda(:\d+)?", text):
        raise argparse.ArgumentTypeError(f"must be cpu, cuda or cuda:N, got {text!r}")
    return text


def check_device(name: str) -> str:
    """The device type of a --device that this machine has; a UserError naming it otherwise."""
    if name.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise UserError(f"--device {name}: this machine has no CUDA GPU that torch can use")
    return name.split(":")[0]


def model_file_or_name(text: str) -> str | Path:
    """An existing model file (a Path), or a bare name such as `shakespeare` (a str) that
    `load_model` looks up among the shipped models."""
    if _MODEL_NAME.fullmatch(text) and not Path(text).exists():
        return text
    return input_file(text)
