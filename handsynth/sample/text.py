"""Sampling text from a trained text network, one symbol at a time."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from handsynth.data.alphabet import Alphabet
from handsynth.errors import UserError
from handsynth.nn.models import TextNetwork


def sample_text(
    model: TextNetwork,
    alphabet: Alphabet,
    prime: str | list[str] = "",
    length: int = 200,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
) -> list[str]:
    """`length` symbols following `prime` (characters, or words at word level); see stream_text."""
    return list(stream_text(model, alphabet, prime, length, temperature, generator))


@torch.no_grad()
def stream_text(
    model: TextNetwork,
    alphabet: Alphabet,
    prime: str | list[str] = "",
    length: int = 200,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
) -> Iterator[str]:
    """Yield `length` symbols following `prime` (characters, or words at word level), each as
    soon as it is sampled.

    The prime is run through the network first; with no prime the network first reads the
    alphabet's symbol 0 (the line end in a sorted character alphabet, so sampling starts a line).
    Temperature divides the logits: below 1 is more conservative.
    """
    if length < 0:
        raise UserError("length must be zero or more")
    if temperature <= 0:
        raise UserError("temperature must be above zero")
    model.eval()
    device = next(model.parameters()).device
    primed = alphabet.encode(prime) if len(prime) else [0]
    tokens = torch.as_tensor(primed, device=device).unsqueeze(0)  # (1, P)
    logits, state = model(tokens)
    for _ in range(length):
        probs = torch.softmax(logits[:, -1] / temperature, dim=-1)  # (1, V)
        symbol = torch.multinomial(probs, 1, generator=generator)  # (1, 1)
        yield alphabet.symbols[int(symbol)]
        logits, state = model(symbol, state)
