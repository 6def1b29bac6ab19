"""The knobs of writing, sampling and text training with their defaults, shared by the library, the
command line and its --help. Nothing here imports torch, so `handsynth --help` starts quickly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from handsynth import limits
from handsynth.errors import UserError

# The neatness `write`, `heatmap --text` and `eval legibility` use unless told: of 0.5, 1 and 2,
# bias 1 gave the shipped model its lowest recogniser error on 100 validation lines.
DEFAULT_BIAS = 1.0
MAX_CHARACTERS = 5000  # about two pages; longer texts should be written in several calls
MAX_LINE_CHARACTERS = 120  # beyond this the attention window was never trained (IAM lines ≤ ~80)


SAMPLE_STEPS = 700  # pen steps of unconditional handwriting, as in Graves Fig 11
# A little bias (eqs 61-62) keeps unconditional strokes steady; 0 draws exactly what the network
# predicts, as Graves Fig 11 does. Of 0, 0.5 and 1, 0.5 looked most like writing with the shipped
# 2x128 prediction model (seed 0, three lines).
SAMPLE_BIAS = 0.5
TEXT_LENGTH = 300  # symbols `generate` samples after the prime
DEFAULT_BPTT = 100  # text: symbols per truncated-backpropagation window


@dataclass
class WriteOptions:
    bias: float = DEFAULT_BIAS  # sharpness (Graves eqs 61-62): 0 is as sampled, higher is neater
    temperature: float = 1.0  # scales the sampling noise; below 1 is steadier
    seed: int | None = None  # fixes the drawing; None draws a fresh one each time
    wrap: int = 50  # characters per written line; 0 keeps the text's own lines
    retries: int = 3  # extra draws for a line with faults (see handsynth.write.faults)
    # Draws of each line, of which the recogniser picks the one it reads best (sample/reader.py).
    candidates: int = 1

    def check(self) -> None:
        """Raise UserError naming the first option outside its range (handsynth.limits)."""
        ranges = {"bias": limits.BIAS, "retries": limits.RETRIES, "candidates": limits.CANDIDATES}
        for name, (low, high) in ranges.items():
            value = getattr(self, name)
            if not (math.isfinite(value) and low <= value <= high):
                raise UserError(f"{name} must be from {low:g} to {high:g}, got {value}")
        low, high = limits.TEMPERATURE
        if not (math.isfinite(self.temperature) and low < self.temperature <= high):
            raise UserError(f"temperature must be above {low:g} up to {high:g}")
        if self.wrap != 0 and not limits.WRAP[0] <= self.wrap <= limits.WRAP[1]:
            low, high = limits.WRAP
            raise UserError(f"wrap must be 0 or from {low} to {high} characters, got {self.wrap}")
        if self.seed is not None and not 0 <= self.seed < 2**63:
            raise UserError(f"seed must be from 0 to 2**63 - 1, got {self.seed}")
