"""The hand-consistency measure: features that scale and shear cannot change, and a page of one
constructed writer scoring below a page of several."""

import numpy as np

from handsynth.eval.hand import FEATURES, Population, line_features, page_score

TEXT = "minimum lines"  # 12 letters


def writer_line(loop_width: float, lift_every: int, seed: int) -> np.ndarray:
    """Offsets (T, 3) of a joined-up line: loops `loop_width` units wide and 60 tall, the pen
    lifted every `lift_every` loops, with a little jitter."""
    rng = np.random.default_rng(seed)
    t = np.arange(12 * 20)  # twelve letters of twenty points
    x = loop_width * t / 20 + 0.3 * loop_width * np.sin(2 * np.pi * t / 20)
    y = -30 * (1 - np.cos(2 * np.pi * t / 20)) + rng.normal(0, 0.5, len(t))
    eos = (np.arange(len(t)) % (20 * lift_every) == 20 * lift_every - 1).astype(float)
    eos[-1] = 1.0
    offsets = np.zeros((len(t), 3))
    offsets[1:, 0], offsets[1:, 1] = np.diff(x), np.diff(y)
    offsets[:, 2] = eos
    return offsets.astype(np.float32)


def test_features_do_not_change_when_a_line_is_scaled_or_sheared():
    line = writer_line(40, 3, seed=0)
    features = line_features(line, TEXT)
    assert features is not None and len(features) == len(FEATURES)
    scaled = line.copy()
    scaled[:, :2] *= 2.5
    sheared = line.copy()
    sheared[:, 0] += 0.3 * sheared[:, 1]  # leaning
    np.testing.assert_allclose(line_features(scaled, TEXT), features, rtol=1e-6)
    np.testing.assert_allclose(line_features(sheared, TEXT), features, rtol=0.05)


def test_one_writer_scores_below_several():
    writers = [(30, 1), (40, 3), (55, 12), (70, 2)]  # (loop width, loops between lifts)
    one = [line_features(writer_line(40, 3, seed=s), TEXT) for s in range(6)]
    several = [line_features(writer_line(w, k, seed=s), TEXT) for s, (w, k) in enumerate(writers)]
    population = Population.from_lines(one + several)
    assert page_score(one, population) < 0.5 < page_score(several, population)


def test_a_short_line_is_not_measured():
    assert line_features(writer_line(40, 3, seed=0), "min") is None
