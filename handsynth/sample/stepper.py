"""One-step inference for the synthesis network in numpy: what `write` runs, without torch.

Sampling draws one pen point per step, so at batch 1 the cost of a step is the number of array
operations rather than the arithmetic: torch spends 2-10 µs of dispatch on each small operation and
numpy about 1, and importing torch costs more than writing a short line. `SynthesisWeights` packs
each layer's input and recurrent matrices into one (4H, I_n + H) float32 matrix with its two biases
summed, straight from a model file's arrays; `SynthesisStepper` runs a step as one BLAS matrix
product per layer, the window (eqs 46-51) and the mixture head (eqs 17-18), with the element-wise
work between the products compiled (`kernels.py`); `sample_mixture` draws the next pen offset
as `mdn.sample` does (eqs 61-62 for the bias). tests/test_stepper.py holds all three to the torch
model.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np

from handsynth.errors import CheckpointError
from handsynth.guard import deferred
from handsynth.sample.kernels import attention_window, lstm_cell, mixture_draw

NOT_FINITE = (
    "the model drew pen positions that are not finite numbers; its weights are damaged or it was "
    "trained on other data"
)


@dataclass
class StepState:
    """The recurrent state between steps, as float32 arrays."""

    h: list[np.ndarray]  # per layer (B, H)
    c: list[np.ndarray]  # per layer (B, H)
    window: np.ndarray  # (B, A) w_{t-1}
    kappa: np.ndarray  # (B, K) window locations

    def rows(self, keep: np.ndarray) -> StepState:
        """The state of the lines selected by `keep` (a (B,) mask or indices)."""
        return StepState(
            h=[h[keep] for h in self.h],
            c=[c[keep] for c in self.c],
            window=self.window[keep],
            kappa=self.kappa[keep],
        )

    def window_moved(self, shift: np.ndarray) -> StepState:
        """The state with each row's window locations moved `shift` (B,) characters on."""
        kappa = self.kappa + shift[:, None].astype(np.float32)  # (B, K)
        return StepState(h=self.h, c=self.c, window=self.window, kappa=kappa)

    @staticmethod
    def concatenate(states: list[StepState]) -> StepState:
        """One state holding the rows of `states` in order (the inverse of `rows`)."""
        return StepState(
            h=[np.concatenate(layer) for layer in zip(*(s.h for s in states), strict=True)],
            c=[np.concatenate(layer) for layer in zip(*(s.c for s in states), strict=True)],
            window=np.concatenate([s.window for s in states]),
            kappa=np.concatenate([s.kappa for s in states]),
        )


@dataclass
class Mixture:
    """The raw head outputs of one step (Graves eq 18 before the transforms of eqs 19-22)."""

    e_hat: np.ndarray  # (B,)
    pi_hat: np.ndarray  # (B, K)
    mu: np.ndarray  # (B, K, 2)
    sigma_hat: np.ndarray  # (B, K, 2)
    rho_hat: np.ndarray  # (B, K)


