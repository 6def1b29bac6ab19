"""Tests for the diagnostic plots: next-point density against a direct formula, PNGs, model runs."""

import math

import numpy as np
import pytest
import torch

from handsynth.data.strokes import normalise, offsets_to_points, points_to_offsets
from handsynth.eval.plots import (
    model_outputs,
    next_point_density,
    plot_attention,
    plot_prediction_heatmap,
)
from handsynth.nn.models import (
    PredictionConfig,
    PredictionNetwork,
    SynthesisConfig,
    SynthesisNetwork,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MEAN = np.array([2.0, -1.0])
STD = np.array([5.0, 3.0])


def _random_params(rng: np.random.Generator, T: int, K: int) -> dict:
    """Constrained mixture parameters (normalised units) for one line of T steps."""
    pi = rng.random((T, K)) + 0.1
    return {
        "e": rng.random(T),
        "pi": pi / pi.sum(-1, keepdims=True),  # (T, K)
        "mu": rng.normal(size=(T, K, 2)),  # (T, K, 2)
        "sigma": rng.uniform(0.3, 1.0, size=(T, K, 2)),  # (T, K, 2)
        "rho": rng.uniform(-0.8, 0.8, size=(T, K)),  # (T, K)
    }


def _direct_density(points, params, grid_x, grid_y) -> np.ndarray:
    """Bivariate normal mixture evaluated point by point from its textbook formula; (H, W)."""
    out = np.zeros((len(grid_y), len(grid_x)))
    for t in range(len(params["pi"])):
        for k in range(params["pi"].shape[1]):
            m = points[t] + params["mu"][t, k] * STD + MEAN
            s1, s2 = params["sigma"][t, k] * STD
            r = params["rho"][t, k]
            for i, y in enumerate(grid_y):
                for j, x in enumerate(grid_x):
                    a, b = (x - m[0]) / s1, (y - m[1]) / s2
                    q = (a * a + b * b - 2 * r * a * b) / (1 - r * r)
                    norm = 2 * math.pi * s1 * s2 * math.sqrt(1 - r * r)
                    out[i, j] += params["pi"][t, k] * math.exp(-q / 2) / norm
    return out


def _line(n: int = 60) -> np.ndarray:
    """Raw offsets (n, 3) of a wavy line written left to right in three strokes."""
    s = np.linspace(0, 6 * math.pi, n)
    points = np.stack([10 * s, -20 * np.sin(s)], axis=1)  # (n, 2)
    eos = np.zeros(n)
    eos[[n // 3, 2 * n // 3, n - 1]] = 1.0
    return points_to_offsets(points, eos)


def _assert_png(path) -> None:
    from matplotlib.image import imread

    assert path.read_bytes()[:8] == PNG_MAGIC
    image = imread(path)  # (H, W, 3 or 4)
    assert image.ndim == 3
    assert np.ptp(image[..., :3].reshape(-1, 3), axis=0).max() > 0.1  # not one colour


def test_next_point_density_matches_direct_formula():
    rng = np.random.default_rng(0)
    T, K = 3, 2
    params = _random_params(rng, T, K)
    points = rng.normal(scale=5.0, size=(T + 1, 2))
    grid_x = np.linspace(-30, 30, 13)
    grid_y = np.linspace(-20, 25, 11)
    expected = _direct_density(points, params, grid_x, grid_y)
    exact = next_point_density(points, params, MEAN, STD, grid_x, grid_y, n_sigma=None)
    np.testing.assert_allclose(exact, expected, rtol=1e-10, atol=1e-15)
    windowed = next_point_density(points, params, MEAN, STD, grid_x, grid_y)
    np.testing.assert_allclose(windowed, expected, rtol=0, atol=1e-7 * expected.max())


def test_one_step_density_integrates_to_one():
    rng = np.random.default_rng(1)
    params = _random_params(rng, 1, 3)
    points = np.array([[4.0, -2.0]])
    grid_x = np.linspace(-40, 50, 451)
    grid_y = np.linspace(-30, 30, 301)
    density = next_point_density(points, params, MEAN, STD, grid_x, grid_y)
    cell = (grid_x[1] - grid_x[0]) * (grid_y[1] - grid_y[0])
    assert density.sum() * cell == pytest.approx(1.0, abs=1e-3)


def test_density_peaks_at_the_predicted_next_point():
    # A single sharp component that predicts the true next offset puts the mass on the next point.
    offsets = _line(10)
    points, _ = offsets_to_points(offsets)
    normalised = normalise(offsets, MEAN, STD)
    params = {
        "pi": np.ones((9, 1)),
        "mu": normalised[1:, None, :2].astype(np.float64),  # (9, 1, 2)
        "sigma": np.full((9, 1, 2), 0.05),
        "rho": np.zeros((9, 1)),
    }
    grid_x = np.linspace(points[:, 0].min() - 5, points[:, 0].max() + 5, 200)
    grid_y = np.linspace(points[:, 1].min() - 5, points[:, 1].max() + 5, 60)
    density = next_point_density(points, params, MEAN, STD, grid_x, grid_y)
    i, j = np.unravel_index(density.argmax(), density.shape)
    nearest = np.linalg.norm(points[1:] - [grid_x[j], grid_y[i]], axis=1).min()
    assert nearest < 2 * (grid_x[1] - grid_x[0]) + 2 * (grid_y[1] - grid_y[0])


def test_next_point_density_rejects_too_few_points():
    params = _random_params(np.random.default_rng(2), 4, 2)
    with pytest.raises(ValueError, match="points"):
        next_point_density(np.zeros((3, 2)), params, MEAN, STD, np.arange(3.0), np.arange(3.0))


@pytest.mark.parametrize("components", [False, True])
def test_plot_prediction_heatmap_writes_png(tmp_path, components):
    offsets = _line()
    params = _random_params(np.random.default_rng(3), len(offsets) - 1, 4)
    path = tmp_path / "heatmap.png"
    plot_prediction_heatmap(
        offsets, params, MEAN, STD, path, components=components, title="t", resolution=200
    )
    _assert_png(path)


def test_plot_prediction_heatmap_svg_by_extension(tmp_path):
    offsets = _line(20)
    params = _random_params(np.random.default_rng(4), 19, 2)
    path = tmp_path / "heatmap.svg"
    plot_prediction_heatmap(offsets, params, MEAN, STD, path, resolution=100)
    assert b"<svg" in path.read_bytes()[:1000]


@pytest.mark.parametrize("with_line", [False, True])
def test_plot_attention_writes_png(tmp_path, with_line):
    text = "ab c"
    T, U = 30, len(text)
    centre = np.linspace(0, U, T)  # the window moves along the text
    phi = np.exp(-((np.arange(U + 1)[None, :] - centre[:, None]) ** 2))  # (T, U + 1)
    path = tmp_path / "attention.png"
    plot_attention(phi, text, path, offsets=_line(T + 1) if with_line else None)
    _assert_png(path)


def test_plot_attention_rejects_mismatched_text(tmp_path):
    with pytest.raises(ValueError, match="columns"):
        plot_attention(np.zeros((5, 3)), "abcd", tmp_path / "x.png")


def test_model_outputs_prediction_shapes():
    torch.manual_seed(0)
    model = PredictionNetwork(PredictionConfig(hidden_size=8, num_layers=1, num_mixtures=2))
    offsets = normalise(_line(12), MEAN, STD)
    params, phi = model_outputs(model, offsets)
    assert phi is None
    assert params["e"].shape == (11,)
    assert params["pi"].shape == (11, 2)
    assert params["mu"].shape == (11, 2, 2)
    assert params["sigma"].shape == (11, 2, 2)
    assert params["rho"].shape == (11, 2)
    np.testing.assert_allclose(params["pi"].sum(-1), 1.0, rtol=1e-5)


def test_model_outputs_synthesis_shapes():
    torch.manual_seed(0)
    config = SynthesisConfig(alphabet_size=5, hidden_size=8, num_layers=1, num_mixtures=2)
    model = SynthesisNetwork(config)
    offsets = normalise(_line(12), MEAN, STD)
    chars = torch.tensor([[1, 2, 3]])
    params, phi = model_outputs(model, offsets, chars, torch.ones(1, 3))
    assert params["pi"].shape == (11, 2)
    assert params["mu"].shape == (11, 2, 2)
    assert phi.shape == (11, 4)
    with pytest.raises(ValueError, match="chars"):
        model_outputs(model, offsets)
