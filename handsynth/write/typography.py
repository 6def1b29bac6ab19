"""Pasted typography turned into the plain characters handwriting models were trained on.

Word processors and web pages write curly quotes, dashes, ellipses and non-breaking spaces; IAM-OnDB
transcriptions use their plain ASCII forms. Each replacement is counted so the caller can say what
was changed. Accented letters are not touched: a model that cannot write them reports them.
"""

from __future__ import annotations

from collections import Counter

REPLACEMENTS = {
    "\u201c": '"',  # “ left double quotation mark
    "\u201d": '"',  # ” right double quotation mark
    "\u201e": '"',  # „ double low-9 quotation mark
    "\u2033": '"',  # ″ double prime
    "\u00ab": '"',  # « left guillemet
    "\u00bb": '"',  # » right guillemet
    "\u2018": "'",  # ‘ left single quotation mark
    "\u2019": "'",  # ’ right single quotation mark, the usual apostrophe
    "\u201a": "'",  # ‚ single low-9 quotation mark
    "\u2032": "'",  # ′ prime
    "\u2013": "-",  # – en dash
    "\u2014": "-",  # — em dash
    "\u2012": "-",  # ‒ figure dash
    "\u2212": "-",  # − minus sign
    "\u2010": "-",  # ‐ hyphen
    "\u2011": "-",  # ‑ non-breaking hyphen
    "\u2026": "...",  # … horizontal ellipsis
    "\u00a0": " ",  # no-break space
    "\u2009": " ",  # thin space
    "\u202f": " ",  # narrow no-break space
    "\u2007": " ",  # figure space
    "\u200b": "",  # zero-width space
    "\u00ad": "",  # soft hyphen
}


def plain_typography(text: str) -> tuple[str, Counter]:
    """`text` with typographic characters replaced, and how many of each were replaced. A
    byte-order mark at the start (U+FEFF, which editors add to UTF-8) is dropped."""
    text = text.removeprefix("\ufeff")
    replaced = Counter(char for char in text if char in REPLACEMENTS)
    if not replaced:
        return text, replaced
    return "".join(REPLACEMENTS.get(char, char) for char in text), replaced


def describe(replaced: Counter) -> str:
    """One line for people: 'replaced 2 × “ with ", 1 × … with ...'."""
    parts = [f"{count} × {char!r} with {REPLACEMENTS[char]!r}" for char, count in replaced.items()]
    return "replaced typographic characters: " + ", ".join(parts)