def pack_lstm(
    weight_ih: np.ndarray, weight_hh: np.ndarray, bias_ih: np.ndarray, bias_hh: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM layer's torch arrays -> its (4H, I + H) float32 matrix and (4H,) summed bias.

    sigmoid(g) = (1 + tanh(g / 2)) / 2: with the input, forget and output rows halved (exact in
    floating point), one tanh over all 4H gates gives every gate of a step (`lstm_cell`).
    """
    H = len(bias_ih) // 4
    gate_scale = np.concatenate([np.full(2 * H, 0.5), np.ones(H), np.full(H, 0.5)])
    gate_scale = gate_scale.astype(np.float32)  # (4H,) rows: input, forget, cell, output
    matrix = np.concatenate([weight_ih, weight_hh], axis=1).astype(np.float32)  # (4H, I + H)
    bias = (bias_ih + bias_hh).astype(np.float32)  # (4H,)
    return np.ascontiguousarray(matrix * gate_scale[:, None]), bias * gate_scale


@dataclass
class SynthesisWeights:
    """A synthesis network's weights packed for stepping, as float32 arrays."""

    # Per layer: the (4H, I_n + H) matrix and (4H,) bias, input, forget and output rows halved.
    layers: list[tuple[np.ndarray, np.ndarray]]
    window_weight: np.ndarray  # (3K_w, H)
    window_bias: np.ndarray  # (3K_w,)
    head_weight: np.ndarray  # (1 + 6K, N * H)
    head_bias: np.ndarray  # (1 + 6K,)
    alphabet_size: int  # A
    num_mixtures: int  # K

    @classmethod
    def from_state_dict(cls, arrays: Mapping[str, np.ndarray], config: dict) -> SynthesisWeights:
        """From a synthesis network's state dict as arrays (a model file's) and its config."""

        def array(name: str) -> np.ndarray:
            return np.ascontiguousarray(arrays[name], dtype=np.float32)

        layers = []
        for n in range(config["num_layers"]):
            prefix = f"backbone.layers.{n}."
            names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
            layers.append(pack_lstm(*(arrays[prefix + name] for name in names)))
        weights = cls(
            layers=layers,
            window_weight=array("window.linear.weight"),
            window_bias=array("window.linear.bias"),
            head_weight=array("head.linear.weight"),
            head_bias=array("head.linear.bias"),
            alphabet_size=config["alphabet_size"],
            num_mixtures=config["num_mixtures"],
        )
        weights.check(config)
        return weights

    @classmethod
    def from_network(cls, network) -> SynthesisWeights:
        """From a torch `SynthesisNetwork` (tests and benchmarks build those directly)."""
        arrays = {k: v.detach().cpu().float().numpy() for k, v in network.state_dict().items()}
        return cls.from_state_dict(arrays, asdict(network.config))

    def check(self, config: dict) -> None:
        """Raise ValueError naming the first array whose shape does not fit `config`."""
        H, N, A = config["hidden_size"], config["num_layers"], config["alphabet_size"]
        K, K_w = config["num_mixtures"], config["num_window_gaussians"]
        expected = {f"layer {n}": (4 * H, 3 + A + H * (n > 0) + H) for n in range(N)}
        expected |= {"window": (3 * K_w, H), "head": (1 + 6 * K, N * H)}
        found = {f"layer {n}": matrix.shape for n, (matrix, _) in enumerate(self.layers)}
        found |= {"window": self.window_weight.shape, "head": self.head_weight.shape}
        for name, shape in expected.items():
            if found.get(name) != shape:
                raise ValueError(f"{name} weights are {found.get(name)}, the config needs {shape}")

    @property
    def hidden_size(self) -> int:
        return self.layers[0][0].shape[0] // 4

    @property
    def nbytes(self) -> int:
        """Bytes read from memory by one step: every weight once."""
        arrays = [a for layer in self.layers for a in layer]
        arrays += [self.window_weight, self.window_bias, self.head_weight, self.head_bias]
        return sum(a.nbytes for a in arrays)

    def stepper(self, chars: np.ndarray, char_mask: np.ndarray) -> SynthesisStepper:
        """A stepper over the characters chars (B, U) with char_mask (B, U)."""
        return SynthesisStepper(self, chars, char_mask)

    def initial_state(self, batch_size: int) -> StepState:
        """All zeros, as the network starts (`SynthesisNetwork.initial_state`)."""
        B, H = batch_size, self.hidden_size
        return StepState(
            h=[np.zeros((B, H), np.float32) for _ in self.layers],
            c=[np.zeros((B, H), np.float32) for _ in self.layers],
            window=np.zeros((B, self.alphabet_size), np.float32),
            kappa=np.zeros((B, len(self.window_bias) // 3), np.float32),
        )


class SynthesisStepper:
    """`step(x, state)` of the network with `weights` over the characters `chars` (B, U) with
    `char_mask` (B, U), both numpy arrays."""

    def __init__(self, weights: SynthesisWeights, chars: np.ndarray, char_mask: np.ndarray):
        self.weights = weights
        self.chars = np.ascontiguousarray(chars, dtype=np.int64)  # (B, U)
        self.char_mask = np.ascontiguousarray(char_mask, dtype=np.bool_)  # (B, U)

    def rows(self, keep: np.ndarray) -> SynthesisStepper:
        """This stepper for the lines selected by `keep` (a (B,) mask or indices)."""
        selected = copy.copy(self)
        selected.chars, selected.char_mask = self.chars[keep], self.char_mask[keep]
        return selected

    def read(self, inputs: np.ndarray, state: StepState) -> tuple[np.ndarray, StepState]:
        """Run the network over given points (teacher forcing, as priming with a style does):
        inputs (B, T, 3) -> the window weights after the last one (B, U + 1), the state."""
        phi = None
        for t in range(inputs.shape[1]):
            _, phi, state = self.step(inputs[:, t], state)
        return phi, state

    @staticmethod
    def _product(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """x (B, I) @ weight (O, I)^T -> (B, O): a matrix-vector product at batch 1."""
        if len(x) == 1:
            return (weight @ x[0])[None]
        return x @ weight.T

    def _lstm(self, n: int, inputs: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Layer n: inputs (B, I_n + H) = [layer input, own h] -> new (h, c), each (B, H)."""
        matrix, bias = self.weights.layers[n]
        return lstm_cell(self._product(inputs, matrix), bias, c)

    def step(self, x: np.ndarray, state: StepState) -> tuple[Mixture, np.ndarray, StepState]:
        """x (B, 3) -> the mixture for the next point, phi (B, U + 1), the new state.

        Ctrl-C waits for the step to end (`guard.deferred`): raised inside a compiled kernel it
        would come out as numba's SystemError."""
        with deferred():
            try:
                return self._step(x, state)
            except ZeroDivisionError:  # the compiled cell met infinities: weights that overflow
                raise CheckpointError(NOT_FINITE) from None

    def _step(self, x: np.ndarray, state: StepState) -> tuple[Mixture, np.ndarray, StepState]:
        h, c = self._lstm(0, np.concatenate([x, state.window, state.h[0]], axis=1), state.c[0])
        hs, cs = [h], [c]
        w = self.weights
        phi, window, kappa = attention_window(
            self._product(h, w.window_weight),
            w.window_bias,
            state.kappa,
            self.chars,
            self.char_mask,
            w.alphabet_size,
        )  # (B, U + 1), (B, A), (B, K): eqs 46-51
        for n in range(1, len(w.layers)):
            inputs = np.concatenate([x, window, hs[-1], state.h[n]], axis=1)
            h, c = self._lstm(n, inputs, state.c[n])
            hs.append(h)
            cs.append(c)
        y = self._product(np.concatenate(hs, axis=1), w.head_weight) + w.head_bias
        B, K = len(x), w.num_mixtures
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
    scaled by `temperature`, the pen lift from sigmoid(-e_hat / temperature). The noise comes from
    `rng` in three calls, the rest in one compiled loop (`kernels.mixture_draw`).
    """
    B, K = mixture.pi_hat.shape
    # The Gumbel-max trick: argmax of the logits plus Gumbel noise is a draw from their softmax.
    gumbel = rng.gumbel(size=(B, K))
    normal = rng.standard_normal((2, B), dtype=np.float32)
    # The pen lifts with probability sigmoid(-e_hat / temperature): where logistic noise falls
    # below that logit.
    logistic = rng.logistic(size=B)
    m = mixture
    # Floats, so an int bias does not compile a second copy of the kernel.
    knobs = float(bias), float(temperature)
    with deferred():  # an interrupt waits for the compiled call to return
        return mixture_draw(
            m.e_hat, m.pi_hat, m.mu, m.sigma_hat, m.rho_hat, *knobs, gumbel, normal, logistic
        )
