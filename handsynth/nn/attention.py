"""Soft attention window over the characters of the text being written (Graves 2013, eqs 46-51).

At each step the first LSTM layer's output sets K Gaussians over character positions u = 1..U:
importance alpha, width beta and location kappa, where kappa only moves forwards (eq 51). The window
w_t is the one-hot characters weighted by phi(t, u), the summed Gaussians at position u.
"""

from __future__ import annotations

import torch
from torch import nn

# Initial bias of kappa_hat: the window starts moving about e^-3 = 1/20 of a character per step,
# close to the pace of IAM-OnDB writing (~15-20 pen points per character). With the default bias
# near 0 it starts at one character per step and races past the text before it has learnt to read.
KAPPA_BIAS_INIT = -3.0


class AttentionWindow(nn.Module):
    """Maps h^1_t to (alpha, beta, kappa) and reads the window w_t from the character sequence."""

    def __init__(self, hidden_size: int, num_gaussians: int):
        super().__init__()
        self.num_gaussians = num_gaussians
        self.linear = nn.Linear(hidden_size, 3 * num_gaussians)
        with torch.no_grad():
            self.linear.bias[2 * num_gaussians :].fill_(KAPPA_BIAS_INIT)

    def forward(
        self, h1: torch.Tensor, kappa_prev: torch.Tensor, chars_one_hot: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One step of the window.

        h1 (B, H) first-layer output; kappa_prev (B, K); chars_one_hot (B, U, A), zero rows on
        padding. Returns window (B, A), kappa (B, K) and phi (B, U + 1); phi[:, U] is the weight
        just past the last character, which tells the sampler that the text has been written.
        """
        U = chars_one_hot.shape[1]
        with torch.autocast(h1.device.type, enabled=False):  # float32 even in bf16 training
            h1 = h1.to(self.linear.weight.dtype)
            alpha_hat, beta_hat, kappa_hat = self.linear(h1).chunk(3, dim=-1)  # 3 x (B, K), eq 48
            alpha = alpha_hat.exp()  # eq 49
            beta = beta_hat.exp()  # eq 50
            kappa = kappa_prev + kappa_hat.exp()  # eq 51: the window only moves forwards
            u = torch.arange(1, U + 2, device=h1.device, dtype=h1.dtype)  # (U + 1,)
            distance2 = (kappa.unsqueeze(-1) - u).square()  # (B, K, U + 1)
            phi = (alpha.unsqueeze(-1) * torch.exp(-beta.unsqueeze(-1) * distance2)).sum(1)  # eq 46
            window = torch.bmm(phi[:, None, :U], chars_one_hot).squeeze(1)  # (B, A), eq 47
            return window, kappa, phi
