"""Which characters a reader gets wrong: reading and text aligned character by character, errors
counted per class of character (capitals, digits, rare lower-case, punctuation, other lower-case)
and per character, with what each was most often read as.

The alignment is a Levenshtein alignment (the backtrace of `nn.ctc.edit_distance`'s table): each
character of the text is either matched, read as another character, or missing from the reading.
A character's error rate is the share of its occurrences that were not read as themselves, so the
classes' rates add up to the overall rate only when no extra characters were read.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

CLASSES = ("capitals", "digits", "rare lower-case", "other lower-case", "punctuation")
RARE_LOWER = set("jqxz")
MISSING = ""  # what a character of the text that the reading lacks was "read as"


def character_class(c: str) -> str | None:
    """The class of one character of a text; None for a space."""
    if c == " ":
        return None
    if c.isupper():
        return "capitals"
    if c.isdigit():
        return "digits"
    if c.islower():
        return "rare lower-case" if c in RARE_LOWER else "other lower-case"
    return "punctuation"


def align(reading: str, text: str) -> list[tuple[str, str]]:
    """For each character of `text`, in order, what the reading has in its place: the same
    character, another one, or MISSING. Characters the reading adds are left out."""
    return compare(reading, text)[1]


def compare(reading: str, text: str) -> tuple[int, list[tuple[str, str]]]:
    """The edit distance from `reading` to `text` and their alignment (`align`), from one table."""
    n, m = len(reading), len(text)
    # cost[i][j]: edit distance between reading[:i] and text[:j]
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        cost[i][0] = i
    for j in range(m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(
                cost[i - 1][j] + 1,
                cost[i][j - 1] + 1,
                cost[i - 1][j - 1] + (reading[i - 1] != text[j - 1]),
            )
    pairs = []
    i, j = n, m
    while j > 0:
        if i > 0 and cost[i][j] == cost[i - 1][j - 1] + (reading[i - 1] != text[j - 1]):
            pairs.append((text[j - 1], reading[i - 1]))
            i, j = i - 1, j - 1
        elif cost[i][j] == cost[i][j - 1] + 1:
            pairs.append((text[j - 1], MISSING))
            j -= 1
        else:
            i -= 1  # a character the reading added
    return cost[n][m], pairs[::-1]


def character_errors(readings: Sequence[str], texts: Sequence[str]) -> dict:
    """Error rates per class and the characters read wrong most often.

    Returns {"classes": {class: {"characters": n, "error_rate": r}}, "worst": [{"character",
    "count", "error_rate", "read_as": [[reading, count], ...]}, ...]} with the worst characters
    (at least 5 occurrences) first.
    """
    seen: Counter = Counter()
    wrong: Counter = Counter()
    read_as: dict[str, Counter] = defaultdict(Counter)
    for reading, text in zip(readings, texts, strict=True):
        for want, got in align(reading, text):
            if want == " ":
                continue
            seen[want] += 1
            if got != want:
                wrong[want] += 1
                read_as[want][got] += 1
    classes = {}
    for name in CLASSES:
        members = [c for c in seen if character_class(c) == name]
        total = sum(seen[c] for c in members)
        errors = sum(wrong[c] for c in members)
        classes[name] = {"characters": total, "error_rate": errors / total if total else None}
    worst = sorted(
        (c for c in seen if seen[c] >= 5 and wrong[c]), key=lambda c: -wrong[c] / seen[c]
    )
    return {
        "classes": classes,
        "worst": [
            {
                "character": c,
                "count": seen[c],
                "error_rate": wrong[c] / seen[c],
                "read_as": [[got or "(missing)", k] for got, k in read_as[c].most_common(3)],
            }
            for c in worst[:12]
        ],
    }
