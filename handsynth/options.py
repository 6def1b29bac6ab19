"""The knobs of writing, sampling and text training with their defaults, shared by the library, the
command line and its --help. Nothing here imports torch, so `handsynth --help` starts quickly.
"""

from __future__ import annotations

from dataclasses import dataclass

from handsynth import limits, values

# The neatness `write`, `heatmap --text` and `eval legibility` use unless told: on the practical
# set of names, dates and numbers Tesseract misread 0.133 of the characters at bias 1, 0.118 at
# 1.5 and 0.112 at 2 (docs/legibility.md), and the hand still varies as a person's does.
DEFAULT_BIAS = 2.0
# Draws of each line that `write` lets the recogniser choose among unless told (where it reads the
# model's alphabet): on the practical set Tesseract misread 0.124 of the characters with one draw
# and 0.115 with two, which take about 1.2x the time of one (docs/legibility.md).
DEFAULT_CANDIDATES = 2
# Adam steps that adapting to a writer (`handsynth styles adapt`, `nn.adapt`) tunes the mixture
# head for: from 3 lines of 20 held-out writers, 200 steps found the writer 0.725 of the time
# (seeds 0-3; recogniser CER 0.229), 100 steps 0.675 (0.216), 400 steps 0.683 at seed 0 where
# 200 found 0.65 (docs/writer-id.md); about 17 s on one CPU thread.
ADAPT_STEPS = 200
MAX_CHARACTERS = 5000  # about two pages; longer texts should be written in several calls
MAX_LINE_CHARACTERS = 120  # beyond this the attention window was never trained (IAM lines ≤ ~80)


SAMPLE_STEPS = 700  # pen steps of unconditional handwriting, as in Graves Fig 11
# A little bias (eqs 61-62) keeps unconditional strokes steady; 0 draws exactly what the network
# predicts, as Graves Fig 11 does. Of 0, 0.5 and 1, 0.5 looked most like writing with the shipped
# 2x128 prediction model (seed 0, three lines).
SAMPLE_BIAS = 0.5
# The hand a page is written in unless told: shipped style 1, primed before every line so that the
# page is one writer's (Graves §5.5). NO_STYLE writes each line in a hand of its own.
DEFAULT_STYLE = 1
NO_STYLE = 0
TEXT_LENGTH = 300  # symbols `generate` samples after the prime
DEFAULT_BPTT = 100  # text: symbols per truncated-backpropagation window


@dataclass
class WriteOptions:
    bias: float = DEFAULT_BIAS  # sharpness (Graves eqs 61-62): 0 is as sampled, higher is neater
    temperature: float = 1.0  # scales the sampling noise; below 1 is steadier
    seed: int | None = None  # fixes the drawing; None draws a fresh one each time
    wrap: int = 50  # characters per written line; 0 keeps the text's own lines
    retries: int = 3  # extra draws for a line with faults (see handsynth.write.faults)
    # Draws of each line, of which the recogniser picks the one it reads best (sample/reader.py);
    # `SynthesisModel.write` draws DEFAULT_CANDIDATES unless told.
    candidates: int = 1
    # Digits, capitals and marks the network writes badly drawn from real handwriting in its
    # place, in the line's hand (write/glyphs.py); False: the network writes every character.
    glyphs: bool = True

    def check(self) -> None:
        """Raise `FieldError` naming the first option outside its range (`handsynth.values`), as
        the command line and the web app check the same values."""
        values.number("bias", self.bias, limits.BIAS)
        values.number("temperature", self.temperature, limits.TEMPERATURE, above_low=True)
        if self.seed is not None:
            values.seed("seed", self.seed)
        values.wrap("wrap", self.wrap)
        values.integer("retries", self.retries, limits.RETRIES)
        values.integer("candidates", self.candidates, limits.CANDIDATES)
