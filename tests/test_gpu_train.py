"""The GPU plan (scripts/gpu_train.py) dry-run on the CPU with toy sizes, so that it cannot break
unseen between the rare sessions that have a GPU."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from handsynth.data.prepare import load_prepared
from handsynth.loaded import load_model
from handsynth.nn.weights import weights_folder

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "gpu_train.py"
SENTENCES = "the cat sat on the mat\nthe dog ate the bone\na cat and a dog\n" * 40


def toy_ptb(path: Path) -> Path:
    """A zip laid out as Mikolov's ptb.zip: word files and char files (spaces written `_`)."""
    with zipfile.ZipFile(path, "w") as archive:
        for split in ("train", "valid", "test"):
            archive.writestr(f"ptb.{split}.txt", SENTENCES)
            chars = "\n".join(" ".join(line.replace(" ", "_")) for line in SENTENCES.splitlines())
            archive.writestr(f"ptb.char.{split}.txt", chars + "\n")
    return path


def script(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_bundle_holds_the_prepared_lines_exactly(prepared_dir, tmp_path):
    bundle = tmp_path / "bundle"
    script("pack", "--prepared", str(prepared_dir), "--ptb", str(toy_ptb(tmp_path / "ptb.zip")),
           "--out", str(bundle))  # fmt: skip
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        from gpu_train import unpack
    finally:
        sys.path.remove(str(SCRIPT.parent))
    folders = unpack(bundle, tmp_path / "work", max_lines=None, workers=1)
    for split in ("train", "valid"):
        want, want_texts, want_ids = load_prepared(prepared_dir, split)
        got, texts, ids = load_prepared(folders["raw"], split)
        assert texts == want_texts and ids == want_ids
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)
        smoothed, _, _ = load_prepared(folders["smooth"], split)
        assert [len(s) for s in smoothed] == [len(w) for w in want]
        assert any(not np.array_equal(s, w) for s, w in zip(smoothed, want, strict=True))


@pytest.mark.slow
def test_the_whole_plan_runs_on_the_cpu_with_toy_sizes(prepared_dir, tmp_path):
    bundle, out = tmp_path / "bundle", tmp_path / "out"
    script("pack", "--prepared", str(prepared_dir), "--ptb", str(toy_ptb(tmp_path / "ptb.zip")),
           "--out", str(bundle), "--splice", str(weights_folder() / "glyphs.npz"))  # fmt: skip
    script("run", "--bundle", str(bundle), "--out", str(out), "--work", str(tmp_path / "work"),
           "--minutes", "30", "--device", "cpu", "--tiny",
           "--jobs", "synthesis-400,synthesis-256,ptb-char,ptb-word,recogniser")  # fmt: skip
    results = json.loads((out / "results.json").read_text())
    assert set(results["jobs"]) == {
        "synthesis-400", "synthesis-256", "ptb-char", "ptb-word", "recogniser"
    }  # fmt: skip
    for name, report in results["jobs"].items():
        assert report["exit"] == 0, (name, report["stderr_tail"])
        assert report["progress"]["epoch"] == 2, name  # --tiny: two epochs, then done
    text = results["jobs"]["ptb-char"]["test"]
    assert text["test_dynamic"]["bits_per_character"] > 0
    assert text["test"]["characters"] == text["test_dynamic"]["characters"]
    for name in ("synthesis-400", "synthesis-256", "recogniser", "ptb-char"):
        model = load_model(out / f"{name}.safetensors")
        assert model.kind == {"ptb-char": "text"}.get(name, name.split("-")[0])
    splice = results["jobs"]["recogniser"]["train_config"]["splice"]
    assert Path(splice).read_bytes() == (weights_folder() / "glyphs.npz").read_bytes()
    assert not (out / "ptb-word.safetensors").exists()  # too large to ship: numbers only
    with tarfile.open(out / "epochs.tar") as tar:  # every epoch of the jobs that export them
        names = tar.getnames()
    for name in ("synthesis-400", "synthesis-256", "recogniser"):
        assert f"{name}/epoch-1.safetensors" in names and f"{name}/epoch-2.safetensors" in names
    assert len(list(out.iterdir())) <= 8  # what the GPU machine sends back
