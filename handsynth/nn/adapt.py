"""Adapting a synthesis network to one writer: a short fine-tune on a few of their lines.

Priming (Graves §5.5) shows the network one line of a hand; adaptation also changes the network a
little, so that what it draws after the prime keeps more of that hand. Only the mixture head is
tuned: the layer that turns the LSTM state into pen movements (stroke lengths, size, roundness,
where the pen lifts). The LSTMs and the window, which hold how each letter is written, stay as they
were, so their outputs on the writer's lines are computed once and the head is tuned on them alone
(a step costs one linear layer, not a pass through the LSTMs). The few small Adam steps bound how
far the head moves (at most about steps x rate per weight), so that letters the writer never wrote
are not forgotten (docs/writing.md has the measurement). The training lines are the writer's lines
and every ordered pair of them joined (`data.line_pairs`): one line read as the prime, the other
written after it in the same hand, which is how `write` uses a style.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import torch

from handsynth.data.dataset import HandwritingData
from handsynth.data.line_pairs import join_lines
from handsynth.nn import mdn
from handsynth.options import ADAPT_STEPS

ADAPT_LEARNING_RATE = 3e-4


def adaptation_lines(
    lines: list[tuple[np.ndarray, str]],
) -> tuple[list[np.ndarray], list[str]]:
    """A writer's lines (raw offsets (T, 3), text) and each ordered pair of them joined."""
    offsets = [line for line, _ in lines]
    texts = [text for _, text in lines]
    for i, (first, first_text) in enumerate(lines):
        for j, (second, second_text) in enumerate(lines):
            if i != j:
                offsets.append(join_lines(first, second, first_text))
                texts.append(f"{first_text} {second_text}")
    return offsets, texts


def adapt(
    network: torch.nn.Module,
    data: HandwritingData,
    steps: int = ADAPT_STEPS,
    learning_rate: float = ADAPT_LEARNING_RATE,
    seed: int = 0,
    on_step: Callable[[int, float], None] | None = None,
) -> dict[str, np.ndarray]:
    """Tune a copy of a synthesis `network`'s head on all of `data` (one batch) for `steps` Adam
    steps; returns the tuned head's weights as float32 arrays by state-dict name. `on_step` sees
    each step's number (from 1) and its loss in nats per sequence."""
    torch.manual_seed(seed)
    batch = data.batch(np.arange(len(data)))
    features = []
    hook = network.head.register_forward_hook(lambda _, inputs, __: features.append(inputs[0]))
    try:
        with torch.no_grad():
            network(batch.inputs, batch.chars, batch.char_mask)
    finally:
        hook.remove()
    head = copy.deepcopy(network.head).train()
    optimizer = torch.optim.Adam(head.parameters(), lr=learning_rate)
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        params = head(features[0], network.output_clip)  # from (B, T, layers x H) LSTM outputs
        nats = mdn.nll(params, batch.targets, batch.mask).mean()
        nats.backward()
        optimizer.step()
        if on_step is not None:
            on_step(step, nats.item())
    return {
        f"head.{name}": p.detach().float().numpy().copy() for name, p in head.named_parameters()
    }
