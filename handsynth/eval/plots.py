"""Diagnostic plots of a trained network: prediction heatmaps and attention windows (Graves 2013).

- `next_point_density` sums, over the steps of a line, the mixture density of the next pen position
  (Graves Figs 4 and 10): where the network expected the pen to go, drawn under where it went.
- `plot_prediction_heatmap` draws that density with the strokes on top, optionally with the
  mixture weights pi per step (Fig 4, lower panel).
- `plot_attention` draws the soft window weights phi over the characters of the text (Fig 13).
- `model_outputs` runs a prediction or synthesis network once over a line and returns the
  constrained mixture parameters (and phi) as numpy arrays for these plots.
- `heatmap` and `attention` do all of it for a loaded model (`handsynth.load_model`) and a line of
  raw offsets, as `handsynth heatmap` does.

Pen coordinates have y growing downwards (IAM-OnDB, SVG), so every plot inverts the y axis.
Figures are built with `matplotlib.figure.Figure` and the Agg canvas, never pyplot, and matplotlib
is imported inside the functions that draw.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from handsynth.atomic import write_atomically
from handsynth.data.strokes import offsets_to_points, split_strokes
from handsynth.errors import UserError
from handsynth.nn.models import PredictionNetwork, SynthesisNetwork

if TYPE_CHECKING:
    from handsynth.loaded import LoadedModel

DENSITY_FLOOR = 1e-4  # the heatmap's log scale spans [peak * DENSITY_FLOOR, peak]
RHO_LIMIT = 1 - 1e-6  # |rho| is clipped below 1 so that 1 - rho^2 stays positive


def next_point_density(
    points: np.ndarray,
    params: dict,
    mean: Sequence[float],
    std: Sequence[float],
    grid_x: np.ndarray,
    grid_y: np.ndarray,
    n_sigma: float | None = 6.0,
) -> np.ndarray:
    """Sum over steps t of the mixture density of the pen position after step t; (H, W).

    points (T', 2) raw pen positions with T' >= T; params holds one line's constrained mixture
    parameters in normalised units: pi (T, K), mu (T, K, 2), sigma (T, K, 2), rho (T, K) (e is not
    used). The output of step t predicts the offset to the next point, so in raw units its
    component k is a bivariate Gaussian (eqs 24-25) centred on points[t] + mu * std + mean with
    standard deviations sigma * std and correlation rho, weighted by pi. grid_x (W,) and grid_y (H,)
    are ascending raw coordinates; the result is in 1 / raw unit^2, row i at grid_y[i].

    Each step is evaluated only on the part of the grid within `n_sigma` standard deviations of
    its components (None: the whole grid), so a line of ~700 steps over a 400 x 100 grid is cheap.
    """
    grid_x = np.asarray(grid_x, dtype=np.float64)
    grid_y = np.asarray(grid_y, dtype=np.float64)
    points = np.asarray(points, dtype=np.float64)
    mean = np.asarray(mean, dtype=np.float64)
    std = np.asarray(std, dtype=np.float64)
    pi = np.asarray(params["pi"], dtype=np.float64)  # (T, K)
    T = pi.shape[0]
    if len(points) < T:
        raise ValueError(f"{len(points)} points for {T} steps of mixture parameters")
    # Component means and deviations in raw pen units.
    centre = points[:T, None, :] + np.asarray(params["mu"]) * std + mean  # (T, K, 2)
    spread = np.asarray(params["sigma"], dtype=np.float64) * std  # (T, K, 2)
    rho = np.clip(np.asarray(params["rho"], dtype=np.float64), -RHO_LIMIT, RHO_LIMIT)  # (T, K)
    one_minus_rho2 = 1 - rho**2  # (T, K)
    scale = pi / (2 * math.pi * spread[..., 0] * spread[..., 1] * np.sqrt(one_minus_rho2))  # (T, K)

    H, W = len(grid_y), len(grid_x)
    density = np.zeros((H, W))
    for t in range(T):
        if n_sigma is None:
            x0, x1, y0, y1 = 0, W, 0, H
        else:
            low = (centre[t] - n_sigma * spread[t]).min(axis=0)  # (2,)
            high = (centre[t] + n_sigma * spread[t]).max(axis=0)  # (2,)
            x0, x1 = np.searchsorted(grid_x, [low[0], high[0]])
            y0, y1 = np.searchsorted(grid_y, [low[1], high[1]])
            if x0 >= x1 or y0 >= y1:
                continue  # this step's mass lies outside the grid
        z1 = (grid_x[None, x0:x1] - centre[t, :, 0:1]) / spread[t, :, 0:1]  # (K, w)
        z2 = (grid_y[None, y0:y1] - centre[t, :, 1:2]) / spread[t, :, 1:2]  # (K, h)
        r = rho[t, :, None, None]  # (K, 1, 1)
        z = z1[:, None, :] ** 2 + z2[:, :, None] ** 2 - 2 * r * z1[:, None, :] * z2[:, :, None]
        e = np.exp(-z / (2 * one_minus_rho2[t, :, None, None]))  # (K, h, w), eq 24
        density[y0:y1, x0:x1] += np.einsum("k,khw->hw", scale[t], e)
    return density


def plot_prediction_heatmap(
    offsets: np.ndarray,
    params: dict,
    mean: Sequence[float],
    std: Sequence[float],
    path: str | Path,
    components: bool = False,
    title: str | None = None,
    resolution: int = 800,
) -> None:
    """Draw the next-point density of a line (log scale) under its strokes; save PNG/SVG/PDF.

    offsets (T, 3) raw pen offsets; params the line's mixture parameters (see `next_point_density`)
    for T or T - 1 steps (output t predicts offsets[t + 1]). `resolution` is the number of grid
    points along the longer side of the line. With `components`, a second panel shows the mixture
    weights pi (K x steps), as in the lower panel of Graves Fig 4. The format follows the file
    extension.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    points, eos = offsets_to_points(offsets)  # (T, 2), (T,)
    if len(points) == 0:
        raise ValueError("cannot plot an empty line")
    T = len(np.asarray(params["pi"]))
    grid_x, grid_y = _grid(points, resolution)
    density = next_point_density(points, params, mean, std, grid_x, grid_y)  # (H, W)
    peak = max(float(density.max()), np.finfo(float).tiny)
    log_density = np.log10(np.maximum(density, peak * DENSITY_FLOOR))  # (H, W)

    half = (grid_x[1] - grid_x[0]) / 2  # grid points are pixel centres; extent is pixel edges
    extent = (grid_x[0] - half, grid_x[-1] + half, grid_y[-1] + half, grid_y[0] - half)  # y down
    aspect = (extent[2] - extent[3]) / max(extent[1] - extent[0], 1e-9)
    width = 10.0
    map_height = min(max(width * aspect, 1.5), 10.0)
    pi_height = 2.5 if components else 0.0
    figure = Figure(figsize=(width, map_height + pi_height + 0.8), layout="constrained")
    FigureCanvasAgg(figure)
    if components:
        map_axes, pi_axes = figure.subplots(2, 1, height_ratios=[map_height, pi_height])
    else:
        map_axes = figure.subplots()
    image = map_axes.imshow(
        log_density,
        extent=extent,
        origin="upper",
        cmap="magma",
        interpolation="bilinear",
        aspect="equal",
    )
    map_axes.set_xlim(extent[0], extent[1])
    map_axes.set_ylim(extent[2], extent[3])  # inverted: small y at the top
    for stroke in split_strokes(points, eos):
        if len(stroke) == 1:
            map_axes.plot(stroke[:, 0], stroke[:, 1], ".", color="white", markersize=2)
        else:
            map_axes.plot(stroke[:, 0], stroke[:, 1], color="white", linewidth=0.5, alpha=0.8)
    map_axes.set_xticks([])
    map_axes.set_yticks([])
    colourbar = figure.colorbar(image, ax=map_axes, shrink=0.8, pad=0.01)
    colourbar.set_label("log10 density", fontsize=8)
    colourbar.ax.tick_params(labelsize=7)
    if title:
        map_axes.set_title(title)

    if components:
        pi = np.asarray(params["pi"], dtype=np.float64)  # (T, K)
        weights = pi_axes.imshow(
            pi.T,
            origin="lower",
            aspect="auto",
            cmap="Greys",
            vmin=0.0,
            vmax=1.0,
            interpolation="nearest",
            extent=(-0.5, T - 0.5, -0.5, pi.shape[1] - 0.5),
        )
        pi_axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        pi_axes.set_xlabel("time step")
        pi_axes.set_ylabel("component")
        pi_axes.set_title("mixture weights pi", fontsize=9)
        figure.colorbar(weights, ax=pi_axes, shrink=0.8, pad=0.01)
    _save(figure, path)


def plot_attention(
    phi: np.ndarray,
    text: str,
    path: str | Path,
    offsets: np.ndarray | None = None,
) -> None:
    """Draw the window weights phi (T, U + 1) over the characters of `text` (Graves Fig 13).

    Rows are the characters of `text` top to bottom (spaces shown as "␣"), plus a row "end" for the
    past-the-end column U when phi has it; columns are time steps. With `offsets` (T', 3) raw,
    the handwriting line is drawn above. The format follows the file extension.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    phi = np.asarray(phi, dtype=np.float64)
    T, columns = phi.shape
    U = len(text)
    if columns not in (U, U + 1):
        raise ValueError(f"phi has {columns} columns for a text of {U} characters")
    labels = [("␣" if c == " " else c) for c in text] + (["end"] if columns == U + 1 else [])

    rows_height = min(max(0.18 * columns, 2.0), 12.0)
    line_height = 0.0
    if offsets is not None:
        points, eos = offsets_to_points(offsets)  # (T', 2), (T',)
        size = np.ptp(points, axis=0) if len(points) else np.ones(2)  # (2,) width, height
        line_height = float(np.clip(9.0 * size[1] / max(size[0], 1e-9), 0.6, 3.0))
    figure = Figure(figsize=(10.0, rows_height + line_height + 0.8), layout="constrained")
    FigureCanvasAgg(figure)
    if offsets is not None:
        line_axes, phi_axes = figure.subplots(2, 1, height_ratios=[line_height, rows_height])
        for stroke in split_strokes(points, eos):
            style = "." if len(stroke) == 1 else "-"
            line_axes.plot(stroke[:, 0], stroke[:, 1], style, color="black", linewidth=1.0)
        line_axes.set_aspect("equal", adjustable="datalim")
        line_axes.invert_yaxis()  # y grows downwards
        line_axes.set_axis_off()
    else:
        phi_axes = figure.subplots()
    image = phi_axes.imshow(
        phi.T,  # (U + 1, T)
        origin="upper",
        aspect="auto",
        cmap="Greys",
        interpolation="nearest",
        vmin=0.0,
        extent=(-0.5, T - 0.5, columns - 0.5, -0.5),
    )
    phi_axes.set_yticks(np.arange(columns), labels, fontsize=7 if columns > 40 else 9)
    phi_axes.set_xlabel("time step")
    phi_axes.set_ylabel("character")
    figure.colorbar(image, ax=phi_axes, shrink=0.8, pad=0.01, label="phi")
    _save(figure, path)


@torch.no_grad()
def model_outputs(
    model: torch.nn.Module,
    offsets_normalised: np.ndarray,
    chars: torch.Tensor | None = None,
    char_mask: torch.Tensor | None = None,
) -> tuple[dict, np.ndarray | None]:
    """Run `model` once over a line; its mixture parameters and, for synthesis, its window weights.

    offsets_normalised (T, 3); the network reads offsets[:-1], so step t of the result predicts
    offsets[t + 1]. For a synthesis network pass chars (1, U) and char_mask (1, U) (mask defaults
    to all ones). Returns params {e (T-1,), pi (T-1, K), mu (T-1, K, 2), sigma (T-1, K, 2),
    rho (T-1, K)} as numpy and phi (T-1, U+1), or None for a prediction network.
    """
    weight = next(model.parameters())
    x = torch.as_tensor(np.asarray(offsets_normalised), dtype=weight.dtype, device=weight.device)
    x = x[None, :-1]  # (1, T-1, 3)
    if isinstance(model, SynthesisNetwork):
        if chars is None:
            raise ValueError("a synthesis network needs chars")
        chars = torch.as_tensor(chars, device=weight.device).long().reshape(1, -1)  # (1, U)
        if char_mask is None:
            char_mask = torch.ones_like(chars)
        char_mask = torch.as_tensor(char_mask, device=weight.device).reshape(1, -1)  # (1, U)
        params, state = model(x, chars, char_mask.to(weight.dtype), keep_phi=True)
        phi = state.phi[0].cpu().numpy()  # (T-1, U+1)
    else:
        if chars is not None:
            raise ValueError(f"a {type(model).__name__} takes no chars")
        params, _ = model(x)
        phi = None
    line = {name: value[0] for name, value in params.detach_numpy().items()}  # batch axis removed
    return line, phi


def heatmap(
    model: LoadedModel,
    offsets: np.ndarray,
    path: str | Path,
    text: str | None = None,
    components: bool = False,
) -> None:
    """Plot where a prediction or synthesis model expected each next pen position of a line
    (Graves Figs 4, 10).

    offsets (T, 3) raw pen offsets, such as a line of `write` or of the prepared data; a
    synthesis model also needs the line's `text`. `components` adds the mixture weights.
    """
    params, _ = _line_outputs(model, offsets, text, "heatmap")
    mean, std = model.normalisation.mean, model.normalisation.std
    plot_prediction_heatmap(offsets, params, mean, std, path, components, text)


def attention(model: LoadedModel, offsets: np.ndarray, text: str, path: str | Path) -> None:
    """Plot a synthesis model's window weights over the characters of `text` against time
    (Graves Fig 13)."""
    if not isinstance(model.network, SynthesisNetwork):
        raise UserError(f"attention needs a synthesis model; this is a {model.kind} model")
    _, phi = _line_outputs(model, offsets, text, "attention")
    plot_attention(phi, text, path, offsets)


def _line_outputs(
    model: LoadedModel, offsets: np.ndarray, text: str | None, action: str
) -> tuple[dict, np.ndarray | None]:
    """The network run once over raw offsets (T, 3): mixture parameters and, for synthesis,
    the window weights."""
    network = model.network
    if not isinstance(network, (PredictionNetwork, SynthesisNetwork)):
        raise UserError(
            f"{action} needs a prediction or synthesis model; this is a {model.kind} model"
        )
    chars = None
    if isinstance(network, SynthesisNetwork):
        if text is None:
            raise UserError("a synthesis model needs the line's text")
        chars = torch.from_numpy(model.alphabet.encode(text))
    return model_outputs(network, model.normalisation.normalise(offsets), chars)


def _grid(points: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """Square-pixel grid over the points' bounding box plus a margin; (W,), (H,) ascending.

    `resolution` grid points span the longer side of the box.
    """
    low, high = points.min(axis=0), points.max(axis=0)  # (2,)
    margin = 0.05 * max(float((high - low).max()), 1.0)
    low, high = low - margin, high + margin
    step = float((high - low).max()) / max(resolution - 1, 1)
    n = np.maximum(np.ceil((high - low) / step).astype(int) + 1, 2)  # (2,) columns, rows
    return low[0] + step * np.arange(n[0]), low[1] + step * np.arange(n[1])


def _save(figure, path: str | Path) -> None:
    """Write the figure atomically in the format named by the extension (png if there is none)."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    write_atomically(path, lambda f: figure.savefig(f, format=fmt, dpi=150))
