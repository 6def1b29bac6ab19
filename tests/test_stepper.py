"""The numpy one-step path computes what the torch synthesis network computes, and samples the
mixture it describes."""

import numpy as np
import torch

from handsynth.nn.models import SynthesisConfig, SynthesisNetwork
from handsynth.sample.kernels import lstm_cell
from handsynth.sample.stepper import Mixture, SynthesisStepper, SynthesisWeights, sample_mixture
from handsynth.sample.torch_stepper import TorchSynthesis


def test_steps_equal_the_training_recurrence():
    torch.manual_seed(0)
    config = SynthesisConfig(alphabet_size=7, hidden_size=16, num_layers=3, num_mixtures=4)
    model = SynthesisNetwork(config).eval()
    with torch.no_grad():  # a window that moves, so phi changes from step to step
        model.window.linear.bias[2 * config.num_window_gaussians :] = -1.0
    chars = torch.tensor([[1, 2, 3, 4, 5], [6, 5, 4, 0, 0]])
    char_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=torch.bool)
    x = torch.randn(2, 12, 3)
    x[..., 2] = (x[..., 2] > 1).float()
    with torch.no_grad():
        params, state = model(x, chars, char_mask, keep_phi=True)  # the whole sequence at once
    weights = SynthesisWeights.from_network(model)
    stepper = SynthesisStepper(weights, chars.numpy(), char_mask.numpy())
    step_state = weights.initial_state(2)
    for t in range(12):
        mixture, phi, step_state = stepper.step(x[:, t].numpy(), step_state)
        np.testing.assert_allclose(phi, state.phi[:, t].numpy(), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(mixture.e_hat, params.e_hat[:, t].numpy(), atol=1e-5)
        np.testing.assert_allclose(mixture.pi_hat, params.pi_hat[:, t].numpy(), atol=1e-5)
        np.testing.assert_allclose(mixture.mu, params.mu[:, t].numpy(), atol=1e-5)
        np.testing.assert_allclose(mixture.sigma_hat, params.sigma_hat[:, t].numpy(), atol=1e-5)
        np.testing.assert_allclose(mixture.rho_hat, params.rho_hat[:, t].numpy(), atol=1e-5)
    np.testing.assert_allclose(step_state.kappa, state.kappa.numpy(), rtol=1e-5)
    np.testing.assert_allclose(step_state.h[2], state.layers[2][0].numpy(), atol=1e-5)


def mixture(n: int, pi_hat, mu, log_sigma, rho_hat, e_hat) -> Mixture:
    K = len(pi_hat)
    return Mixture(
        e_hat=np.full(n, e_hat, dtype=np.float32),
        pi_hat=np.tile(np.float32(pi_hat), (n, 1)),
        mu=np.tile(np.float32(mu).reshape(1, K, 2), (n, 1, 1)),
        sigma_hat=np.full((n, K, 2), log_sigma, dtype=np.float32),
        rho_hat=np.tile(np.float32(rho_hat), (n, 1)),
    )


def test_samples_follow_the_mixture():
    rng = np.random.default_rng(0)
    n = 40_000
    # Component 1 has weight 3/4 (pi_hat log 3), its mean at (10, 0); component 0 at (-10, 0).
    m = mixture(
        n, [0.0, np.log(3.0)], [[-10, 0], [10, 0]], np.log(0.5), [0.0, np.arctanh(0.8)], 0.0
    )
    x = sample_mixture(m, bias=0.0, temperature=1.0, rng=rng)
    right = x[:, 0] > 0
    assert abs(right.mean() - 0.75) < 0.01
    dx, dy = x[right, 0] - 10, x[right, 1]
    assert abs(dx.std() - 0.5) < 0.01 and abs(dy.std() - 0.5) < 0.01
    assert abs(np.corrcoef(dx, dy)[0, 1] - 0.8) < 0.01  # rho = tanh(rho_hat), eq 22
    assert abs(x[:, 2].mean() - 0.5) < 0.01  # e = sigmoid(-e_hat) = 1/2


def test_bias_sharpens_and_temperature_zero_gives_the_mean():
    rng = np.random.default_rng(1)
    m = mixture(2000, [0.0, np.log(3.0)], [[-10, 0], [10, 0]], np.log(0.5), [0.0, 0.0], -20.0)
    sharp = sample_mixture(m, bias=5.0, temperature=1.0, rng=rng)
    right = sharp[:, 0] > 0
    assert right.mean() > 0.99  # pi^(1 + bias) (eq 61) leaves the heavier component
    assert abs(sharp[right, 0].std() - 0.5 * np.exp(-5.0)) < 2e-4  # sigma * exp(-bias) (eq 62)
    assert (sharp[:, 2] == 1).all()  # e_hat = -20: the pen lifts
    calm = sample_mixture(m, bias=5.0, temperature=0.0, rng=rng)
    chosen = calm[:, 0] > 0
    assert chosen.mean() > 0.99
    np.testing.assert_allclose(calm[chosen, :2], np.tile([10.0, 0.0], (chosen.sum(), 1)), atol=1e-5)


def test_the_torch_stepper_steps_as_the_numpy_one():
    torch.manual_seed(1)
    model = SynthesisNetwork(SynthesisConfig(alphabet_size=7, hidden_size=16, num_mixtures=4))
    with torch.no_grad():
        model.window.linear.bias[2 * model.config.num_window_gaussians :] = -1.0
    chars = np.array([[1, 2, 3, 4], [6, 5, 0, 0]])
    char_mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], dtype=bool)
    x = np.random.default_rng(0).standard_normal((2, 9, 3)).astype(np.float32)
    numpy_weights, torch_weights = SynthesisWeights.from_network(model), TorchSynthesis(model)
    numpy_stepper = numpy_weights.stepper(chars, char_mask)
    torch_stepper = torch_weights.stepper(chars, char_mask)
    numpy_state, torch_state = numpy_weights.initial_state(2), torch_weights.initial_state(2)
    _, numpy_state = numpy_stepper.read(x[:, :4], numpy_state)
    _, torch_state = torch_stepper.read(x[:, :4], torch_state)
    keep = np.array([False, True])  # then only the second line goes on, as when a line finishes
    numpy_stepper, torch_stepper = numpy_stepper.rows(keep), torch_stepper.rows(keep)
    numpy_state, torch_state = numpy_state.rows(keep), torch_state.rows(keep)
    for t in range(4, 9):
        if t == 6:  # a guided glyph ends: both move the window the same way (sample/guide.py)
            numpy_state = numpy_state.window_moved(np.float32([0.7]))
            torch_state = torch_state.window_moved(np.float32([0.7]))
        a, phi_a, numpy_state = numpy_stepper.step(x[keep, t], numpy_state)
        b, phi_b, torch_state = torch_stepper.step(x[keep, t], torch_state)
        np.testing.assert_allclose(phi_a, phi_b, rtol=1e-4, atol=1e-6)
        for field in ("e_hat", "pi_hat", "mu", "sigma_hat", "rho_hat"):
            np.testing.assert_allclose(getattr(a, field), getattr(b, field), atol=1e-5)


def test_the_compiled_tanh_matches_numpy():
    x = np.concatenate([np.linspace(-12, 12, 20001), [0.0, 1e-8, -1e-8]]).astype(np.float32)
    gates = np.tile(x[None, :], (1, 4))  # (1, 4H): tanh of every gate is compared below
    h, c = lstm_cell(gates, np.zeros(4 * len(x), np.float32), np.zeros((1, len(x)), np.float32))
    i = o = 0.5 * np.tanh(x.astype(np.float64)) + 0.5  # sigmoid of 2x, as the halved rows give
    g = np.tanh(x.astype(np.float64))
    np.testing.assert_allclose(c[0], i * g, atol=5e-7)
    np.testing.assert_allclose(h[0], o * np.tanh(i * g), atol=5e-7)
