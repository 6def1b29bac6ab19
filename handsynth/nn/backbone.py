"""The deep LSTM shared by the prediction, synthesis and text networks (Graves 2013, eqs 1-5).

Skip connections: the input (and an optional per-step context, the synthesis window) reaches every
layer, and every layer's output reaches the output head. Each layer is a fused single-layer
`nn.LSTM` over the whole sequence; a model whose first layer depends on its own past output through
something else (the synthesis window) steps that layer with `step_layer`, the rest fused. A
one-step call (sampling) steps every layer with `step_layer`: for a single step the fused kernel's
fixed cost per call is several times the arithmetic.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from handsynth.nn.mdn import clip_gradient

# One (h, c) pair per layer, each (B, H).
LayerStates = list[tuple[torch.Tensor, torch.Tensor]]
# A layer's input and recurrent weight matrices and its summed biases.
LayerWeights = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


class DeepLSTM(nn.Module):
    """`num_layers` LSTM layers of `hidden_size` cells with input and output skip connections."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int, context_size: int = 0):
        super().__init__()
        self.hidden_size = hidden_size
        self.layers = nn.ModuleList(
            nn.LSTM(
                input_size + context_size + (hidden_size if n > 0 else 0),
                hidden_size,
                batch_first=True,
            )
            for n in range(num_layers)
        )

    @property
    def output_size(self) -> int:
        return self.hidden_size * len(self.layers)

    def initial_state(self, reference: torch.Tensor, batch_size: int) -> LayerStates:
        zeros = reference.new_zeros(batch_size, self.hidden_size)
        return [(zeros, zeros) for _ in self.layers]

    def layer_weights(self, n: int) -> LayerWeights:
        """Layer n's (W_ih, W_hh, b_ih + b_hh) for `step_layer`, read once per sequence.

        Under autocast (bf16 training) the two matrices are cast here, once, rather than at every
        step; the biases and the cell state stay in float32.
        """
        layer = self.layers[n]
        w_ih, w_hh = layer.weight_ih_l0, layer.weight_hh_l0
        device_type = w_ih.device.type
        if torch.is_autocast_enabled(device_type):
            dtype = torch.get_autocast_dtype(device_type)
            w_ih, w_hh = w_ih.to(dtype), w_hh.to(dtype)
        return w_ih, w_hh, layer.bias_ih_l0 + layer.bias_hh_l0

    @staticmethod
    def step_layer(
        inputs: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor], weights: LayerWeights
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One step of a layer: inputs (B, I_n) -> (h, c), each (B, H) in the biases' dtype."""
        w_ih, w_hh, bias = weights
        h, c = state
        gates = (
            bias + F.linear(inputs.to(w_ih.dtype), w_ih) + F.linear(h.to(w_hh.dtype), w_hh)
        )  # (B, 4H) in nn.LSTM's gate order: input, forget, cell, output
        i, f, g, o = gates.chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c

    def _run_layer(
        self, n: int, inputs: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]
    ) -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
        """Layer n over inputs (B, T, I_n) -> its last (h, c) and its outputs (B, T, H)."""
        if inputs.shape[1] == 1:
            h, c = self.step_layer(inputs[:, 0], state, self.layer_weights(n))
            return (h, c), h.unsqueeze(1)
        h0, c0 = state
        h_seq, (h_n, c_n) = self.layers[n](inputs, (h0.unsqueeze(0), c0.unsqueeze(0)))
        return (h_n.squeeze(0), c_n.squeeze(0)), h_seq

    def forward(
        self,
        x: torch.Tensor,
        state: LayerStates,
        context: torch.Tensor | None = None,
        first_layer_output: torch.Tensor | None = None,
        derivative_clip: float | None = None,
    ) -> tuple[torch.Tensor, LayerStates]:
        """Run the layers over a sequence.

        x (B, T, I); context (B, T, C) or None; first_layer_output (B, T, H) when layer 1 was
        already stepped by the caller (its entry in `state` is then passed through unchanged).
        Returns the concatenated layer outputs (B, T, N * H) and the new states. `derivative_clip`
        bounds the derivatives reaching each layer's output (Graves §4.2 clips them to 10).
        """
        shared_inputs = x if context is None else torch.cat([x, context], dim=-1)  # (B, T, I + C)
        outputs, new_state = [], []
        below = None
        for n in range(len(self.layers)):
            if n == 0 and first_layer_output is not None:
                h_seq, layer_state = first_layer_output, state[0]
            else:
                layer_input = (
                    shared_inputs if below is None else torch.cat([shared_inputs, below], -1)
                )
                layer_state, h_seq = self._run_layer(n, layer_input, state[n])
            h_seq = clip_gradient(h_seq, derivative_clip)  # (B, T, H)
            outputs.append(h_seq)
            new_state.append(layer_state)
            below = h_seq
        return torch.cat(outputs, dim=-1), new_state
