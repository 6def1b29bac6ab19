"""Tests of handsynth.train.optim: Graves's RMSProp (2013, eqs 38-41) against a hand computation."""

import io

import numpy as np
import pytest
import torch

from handsynth.train.optim import GravesRMSProp, make_optimizer

GRADS = [np.array([0.5, -2.0, 1e-3, 0.0]), np.array([-1.0, 0.25, 3.0, 0.7])]
W0 = np.array([1.0, -1.0, 0.5, 2.0])


def hand_rmsprop(w, grads, lr, a=0.95, b=0.9, eps=1e-4):
    w = w.copy()
    n = np.zeros_like(w)
    m = np.zeros_like(w)
    delta = np.zeros_like(w)
    history = []
    for g in grads:
        n = a * n + (1 - a) * g**2  # eq 38
        m = a * m + (1 - a) * g  # eq 39
        delta = b * delta - lr * g / np.sqrt(n - m**2 + eps)  # eq 40
        w = w + delta  # eq 41
        history.append(w.copy())
    return history


def run_steps(opt, p, grads):
    history = []
    for g in grads:
        p.grad = torch.tensor(g, dtype=p.dtype)
        opt.step()
        history.append(p.detach().numpy().copy())
    return history


def test_graves_rmsprop_matches_eqs_38_to_41():
    lr = 0.01
    p = torch.tensor(W0, dtype=torch.float64, requires_grad=True)
    opt = GravesRMSProp([p], lr=lr)
    assert opt.defaults == dict(lr=lr, alpha=0.95, momentum=0.9, eps=1e-4)
    got = run_steps(opt, p, GRADS)
    expected = hand_rmsprop(W0, GRADS, lr)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-15)
    # The first step moves a weight by lr g / sqrt(0.05 g^2 - 0.0025 g^2 + eps), not lr sign(g).
    assert not np.allclose(expected[0] - W0, -lr * np.sign(GRADS[0]))


def test_graves_rmsprop_skips_params_without_grad():
    p = torch.ones(3, requires_grad=True)
    q = torch.ones(3, requires_grad=True)
    opt = GravesRMSProp([p, q], lr=0.1)
    p.grad = torch.ones(3)
    opt.step()
    assert not torch.equal(p.detach(), torch.ones(3))
    torch.testing.assert_close(q.detach(), torch.ones(3))
    assert q not in opt.state


def test_graves_rmsprop_state_dict_round_trip():
    lr = 0.05
    p = torch.tensor(W0, dtype=torch.float64, requires_grad=True)
    opt = GravesRMSProp([p], lr=lr)
    run_steps(opt, p, GRADS[:1])
    # Through bytes, as in a checkpoint: state_dict() aliases the live state tensors.
    buffer = io.BytesIO()
    torch.save(opt.state_dict(), buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)

    q = p.detach().clone().requires_grad_(True)
    resumed = GravesRMSProp([q], lr=123.0)  # the loaded groups carry lr back
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == lr

    a = run_steps(opt, p, GRADS[1:])
    b = run_steps(resumed, q, GRADS[1:])
    np.testing.assert_array_equal(a[-1], b[-1])
    np.testing.assert_allclose(b[-1], hand_rmsprop(W0, GRADS, lr)[-1], rtol=1e-12)


def test_make_optimizer_choices():
    p = [torch.nn.Parameter(torch.zeros(2))]
    opt = make_optimizer("rmsprop", p, lr=0.3)
    assert isinstance(opt, GravesRMSProp) and opt.param_groups[0]["lr"] == 0.3
    adam = make_optimizer("adam", p, lr=0.2)
    assert isinstance(adam, torch.optim.Adam) and adam.param_groups[0]["lr"] == 0.2
    with pytest.raises(ValueError, match="sgd") as err:
        make_optimizer("sgd", p, lr=0.1)
    assert "rmsprop" in str(err.value) and "adam" in str(err.value)
