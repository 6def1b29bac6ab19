"""Unconditional handwriting from the prediction network (Graves §4, Fig 11), and the seeded torch
random generator that it and the text sampler draw with.

Each step feeds the last pen offset back in and draws the next from the mixture (eqs 61-62 for the
bias). Conditional handwriting, which `write` draws without torch, is in `synthesis.py`.
"""

from __future__ import annotations

import numpy as np
import torch

from handsynth.nn import mdn
from handsynth.nn.models import PredictionNetwork


def make_generator(seed: int | None) -> torch.Generator:
    """A random generator fixed by `seed`, or freshly seeded from the system when it is None."""
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator


@torch.no_grad()
def sample_prediction(
    model: PredictionNetwork,
    num_lines: int,
    steps: int,
    bias: float = 0.0,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
) -> np.ndarray:
    """Unconditional handwriting: (num_lines, steps + 1, 3) normalised offsets."""
    model.eval()
    reference = next(model.parameters())
    x = reference.new_zeros(num_lines, 1, 3)
    state, out = None, [x[:, 0]]
    for _ in range(steps):
        params, state = model(x, state)
        x = mdn.sample(params, bias, temperature, generator).unsqueeze(1)
        out.append(x[:, 0])
    return torch.stack(out, dim=1).cpu().numpy()
