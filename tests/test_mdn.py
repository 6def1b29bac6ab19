"""Tests of handsynth.nn.mdn against independent numpy computations of Graves (2013), eqs 18-26."""

import math

import numpy as np
import pytest
import torch

from handsynth.nn.mdn import (
    MixtureDensityHead,
    MixtureParams,
    clip_gradient,
    log_one_minus_tanh_squared,
    nll,
    sample,
    squared_error,
)


def random_params(B=2, T=3, K=4, dtype=torch.float64, seed=0, requires_grad=False):
    g = torch.Generator().manual_seed(seed)

    def r(*shape, scale=1.0):
        t = (torch.randn(*shape, generator=g, dtype=dtype) * scale).detach()
        return t.requires_grad_(requires_grad)

    return MixtureParams(
        e_hat=r(B, T, scale=2.0),
        pi_hat=r(B, T, K),
        mu=r(B, T, K, 2),
        sigma_hat=r(B, T, K, 2, scale=0.5),
        rho_hat=r(B, T, K),
    )


def random_target(B=2, T=3, dtype=torch.float64, seed=1):
    g = torch.Generator().manual_seed(seed)
    xy = torch.randn(B, T, 2, generator=g, dtype=dtype)
    eos = torch.randint(0, 2, (B, T, 1), generator=g).to(dtype)
    return torch.cat([xy, eos], dim=-1)


def numpy_nll(params, target, mask):
    """Eq 26 written out with the explicit bivariate normal density of eqs 24-25."""
    e_hat, pi_hat, mu, sigma_hat, rho_hat = (p.detach().numpy() for p in params)
    x = target.numpy()
    m = mask.numpy().astype(np.float64)
    pi = np.exp(pi_hat) / np.exp(pi_hat).sum(-1, keepdims=True)  # eq 20
    sigma = np.exp(sigma_hat)  # eq 22
    rho = np.tanh(rho_hat)  # eq 23
    e = 1.0 / (1.0 + np.exp(e_hat))  # eq 19
    d1 = x[..., None, 0] - mu[..., 0]  # (B, T, K)
    d2 = x[..., None, 1] - mu[..., 1]
    s1, s2 = sigma[..., 0], sigma[..., 1]
    Z = (d1 / s1) ** 2 + (d2 / s2) ** 2 - 2 * rho * d1 * d2 / (s1 * s2)  # eq 25
    N = np.exp(-Z / (2 * (1 - rho**2))) / (2 * np.pi * s1 * s2 * np.sqrt(1 - rho**2))  # eq 24
    eos = x[..., 2]
    step = -np.log((pi * N).sum(-1)) - np.where(eos == 1, np.log(e), np.log(1 - e))
    return (step * m).sum(1)


def test_nll_matches_numpy_eq26_with_masked_step():
    params = random_params()
    target = random_target()
    mask = torch.tensor([[True, True, True], [True, True, False]])
    got = nll(params, target, mask)
    assert got.shape == (2,)
    np.testing.assert_allclose(got.numpy(), numpy_nll(params, target, mask), rtol=1e-10)


def test_nll_ignores_values_at_masked_steps():
    params = random_params()
    target = random_target()
    mask = torch.tensor([[True, True, True], [True, True, False]])
    garbage = target.clone()
    garbage[1, 2] = torch.tensor([1e3, -1e3, 1.0], dtype=garbage.dtype)
    np.testing.assert_array_equal(nll(params, target, mask), nll(params, garbage, mask))
    # And the unmasked sum is the per-step sum: dropping step 2 of row 1 lowers its loss by it.
    full = nll(params, target, torch.ones(2, 3, dtype=torch.bool))
    np.testing.assert_allclose(full[0], nll(params, target, mask)[0])
    assert not torch.isclose(full[1], nll(params, target, mask)[1])


