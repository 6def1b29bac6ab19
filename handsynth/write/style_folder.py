"""A folder of the user's own styles: lines drawn on the web page or imported with `handsynth
styles add`, one IAM-OnDB line file each, saved, listed, renamed and deleted here.

Names are checked before they become file names (letters, digits, - and _, starting with a letter,
so they never look like a shipped style's number), and every path is resolved and must lie inside
the folder: nothing outside it can be read or written through a name. `handsynth write --style
FILE` takes these files as they are; each carries the text it reads. Given a reader, `save`
refuses a line whose strokes do not write its text (`style_check`) before anything is written.
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from handsynth.atomic import write_atomically
from handsynth.data.iam import IamFormatError, line_strokes_xml, line_transcription
from handsynth.data.strokes import offsets_to_points
from handsynth.errors import UserError
from handsynth.nn.adaptation_file import adaptation_path
from handsynth.sample.reader import LineReader
from handsynth.write.style_check import check_strokes_read
from handsynth.write.styles import MAX_STYLE_BYTES, MAX_STYLE_CHARACTERS

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")
SUFFIX = ".xml"
MAX_STYLES = 200  # a folder is listed whole on every page load
SECONDS_PER_POINT = 0.015  # IAM-OnDB's pen: the time given to points of a line that has none


@dataclass(frozen=True)
class SavedStyle:
    name: str  # the file name without .xml
    text: str  # what the line reads


class StyleFolder:
    """The styles saved in one folder (created when the first is saved)."""

    def __init__(self, root: str | Path):
        self.root = Path(root).expanduser().resolve()

    def path(self, name: str) -> Path:
        """The file of style `name`, which must be a valid name; it need not exist yet."""
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise UserError(
                f"{name!r} is not a style name: use up to 40 letters, digits, - and _, starting "
                "with a letter"
            )
        path = (self.root / f"{name}{SUFFIX}").resolve()
        if path.parent != self.root:  # a link pointing elsewhere
            raise UserError(f"style {name!r} is not a file in the styles folder")
        return path

    def existing(self, name: str) -> Path:
        """The file of a saved style; a UserError when there is none of that name."""
        path = self.path(name)
        if not path.is_file():
            raise UserError(f"there is no saved style named {name!r}")
        return path

    def list(self) -> list[SavedStyle]:
        """The saved styles, by name; files that cannot be read are left out."""
        if not self.root.is_dir():
            return []
        styles = []
        for path in sorted(self.root.glob(f"*{SUFFIX}"))[:MAX_STYLES]:
            name = path.name[: -len(SUFFIX)]
            if not NAME.fullmatch(name) or path.is_symlink():
                continue
            if path.stat().st_size > MAX_STYLE_BYTES:
                continue
            try:
                text = line_transcription(path)
            except IamFormatError:
                continue
            if text:
                styles.append(SavedStyle(name, text))
        return styles

    def save(
        self,
        name: str,
        strokes: list[np.ndarray],
        text: str,
        reader: LineReader | None = None,
    ) -> Path:
        """Write a new style: strokes (n_i, 3) of x, y in pen units and time in seconds, as
        `styles.strokes_from_pointer` returns them, and the text they write. With a `reader`, a
        line that does not read as its text is refused (`style_check.StyleMismatch`) first."""
        path = self.path(name)
        text = text.strip() if isinstance(text, str) else ""
        if not text:
            raise UserError("say what the line reads: type the text you wrote")
        if len(text) > MAX_STYLE_CHARACTERS:
            raise UserError(
                f"the text has {len(text)} characters; a style is one line of at most "
                f"{MAX_STYLE_CHARACTERS}"
            )
        if path.exists():
            raise UserError(f"a style named {name!r} exists already; pick another name")
        if self.root.is_dir() and len(list(self.root.glob(f"*{SUFFIX}"))) >= MAX_STYLES:
            raise UserError(f"the styles folder holds {MAX_STYLES} styles already")
        if reader is not None:
            check_strokes_read(reader, strokes, text)
        data = line_strokes_xml(strokes, text)
        write_atomically(path, lambda f: f.write(data))
        return path

    def save_offsets(
        self, name: str, offsets: np.ndarray, text: str, reader: LineReader | None = None
    ) -> Path:
        """`save` for a line of raw pen offsets (T, 3), as `styles.load_style` reads a file (then
        denormalised); its points are given IAM-OnDB's pace, one every SECONDS_PER_POINT."""
        points, eos = offsets_to_points(offsets)  # (T, 2), (T,)
        rows = np.column_stack([points, np.arange(len(points)) * SECONDS_PER_POINT])  # (T, 3)
        strokes = [s for s in np.split(rows, np.flatnonzero(eos > 0.5) + 1) if len(s)]
        return self.save(name, strokes, text, reader)

    def rename(self, old: str, new: str) -> Path:
        """Give saved style `old` the name `new` (a valid name no style has); returns its file.

        The file is linked under the new name, which fails rather than replace another style, and
        then unlinked under the old one, so the style is never lost or half-written."""
        source = self.existing(old)
        target = self.path(new)
        if old == new:
            raise UserError(f"the style is named {old!r} already")
        taken = f"a style named {new!r} exists already; pick another name"
        try:
            os.link(source, target)
        except FileExistsError:
            if not os.path.samefile(source, target):
                raise UserError(taken) from None
            os.replace(source, target)  # the same file: a change of case on macOS or Windows
            return target
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                raise
            if target.exists():  # a file system without hard links: check, then rename
                raise UserError(taken) from None
            os.replace(source, target)
            return target
        source.unlink()
        self._move_adaptation(source, target)
        return target

    def _move_adaptation(self, source: Path, target: Path) -> None:
        """A renamed style's adaptation goes with it (`nn.adaptation_file`)."""
        adapted = adaptation_path(source)
        if adapted.is_file() and not adapted.is_symlink():
            os.replace(adapted, adaptation_path(target))

    def delete(self, name: str) -> None:
        """Remove saved style `name` and its adaptation, if it has one."""
        path = self.existing(name)
        adaptation_path(path).unlink(missing_ok=True)
        path.unlink()
