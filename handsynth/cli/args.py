"""argparse types that check a flag's value as it is parsed, before any work starts.

Each returns the converted value or raises argparse.ArgumentTypeError with what is wrong and what
is allowed; argparse adds the flag's name. Numbers, seeds, widths and colours go through the
library's own checks (`handsynth.values`), inside the range that the flag's --help states. Output
paths must be writable files with a known extension, which is found out by creating (and
removing) a file beside the target, so that a run never does its work and then fails to save it.
"""

from __future__ import annotations

import argparse
import codecs
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from handsynth import values
from handsynth.errors import FieldError, UserError

_MODEL_NAME = re.compile(r"[A-Za-z0-9_-]+")
span = values.span


class CliError(UserError):
    """A problem with what the user asked for; printed without a traceback."""


def _flag_type(check: Callable[[str], object]) -> Callable[[str], object]:
    """A `values` check as an argparse type: argparse names the flag in front of the problem."""

    def parse(text: str):
        try:
            return check(text)
        except FieldError as error:
            raise argparse.ArgumentTypeError(error.problem) from None

    return parse


def integer(low: int, high: int) -> Callable[[str], int]:
    """An integer in [low, high]."""
    return _flag_type(lambda text: values.integer("", text, (low, high)))


def number(low: float, high: float, above_low: bool = False) -> Callable[[str], float]:
    """A finite number in [low, high], or in (low, high] with above_low."""
    return _flag_type(lambda text: values.number("", text, (low, high), above_low))


seed = _flag_type(lambda text: values.seed("", text))  # 0 to 2**63 - 1
wrap = _flag_type(lambda text: values.wrap("", text))  # 0 or a width in limits.WRAP
colour = _flag_type(lambda text: values.colour("", text))  # #rgb, #rrggbb or a CSS name
COUNT = integer(1, 1_000_000_000)  # steps, epochs: positive and finite
SIZE = integer(1, 8192)  # layer sizes, batch sizes


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


def read_stdin(characters: int) -> str:
    """Up to `characters` characters of standard input as UTF-8, whatever the locale says, with a
    byte-order mark dropped; bytes that are not UTF-8 are a UserError saying where."""
    data = sys.stdin.buffer.read(4 * characters)  # a character is at most 4 bytes
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(
            data, final=len(data) < 4 * characters
        )
    except UnicodeDecodeError as error:
        raise UserError(
            f"standard input is not UTF-8 text (byte 0x{data[error.start]:02x} at offset "
            f"{error.start}); convert it, e.g. with iconv -t UTF-8"
        ) from None
    return text.removeprefix("\ufeff")[:characters]
