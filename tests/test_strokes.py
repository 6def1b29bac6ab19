"""Tests of handsynth.data.strokes: points <-> offsets, spikes, smoothing, normalisation, slant."""

import numpy as np
import pytest

from handsynth.data.strokes import (
    correct_slant,
    denormalise,
    estimate_slant,
    normalisation_stats,
    normalise,
    offsets_to_points,
    points_to_offsets,
    remove_outlier_jumps,
    savgol_weights,
    smooth_strokes,
    split_strokes,
    strokes_to_points,
)


def integer_strokes(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(-5000, 5000, size=(n, 3)).astype(np.float64) for n in (5, 1, 12, 2)]


def test_strokes_to_points_marks_stroke_ends():
    strokes = [np.array([[0, 0, 9], [1, 2, 9]]), np.array([[5, 5, 9]]), np.array([[3, 1, 9]] * 3)]
    points, eos = strokes_to_points(strokes)
    assert points.shape == (6, 2)
    np.testing.assert_array_equal(eos, [0, 1, 1, 0, 0, 1])
    np.testing.assert_array_equal(points[2], [5, 5])


def test_offsets_round_trip_is_exact_on_integers():
    points, eos = strokes_to_points(integer_strokes())
    offsets = points_to_offsets(points, eos)
    assert offsets.dtype == np.float32 and offsets.shape == (len(points), 3)
    np.testing.assert_array_equal(offsets[0], [0, 0, eos[0]])
    back, back_eos = offsets_to_points(offsets, start=points[0])
    np.testing.assert_array_equal(back, points)
    np.testing.assert_array_equal(back_eos, eos)


def test_offsets_to_points_default_start_is_origin():
    offsets = np.array([[0, 0, 0], [3, -4, 1], [1, 1, 1]], dtype=np.float32)
    points, eos = offsets_to_points(offsets)
    np.testing.assert_array_equal(points, [[0, 0], [3, -4], [4, -3]])
    np.testing.assert_array_equal(eos, [0, 1, 1])


def test_split_strokes_inverts_strokes_to_points():
    strokes = integer_strokes(1)
    pieces = split_strokes(*strokes_to_points(strokes))
    assert len(pieces) == len(strokes)
    for piece, stroke in zip(pieces, strokes, strict=True):
        np.testing.assert_array_equal(piece, stroke[:, :2])


def test_remove_outlier_jumps_drops_isolated_spike_only():
    # Stroke 1 has a spike at index 2; stroke 2 is a fast straight stroke (all steps long);
    # stroke 3 is a one-point dot far away from everything.
    stroke1 = [[0, 0], [5, 5], [400, -300], [10, 10], [15, 15]]
    stroke2 = [[100, 0], [300, 0], [500, 0], [700, 0]]
    dot = [[2000, 2000]]
    points, eos = strokes_to_points([np.array(s, float) for s in (stroke1, stroke2, dot)])
    kept, kept_eos = remove_outlier_jumps(points, eos, max_jump=100)
    expected = np.array(stroke1[:2] + stroke1[3:] + stroke2 + dot, float)
    np.testing.assert_array_equal(kept, expected)
    np.testing.assert_array_equal(kept_eos, [0, 0, 0, 1, 0, 0, 0, 1, 1])


def test_remove_outlier_jumps_leaves_stroke_ends_alone():
    # The far point ends its stroke: it is a pen movement to the next stroke's neighbourhood.
    points = np.array([[0, 0], [5, 0], [500, 0], [6, 0], [7, 0]], float)
    eos = np.array([0, 0, 1, 0, 1], float)
    kept, kept_eos = remove_outlier_jumps(points, eos, max_jump=100)
    np.testing.assert_array_equal(kept, points)
    np.testing.assert_array_equal(kept_eos, eos)


def test_normalisation_stats_skip_row_zero():
    a = np.array([[0, 0, 0], [1, 2, 0], [3, 4, 1]], np.float32)
    b = np.array([[0, 0, 0], [5, -6, 1]], np.float32)
    mean, std = normalisation_stats([a, b])
    moves = np.array([[1, 2], [3, 4], [5, -6]], float)
    np.testing.assert_allclose(mean, moves.mean(0))
    np.testing.assert_allclose(std, moves.std(0))


