"""Optimisers: Graves's RMSProp variant (2013, eqs 38-41) and Adam, chosen by name."""

from __future__ import annotations

import torch


class GravesRMSProp(torch.optim.Optimizer):
    """Centred RMSProp with momentum, the epsilon inside the square root (Graves 2013, eqs 38-41).

    n = a n + (1 - a) g^2;  m = a m + (1 - a) g;  delta = b delta - lr g / sqrt(n - m^2 + eps);
    w = w + delta, with a = 0.95, b = 0.9, lr = 1e-4, eps = 1e-4 in the paper.
    """

    def __init__(self, params, lr=1e-4, alpha=0.95, momentum=0.9, eps=1e-4):
        super().__init__(params, dict(lr=lr, alpha=alpha, momentum=momentum, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None if closure is None else closure()
        for group in self.param_groups:
            a, b, lr, eps = group["alpha"], group["momentum"], group["lr"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["n"] = torch.zeros_like(p)
                    state["m"] = torch.zeros_like(p)
                    state["delta"] = torch.zeros_like(p)
                g = p.grad
                state["n"].mul_(a).addcmul_(g, g, value=1 - a)  # eq 38
                state["m"].mul_(a).add_(g, alpha=1 - a)  # eq 39
                denominator = (state["n"] - state["m"].square() + eps).sqrt_()
                state["delta"].mul_(b).addcdiv_(g, denominator, value=-lr)  # eq 40
                p.add_(state["delta"])  # eq 41
        return loss


OPTIMIZERS = ("rmsprop", "adam")


def make_optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    """`rmsprop` is Graves's variant above; `adam` is torch's Adam."""
    if name == "rmsprop":
        return GravesRMSProp(params, lr=lr)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {OPTIMIZERS}")
