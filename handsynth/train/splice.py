"""Real characters cut from other lines written after a line's own, so that the recogniser sees
digits and capitals as often as it sees letters.

IAM-OnDB holds 997 digits among 312,650 characters (an 8 39 times), too few for a reader to learn
them. A `Splicing` writes, after a share of the lines it is given, a word of 1 to MAX_CHARACTERS
characters drawn at random from a bank of drawings cut from training lines
(`scripts/make_glyph_bank.py --pool`: every plausible cut, not only the best read), each scaled
and slanted to the line's hand and set on its baseline, the word a word gap after the ink and its
characters a letter gap apart (`write.glyphs.place`). The transcription gets a space and those
characters.
"""

from __future__ import annotations

import numpy as np

from handsynth.data.alphabet import Alphabet
from handsynth.data.strokes import Normalisation
from handsynth.write.glyphs import (
    LETTER_GAP,
    WORD_GAP,
    GlyphBank,
    measure_hand,
    place,
    placed_offsets,
)

SHARE = 0.5  # of the lines, those that get a spliced word
MAX_CHARACTERS = 5  # a spliced word has 1 to this many characters


class Splicing:
    """Words of cut characters from `bank` for lines written in `alphabet`."""

    def __init__(self, bank: GlyphBank, alphabet: Alphabet, share: float = SHARE):
        self.bank, self.alphabet, self.share = bank, alphabet, share
        self.characters = sorted(c for c in bank.drawings if c in alphabet.symbols)
        if not self.characters:
            raise ValueError("the bank holds no character of the alphabet")

    def apply(
        self,
        offsets: np.ndarray,
        chars: np.ndarray,
        normalisation: Normalisation,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        """A line's normalised offsets (T, 3) and encoded text (U,) -> the same with a word of cut
        characters after it, (T + G, 3) and (U + 1 + W,), or as they were (the line was not
        drawn for it, or has no hand to measure)."""
        if rng.random() >= self.share:
            return offsets, chars
        raw = normalisation.denormalise(offsets).astype(np.float64)  # (T, 3) pen units
        ink = np.cumsum(raw[:, :2], axis=0)  # (T, 2)
        hand = measure_hand(ink, raw[:, 2] > 0.5)
        if hand is None:
            return offsets, chars
        word = [
            self.characters[i]
            for i in rng.integers(len(self.characters), size=rng.integers(1, MAX_CHARACTERS + 1))
        ]
        pieces, written = [raw], ink
        for k, char in enumerate(word):
            drawings = self.bank.drawings[char]
            points, eos = drawings[rng.integers(len(drawings))]
            gap = (WORD_GAP if k == 0 else LETTER_GAP) * hand.x_height
            placed = place(points * hand.x_height, hand, written, gap)  # (G, 2)
            pieces.append(placed_offsets(placed, eos, written[-1]))
            written = np.concatenate([written, placed])
        spliced = normalisation.normalise(np.concatenate(pieces))
        return spliced, np.concatenate([chars, self.alphabet.encode(" " + "".join(word))])