def test_nll_gradcheck_all_params():
    params = random_params(B=2, T=2, K=2, requires_grad=True)
    target = random_target(B=2, T=2)
    mask = torch.tensor([[True, True], [True, False]])

    def f(*p):  # summed to a scalar: one backward per check instead of B
        return nll(MixtureParams(*p), target, mask).sum()

    assert torch.autograd.gradcheck(f, tuple(params))


@pytest.mark.parametrize("rho_hat", [30.0, -30.0])
def test_nll_finite_when_rho_saturates_in_float32(rho_hat):
    assert torch.tanh(torch.tensor(rho_hat)).abs() == 1.0  # the case that breaks 1 - rho^2
    params = random_params(B=1, T=2, K=2, dtype=torch.float32)
    params = params._replace(rho_hat=torch.full((1, 2, 2), rho_hat))
    params = MixtureParams(*(p.detach().requires_grad_(True) for p in params))
    target = random_target(B=1, T=2, dtype=torch.float32)
    loss = nll(params, target, torch.ones(1, 2, dtype=torch.bool)).sum()
    assert torch.isfinite(loss)
    loss.backward()
    for p in params:
        assert torch.isfinite(p.grad).all()


def test_nll_finite_with_tiny_sigma():
    params = random_params(B=1, T=2, K=2, dtype=torch.float32)
    target = random_target(B=1, T=2, dtype=torch.float32)
    # Target at the mean of every component with sigma = exp(-40): density is huge, not inf/nan.
    mu = target[..., None, :2].expand(1, 2, 2, 2).clone()
    params = params._replace(mu=mu, sigma_hat=torch.full((1, 2, 2, 2), -40.0))
    params = MixtureParams(*(p.detach().requires_grad_(True) for p in params))
    loss = nll(params, target, torch.ones(1, 2, dtype=torch.bool)).sum()
    assert torch.isfinite(loss)
    assert loss < -100  # -log N ~ log(2 pi) - 80 per step, minus the eos term
    loss.backward()
    for p in params:
        assert torch.isfinite(p.grad).all()
    # Off the mean with sigma = exp(-10) the loss is large but still finite.
    far = params._replace(
        mu=torch.zeros(1, 2, 2, 2), sigma_hat=torch.full((1, 2, 2, 2), -10.0, requires_grad=True)
    )
    loss = nll(far, target, torch.ones(1, 2, dtype=torch.bool)).sum()
    assert torch.isfinite(loss) and loss > 1e6
    loss.backward()
    assert torch.isfinite(far.sigma_hat.grad).all()


def test_log_one_minus_tanh_squared_matches_numpy():
    x = np.linspace(-5, 5, 41)
    got = log_one_minus_tanh_squared(torch.tensor(x, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got, np.log(1 - np.tanh(x) ** 2), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_log_one_minus_tanh_squared_large_argument(dtype):
    x = torch.tensor([-50.0, 50.0], dtype=dtype, requires_grad=True)
    y = log_one_minus_tanh_squared(x)
    expected = -2 * (50 - math.log(2))  # -2 log cosh(50), log1p(exp(-100)) negligible
    assert torch.isfinite(y).all()
    np.testing.assert_allclose(y.detach().numpy(), [expected, expected], rtol=1e-6)
    y.sum().backward()
    # d/dx -2 log cosh x = -2 tanh x
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -2.0], rtol=1e-6)


def test_squared_error_matches_numpy():
    params = random_params()
    target = random_target()
    mask = torch.tensor([[True, False, True], [True, True, True]])
    pi_hat, mu = params.pi_hat.numpy(), params.mu.numpy()
    pi = np.exp(pi_hat) / np.exp(pi_hat).sum(-1, keepdims=True)
    mean = (pi[..., None] * mu).sum(-2)  # (B, T, 2)
    expected = (((mean - target.numpy()[..., :2]) ** 2).sum(-1) * mask.numpy()).sum(1)
    np.testing.assert_allclose(squared_error(params, target, mask).numpy(), expected, rtol=1e-12)


