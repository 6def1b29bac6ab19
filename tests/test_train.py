"""End-to-end training: smoke runs, exact resume, interruption, NaN guard, validation, eval CLI."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from handsynth import cli
from handsynth.nn.checkpoint import load_checkpoint, model_from_checkpoint
from handsynth.train.loop import TrainConfig, TrainingDiverged, train
from handsynth.train.precision import PrecisionUnsupported, bf16_supported
from handsynth.train.tasks import HandwritingTask, TextTask

TINY = {"hidden_size": 8, "num_layers": 2, "num_mixtures": 2}


def config(out_dir, **overrides) -> TrainConfig:
    settings = dict(
        out_dir=str(out_dir),
        optimizer="adam",
        learning_rate=1e-2,
        batch_size=1,
        epochs=5,
        checkpoint_every=1,
        progress=False,
        model=dict(TINY),
    )
    return TrainConfig(**{**settings, **overrides})


def weights(out_dir, name="last.pt") -> dict:
    return load_checkpoint(out_dir / name)["model"]


def assert_same_weights(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)


@pytest.mark.parametrize("kind", ["prediction", "synthesis"])
def test_resume_continues_exactly(prepared_dir, tmp_path, kind):
    task = HandwritingTask(kind, prepared_dir)
    straight = train(task, config(tmp_path / "straight", max_steps=5), log=lambda _: None)
    assert straight["step"] == 5
    train(task, config(tmp_path / "resumed", max_steps=2), log=lambda _: None)
    resumed = train(task, config(tmp_path / "resumed", max_steps=5), log=lambda _: None)
    assert resumed["step"] == 5
    assert resumed["history"] == straight["history"]
    assert_same_weights(weights(tmp_path / "straight"), weights(tmp_path / "resumed"))


class InterruptAt:
    """Wraps a task so that the loss of step `step` raises KeyboardInterrupt, like Ctrl-C."""

    def __init__(self, task, step):
        self.task, self.step, self.calls = task, step, 0

    def __getattr__(self, name):
        return getattr(self.task, name)

    def loss(self, model, batch, state):
        self.calls += 1
        if self.calls == self.step:
            raise KeyboardInterrupt
        return self.task.loss(model, batch, state)


def test_ctrl_c_saves_and_resume_loses_no_step(prepared_dir, tmp_path):
    task = HandwritingTask("prediction", prepared_dir)
    train(task, config(tmp_path / "straight", max_steps=4, checkpoint_every=100), log=print)
    messages = []
    interrupted = config(tmp_path / "cut", max_steps=4, checkpoint_every=100)
    progress = train(InterruptAt(task, 3), interrupted, log=messages.append)
    assert progress["step"] == 2
    assert load_checkpoint(tmp_path / "cut" / "last.pt")["progress"]["step"] == 2
    assert "resume" in messages[-1]
    train(task, interrupted, log=print)
    assert_same_weights(weights(tmp_path / "straight"), weights(tmp_path / "cut"))


def test_epoch_end_validates_and_writes_best(prepared_dir, tmp_path):
    task = HandwritingTask("synthesis", prepared_dir)
    progress = train(task, config(tmp_path, epochs=2), log=lambda _: None)
    assert progress["epoch"] == 2
    assert [h["epoch"] for h in progress["history"]] == [1, 2]
    assert progress["best"]["nll_per_sequence"] == min(
        h["nll_per_sequence"] for h in progress["history"]
    )
    best = load_checkpoint(tmp_path / "best.pt")
    assert best["progress"]["best"]["epoch"] == progress["best"]["epoch"]
    assert best["data"]["alphabet"] == task.alphabet.to_json()


class NanLoss:
    def __init__(self, task):
        self.task = task

    def __getattr__(self, name):
        return getattr(self.task, name)

    def loss(self, model, batch, state):
        loss, points = self.task.loss(model, batch, state)
        return loss * float("nan"), points


def test_nan_guard_skips_then_gives_up(prepared_dir, tmp_path):
    task = NanLoss(HandwritingTask("prediction", prepared_dir))
    with pytest.raises(TrainingDiverged, match="non-finite"):
        train(task, config(tmp_path, max_bad_steps=3, epochs=10), log=lambda _: None)
    assert not (tmp_path / "best.pt").exists()


def test_text_training_and_dynamic_evaluation(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat. " * 200)
    task = TextTask(corpus, "char", batch_size=4, bptt=20)
    text_config = config(tmp_path / "run", max_steps=30, model={"hidden_size": 16})
    train(task, text_config, log=lambda _: None)
    payload = load_checkpoint(tmp_path / "run" / "last.pt")
    model = model_from_checkpoint(payload)
    static = task.evaluate(model, split="valid")
    dynamic = task.evaluate(model_from_checkpoint(payload), split="valid", dynamic=True, lr=1e-3)
    # 11 symbols: a model that learnt nothing would score log2(11) = 3.46 bits.
    assert static["bits_per_symbol"] < 3.0
    # Adapting to a text that keeps repeating itself can only help.
    assert dynamic["bits_per_symbol"] < static["bits_per_symbol"]


def test_cli_prepare_train_eval(tmp_path, capsys):
    from tests.conftest import FIXTURE_ROOT

    data = tmp_path / "prepared"
    assert (
        cli.main(
            [
                "prepare",
                "--iam-root",
                str(FIXTURE_ROOT),
                "--out",
                str(data),
                "--quiet",
                "--splits",
                str(FIXTURE_ROOT / "splits"),
            ]
        )
        == 0
    )
    run = tmp_path / "run"
    args = [
        "train",
        "synthesis",
        "--data",
        str(data),
        "--out",
        str(run),
        "--max-steps",
        "2",
        "--hidden-size",
        "8",
        "--layers",
        "1",
        "--mixtures",
        "2",
        "--quiet",
        "--batch-size",
        "2",
    ]
    assert cli.main(args) == 0
    assert cli.main(["eval", str(run / "last.pt"), "--data", str(data)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["kind"] == "synthesis"
    assert result["sequences"] == 2
    total = result["nll_per_point"] * result["points"]
    assert result["nll_per_sequence"] * result["sequences"] == pytest.approx(total)


def test_cli_rejects_flags_that_do_not_apply(prepared_dir, tmp_path, capsys):
    args = [
        "train",
        "prediction",
        "--data",
        str(prepared_dir),
        "--out",
        str(tmp_path),
        "--window-gaussians",
        "3",
    ]
    assert cli.main(args) == 2
    assert "--window-gaussians does not apply to a prediction network" in capsys.readouterr().err


@pytest.mark.slow
def test_distributed_training_with_two_gloo_processes(prepared_dir, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--standalone",
        "-m",
        "handsynth",
        "train",
        "prediction",
        "--data",
        str(prepared_dir),
        "--out",
        str(tmp_path),
        "--max-steps",
        "2",
        "--hidden-size",
        "8",
        "--layers",
        "1",
        "--mixtures",
        "2",
        "--batch-size",
        "1",
        "--quiet",
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    payload = load_checkpoint(tmp_path / "last.pt")
    assert payload["progress"]["step"] == 2


def test_init_from_starts_with_the_given_weights(prepared_dir, tmp_path):
    from handsynth.nn.weights import export_weights

    task = HandwritingTask("synthesis", prepared_dir)
    train(task, config(tmp_path / "first", max_steps=3), log=lambda _: None)
    exported = tmp_path / "first.safetensors"
    export_weights(load_checkpoint(tmp_path / "first" / "last.pt"), exported)
    messages = []
    second = config(tmp_path / "second", max_steps=1, init_from=str(exported), learning_rate=1e-9)
    train(task, second, log=messages.append)
    assert any("starting from the weights" in m for m in messages)
    first, tuned = weights(tmp_path / "first"), weights(tmp_path / "second")
    for key in first:  # float16 storage, then one step at a negligible learning rate
        torch.testing.assert_close(tuned[key], first[key].half().float(), atol=1e-6, rtol=0)


PTB_ZIP = Path(__file__).resolve().parents[2] / "shared" / "data" / "text" / "ptb.zip"


@pytest.mark.skipif(not PTB_ZIP.exists(), reason="shared Penn Treebank data absent")
def test_word_level_ptb_trains_and_reports_perplexity(tmp_path):
    task = TextTask(PTB_ZIP, "word", batch_size=8, bptt=10)
    assert len(task.alphabet) == 10000
    run = config(tmp_path, max_steps=3, model={"hidden_size": 8, "embedding_size": 8})
    train(task, run, log=lambda _: None)
    model = model_from_checkpoint(load_checkpoint(tmp_path / "last.pt"))
    task.corpus.splits["valid"] = task.corpus.splits["valid"][:2000]
    metrics = task.evaluate(model, split="valid")
    # Three steps learn almost nothing: perplexity stays near the vocabulary size.
    assert 1000 < metrics["perplexity"] < 20000


needs_bf16 = pytest.mark.skipif(
    not bf16_supported("cpu"), reason="this CPU has no bfloat16 LSTM (AVX512-BF16 or AMX)"
)


@needs_bf16
def test_bf16_training_keeps_float32_weights_and_learns(prepared_dir, tmp_path):
    task = HandwritingTask("synthesis", prepared_dir)
    progress = train(task, config(tmp_path, epochs=2, bf16=True), log=lambda _: None)
    first, last = progress["history"][0], progress["history"][-1]
    assert last["nll_per_sequence"] < first["nll_per_sequence"]
    assert all(w.dtype == torch.float32 for w in weights(tmp_path).values())


def test_bf16_where_unsupported_is_refused_before_any_work(
    prepared_dir, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr("handsynth.train.precision.bf16_supported", lambda device_type: False)
    task = HandwritingTask("synthesis", prepared_dir)
    with pytest.raises(PrecisionUnsupported, match="run without bf16 to train"):
        train(task, config(tmp_path / "run", bf16=True), log=lambda _: None)
    assert not (tmp_path / "run").exists()
    out = tmp_path / "cli"
    argv = ["train", "synthesis", "--data", str(prepared_dir), "--out", str(out), "--bf16"]
    assert cli.main(argv) == 2
    assert "run without --bf16 to train" in capsys.readouterr().err  # the CLI names its flag
    assert not out.exists()


def test_resume_with_a_new_learning_rate_uses_it(prepared_dir, tmp_path):
    task = HandwritingTask("prediction", prepared_dir)
    train(task, config(tmp_path, max_steps=1), log=lambda _: None)
    messages = []
    train(task, config(tmp_path, max_steps=2, learning_rate=1e-3), log=messages.append)
    optimizer_state = load_checkpoint(tmp_path / "last.pt")["optimizer"]
    assert [group["lr"] for group in optimizer_state["param_groups"]] == [1e-3]
    assert "learning rate 0.01 -> 0.001" in messages


def test_joined_lines_add_each_pair_of_consecutive_lines_of_a_form(prepared_dir, tmp_path):
    task = HandwritingTask("synthesis", prepared_dir)
    singles = list(task.train.texts)
    task.add_joined_lines()
    joined = task.train.texts[len(singles) :]
    assert task.train.texts[: len(singles)] == singles
    assert joined and all(" " in text for text in joined)
    for text, chars in zip(task.train.texts, task.train.chars, strict=True):
        assert "".join(task.alphabet.decode(chars)) == text
    assert any(a + " " + b in joined for a, b in zip(singles, singles[1:], strict=False))
    summary = train(task, config(tmp_path / "run", max_steps=2), log=lambda _: None)
    assert summary["step"] == 2
