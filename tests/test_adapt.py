"""Adapting a synthesis model to one writer's lines (nn/adapt.py, SynthesisModel.adapted)."""

import numpy as np
import pytest
import torch

from handsynth import load_model
from handsynth.data.dataset import HandwritingData
from handsynth.errors import CheckpointError, UserError
from handsynth.nn import mdn
from handsynth.nn.adapt import adapt, adaptation_lines
from handsynth.nn.adaptation_file import adaptation_path, save_adaptation
from tests.test_hostile_inputs import tiny_model


def _writer_lines(rng: np.random.Generator) -> list[tuple[np.ndarray, str]]:
    """Three lines of a made-up hand: long flat strokes, a lift every 6 points."""
    lines = []
    for text in ("hello", "the hat", "at least"):
        n = 6 * len(text)
        offsets = np.zeros((n, 3), dtype=np.float32)
        offsets[1:, 0] = 30 + rng.normal(0, 2, n - 1)
        offsets[1:, 1] = rng.normal(0, 2, n - 1)
        offsets[5::6, 2] = 1.0
        offsets[-1, 2] = 1.0
        lines.append((offsets, text))
    return lines


def test_a_writers_lines_and_each_ordered_pair_of_them_are_trained_on():
    lines = _writer_lines(np.random.default_rng(0))
    offsets, texts = adaptation_lines(lines)
    assert texts[:3] == ["hello", "the hat", "at least"]
    assert sorted(texts[3:]) == sorted(
        ["hello the hat", "hello at least", "the hat hello", "the hat at least"]
        + ["at least hello", "at least the hat"]
    )
    assert len(offsets[3]) == len(lines[0][0]) + len(lines[1][0])


def _nats(model, data: HandwritingData) -> float:
    batch = data.batch(np.arange(len(data)))
    with torch.no_grad():
        params, _ = model.network(batch.inputs, batch.chars, batch.char_mask)
        return float(mdn.nll(params, batch.targets, batch.mask).mean())


def test_adaptation_tunes_only_the_head_and_fits_the_writer_better(tmp_path):
    tiny_model(tmp_path / "tiny.safetensors")
    model = load_model(tmp_path / "tiny.safetensors")
    lines = _writer_lines(np.random.default_rng(1))
    offsets, texts = adaptation_lines(lines)
    data = HandwritingData(
        [model.normalisation.normalise(o) for o in offsets],
        [model.alphabet.encode(t) for t in texts],
        texts,
    )
    before = {k: v.copy() for k, v in model.arrays.items()}
    tuned = adapt(model.network, data, steps=40, learning_rate=1e-2)
    assert set(tuned) == {"head.linear.weight", "head.linear.bias"}
    assert all(tuned[k].shape == before[k].shape for k in tuned)
    adapted = model.adapted(lines, steps=40)
    assert _nats(adapted, data) < _nats(model, data) - 1.0
    for name, array in adapted.arrays.items():  # the LSTMs and the window are the model's own
        if not name.startswith("head."):
            np.testing.assert_array_equal(array, before[name])
    for name, array in model.arrays.items():  # and the model adapted from is left as it was
        np.testing.assert_array_equal(array, before[name])
    assert adapted.description["adapted"] == {"lines": 3, "steps": 40}
    assert len(adapted.write("hat", seed=0, wrap=0).offsets[0]) > 1


def test_adapting_to_no_lines_or_unwritable_text_is_refused(tmp_path):
    tiny_model(tmp_path / "tiny.safetensors")
    model = load_model(tmp_path / "tiny.safetensors")
    with pytest.raises(UserError, match="at least one line"):
        model.adapted([])
    offsets = _writer_lines(np.random.default_rng(2))[0][0]
    with pytest.raises(UserError, match="cannot write"):
        model.adapted([(offsets, "h€llo")])


def test_an_adaptation_file_beside_a_style_is_used_to_write_in_it(tmp_path):
    tiny_model(tmp_path / "tiny.safetensors")
    model = load_model(tmp_path / "tiny.safetensors")
    lines = _writer_lines(np.random.default_rng(3))
    adapted = model.adapted(lines, steps=40)
    style = tmp_path / "mine.svg"
    assert adaptation_path(style) == tmp_path / "mine.adapted.safetensors"
    adapted.save_adaptation(adaptation_path(style))
    assert adaptation_path(style).stat().st_size < 50_000  # the head alone
    again = model.for_style(style)
    for name, array in adapted.arrays.items():  # float16 on disk: equal to 1e-3 relative
        np.testing.assert_allclose(again.arrays[name], array, rtol=1e-3, atol=1e-4)
    assert again.description["adapted"] == {"lines": 3, "steps": 40}
    assert model.for_style(tmp_path / "other.svg") is model
    assert model.for_style("1") is model and model.for_style(None) is model
    with pytest.raises(UserError, match="not adapted"):
        model.save_adaptation(tmp_path / "no.safetensors")


def test_an_adaptation_file_that_is_not_one_is_refused(tmp_path):
    tiny_model(tmp_path / "tiny.safetensors")
    model = load_model(tmp_path / "tiny.safetensors")
    (tmp_path / "junk.adapted.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError, match="not a handsynth adaptation"):
        model.with_adaptation(tmp_path / "junk.adapted.safetensors")
    save_adaptation(tmp_path / "lstm.safetensors", {"backbone.x": np.zeros(3)}, {})
    with pytest.raises(CheckpointError, match="head's weights only"):
        model.with_adaptation(tmp_path / "lstm.safetensors")
    save_adaptation(tmp_path / "big.safetensors", {"head.linear.bias": np.zeros(999)}, {})
    with pytest.raises(CheckpointError, match="another model"):
        model.with_adaptation(tmp_path / "big.safetensors")
