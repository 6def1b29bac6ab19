"""Checks on what a web request sends, before any of it is used: JSON that is nested too deep,
holds integers of thousands of digits or strings with lone surrogates, and render requests that
cost more than a page to draw in strokes and lines (app.py counts points and pixels). Each is a
`UserError` (HTTP 400) that names the field where it can.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json

import numpy as np

from handsynth.errors import UserError

MAX_DEPTH = 16  # the deepest request is a render's {"lines": [[[x, y, eos], ...], ...]}: 4
MAX_INTEGER_DIGITS = 30  # seeds stop at 2**63 (19 digits); longer integers are read as floats
MAX_COORDINATE = 1e12  # px: past any page (the pixel cap refuses it), short of float32 overflow


def parse_json(body: bytes):
    """The JSON of a request body, checked: depth, integer size, text that is valid Unicode.

    Called off the event loop: a render body may be megabytes."""
    try:
        data = json.loads(body, parse_int=_integer)
    except RecursionError:
        raise UserError(f"the request nests deeper than {MAX_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError) as error:  # JSONDecodeError is a ValueError
        raise UserError(f"the request is not valid JSON ({error})") from None
    _check_values(data)
    return data


def _integer(digits: str) -> int | float:
    """A JSON integer; one of more than MAX_INTEGER_DIGITS digits becomes a float (perhaps inf),
    which the field's own range check then refuses by name, instead of Python's digit limit
    failing the whole request."""
    return int(digits) if len(digits) <= MAX_INTEGER_DIGITS else float(digits)


def _check_values(data) -> None:
    """Walk `data` without recursion: no deeper than MAX_DEPTH, every string valid Unicode."""
    stack = [(data, 1, "the request")]
    while stack:
        value, depth, where = stack.pop()
        if depth > MAX_DEPTH:
            raise UserError(f"{where}: nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, str):
            _check_text(value, where)
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_text(key, "a field name")
                stack.append((item, depth + 1, key if depth == 1 else where))
        elif isinstance(value, list) and value and isinstance(value[0], (list, dict, str)):
            stack.extend((item, depth + 1, where) for item in value)
        elif isinstance(value, list):  # numbers, mostly: only nested values need a visit
            stack.extend((item, depth + 1, where) for item in value if not _is_number(item))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_text(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise UserError(
            f"{safe(where)}: holds U+{ord(text[error.start]):04X}, half of a surrogate pair, which "
            "is not a character"
        ) from None


def safe(text: str) -> str:
    """`text` with lone surrogates escaped, so that it can be sent back in a reply."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def check_render_cost(offsets: list[np.ndarray], max_strokes: int, max_lines: int) -> None:
    """Refuse what costs more to draw than a page: each stroke is a path (a single point a disc),
    so 100,000 one-point lines cost as much as 100,000 strokes, however few their points."""
    if len(offsets) > max_lines:
        raise UserError(f"lines: {len(offsets):,} lines; at most {max_lines:,} are drawn at once")
    strokes = 0
    for line in offsets:
        strokes += int((line[:-1, 2] > 0.5).sum()) + 1  # pen lifts, and the end of the line
        if strokes > max_strokes:
            raise UserError(f"lines: more than {max_strokes:,} strokes to draw")


def return_memory() -> None:
    """Give freed memory back to the system (glibc keeps it otherwise, and a server that drew a
    large page would hold that page's peak for good)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL(name).malloc_trim(0)
