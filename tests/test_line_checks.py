"""The ink checks on constructed failures: each is flagged, and the real fixture lines are not."""

import numpy as np
import pytest

from handsynth.data.prepare import load_prepared
from handsynth.write.line_checks import geometry_faults, reading_faults


def written_line(words: int = 8, seed: int = 0) -> np.ndarray:
    """Offsets (T, 3) of a plausible line: words of joined-up loops 60 units tall, 5 units a
    point, each word one stroke, with gaps between words and a little jitter."""
    rng = np.random.default_rng(seed)
    points, eos, x = [], [], 0.0
    for _ in range(words):
        t = np.arange(70)
        word = np.column_stack([x + 5 * t, 30 * np.sin(t / 2.5) + rng.normal(0, 1, len(t))])
        points.append(word)
        eos.append(np.r_[np.zeros(len(t) - 1), 1.0])
        x += 5 * len(t) + 60
    points, eos = np.concatenate(points), np.concatenate(eos)
    offsets = np.zeros((len(points), 3))
    offsets[1:, :2] = np.diff(points, axis=0)
    offsets[:, 2] = eos
    return offsets.astype(np.float32)


@pytest.fixture(scope="module")
def real_lines(prepared_dir):
    """The fixture's lines (a dozen points each: too short to judge) and constructed whole ones."""
    lines, _, _ = load_prepared(prepared_dir, "train")
    return [written_line(seed=s) for s in range(3)] + lines


def test_clean_lines_pass(real_lines):
    assert all(geometry_faults(line) == [] for line in real_lines)


def dive(line: np.ndarray, depth: float) -> np.ndarray:
    """The line with its last third drawn `depth` pen units lower, reached by a gradual slide of
    pen-down steps (the network wandering down the page)."""
    out = line.copy()
    start = 2 * len(line) // 3
    slide = np.flatnonzero(out[start:, 2] < 0.5)[:40] + start  # pen-down steps that carry it
    out[slide, 1] += depth / len(slide)
    return out


def letter_height(line: np.ndarray) -> float:
    return float(np.subtract(*np.percentile(np.cumsum(line[:, 1]), [75, 25])))


def test_a_line_that_wanders_down_the_page_is_flagged(real_lines):
    line = real_lines[0]
    assert geometry_faults(dive(line, 2 * letter_height(line))) == []  # a sloping line passes
    faults = geometry_faults(dive(line, 30 * letter_height(line)))
    assert [f.kind for f in faults] == ["wander"]


def test_a_long_stray_stroke_is_flagged(real_lines):
    line = real_lines[1].copy()
    body = letter_height(line)
    middle = len(line) // 2
    line[middle, 2] = 0.0  # joined to the next point with the pen down ...
    line[middle + 1, :2] += (20 * body, 0)  # ... which is 20 letter heights to the right ...
    line[middle + 2, :2] -= (20 * body, 0)  # ... and the pen comes back
    kinds = [f.kind for f in geometry_faults(line)]
    assert "stray" in kinds


def test_a_reading_far_from_the_text_is_unreadable_and_names_the_worst_word():
    assert reading_faults("Dear Ada, thank you", "Dear Ada, thank you") == []
    assert reading_faults("Dear Ada, thonk yon", "Dear Ada, thank you") == []  # 2 of 19 wrong
    (fault,) = reading_faults("Dmr Pla, xxxxx yov", "Dear Ada, thank you")
    assert fault.kind == "unreadable" and "worst 'thank'" in fault.detail
    assert fault.position == 10  # where "thank" starts
    assert reading_faults("", "   ") == []


def test_a_misread_name_or_number_is_flagged_by_itself():
    (fault,) = reading_faults("Dear vao, thank you", "Dear Ada, thank you")
    assert fault.kind == "misread" and fault.position == 5 and "'Ada,'" in fault.detail
    (fault,) = reading_faults("Order No. aLl7 is here", "Order No. 4817 is here")
    assert fault.kind == "misread" and "'4817'" in fault.detail
    assert reading_faults("Dear Ada, thonk yoo", "Dear Ada, thank you") == []  # lower case
    assert reading_faults("Dear Adu, thank you", "Dear Ada, thank you") == []  # one of four
