"""Characters the model cannot write, replaced by ones it can: a shipped map and the user's own.

A character outside the model's alphabet is refused (`lines.check_characters`) unless a
substitution map is asked for: then € becomes EUR, é becomes e, @ becomes at, and so on, each
replacement counted so the caller can say what was changed. The shipped map only replaces what the
model lacks (a model that writes & keeps it); the user's map, read from a file, replaces what it
names. `<unk>`, the text model's mark for a word it does not know, is always dropped: no
handwriting model writes it, so `handsynth text sample | handsynth write -` goes through.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from handsynth.data.alphabet import Alphabet
from handsynth.errors import FieldError

# The text model's markup, dropped whether or not a map is asked for.
MARKERS = {"<unk>": ""}

# Replaced when asked for and the model cannot write the key. Letters with accents are also
# replaced by their base letter (é -> e, Ç -> C) by `_base_letter`, so they are not listed.
SHIPPED = {
    "€": "EUR",
    "£": "GBP",
    "$": "USD",
    "¥": "JPY",
    "¢": "c",
    "@": "at",
    "&": "and",
    "#": "no.",
    "%": " percent",
    "+": "plus",
    "=": "equals",
    "…": "...",
    "ß": "ss",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ø": "o",
    "Ø": "O",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "©": "(c)",
    "®": "(R)",
    "™": "TM",
    "°": " degrees",
    "×": "x",
    "÷": "/",
    "±": "+/-",
    "½": "1/2",
    "¼": "1/4",
    "¾": "3/4",
    "§": "S",
    "•": "-",
    "·": ".",
    "¡": "!",
    "¿": "?",
    "_": " ",
    "|": "/",
    "\\": "/",
    "~": "-",
    "{": "(",
    "}": ")",
    "<": "(",
    ">": ")",
}
MAX_MAP_BYTES = 100_000  # a user's map is a short list, not a dictionary


def read_substitutions(path: str | Path, name: str = "substitutions") -> dict[str, str]:
    """A user's map from a UTF-8 file: one `FROM TO` a line, split at the first run of spaces
    or a tab (no TO: FROM is dropped); blank lines and lines starting with # are skipped.
    Problems raise `FieldError` under `name`."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_MAP_BYTES:
            raise FieldError(name, f"{path}: over {MAX_MAP_BYTES:,} bytes; a map is a short list")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FieldError(name, f"{path}: cannot read it as UTF-8 text: {error}") from None
    mapping = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, *value = line.split(None, 1)
        mapping[key] = value[0] if value else ""
    if not mapping:
        raise FieldError(name, f"{path}: no substitutions in it; write one `FROM TO` a line")
    return mapping


def substitute(
    text: str, alphabet: Alphabet, substitutions: bool | Mapping[str, str] = False
) -> tuple[str, Counter]:
    """`text` with `<unk>` dropped and, if `substitutions`, characters replaced; returns it and
    how many times each (key, replacement) was used.

    `substitutions`: False for none, True for the shipped map, or a mapping of the user's, used on
    top of the shipped map. Shipped keys are replaced only where the model cannot write them;
    the user's wherever they occur. Longer keys go first.
    """
    mapping = dict(MARKERS)
    if substitutions:
        mapping.update({k: v for k, v in SHIPPED.items() if alphabet.unknown(k)})
        for char in set(text):
            base = _base_letter(char)
            if base is not None and alphabet.unknown(char) and not alphabet.unknown(base):
                mapping.setdefault(char, base)
        if substitutions is not True:
            mapping.update(substitutions)
    mapping = {key: value for key, value in mapping.items() if key}
    pattern = re.compile("|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True)))
    replaced = Counter((m.group(), mapping[m.group()]) for m in pattern.finditer(text))
    if not replaced:
        return text, replaced
    return pattern.sub(lambda match: mapping[match.group()], text), replaced


def describe(replaced: Counter) -> str:
    """One line for people: "replaced 2 × '€' with 'EUR', 1 × 'é' with 'e'; dropped 3 × '<unk>'
    (the text model's mark for a word it did not know)"."""
    swaps = [f"{n} × {key!r} with {value!r}" for (key, value), n in replaced.items() if value]
    drops = [f"{n} × {key!r}" for (key, value), n in replaced.items() if not value]
    parts = []
    if swaps:
        parts.append("replaced " + ", ".join(swaps))
    if drops:
        unknown_words = any(key in MARKERS for key, _ in replaced)
        why = " (the text model's mark for a word it did not know)" if unknown_words else ""
        parts.append("dropped " + ", ".join(drops) + why)
    return "; ".join(parts)


def _base_letter(char: str) -> str | None:
    """The letter under an accented one (é -> e), or None if `char` is not one."""
    decomposed = unicodedata.normalize("NFKD", char)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return base if base and base != char and len(decomposed) > len(base) else None
