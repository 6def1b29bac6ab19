"""Hostile and broken inputs: fuzzed XML, a training run killed with SIGKILL, NaN in the data."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from handsynth.data.iam import IamFormatError, parse_line_strokes
from handsynth.errors import CheckpointError
from handsynth.nn.checkpoint import load_checkpoint
from handsynth.train.tasks import HandwritingTask
from tests.conftest import FIXTURE_ROOT

GOOD_XML = FIXTURE_ROOT / "lineStrokes" / "a01" / "a01-000" / "a01-000u-01.xml"


def mutations(data: bytes, count: int, seed: int):
    """Byte flips, truncations, duplicated and deleted spans of `data`."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        blob = bytearray(data)
        kind = rng.integers(4)
        i = int(rng.integers(len(blob)))
        j = min(len(blob), i + int(rng.integers(1, 40)))
        if kind == 0:
            blob[i] = int(rng.integers(256))
        elif kind == 1:
            del blob[i:]
        elif kind == 2:
            blob[i:i] = blob[i:j]
        else:
            del blob[i:j]
        yield bytes(blob)


def test_fuzzed_xml_parses_or_fails_cleanly(tmp_path):
    path = tmp_path / "fuzz-01.xml"
    parsed = refused = 0
    for blob in mutations(GOOD_XML.read_bytes(), count=300, seed=0):
        path.write_bytes(blob)
        try:
            strokes = parse_line_strokes(path)
        except IamFormatError as error:
            assert str(path) in str(error)
            refused += 1
            continue
        parsed += 1
        assert strokes and all(np.isfinite(s).all() and s.shape[1] == 3 for s in strokes)
    assert parsed > 0 and refused > 0  # the mutations really exercise both outcomes


def test_sigkill_mid_training_resumes_to_the_same_weights(prepared_dir, tmp_path):
    common = [
        sys.executable,
        "-m",
        "handsynth",
        "train",
        "prediction",
        "--data",
        str(prepared_dir),
        "--hidden-size",
        "8",
        "--layers",
        "1",
        "--mixtures",
        "2",
        "--batch-size",
        "1",
        "--optimizer",
        "adam",
        "--checkpoint-every",
        "1",
        "--quiet",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    straight = tmp_path / "straight"
    subprocess.run([*common, "--out", str(straight), "--max-steps", "40"], env=env, check=True)

    killed = tmp_path / "killed"
    process = subprocess.Popen([*common, "--out", str(killed), "--max-steps", "40"], env=env)
    deadline = time.monotonic() + 120
    step = 0
    while step < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
        try:
            step = load_checkpoint(killed / "last.pt")["progress"]["step"]
        except CheckpointError:
            continue  # not written yet
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 5 <= load_checkpoint(killed / "last.pt")["progress"]["step"] < 40
    subprocess.run([*common, "--out", str(killed), "--max-steps", "40"], env=env, check=True)

    a, b = load_checkpoint(straight / "last.pt"), load_checkpoint(killed / "last.pt")
    assert a["progress"]["step"] == b["progress"]["step"] == 40
    for key in a["model"]:
        torch.testing.assert_close(a["model"][key], b["model"][key], rtol=0, atol=0)


def test_nan_in_prepared_data_is_refused_with_the_line(prepared_dir, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("metadata.json", "valid.npz"):
        (broken / name).write_bytes((prepared_dir / name).read_bytes())
    with np.load(prepared_dir / "train.npz") as data:
        arrays = dict(data)
    arrays["offsets"][3, 0] = np.nan
    np.savez(broken / "train.npz", **arrays)
    line_id = str(arrays["line_ids"][0])
    with pytest.raises(ValueError, match=f"line {line_id} of the train split .* NaN"):
        HandwritingTask("prediction", broken)
