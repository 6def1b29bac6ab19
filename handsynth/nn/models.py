"""The three networks of Graves (2013) on one `DeepLSTM` backbone.

- `PredictionNetwork` (§4): unconditional handwriting, pen offsets in, mixture density out.
- `SynthesisNetwork` (§5): the same, conditioned on a character sequence through a soft window.
- `TextNetwork` (§3): characters or words in, a softmax over the next symbol out.

Each config (`configs.py`) holds architecture only; `asdict(config)` goes into checkpoints and
`checkpoint.build_model` rebuilds the network from it. State is explicit:
`forward(..., state=None) -> (outputs, state)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from handsynth.nn.attention import AttentionWindow
from handsynth.nn.backbone import DeepLSTM, LayerStates
from handsynth.nn.configs import PredictionConfig, SynthesisConfig, TextConfig
from handsynth.nn.mdn import MixtureDensityHead, MixtureParams, clip_gradient

PEN_INPUT_SIZE = 3  # (dx, dy, end_of_stroke)


class Clipped(nn.Module):
    """Holds the derivative bounds of Graves §4.2; the trainer sets them, inference leaves None."""

    def __init__(self):
        super().__init__()
        self.output_clip: float | None = None  # bound on d loss / d y_hat (paper: 100)
        self.lstm_clip: float | None = None  # bound on d loss / d h of every layer (paper: 10)


class PredictionNetwork(Clipped):
    kind = "prediction"

    def __init__(self, config: PredictionConfig):
        super().__init__()
        self.config = config
        self.backbone = DeepLSTM(PEN_INPUT_SIZE, config.hidden_size, config.num_layers)
        self.head = MixtureDensityHead(self.backbone.output_size, config.num_mixtures)

    def forward(
        self, x: torch.Tensor, state: LayerStates | None = None
    ) -> tuple[MixtureParams, LayerStates]:
        """x (B, T, 3) pen offsets -> mixture parameters for the next offset at every step."""
        if state is None:
            state = self.backbone.initial_state(x, x.shape[0])
        h, state = self.backbone(x, state, derivative_clip=self.lstm_clip)  # (B, T, N * H)
        return self.head(h, self.output_clip), state


@dataclass
class SynthesisState:
    layers: LayerStates
    window: torch.Tensor  # (B, A) w_{t-1}, the window read at the previous step
    kappa: torch.Tensor  # (B, K) window locations
    phi: torch.Tensor | None = None  # (B, T, U + 1) window weights of the last call, if kept


class SynthesisNetwork(Clipped):
    kind = "synthesis"

    def __init__(self, config: SynthesisConfig):
        super().__init__()
        self.config = config
        self.backbone = DeepLSTM(
            PEN_INPUT_SIZE, config.hidden_size, config.num_layers, context_size=config.alphabet_size
        )
        self.window = AttentionWindow(config.hidden_size, config.num_window_gaussians)
        self.head = MixtureDensityHead(self.backbone.output_size, config.num_mixtures)

    def initial_state(self, reference: torch.Tensor, batch_size: int) -> SynthesisState:
        return SynthesisState(
            layers=self.backbone.initial_state(reference, batch_size),
            window=reference.new_zeros(batch_size, self.config.alphabet_size),
            kappa=reference.new_zeros(batch_size, self.config.num_window_gaussians),
        )

    def one_hot(self, chars: torch.Tensor, char_mask: torch.Tensor) -> torch.Tensor:
        """chars (B, U) indices, char_mask (B, U) -> (B, U, A) one-hot with zero rows on padding."""
        one_hot = F.one_hot(chars, self.config.alphabet_size).to(torch.get_default_dtype())
        return one_hot * char_mask.unsqueeze(-1)

    def forward(
        self,
        x: torch.Tensor,
        chars: torch.Tensor,
        char_mask: torch.Tensor,
        state: SynthesisState | None = None,
        keep_phi: bool = False,
    ) -> tuple[MixtureParams, SynthesisState]:
        """x (B, T, 3) pen offsets, chars (B, U), char_mask (B, U) -> mixture parameters, new state.

        Layer 1 and the window are stepped (each needs the other's previous output, eqs 52-53); the
        other layers then run fused over the whole sequence with the windows as context.
        """
        B, T, _ = x.shape
        if state is None:
            state = self.initial_state(x, B)
        chars_one_hot = self.one_hot(chars, char_mask).to(x.dtype)  # (B, U, A)
        (h, c), window, kappa = state.layers[0], state.window, state.kappa
        first_layer = self.backbone.layer_weights(0)
        h_steps, window_steps, phi_steps = [], [], []
        for t in range(T):
            inputs = torch.cat([x[:, t], window], dim=-1)  # (B, 3 + A)
            h, c = self.backbone.step_layer(inputs, (h, c), first_layer)
            window, kappa, phi = self.window(h, kappa, chars_one_hot)
            h_steps.append(h)
            window_steps.append(window)
            if keep_phi:
                phi_steps.append(phi)
        h1 = torch.stack(h_steps, dim=1)  # (B, T, H)
        windows = torch.stack(window_steps, dim=1)  # (B, T, A)
        layer_states = [(h, c), *state.layers[1:]]
        out, layer_states = self.backbone(
            x, layer_states, context=windows, first_layer_output=h1, derivative_clip=self.lstm_clip
        )
        new_state = SynthesisState(
            layers=layer_states,
            window=window,
            kappa=kappa,
            phi=torch.stack(phi_steps, dim=1) if keep_phi else None,
        )
        return self.head(out, self.output_clip), new_state


class TextNetwork(Clipped):
    kind = "text"

    def __init__(self, config: TextConfig):
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_size)
        self.backbone = DeepLSTM(config.embedding_size, config.hidden_size, config.num_layers)
        # Dropout on the embedded inputs and on the layers' outputs where they reach the softmax,
        # never on the recurrent connections (Zaremba et al. 2014); active in training mode only.
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(self.backbone.output_size, config.vocab_size)

    def forward(
        self, tokens: torch.Tensor, state: LayerStates | None = None
    ) -> tuple[torch.Tensor, LayerStates]:
        """tokens (B, T) -> logits over the next symbol (B, T, V)."""
        x = self.dropout(self.embedding(tokens))  # (B, T, E)
        if state is None:
            state = self.backbone.initial_state(x, x.shape[0])
        h, state = self.backbone(x, state, derivative_clip=self.lstm_clip)  # (B, T, N * H)
        logits = self.head(self.dropout(h))  # (B, T, V)
        return clip_gradient(logits, self.output_clip), state
