"""Mixture density output: K bivariate Gaussians and a Bernoulli end of stroke (Graves, eqs 18-26).

The head maps the concatenated hidden states of every LSTM layer to the raw output vector y_hat
(eq 17). `MixtureParams` holds it split into its parts, still unconstrained, so that the loss can
work in log space: `nll` never forms a density that could underflow, and 1 - rho^2 is computed from
the pre-activation of rho without cancellation.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

LOG_2PI = math.log(2 * math.pi)


class MixtureParams(NamedTuple):
    """Unconstrained mixture outputs for every step; apply the eq 19-23 activations to read them."""

    e_hat: torch.Tensor  # (B, T) end-of-stroke logit; e = sigmoid(-e_hat), eq 19
    pi_hat: torch.Tensor  # (B, T, K) mixture weight logits; pi = softmax(pi_hat), eq 20
    mu: torch.Tensor  # (B, T, K, 2) means, eq 21
    sigma_hat: torch.Tensor  # (B, T, K, 2) log standard deviations; sigma = exp(sigma_hat), eq 22
    rho_hat: torch.Tensor  # (B, T, K) correlation pre-activations; rho = tanh(rho_hat), eq 23

    def at(self, t: int) -> MixtureParams:
        """The parameters of step t only, keeping a time axis of length 1."""
        return MixtureParams(*(p[:, t].unsqueeze(1) for p in self))

    def detach_numpy(self) -> dict:
        """Constrained parameters as numpy arrays (for plots): e, pi, mu, sigma, rho."""
        return {
            "e": torch.sigmoid(-self.e_hat).detach().cpu().numpy(),
            "pi": torch.softmax(self.pi_hat, -1).detach().cpu().numpy(),
            "mu": self.mu.detach().cpu().numpy(),
            "sigma": self.sigma_hat.exp().detach().cpu().numpy(),
            "rho": torch.tanh(self.rho_hat).detach().cpu().numpy(),
        }


class MixtureDensityHead(nn.Module):
    """Linear map from the backbone output to 1 + 6K mixture parameters (eqs 17-18)."""

    def __init__(self, input_size: int, num_mixtures: int):
        super().__init__()
        self.num_mixtures = num_mixtures
        self.linear = nn.Linear(input_size, 1 + 6 * num_mixtures)

    def forward(self, h: torch.Tensor, derivative_clip: float | None = None) -> MixtureParams:
        B, T, _ = h.shape
        K = self.num_mixtures
        with torch.autocast(h.device.type, enabled=False):  # float32 even in bf16 training
            y = self.linear(h.to(self.linear.weight.dtype))  # (B, T, 1 + 6K)
        y = clip_gradient(y, derivative_clip)
        e_hat, pi_hat, mu, sigma_hat, rho_hat = y.split([1, K, 2 * K, 2 * K, K], dim=-1)
        return MixtureParams(
            e_hat=e_hat.squeeze(-1),
            pi_hat=pi_hat,
            mu=mu.reshape(B, T, K, 2),
            sigma_hat=sigma_hat.reshape(B, T, K, 2),
            rho_hat=rho_hat,
        )


def log_one_minus_tanh_squared(x: torch.Tensor) -> torch.Tensor:
    """log(1 - tanh(x)^2) = -2 log cosh(x), exact for large |x| where 1 - tanh^2 rounds to 0."""
    a = x.abs()
    return 2 * (math.log(2) - a - F.softplus(-2 * a))


def gaussian_log_density(params: MixtureParams, point: torch.Tensor) -> torch.Tensor:
    """log N(point | mu_k, sigma_k, rho_k) of each component (eqs 24-25): (B, T, 2) -> (B, T, K)."""
    z12 = (point.unsqueeze(-2) - params.mu) * torch.exp(-params.sigma_hat)  # (B, T, K, 2)
    z1, z2 = z12.unbind(-1)
    rho = torch.tanh(params.rho_hat)
    log_one_minus_rho2 = log_one_minus_tanh_squared(params.rho_hat)
    z = z1.square() + z2.square() - 2 * rho * z1 * z2  # eq 25
    return (
        -LOG_2PI
        - params.sigma_hat.sum(-1)
        - 0.5 * log_one_minus_rho2
        - 0.5 * z * torch.exp(-log_one_minus_rho2)
    )


def nll(params: MixtureParams, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Sequence loss of eq 26: -log Pr(x) summed over the unmasked steps of each sequence.

    target (B, T, 3) holds (dx, dy, end_of_stroke) of the step each output predicts; mask (B, T) is
    true on real steps. Returns (B,) nats per sequence.
    """
    log_pi = torch.log_softmax(params.pi_hat, dim=-1)  # (B, T, K)
    log_mixture = torch.logsumexp(log_pi + gaussian_log_density(params, target[..., :2]), dim=-1)
    # -log e when the stroke ends, -log(1 - e) otherwise, with e = sigmoid(-e_hat) (eq 19).
    eos_nll = F.binary_cross_entropy_with_logits(-params.e_hat, target[..., 2], reduction="none")
    step_nll = eos_nll - log_mixture  # (B, T)
    return (step_nll * mask).sum(dim=1)


def squared_error(params: MixtureParams, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Sum over steps of the squared distance between the mixture mean and the true offset; (B,)."""
    pi = torch.softmax(params.pi_hat, dim=-1)  # (B, T, K)
    mean = (pi.unsqueeze(-1) * params.mu).sum(dim=-2)  # (B, T, 2)
    return ((mean - target[..., :2]).square().sum(-1) * mask).sum(dim=1)


def sample(
    params: MixtureParams, bias: float = 0.0, temperature: float = 1.0, generator=None
) -> torch.Tensor:
    """Draw one pen offset per sequence from the last step's mixture; returns (B, 3).

    `bias` sharpens the mixture towards its likeliest strokes (eqs 61-62): pi_hat is scaled by
    (1 + bias) and the standard deviations shrink by exp(-bias). `temperature` scales the Gaussian
    noise and the end-of-stroke logit, so 0 gives the mean of the chosen component.
    """
    p = params.at(-1)
    pi = torch.softmax(p.pi_hat[:, 0] * (1 + bias), dim=-1)  # (B, K)
    k = torch.multinomial(pi, 1, generator=generator).squeeze(-1)  # (B,)
    rows = torch.arange(k.shape[0], device=k.device)
    mu = p.mu[rows, 0, k]  # (B, 2)
    sigma = torch.exp(p.sigma_hat[rows, 0, k] - bias)  # (B, 2)
    rho = torch.tanh(p.rho_hat[rows, 0, k])  # (B,)
    n1, n2 = torch.randn(2, k.shape[0], generator=generator, device=mu.device) * temperature
    dx = mu[:, 0] + sigma[:, 0] * n1
    dy = mu[:, 1] + sigma[:, 1] * (rho * n1 + torch.sqrt(1 - rho.square()) * n2)
    e = torch.sigmoid(-p.e_hat[:, 0] / max(temperature, 1e-3))
    eos = torch.bernoulli(e, generator=generator)
    return torch.stack([dx, dy, eos], dim=-1)


class _ClipGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, bound):
        ctx.bound = bound
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return grad.clamp(-ctx.bound, ctx.bound), None


def clip_gradient(x: torch.Tensor, bound: float | None) -> torch.Tensor:
    """Identity whose backward pass clips the derivative to [-bound, bound] (Graves §4.2)."""
    if bound is None or not x.requires_grad:
        return x
    return _ClipGradient.apply(x, bound)
