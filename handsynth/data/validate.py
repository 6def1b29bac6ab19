"""Checks where data enters from files a user names: text lists (UTF-8, one id a line), prepared
metadata and split arrays. Each problem is one `UserError` naming the file and what is wrong.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import numpy as np

from handsynth.errors import UserError

AGAIN = "run `handsynth prepare` again"


def read_text(path: str | Path, what: str) -> str:
    """A small text file as UTF-8 (a byte-order mark dropped), or a UserError naming it."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise UserError(f"{path}: cannot read the {what}: {error.strerror}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UserError(
            f"{path}: the {what} is not UTF-8 text (byte 0x{raw[error.start]:02x} at offset "
            f"{error.start})"
        ) from None


def checked_ids(path: str | Path, entries: list[str], pattern, example: str, what: str) -> None:
    """Refuse the first of `entries` (from `path`) that `pattern` does not match."""
    for number, entry in enumerate(entries, start=1):
        if not pattern.search(entry):
            raise UserError(
                f"{path}: entry {number} {entry[:40]!r} of the {what} is not an IAM-OnDB id like "
                f"{example!r}"
            )


def valid_normalisation(statistics) -> bool:
    """Whether `statistics`, as JSON gives them, are a normalisation: {"mean": 2 finite numbers,
    "std": 2 finite numbers above 0} (prepared metadata and model files both hold one)."""
    return isinstance(statistics, dict) and all(
        _finite_pair(statistics.get(key), positive=key == "std") for key in ("mean", "std")
    )


def _finite_pair(values, positive: bool) -> bool:
    """Whether `values` is a list of 2 finite numbers (x, y; each above 0 if `positive`)."""
    if not isinstance(values, list) or len(values) != 2:
        return False
    if not all(type(v) in (int, float) and math.isfinite(v) for v in values):
        return False
    return not positive or all(v > 0 for v in values)


def metadata(path: Path, format_version: int) -> dict:
    """A prepared folder's metadata.json, with the fields training reads checked."""
    text = read_text(path, "prepared metadata")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise UserError(f"{path}: damaged prepared metadata, not JSON ({error}); {AGAIN}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: damaged prepared metadata, not a JSON object; {AGAIN}")
    if data.get("format_version") != format_version:
        raise UserError(
            f"{path} has format_version {data.get('format_version')!r}, expected "
            f"{format_version}; {AGAIN}"
        )
    alphabet = data.get("alphabet")
    symbols = alphabet.get("symbols") if isinstance(alphabet, dict) else None
    if (
        not isinstance(symbols, list)
        or not symbols
        or not all(isinstance(s, str) and s for s in symbols)
        or len(set(symbols)) != len(symbols)
        or alphabet.get("fold_unknown_to") not in (None, *symbols)
    ):
        raise UserError(f"{path}: damaged prepared metadata: alphabet; {AGAIN}")
    if not valid_normalisation(data.get("normalisation")):
        raise UserError(
            f"{path}: the normalisation is not 2 finite means and 2 positive deviations; {AGAIN}"
        )
    return data


def split_arrays(path: Path) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """(offsets (P, 3) float32, starts (L + 1,), texts, line ids) of a prepared split file."""

    def damaged(problem: str) -> UserError:
        return UserError(f"{path}: a damaged prepared split: {problem}; {AGAIN}")

    try:
        with np.load(path, allow_pickle=False) as data:
            offsets, starts = data["offsets"], data["starts"]
            texts, line_ids = data["texts"], data["line_ids"]
    except KeyError as error:
        raise damaged(f"no array {error}") from None
    except ValueError as error:
        if "pickle" in str(error):
            raise damaged("it holds Python objects, which handsynth never loads") from None
        raise damaged(str(error).splitlines()[0] if str(error) else "unreadable") from None
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        raise damaged(f"not a readable .npz ({type(error).__name__})") from None
    if offsets.ndim != 2 or offsets.shape[1] != 3 or offsets.dtype.kind != "f":
        raise damaged(f"offsets are {offsets.dtype} {offsets.shape}, not (P, 3) floats")
    if starts.ndim != 1 or starts.dtype.kind not in "iu" or len(starts) < 1:
        raise damaged("starts are not a list of whole numbers")
    if starts[0] != 0 or starts[-1] != len(offsets) or (np.diff(starts) < 0).any():
        raise damaged("starts do not divide the offsets into lines")
    if texts.dtype.kind != "U" or line_ids.dtype.kind != "U":
        raise damaged("texts and line ids are not text")
    if not len(texts) == len(line_ids) == len(starts) - 1:
        raise damaged("texts, line ids and starts do not count the same lines")
    return offsets.astype(np.float32, copy=False), starts, texts.tolist(), line_ids.tolist()
