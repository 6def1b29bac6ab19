"""Two lines of one writer joined into one, so that a synthesis network learns to go on in the
hand of the handwriting it has just read.

A page is written by priming every line with the same style line (Graves §5.5): the network reads
the style's strokes with the style's text in front of the line's text, then writes on. Trained on
single lines only, it has never read past the end of one line, and the window after a prime sits
where training never took it. Joining each line of a form (one writer's page) to the line before
it gives the network that situation with a real answer: the second line continues the first, in
the same hand, one word gap to its right on the same baseline, and its text follows the first
line's text after a space, exactly as `sample.synthesis` lays out a primed line.
"""

from __future__ import annotations

import numpy as np

END_SHARE = 5  # the heights of the last and first fifth of two lines' points are levelled


def form_of(line_id: str) -> str:
    """The form (one writer's page) a line id such as 'a01-020x-03' belongs to: 'a01-020x'."""
    return line_id.rsplit("-", 1)[0]


def consecutive_pairs(line_ids: list[str]) -> list[tuple[int, int]]:
    """(i, j) for each line j that follows line i on the same form, in the order given."""
    return [
        (i, i + 1)
        for i in range(len(line_ids) - 1)
        if form_of(line_ids[i]) == form_of(line_ids[i + 1])
    ]


def join_lines(first: np.ndarray, second: np.ndarray, first_text: str) -> np.ndarray:
    """Raw pen offsets (T1, 3) and (T2, 3), each starting with a (0, 0, 0) row -> (T1 + T2, 3).

    Row 0 of a line is its first point; the joining row is the move, pen up, from the first line's
    last point to the second line's first point. The second line is placed one average character
    width to the right of the first line's rightmost ink, with the median height of the first line's
    last fifth of points level with that of the second line's first fifth (lines drift, so the
    heights where they meet are what should match).
    """
    first_xy = np.cumsum(first[:, :2], axis=0)  # (T1, 2) points, first point at (0, 0)
    second_xy = np.cumsum(second[:, :2], axis=0)  # (T2, 2)
    char_width = (first_xy[:, 0].max() - first_xy[:, 0].min()) / max(len(first_text), 1)
    start_x = first_xy[:, 0].max() + char_width - second_xy[:, 0].min()
    end_y = np.median(first_xy[-max(len(first) // END_SHARE, 1) :, 1])
    start_y = end_y - np.median(second_xy[: max(len(second) // END_SHARE, 1), 1])
    jump = np.array([[start_x, start_y, 0.0]], dtype=first.dtype) - [[*first_xy[-1], 0.0]]  # (1, 3)
    return np.concatenate([first, jump, second[1:]])


def joined_lines(
    offsets: list[np.ndarray], texts: list[str], line_ids: list[str]
) -> tuple[list[np.ndarray], list[str]]:
    """Every pair of consecutive lines of one form, joined: raw offsets and 'first second' texts."""
    pairs = consecutive_pairs(line_ids)
    joined = [join_lines(offsets[i], offsets[j], texts[i]) for i, j in pairs]
    return joined, [f"{texts[i]} {texts[j]}" for i, j in pairs]
