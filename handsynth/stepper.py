"""One-step inference for the synthesis network in numpy, with its weights packed once.

Sampling draws one pen point per step, so at batch 1 the cost of a step is the number of array
operations rather than the arithmetic: torch spends 2-10 µs of dispatch on each small operation and
numpy about 1. `SynthesisStepper` packs each layer's input and recurrent matrices into one
(4H, I_n + H) float32 matrix with its two biases summed, makes the one-hot characters once per
batch of texts, and runs a step as one matrix product per layer, the window (eqs 46-51) and the
mixture head (eqs 17-18); `sample_mixture` draws the next pen offset as `mdn.sample` does
(eqs 61-62 for the bias). tests/test_stepper.py holds both to the torch model.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch

from handsynth.models import SynthesisNetwork, SynthesisState


@dataclass
class StepState:
    """The recurrent state between steps, as float32 arrays."""

    h: list[np.ndarray]  # per layer (B, H)
    c: list[np.ndarray]  # per layer (B, H)
    window: np.ndarray  # (B, A) w_{t-1}
    kappa: np.ndarray  # (B, K) window locations

    @classmethod
    def from_torch(cls, state: SynthesisState) -> StepState:
        arrays = [(h.detach().cpu().numpy(), c.detach().cpu().numpy()) for h, c in state.layers]
        return cls(
            h=[h for h, _ in arrays],
            c=[c for _, c in arrays],
            window=state.window.detach().cpu().numpy(),
            kappa=state.kappa.detach().cpu().numpy(),
        )

    def rows(self, keep: np.ndarray) -> StepState:
        """The state of the lines selected by `keep` (a (B,) mask or indices)."""
        return StepState(
            h=[h[keep] for h in self.h],
            c=[c[keep] for c in self.c],
            window=self.window[keep],
            kappa=self.kappa[keep],
        )


@dataclass
class Mixture:
    """The raw head outputs of one step (Graves eq 18 before the transforms of eqs 19-22)."""

    e_hat: np.ndarray  # (B,)
    pi_hat: np.ndarray  # (B, K)
    mu: np.ndarray  # (B, K, 2)
    sigma_hat: np.ndarray  # (B, K, 2)
    rho_hat: np.ndarray  # (B, K)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # exact, and never overflows


class SynthesisStepper:
    """`step(x, state)` of `model` over the characters `chars` (B, U) with `char_mask` (B, U)."""

    def __init__(self, model: SynthesisNetwork, chars: torch.Tensor, char_mask: torch.Tensor):
        def array(tensor: torch.Tensor) -> np.ndarray:
            return np.ascontiguousarray(tensor.detach().cpu().float().numpy())

        self.layers = [
            (
                array(torch.cat([layer.weight_ih_l0, layer.weight_hh_l0], dim=1)),  # (4H, I_n + H)
                array(layer.bias_ih_l0 + layer.bias_hh_l0),  # (4H,)
            )
            for layer in model.backbone.layers
        ]
        self.window_weight = array(model.window.linear.weight)  # (3K_w, H)
        self.window_bias = array(model.window.linear.bias)
        self.head_weight = array(model.head.linear.weight)  # (1 + 6K, N * H)
        self.head_bias = array(model.head.linear.bias)
        self.chars_one_hot = array(model.one_hot(chars, char_mask))  # (B, U, A)
        self.H = model.config.hidden_size
        self.K = model.config.num_mixtures
        U = chars.shape[1]
        self.u = np.arange(1, U + 2, dtype=np.float32)  # (U + 1,) character positions

    def rows(self, keep: np.ndarray) -> SynthesisStepper:
        """This stepper for the lines selected by `keep` (a (B,) mask or indices)."""
        selected = copy.copy(self)
        selected.chars_one_hot = self.chars_one_hot[keep]
        return selected

    @staticmethod
    def _linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
        """x (B, I) @ weight (O, I)^T + bias: a matrix-vector product at batch 1."""
        if len(x) == 1:
            return (weight @ x[0] + bias)[None]
        return x @ weight.T + bias

    def _lstm(self, n: int, inputs: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Layer n: inputs (B, I_n + H) = [layer input, own h] -> new (h, c), each (B, H)."""
        H = self.H
        gates = self._linear(inputs, *self.layers[n])  # (B, 4H): input, forget, cell, output
        sig = _sigmoid(gates)
        c = sig[:, H : 2 * H] * c + sig[:, :H] * np.tanh(gates[:, 2 * H : 3 * H])
        return sig[:, 3 * H :] * np.tanh(c), c

    def step(self, x: np.ndarray, state: StepState) -> tuple[Mixture, np.ndarray, StepState]:
        """x (B, 3) -> the mixture for the next point, phi (B, U + 1), the new state."""
        h, c = self._lstm(0, np.concatenate([x, state.window, state.h[0]], axis=1), state.c[0])
        hs, cs = [h], [c]
        abk = np.exp(self._linear(h, self.window_weight, self.window_bias))  # (B, 3K), eqs 48-50
        alpha, beta, kappa_step = np.split(abk[:, :, None], 3, axis=1)  # each (B, K, 1)
        kappa = state.kappa + kappa_step[:, :, 0]  # (B, K), eq 51
        distance2 = np.square(kappa[:, :, None] - self.u)  # (B, K, U + 1)
        phi = (alpha * np.exp(-beta * distance2)).sum(axis=1)  # (B, U + 1), eq 46
        U = self.chars_one_hot.shape[1]
        window = np.einsum("bu,bua->ba", phi[:, :U], self.chars_one_hot)  # (B, A), eq 47
        for n in range(1, len(self.layers)):
            inputs = np.concatenate([x, window, hs[-1], state.h[n]], axis=1)
            h, c = self._lstm(n, inputs, state.c[n])
            hs.append(h)
            cs.append(c)
        y = self._linear(np.concatenate(hs, axis=1), self.head_weight, self.head_bias)
        B, K = len(x), self.K
        mixture = Mixture(
            e_hat=y[:, 0],
            pi_hat=y[:, 1 : 1 + K],
            mu=y[:, 1 + K : 1 + 3 * K].reshape(B, K, 2),
            sigma_hat=y[:, 1 + 3 * K : 1 + 5 * K].reshape(B, K, 2),
            rho_hat=y[:, 1 + 5 * K :],
        )
        return mixture, phi, StepState(hs, cs, window, kappa)


