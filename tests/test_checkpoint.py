"""Tests of handsynth.nn.checkpoint: round trip, atomic writes, and refusing bad or unsafe files."""

import os
import pickle
from dataclasses import asdict

import numpy as np
import pytest
import torch

from handsynth.data.alphabet import Alphabet
from handsynth.errors import CheckpointError
from handsynth.nn.checkpoint import (
    FORMAT_VERSION,
    load_checkpoint,
    model_from_checkpoint,
    save_checkpoint,
)
from handsynth.nn.models import SynthesisConfig, SynthesisNetwork
from handsynth.train.optim import GravesRMSProp


def tiny_payload():
    torch.manual_seed(0)
    alphabet = Alphabet(list("abc "))
    config = SynthesisConfig(
        alphabet_size=len(alphabet),
        hidden_size=8,
        num_layers=2,
        num_mixtures=2,
        num_window_gaussians=2,
    )
    model = SynthesisNetwork(config)
    optimizer = GravesRMSProp(model.parameters(), lr=1e-3)
    x = torch.randn(1, 3, 3)
    chars, mask = torch.tensor([[0, 1, 2]]), torch.ones(1, 3, dtype=torch.bool)
    model(x, chars, mask)[0].mu.sum().backward()
    optimizer.step()
    payload = {
        "kind": model.kind,
        "config": asdict(config),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "step": 1,
        "best_val_loss": 3.5,
        "alphabet": alphabet.to_json(),
        "stats": {"mean": torch.tensor([0.1, 0.2]), "std": torch.tensor([1.5, 2.5])},
    }
    return model, payload, (x, chars, mask)


def test_round_trip_gives_identical_outputs(tmp_path):
    model, payload, inputs = tiny_payload()
    path = tmp_path / "ck.pt"
    save_checkpoint(path, payload)
    loaded = load_checkpoint(path)
    assert loaded["format_version"] == FORMAT_VERSION
    assert loaded["step"] == 1 and loaded["best_val_loss"] == 3.5
    assert Alphabet.from_json(loaded["alphabet"]) == Alphabet(list("abc "))
    torch.testing.assert_close(loaded["stats"]["std"], torch.tensor([1.5, 2.5]))
    rebuilt = model_from_checkpoint(loaded)
    assert type(rebuilt) is SynthesisNetwork and rebuilt.config == model.config
    with torch.no_grad():
        a, _ = model(*inputs)
        b, _ = rebuilt(*inputs)
    for x, y in zip(a, b, strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=0)
    # The optimizer state comes back too, so training resumes where it stopped.
    opt = GravesRMSProp(rebuilt.parameters(), lr=1.0)
    opt.load_state_dict(loaded["optimizer"])
    assert opt.param_groups[0]["lr"] == 1e-3
    assert len(opt.state) == len(list(rebuilt.parameters()))


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path):
    _, payload, _ = tiny_payload()
    path = tmp_path / "sub" / "ck.pt"
    save_checkpoint(path, payload)
    save_checkpoint(path, {**payload, "step": 2})  # overwrite in place
    assert os.listdir(path.parent) == ["ck.pt"]
    assert load_checkpoint(path)["step"] == 2
    # A write that fails half way keeps the previous checkpoint and removes its temp file.
    with pytest.raises(Exception):  # noqa: B017 - whatever torch.save raises on a lambda
        save_checkpoint(path, {**payload, "step": 3, "bad": lambda: 0})
    assert os.listdir(path.parent) == ["ck.pt"]
    assert load_checkpoint(path)["step"] == 2


def assert_refused(path):
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    assert str(path) in str(err.value)
    return err.value


def test_missing_file(tmp_path):
    assert_refused(tmp_path / "nope.pt")
    assert_refused(tmp_path)  # a folder is not a checkpoint file either


def truncated_copies(tmp_path, fractions):
    _, payload, _ = tiny_payload()
    good = tmp_path / "good.pt"
    save_checkpoint(good, payload)
    data = good.read_bytes()
    for fraction in fractions:
        n = int(len(data) * fraction)
        bad = tmp_path / f"cut{n}.pt"
        bad.write_bytes(data[:n])
        yield bad


def test_truncated_file(tmp_path):
    # Cut inside the zip header, inside the pickled data, and just before the end.
    for bad in truncated_copies(tmp_path, [0.001, 0.005, 0.05, 0.5, 0.999]):
        assert_refused(bad)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_random_bytes(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "noise.pt"
    path.write_bytes(rng.bytes(4096))
    assert_refused(path)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("content", [b"", b"N", b"(", b"\x80\x02"])
def test_empty_or_short_garbage_file(tmp_path, content):
    path = tmp_path / "short.pt"
    path.write_bytes(content)
    assert_refused(path)


def test_non_checkpoint_torch_files(tmp_path):
    for name, obj in [("dict", {"a": 1}), ("list", [1, 2]), ("tensor", torch.zeros(2))]:
        path = tmp_path / f"{name}.pt"
        torch.save(obj, path)
        assert "not a handsynth checkpoint" in str(assert_refused(path))


def test_other_format_version(tmp_path):
    _, payload, _ = tiny_payload()
    path = tmp_path / "future.pt"
    torch.save({**payload, "format_version": FORMAT_VERSION + 1}, path)
    assert "format" in str(assert_refused(path))


def test_weights_that_do_not_fit_the_config(tmp_path):
    _, payload, _ = tiny_payload()
    path = tmp_path / "mismatch.pt"
    save_checkpoint(path, {**payload, "config": {**payload["config"], "hidden_size": 9}})
    with pytest.raises(CheckpointError):
        model_from_checkpoint(load_checkpoint(path))


class Custom:
    def __init__(self):
        self.value = 3


def test_custom_object_is_refused(tmp_path):
    _, payload, _ = tiny_payload()
    path = tmp_path / "custom.pt"
    torch.save({"format_version": FORMAT_VERSION, **payload, "extra": Custom()}, path)
    assert_refused(path)
    path = tmp_path / "module.pt"
    torch.save({"format_version": FORMAT_VERSION, **payload, "model": torch.nn.Linear(2, 2)}, path)
    assert_refused(path)


class CreatesFile:
    """Unpickling this calls open(marker, 'w'), which creates the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_pickle_that_would_run_code_is_refused_without_running_it(tmp_path):
    _, payload, _ = tiny_payload()
    # The payload is live: plain unpickling runs it.
    control = tmp_path / "control"
    pickle.loads(pickle.dumps(CreatesFile(control))).close()
    assert control.exists()

    marker = tmp_path / "marker"
    raw = tmp_path / "raw.pkl"  # legacy (non-zip) pickle file
    raw.write_bytes(pickle.dumps({"format_version": FORMAT_VERSION, "x": CreatesFile(marker)}))
    assert_refused(raw)
    assert not marker.exists()

    zipped = tmp_path / "zipped.pt"  # torch.save's zip format with the object inside
    torch.save({"format_version": FORMAT_VERSION, **payload, "x": CreatesFile(marker)}, zipped)
    assert_refused(zipped)
    assert not marker.exists()
