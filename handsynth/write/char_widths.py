"""How wide a written line will be, predicted from its characters, for wrapping by width.

Handwriting is proportional: an "m" is about three times as wide as an "i". Wrapping a text at a
number of characters makes lines of "illicit" and of "mammoth" differ in width by half; wrapping at
a predicted width evens them. Widths are in units of an average lowercase letter, by the shape of
each character (as a typeface's advance widths go). On ordinary text the shipped model's own
size varies more from line to line than the mix of letters does, so these predict a line's
drawn width no better than counting characters (`scripts/fit_char_widths.py`; docs/writing.md),
and widths fitted to its lines did worse; they matter where the text is lopsided (mmm, iii).
"""

from __future__ import annotations

# Lowercase, by shape; a character not listed is one unit wide.
_CLASSES = {
    0.45: "ijl.,:;!'|",
    0.6: 'ft-()[]"',
    0.75: "rsz",
    0.9: "cexv?",
    1.0: "aoubdhknpqgy0123456789#*+/&%",
    1.45: "mw",
    0.7: "IJ",
    1.25: "ABCDEFGHKLNOPQRSTUVXYZ",
    1.7: "MW",
}
SPACE = 1.1  # the gap between words
WIDTHS = {char: width for width, chars in _CLASSES.items() for char in chars} | {" ": SPACE}
# The mean width of a character of English prose in those units (docs/letter.txt and tiny
# Shakespeare both give 0.92): `text_width` counts in average characters, so wrapping a usual
# text at N makes lines of about N characters, as wrapping by count did.
AVERAGE_CHARACTER = 0.922


def text_width(text: str) -> float:
    """The predicted drawn width of `text`, in average characters of English prose."""
    return sum(WIDTHS.get(char, 1.0) for char in text) / AVERAGE_CHARACTER


def wrap_by_width(paragraph: str, width: float, max_characters: int) -> list[str]:
    """`paragraph` (single spaces) broken at spaces into lines at most `width` characters wide by
    `text_width` and at most `max_characters` long; a word wider than a line is split. Greedy, as
    `textwrap` is, so a line is filled before the next starts."""
    lines: list[str] = []
    line = ""
    for word in paragraph.split(" "):
        while text_width(word) > width or len(word) > max_characters:  # split a giant word
            if line:
                lines.append(line)
                line = ""
            cut = 1
            while cut < len(word) and text_width(word[: cut + 1]) <= width and cut < max_characters:
                cut += 1
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{line} {word}" if line else word
        if line and (text_width(candidate) > width or len(candidate) > max_characters):
            lines.append(line)
            candidate = word
        line = candidate
    if line:
        lines.append(line)
    return lines
