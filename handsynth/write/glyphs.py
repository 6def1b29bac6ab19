"""Real handwritten glyphs for the characters the network writes worst, placed in the line's hand.

The bank (`weights/glyphs.npz`, made by `scripts/make_glyph_bank.py` from IAM-OnDB training lines)
holds a few real drawings of each such character, each in x-height units: upright, its baseline
at y = 0 (y grows downwards) and its left edge at x = 0. `RealGlyphs` is the `sample.guide`
that draws them: it measures the tilt, x-height, baseline and slant of the ink the network has
drawn (`hand_metrics.measure_line`, over the style line and the line so far), scales and slants
one drawing of the character to that hand and puts it a letter or a word gap to the right of the
ink, on the baseline.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from handsynth.data.strokes import Normalisation
from handsynth.write.hand_metrics import level, measure_line, shear, turning_points

SHIPPED_GLYPHS = "glyphs.npz"
CONTEXT_POINTS = 600  # the latest points measured for the hand: a few words
WORD_GAP = 1.5  # x-heights between the ink and a glyph after a space
LETTER_GAP = 0.5  # x-heights between the ink and a glyph after a letter or digit
SIZE_JITTER = 0.05  # each drawing is scaled by up to this fraction more or less
BASELINE_BOTTOMS = 8  # the rightmost bottoms of the ink whose median y is the baseline for a glyph
# Marks drawn from the bank only right after a drawn character ("1947.", "A. Lopez"): left to
# itself the network, its window moved on past the glyph, often ends the line or draws a stroke
# where the full stop goes.
FOLLOWERS = "."
# Capitals drawn even where they begin a word of small letters ("Xavier", "Zoe", "Ivanova"): the
# network writes these illegibly there too.
ALWAYS_DRAWN = "IXZ"


@dataclass(frozen=True)
class GlyphBank:
    """Drawings per character: points (N, 2) in x-height units and eos (N,) ending each stroke."""

    drawings: dict[str, list[tuple[np.ndarray, np.ndarray]]]
    x_height: float  # raw pen units: the hand's size where there is too little ink to measure

    @classmethod
    def load(cls, path: str | Path) -> GlyphBank:
        """The bank in `path`; ValueError when it is not one (`save` writes them)."""
        try:
            with np.load(path, allow_pickle=False) as data:
                points, eos, starts = data["points"], data["eos"], data["starts"]
                chars = [str(c) for c in data["chars"]]
                x_height = float(data["x_height"])
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
            raise ValueError(
                f"not a glyph bank (an .npz that scripts/make_glyph_bank.py writes): {error}"
            ) from None
        drawings: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        for g, char in enumerate(chars):
            span = slice(starts[g], starts[g + 1])
            drawings.setdefault(char, []).append((points[span], eos[span]))
        return cls(drawings, x_height)

    def save(self, path: str | Path, sources: list[str]) -> None:
        """Write the bank; `sources` names the IAM-OnDB line of each drawing, in order."""
        chars = [c for c, drawn in self.drawings.items() for _ in drawn]
        pieces = [d for drawn in self.drawings.values() for d in drawn]
        lengths = [len(points) for points, _ in pieces]
        np.savez(
            path,
            points=np.concatenate([p for p, _ in pieces]).astype(np.float32),
            eos=np.concatenate([e for _, e in pieces]).astype(bool),
            starts=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            chars=np.array(chars),
            x_height=np.float32(self.x_height),
            sources=np.array(sources),
        )


def shipped_glyphs() -> GlyphBank:
    return GlyphBank.load(resources.files("handsynth") / "weights" / SHIPPED_GLYPHS)


class RealGlyphs:
    """A `sample.guide.GlyphGuide` drawing the bank's characters in the hand being written."""

    def __init__(self, bank: GlyphBank, normalisation: Normalisation):
        self.bank, self.normalisation = bank, normalisation

    def heads_on(self, jump: np.ndarray) -> bool:
        return bool(self.normalisation.denormalise(jump[None])[0, 0] > 0)

    def guided(self, text: str) -> list[int]:
        """Every character of the bank but a capital that begins a word of small letters: the
        network writes "Dear" and "Greta" well enough, and a drawn capital leaves it writing the
        rest of the word worse; initials, codes and capitals alone ("A. Lopez", "JE1 2SP") it
        does not. A full stop (FOLLOWERS) is drawn only right after a drawn character."""
        guided = []
        for u, char in enumerate(text):
            begins_word = char.isupper() and text[u + 1 : u + 2].islower()
            if char not in self.bank.drawings or (begins_word and char not in ALWAYS_DRAWN):
                continue
            if char in FOLLOWERS and not (guided and guided[-1] == u - 1):
                continue
            guided.append(u)
        return guided

    def next_word(self, jump: np.ndarray, read: np.ndarray, own: np.ndarray) -> np.ndarray:
        """The jump moved on so the next word's first point is WORD_GAP x-heights right of the
        right edge of the ink, if the network's jump fell short ("2025to"). Both are measured
        along the hand's slant: a word that starts at the top of a slanted t or l reaches back
        to the left as it comes down."""
        ink, hand = self._ink_and_hand(read, own)
        x_height, lean = (hand.x_height, hand.slant) if hand else (self.bank.x_height, 0.0)
        upright = shear(ink[-CONTEXT_POINTS:], -lean, 0.0)  # (S', 2) leaning no more
        moved = self.normalisation.denormalise(jump[None])  # (1, 3)
        start = ink[-1] + moved[0, :2]  # (2,) where the next word begins
        wanted = upright[:, 0].max() + WORD_GAP * x_height - lean * start[1]  # its x, as drawn
        if start[0] >= wanted:
            return jump
        moved[0, 0] = wanted - ink[-1, 0]
        return self.normalisation.normalise(moved)[0].astype(jump.dtype)

    def glyph(
        self,
        text: str,
        position: int,
        read: np.ndarray,
        own: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray | None:
        drawings = self.bank.drawings.get(text[position])
        if not drawings:
            return None
        points, eos = drawings[rng.integers(len(drawings))]
        ink, hand = self._ink_and_hand(read, own)
        gap = WORD_GAP if position > 0 and text[position - 1] == " " else LETTER_GAP
        size = (hand.x_height if hand else self.bank.x_height) * rng.uniform(
            1 - SIZE_JITTER, 1 + SIZE_JITTER
        )
        placed = place(points * size, hand, ink[-CONTEXT_POINTS:], gap * size)  # (G, 2)
        rest = ink[-1] if len(ink) else np.zeros(2)
        return self.normalisation.normalise(placed_offsets(placed, eos, rest))

    def _ink_and_hand(self, read: np.ndarray, own: np.ndarray) -> tuple[np.ndarray, Hand | None]:
        """The ink of what the network has read, normalised offsets (S, 3) -> absolute points
        (S, 2) in pen units, y down; and the hand of its latest own ink (`own` (S,))."""
        raw = self.normalisation.denormalise(read)  # (S, 3)
        ink = np.cumsum(raw[:, :2], axis=0)  # (S, 2)
        hand = measure_hand(ink[own][-CONTEXT_POINTS:], raw[own, 2][-CONTEXT_POINTS:] > 0.5)
        return ink, hand


@dataclass(frozen=True)
class Hand:
    tilt: float  # dy/dx of the baseline
    baseline: float  # y of the baseline under the right end of the ink, levelled
    x_height: float
    slant: float


def measure_hand(ink: np.ndarray, eos: np.ndarray) -> Hand | None:
    """The hand of ink (S, 2), eos (S,), with the baseline measured under its last few letters
    (the `BASELINE_BOTTOMS` rightmost bottoms of the levelled ink), where a glyph goes next;
    None when there is too little ink to measure."""
    metrics = measure_line(ink, eos) if len(ink) > 1 else None
    if metrics is None:
        return None
    _, bottoms = turning_points(level(ink, metrics.tilt), eos)  # (B, 2)
    rightmost = bottoms[np.argsort(bottoms[:, 0])[-BASELINE_BOTTOMS:]]
    return Hand(metrics.tilt, float(np.median(rightmost[:, 1])), metrics.x_height, metrics.slant)


def placed_offsets(placed: np.ndarray, eos: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """Raw offsets (G, 3) drawing the points `placed` (G, 2) with `eos` (G,) for a pen resting at
    `rest` (2,): row 0 jumps from there to the first point, the last row lifts the pen."""
    offsets = np.zeros((len(placed), 3))
    offsets[:, :2] = np.diff(placed, axis=0, prepend=np.reshape(rest, (1, 2)))
    offsets[:, 2] = eos
    offsets[-1, 2] = 1.0
    return offsets


def place(drawing: np.ndarray, hand: Hand | None, ink: np.ndarray, gap: float) -> np.ndarray:
    """A drawing (G, 2), upright with its baseline at y = 0, put in the hand: absolute (G, 2).

    With `hand`, the drawing takes its slant and sits on its baseline, `gap` right of the right
    edge of the recent `ink` (S, 2), along its tilt. Without one (too little of the network's own
    ink to measure: an unstyled line that began with glyphs) it stands upright, `gap` right of the
    ink, on the ink's lowest point, where the glyphs before it stand.
    """
    drawing = shear(drawing, hand.slant if hand else 0.0, 0.0)  # (G, 2)
    drawing[:, 0] -= drawing[:, 0].min()
    if hand is None:
        right, bottom = (ink[:, 0].max(), ink[:, 1].max()) if len(ink) else (0.0, 0.0)
        return drawing + [right + gap, bottom]
    drawing += [level(ink, hand.tilt)[:, 0].max() + gap, hand.baseline]
    return level(drawing, -hand.tilt)
