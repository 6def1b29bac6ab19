"""The one check of every value a user sets, shared by the command line (its flag types), the Python
API (`WriteOptions.check`) and the web app (its JSON fields).

Each check takes the argument's name and the value (a number, or the text of a flag or a JSON
field), and returns it converted or raises `FieldError` naming the argument: the library and the web
app show that name, the command line shows its flag instead. The ranges are those of `limits`.
"""

from __future__ import annotations

import math
import re

from handsynth import limits
from handsynth.errors import FieldError

_HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
MAX_SEED = 2**63 - 1


def span(bounds: tuple[float, float], joiner: str = "-") -> str:
    """'0-10' for (0.0, 10.0): a range as --help states it."""
    return joiner.join(f"{bound:g}" for bound in bounds)


def _format(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def integer(name: str, value, bounds: tuple[int, int]) -> int:
    """A whole number in [low, high].

    Values are read through their text, as a flag's are, so every caller is held to the same
    rules."""
    low, high = bounds
    try:
        number = int(str(value))  # as a flag's text: True, 2.0 and "2.5" are no whole numbers
    except ValueError:
        raise FieldError(name, f"must be a whole number, got {str(value)!r}") from None
    if not low <= number <= high:
        raise FieldError(name, f"must be between {_format(low)} and {_format(high)}, got {value}")
    return number


def number(name: str, value, bounds: tuple[float, float], above_low: bool = False) -> float:
    """A finite number in [low, high], or in (low, high] with `above_low`."""
    low, high = bounds
    try:
        number = float(str(value))  # as a flag's text: True is no number
    except ValueError:
        raise FieldError(name, f"must be a number, got {str(value)!r}") from None
    too_low = number <= low if above_low else number < low
    if not math.isfinite(number) or too_low or number > high:
        bound = "above" if above_low else "from"
        raise FieldError(
            name, f"must be a number {bound} {_format(low)} up to {_format(high)}, got {value}"
        )
    return number


def seed(name: str, value) -> int:
    """A random seed: a whole number from 0 to 2**63 - 1."""
    return integer(name, value, (0, MAX_SEED))


def wrap(name: str, value) -> int:
    """Characters per line: 0 (the text's own lines) or a width in limits.WRAP."""
    width = integer(name, value, (0, limits.WRAP[1]))
    if 0 < width < limits.WRAP[0]:
        raise FieldError(
            name,
            f"must be 0 (the text's own lines) or from {span(limits.WRAP, ' to ')}, got {value}",
        )
    return width


def colour(name: str, value) -> str:
    """#rgb, #rrggbb or a CSS colour name (as SVG and PNG output both understand)."""
    text = str(value)
    if _HEX_COLOUR.fullmatch(text):
        return text
    from matplotlib.colors import CSS4_COLORS

    if text.lower() in CSS4_COLORS:
        return text.lower()
    raise FieldError(
        name, f"{text!r} is not a colour; use a name such as black or navy, or #rrggbb"
    )
