"""Atomic file writes: readers see the old file or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from handsynth import guard
from handsynth.errors import DiskError


def write_atomically(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> None:
    """Call `write(binary file)` on a temporary file beside `path`, sync it, rename it onto `path`.

    The temporary file lives in the same folder so the rename stays on one file system; it is
    removed if writing fails or is interrupted.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with guard.deferred():  # an interrupt between creating and naming it would orphan it
            fd, temporary = tempfile.mkstemp(
                dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
            )
    except OSError as error:
        raise _disk_error(path, error) from None
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # mkstemp creates 0600; outputs are ordinary shareable files
        os.replace(temporary, path)
    except BaseException as error:
        with guard.deferred():
            Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError) and not isinstance(error, DiskError):
            raise _disk_error(path, error) from None
        raise


def _disk_error(path: Path, error: OSError) -> DiskError:
    """One line for an OSError met while writing `path` (ENOSPC, EACCES, EIO, ...)."""
    reason = error.strerror or type(error).__name__
    kept = "; the old file is kept" if path.is_file() else "; nothing written"
    return DiskError(f"{path}: cannot write it: {reason}{kept}")
