"""Compiled element-wise parts of a synthesis step: the LSTM cell, the attention window and the
mixture draw, each one numba-compiled loop instead of a dozen numpy calls.

At batch 1 a numpy call costs about a microsecond whatever its size, and the arithmetic between a
step's matrix products took some 90 numpy calls: as long as the products themselves. The products
stay with BLAS (`stepper.py`); everything between them runs here, one call each. Kernels are
compiled on first use and cached beside this file (numba falls back to a per-user cache where the
package folder is read-only), so only the first run after an install pays the compilation.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# Eigen's rational approximation of tanh on float32 (error under 3e-7): numba would call libm's
# scalar tanhf, several times slower, where this straight-line loop body vectorizes.
_TANH_CLAMP = np.float32(7.90531110763549805)
_P1, _P3, _P5 = (
    np.float32(4.89352455891786e-03),
    np.float32(6.37261928875436e-04),
    np.float32(1.48572235717979e-05),
)
_P7, _P9, _P11 = (
    np.float32(5.12229709037114e-08),
    np.float32(-8.60467152213735e-11),
    np.float32(2.00018790482477e-13),
)
_P13 = np.float32(-2.76076847742355e-16)
_Q0, _Q2, _Q4 = (
    np.float32(4.89352518554385e-03),
    np.float32(2.26843463243900e-03),
    np.float32(1.18534705686654e-04),
)
_Q6 = np.float32(1.19825839466702e-06)


@njit(cache=True, fastmath=True, inline="always")
def _tanh(x):
    """tanh of a float32 scalar: an odd degree-13 over an even degree-6 polynomial."""
    x = min(max(x, -_TANH_CLAMP), _TANH_CLAMP)
    x2 = x * x
    p = ((((((_P13 * x2 + _P11) * x2 + _P9) * x2 + _P7) * x2 + _P5) * x2 + _P3) * x2 + _P1) * x
    q = ((_Q6 * x2 + _Q4) * x2 + _Q2) * x2 + _Q0
    return p / q


@njit(cache=True, fastmath=True)
def lstm_cell(gates, bias, c):
    """One LSTM update from its gate pre-activations.

    gates (B, 4H) input, forget, cell, output, with the input, forget and output rows of the
    weights and `bias` (4H,) halved, so sigmoid(g) = (1 + tanh(g / 2)) / 2; c (B, H) -> new h, c.
    """
    B, H = c.shape
    h_new = np.empty_like(c)
    c_new = np.empty_like(c)
    t = np.empty(4 * H, np.float32)
    for b in range(B):
        for j in range(4 * H):
            t[j] = _tanh(gates[b, j] + bias[j])
        for j in range(H):
            i, f, o = 0.5 * t[j] + 0.5, 0.5 * t[H + j] + 0.5, 0.5 * t[3 * H + j] + 0.5
            c_new[b, j] = f * c[b, j] + i * t[2 * H + j]
            h_new[b, j] = o * _tanh(c_new[b, j])
    return h_new, c_new


@njit(cache=True, fastmath=True)
def attention_window(abk_hat, bias, kappa, chars, char_mask, alphabet_size):
    """The soft window of Graves eqs 46-51 for one step.

    abk_hat (B, 3K) the window layer's output before `bias` (3K,): log alpha, log beta, log of the
    kappa step; kappa (B, K) the previous locations; chars (B, U) indices, char_mask (B, U).
    Returns phi (B, U + 1) (column U: "past the end"), the window w (B, A) and the new kappa.
    """
    B, K3 = abk_hat.shape
    K = K3 // 3
    U = chars.shape[1]
    phi = np.zeros((B, U + 1), np.float32)
    window = np.zeros((B, alphabet_size), np.float32)
    kappa_new = np.empty_like(kappa)
    log_alpha = np.empty(K, np.float32)
    beta = np.empty(K, np.float32)
    for b in range(B):
        for k in range(K):
            log_alpha[k] = abk_hat[b, k] + bias[k]
            beta[k] = np.exp(abk_hat[b, K + k] + bias[K + k])
            kappa_new[b, k] = kappa[b, k] + np.exp(abk_hat[b, 2 * K + k] + bias[2 * K + k])
        for u in range(U + 1):
            total = np.float32(0.0)
            for k in range(K):
                distance = kappa_new[b, k] - np.float32(u + 1)  # characters count from 1, eq 46
                total += np.exp(log_alpha[k] - beta[k] * distance * distance)
            phi[b, u] = total
        for u in range(U):
            if char_mask[b, u]:
                window[b, chars[b, u]] += phi[b, u]
    return phi, window, kappa_new


@njit(cache=True)
def mixture_draw(
    e_hat, pi_hat, mu, sigma_hat, rho_hat, bias, temperature, gumbel, normal, logistic
):
    """Pen offsets (B, 3) from the raw mixture (eq 18) and given noise, as `sample_mixture` says.

    gumbel (B, K) picks the component (Gumbel-max over pi_hat * (1 + bias)), normal (2, B) the
    offset, logistic (B,) the pen lift.
    """
    B, K = pi_hat.shape
    offsets = np.empty((B, 3), np.float32)
    lift_temperature = max(temperature, 1e-3)
    for b in range(B):
        k = 0
        best = -np.inf
        for j in range(K):
            score = pi_hat[b, j] * (1.0 + bias) + gumbel[b, j]
            if score > best:
                best, k = score, j
        sigma_x = math.exp(sigma_hat[b, k, 0] - bias)
        sigma_y = math.exp(sigma_hat[b, k, 1] - bias)
        rho = math.tanh(rho_hat[b, k])
        n1 = normal[0, b] * temperature
        n2 = normal[1, b] * temperature
        offsets[b, 0] = mu[b, k, 0] + sigma_x * n1
        offsets[b, 1] = mu[b, k, 1] + sigma_y * (rho * n1 + math.sqrt(1.0 - rho * rho) * n2)
        offsets[b, 2] = 1.0 if logistic[b] < -e_hat[b] / lift_temperature else 0.0
    return offsets
