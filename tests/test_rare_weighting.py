"""How often a line with rare characters is shown an epoch (`--oversample-rare`)."""

import numpy as np
import pytest

from handsynth.data.rare import rare_character_repeats, rarest_character_repeats


@pytest.fixture
def lines():
    # Symbol 0 occurs 60 times, 1 six times, 2 twice, 3 once: 69 characters in all.
    return [
        np.array([0] * 30),
        np.array([0] * 25 + [1] * 5),
        np.array([0] * 5 + [1, 2, 2]),
        np.array([3]),
    ]


def test_per_character_adds_one_appearance_per_rare_character(lines):
    # Rare: under 10 % of 69 characters, i.e. symbols 1, 2 and 3 (6, 2 and 1 times).
    repeats = rare_character_repeats(lines, alphabet_size=4, rare_share=0.1, max_repeats=3)
    assert repeats.tolist() == [1, 3, 3, 2]


def test_rarest_shows_a_line_as_often_as_its_rarest_character_falls_short(lines):
    # Threshold 0.1 * 69 = 6.9 characters: the rarest symbols 0, 1, 2, 3 are 60, 6, 2 and 1
    # times, so 6.9/60 -> 1 (at least once), 6.9/6 = 1.15 -> 1, 6.9/2 = 3.45 -> 3, 6.9 -> 7,
    # capped at 5.
    repeats = rarest_character_repeats(lines, alphabet_size=4, rare_share=0.1, max_repeats=5)
    assert repeats.dtype == np.int64
    assert repeats.tolist() == [1, 1, 3, 5]
