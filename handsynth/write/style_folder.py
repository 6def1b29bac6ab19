"""A folder of the user's own styles: lines drawn on the web page, one IAM-OnDB line file each.

Names are checked before they become file names (letters, digits, - and _, starting with a letter,
so they never look like a shipped style's number), and every path is resolved and must lie inside
the folder: nothing outside it can be read or written through a name. `handsynth write --style
FILE` takes these files as they are; each carries the text it reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from handsynth.atomic import write_atomically
from handsynth.data.iam import IamFormatError, line_strokes_xml, line_transcription
from handsynth.errors import UserError
from handsynth.write.styles import MAX_STYLE_BYTES, MAX_STYLE_CHARACTERS

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")
SUFFIX = ".xml"
MAX_STYLES = 200  # a folder is listed whole on every page load


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

    def save(self, name: str, strokes: list[np.ndarray], text: str) -> Path:
        """Write a new style: strokes (n_i, 3) of x, y in pen units and time in seconds, as
        `styles.strokes_from_pointer` returns them, and the text they write."""
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
        data = line_strokes_xml(strokes, text)
        write_atomically(path, lambda f: f.write(data))
        return path