def sample_mixture(
    mixture: Mixture, bias: float, temperature: float, rng: np.random.Generator
) -> np.ndarray:
    """One pen offset per line (B, 3) drawn from the mixture, as `mdn.sample` draws it.

    The component k comes from the softmax of pi_hat * (1 + bias) (eq 61), the offset from its
    bivariate Gaussian with the standard deviations shrunk by exp(-bias) (eq 62) and the noise
    scaled by `temperature`, the pen lift from sigmoid(-e_hat / temperature).
    """
    logits = mixture.pi_hat * (1 + bias)  # (B, K)
    pi = np.exp(logits - logits.max(axis=1, keepdims=True))
    cumulative = np.cumsum(pi, axis=1)  # (B, K)
    u_component, u_lift = rng.random((2, len(pi)), dtype=np.float32)
    k = (cumulative < u_component[:, None] * cumulative[:, -1:]).sum(axis=1)  # (B,)
    k = np.minimum(k, pi.shape[1] - 1)
    rows = np.arange(len(k))
    mu = mixture.mu[rows, k]  # (B, 2)
    sigma = np.exp(mixture.sigma_hat[rows, k] - bias)  # (B, 2)
    rho = np.tanh(mixture.rho_hat[rows, k])  # (B,)
    n1, n2 = rng.standard_normal((2, len(k)), dtype=np.float32) * temperature
    dx = mu[:, 0] + sigma[:, 0] * n1
    dy = mu[:, 1] + sigma[:, 1] * (rho * n1 + np.sqrt(1 - rho * rho) * n2)
    e = _sigmoid(-mixture.e_hat / max(temperature, 1e-3))
    eos = (u_lift < e).astype(np.float32)
    return np.stack([dx, dy, eos], axis=1).astype(np.float32)