def test_head_splits_output_vector():
    head = MixtureDensityHead(input_size=5, num_mixtures=3)
    h = torch.randn(2, 4, 5)
    p = head(h)
    assert p.e_hat.shape == (2, 4)
    assert p.pi_hat.shape == p.rho_hat.shape == (2, 4, 3)
    assert p.mu.shape == p.sigma_hat.shape == (2, 4, 3, 2)
    y = head.linear(h)
    torch.testing.assert_close(p.e_hat, y[..., 0])
    torch.testing.assert_close(p.rho_hat, y[..., -3:])


def test_sample_with_large_bias_is_mean_of_likeliest_component():
    params = random_params(B=3, T=1, K=3, dtype=torch.float32)
    pi_hat = torch.tensor([0.0, 1.0, 0.5]).expand(3, 1, 3)
    params = params._replace(pi_hat=pi_hat)
    out = sample(params, bias=50.0, generator=torch.Generator().manual_seed(0))
    assert out.shape == (3, 3)
    torch.testing.assert_close(out[:, :2], params.mu[:, 0, 1], atol=1e-6, rtol=0)
    assert set(out[:, 2].tolist()) <= {0.0, 1.0}


def test_sample_temperature_zero_gives_component_mean():
    params = random_params(B=4, T=1, K=1, dtype=torch.float32)
    out = sample(params, temperature=0.0, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(out[:, :2], params.mu[:, 0, 0])


def test_sample_reproducible_with_seeded_generator():
    params = random_params(B=8, T=1, K=4, dtype=torch.float32)
    a = sample(params, generator=torch.Generator().manual_seed(123))
    b = sample(params, generator=torch.Generator().manual_seed(123))
    c = sample(params, generator=torch.Generator().manual_seed(124))
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not torch.equal(a, c)


def test_sample_moments_match_parameters():
    n = 20000
    mu, sigma, rho, e_hat = (0.5, -1.0), (2.0, 0.5), 0.6, 0.5
    params = MixtureParams(
        e_hat=torch.full((n, 1), e_hat, dtype=torch.float64),
        pi_hat=torch.zeros(n, 1, 1, dtype=torch.float64),
        mu=torch.tensor(mu, dtype=torch.float64).expand(n, 1, 1, 2),
        sigma_hat=torch.tensor(sigma, dtype=torch.float64).log().expand(n, 1, 1, 2),
        rho_hat=torch.full((n, 1, 1), math.atanh(rho), dtype=torch.float64),
    )
    out = sample(params, generator=torch.Generator().manual_seed(0)).numpy()
    np.testing.assert_allclose(out[:, :2].mean(0), mu, atol=0.05)
    cov = np.cov(out[:, :2].T)
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), sigma, rtol=0.03)
    assert abs(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1]) - rho) < 0.02
    # e = sigmoid(-e_hat) is the probability of an end of stroke (eq 19).
    assert abs(out[:, 2].mean() - 1 / (1 + math.exp(e_hat))) < 0.02


def test_sample_uses_last_step_of_a_sequence():
    params = random_params(B=2, T=3, K=4, dtype=torch.float32)
    assert params.at(-1).e_hat.shape == (2, 1)
    a = sample(params, generator=torch.Generator().manual_seed(5))
    b = sample(params.at(2), generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(a, b)


def test_clip_gradient_clamps_backward_only():
    x = torch.tensor([-3.0, -0.5, 0.0, 0.5, 3.0], requires_grad=True)
    y = clip_gradient(x, 1.0)
    torch.testing.assert_close(y, x.detach())
    upstream = torch.tensor([-100.0, -0.5, 0.25, 2.0, 7.0])
    (y * upstream).sum().backward()
    torch.testing.assert_close(x.grad, torch.tensor([-1.0, -0.5, 0.25, 1.0, 1.0]))


def test_clip_gradient_none_is_identity():
    x = torch.tensor([5.0], requires_grad=True)
    (clip_gradient(x, None) * 100).sum().backward()
    assert x.grad.item() == 100.0