def test_normalise_denormalise_are_inverse_and_keep_eos():
    offsets = points_to_offsets(*strokes_to_points(integer_strokes(2)))
    mean, std = normalisation_stats([offsets])
    normed = normalise(offsets, mean, std)
    np.testing.assert_array_equal(normed[:, 2], offsets[:, 2])
    np.testing.assert_allclose(normed[1:, :2].mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(denormalise(normed, mean, std), offsets, rtol=1e-5, atol=1e-3)


def test_normalisation_stats_reject_degenerate_data():
    with pytest.raises(ValueError):
        normalisation_stats([np.zeros((1, 3))])


def test_correct_slant_restores_verticals():
    # Five vertical down-strokes joined by flat connectors, then sheared like right-leaning
    # writing: x decreases as the pen goes down, tan(slant) = -0.4.
    strokes = []
    for i in range(5):
        y = np.linspace(0, 100, 11)
        down = np.stack([np.full_like(y, 50.0 * i), y], axis=1)
        flat = np.stack([np.linspace(50.0 * i, 50.0 * i + 40, 5), np.full(5, 100.0)], axis=1)
        strokes.append(np.concatenate([down, flat]))
    upright, eos = strokes_to_points(strokes)
    sheared = upright.copy()
    sheared[:, 0] -= 0.4 * upright[:, 1]
    assert estimate_slant(sheared, eos) == pytest.approx(-0.4)
    restored = correct_slant(sheared, eos)
    for stroke in split_strokes(restored, eos):
        np.testing.assert_allclose(np.ptp(stroke[:11, 0]), 0, atol=1e-9)
    np.testing.assert_allclose(restored[:, 1], upright[:, 1])  # y unchanged, not flipped


def test_savgol_weights_match_the_published_table():
    # Savitzky & Golay (1964), 7-point quadratic/cubic smoothing: (-2, 3, 6, 7, 6, 3, -2) / 21.
    np.testing.assert_allclose(savgol_weights(7, 3), np.array([-2, 3, 6, 7, 6, 3, -2]) / 21)
    with pytest.raises(ValueError, match="odd"):
        savgol_weights(6, 3)


def test_smoothing_keeps_cubic_strokes_and_averages_out_jitter():
    t = np.linspace(-1, 1, 40)
    cubic = np.stack([100 * t, 30 * t**3 - 20 * t**2 + 5], axis=1)  # (40, 2)
    line = [cubic, cubic + [300.0, 0.0]]
    points, eos = strokes_to_points(line)
    np.testing.assert_allclose(smooth_strokes(points, eos), points, atol=1e-9)

    jitter = np.random.default_rng(0).normal(0, 2.0, size=points.shape)
    smoothed = smooth_strokes(points + jitter, eos)
    interior = np.ones(len(points), dtype=bool)
    for start in (0, 40):  # 3 recorded points kept at each end of each stroke
        interior[start : start + 3] = interior[start + 37 : start + 40] = False
    error_before = np.abs(jitter[interior]).mean()
    error_after = np.abs(smoothed[interior] - points[interior]).mean()
    assert error_after < 0.7 * error_before


def test_smoothing_never_mixes_strokes_and_leaves_short_ones_alone():
    long_stroke = np.stack([np.arange(12.0), np.arange(12.0) ** 2], axis=1)  # a parabola
    dot = np.array([[5.0, -50.0], [6.0, -50.0]])  # the dot of an i: shorter than the window
    zigzag = np.stack([np.arange(9.0), 10.0 * (np.arange(9) % 2)], axis=1)
    points, eos = strokes_to_points([long_stroke, dot, zigzag])
    smoothed = smooth_strokes(points, eos)
    np.testing.assert_allclose(smoothed[:12], long_stroke, atol=1e-9)  # quadratic: unchanged
    np.testing.assert_array_equal(smoothed[12:14], dot)
    stroke = smoothed[14:]
    np.testing.assert_array_equal(stroke[[0, 1, 2, -3, -2, -1]], zigzag[[0, 1, 2, -3, -2, -1]])
    # The zigzag's interior is flattened towards its mean (alternating 0/10 -> about 5).
    assert np.all(np.abs(stroke[3:-3, 1] - 5.0) < 5.0)
