"""The sampler's stepper on the torch synthesis network, for writing on a GPU (`--device cuda`).

`synthesis.stream_synthesis` steps a network through an object with `stepper(chars, char_mask)`
and `initial_state(B)`: `stepper.SynthesisWeights` in numpy on the CPU, or `TorchSynthesis` here,
which runs the training recurrence itself (`SynthesisNetwork.forward`, one step at a time) on
whatever device holds the network and hands the sampler the same numpy `Mixture` and phi. Many
lines at once are where a GPU pays: at batch 1 a step is a few dozen small kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from handsynth.nn.models import SynthesisNetwork, SynthesisState
from handsynth.sample.stepper import Mixture


@dataclass
class TorchStepState:
    """A `SynthesisState` the sampler can select rows of."""

    state: SynthesisState

    def rows(self, keep: np.ndarray) -> TorchStepState:
        index = torch.as_tensor(keep, device=self.state.window.device)
        layers = [(h[index], c[index]) for h, c in self.state.layers]
        return TorchStepState(
            SynthesisState(layers, self.state.window[index], self.state.kappa[index])
        )

    def window_moved(self, shift: np.ndarray) -> TorchStepState:
        """The state with each row's window locations moved `shift` (B,) characters on."""
        kappa = self.state.kappa + torch.as_tensor(shift, device=self.state.kappa.device)[:, None]
        return TorchStepState(SynthesisState(self.state.layers, self.state.window, kappa))

    @staticmethod
    def concatenate(states: list[TorchStepState]) -> TorchStepState:
        """One state holding the rows of `states` in order (the inverse of `rows`)."""
        layers = [
            (torch.cat([h for h, _ in layer]), torch.cat([c for _, c in layer]))
            for layer in zip(*(s.state.layers for s in states), strict=True)
        ]
        window = torch.cat([s.state.window for s in states])
        return TorchStepState(
            SynthesisState(layers, window, torch.cat([s.state.kappa for s in states]))
        )


class TorchSynthesis:
    """A synthesis network on its device, as the sampler steps it."""

    def __init__(self, network: SynthesisNetwork):
        self.network = network.eval()
        self.reference = next(network.parameters())

    def initial_state(self, batch_size: int) -> TorchStepState:
        return TorchStepState(self.network.initial_state(self.reference, batch_size))

    def stepper(self, chars: np.ndarray, char_mask: np.ndarray) -> TorchStepper:
        return TorchStepper(self, chars, char_mask)


class TorchStepper:
    """`SynthesisStepper`'s `step`, `read` and `rows` on the torch network."""

    def __init__(self, synthesis: TorchSynthesis, chars: np.ndarray, char_mask: np.ndarray):
        self.synthesis = synthesis
        device = synthesis.reference.device
        self.chars = torch.as_tensor(chars, device=device)
        self.char_mask = torch.as_tensor(char_mask, device=device)

    def rows(self, keep: np.ndarray) -> TorchStepper:
        index = torch.as_tensor(keep, device=self.chars.device)
        return TorchStepper(self.synthesis, self.chars[index], self.char_mask[index])

    @torch.no_grad()
    def _run(self, x: np.ndarray, state: TorchStepState):
        """x (B, T, 3) -> mixture parameters (B, T, ...), phi (B, T, U + 1), new state."""
        inputs = torch.as_tensor(x, dtype=self.synthesis.reference.dtype)
        inputs = inputs.to(self.synthesis.reference.device)
        params, new = self.synthesis.network(
            inputs, self.chars, self.char_mask, state.state, keep_phi=True
        )
        phi, new.phi = new.phi, None
        return params, phi, TorchStepState(new)

    def step(
        self, x: np.ndarray, state: TorchStepState
    ) -> tuple[Mixture, np.ndarray, TorchStepState]:
        """x (B, 3) -> the mixture for the next point, phi (B, U + 1), the new state."""
        params, phi, state = self._run(x[:, None], state)
        mixture = Mixture(*(p[:, 0].float().cpu().numpy() for p in params))  # same field order
        return mixture, phi[:, 0].float().cpu().numpy(), state

    def read(self, inputs: np.ndarray, state: TorchStepState) -> tuple[np.ndarray, TorchStepState]:
        """Inputs (B, T, 3), all at once -> the window weights after the last (B, U + 1), state."""
        _, phi, state = self._run(inputs, state)
        return phi[:, -1].cpu().numpy(), state
