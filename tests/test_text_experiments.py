"""The text experiments of Graves (2013) §3: character and word models scored on one scale (bits per
character, word perplexity), dropout, early stopping, enwik8 from its file, and shipped text models
found by name."""

import json
import math
from dataclasses import asdict, replace
from pathlib import Path

import pytest
import torch

from handsynth import cli
from handsynth.data.alphabet import Alphabet
from handsynth.errors import CheckpointError, UserError
from handsynth.eval.metrics import evaluate
from handsynth.loaded import load_model
from handsynth.nn import weights
from handsynth.nn.models import TextConfig, TextNetwork
from handsynth.train.loop import TrainConfig, train
from handsynth.train.tasks import TextTask
from tests.test_api import train_tiny_text
from tests.test_text_corpus import ENWIK8_FIXTURE, PTB_WORDS, _write_ptb_zip


def bias_only_model(alphabet: Alphabet, bias: dict[str, float]) -> TextNetwork:
    """A network whose logits are the head's bias alone, whatever it reads."""
    torch.manual_seed(0)
    model = TextNetwork(TextConfig(vocab_size=len(alphabet), embedding_size=4, hidden_size=4))
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
        for symbol, value in bias.items():
            model.head.bias[alphabet.symbols.index(symbol)] = value
    return model


def nats_of(model: TextNetwork, alphabet: Alphabet, targets: list[str]) -> float:
    """Minus the log-probabilities of `targets` under a bias-only model, summed by hand."""
    log_p = torch.log_softmax(model.head.bias.detach(), dim=0)
    return -sum(float(log_p[alphabet.symbols.index(t)]) for t in targets)


def test_word_model_bits_per_character_counts_the_characters_the_words_spell(tmp_path):
    task = TextTask(_write_ptb_zip(tmp_path / "ptb.zip", PTB_WORDS), "word", 1, bptt=2)
    model = bias_only_model(task.alphabet, {"cat": 1.0, "sat": 2.0, "<eos>": 0.5})
    metrics = task.evaluate(model, split="test")
    # The test split is "a cat sat" and its "<eos>"; "a" is read, not predicted, so the three
    # predictions spell "cat sat\n" as the character corpus writes it: 8 characters, 3 words.
    nats = nats_of(model, task.alphabet, ["cat", "sat", "<eos>"])
    assert (metrics["symbols"], metrics["characters"], metrics["words"]) == (3, 8, 3)
    assert metrics["bits_per_character"] == pytest.approx(nats / len("cat sat\n") / math.log(2))
    assert metrics["word_perplexity"] == pytest.approx(math.exp(nats / 3))
    assert metrics["perplexity"] == pytest.approx(metrics["word_perplexity"])


def test_char_model_word_perplexity_counts_the_words_its_characters_end(tmp_path):
    task = TextTask(_write_ptb_zip(tmp_path / "ptb.zip", PTB_WORDS), "char", 1, bptt=4)
    model = bias_only_model(task.alphabet, {"a": 1.0, " ": 2.0, "\n": -1.0})
    metrics = task.evaluate(model, split="test")
    # "a cat sat\n": the first "a" is read; " cat sat\n" is predicted: 9 characters, ending the
    # words "a", "cat" and "sat" and the sentence ("<eos>").
    nats = nats_of(model, task.alphabet, list(" cat sat\n"))
    assert (metrics["symbols"], metrics["characters"], metrics["words"]) == (9, 9, 4)
    assert metrics["bits_per_character"] == pytest.approx(metrics["bits_per_symbol"])
    assert metrics["bits_per_symbol"] == pytest.approx(nats / 9 / math.log(2))
    assert metrics["word_perplexity"] == pytest.approx(math.exp(nats / 4))


def test_dropout_is_active_in_training_only():
    torch.manual_seed(0)
    config = TextConfig(vocab_size=6, embedding_size=8, hidden_size=16, dropout=0.5)
    model = TextNetwork(config)
    plain = TextNetwork(replace(config, dropout=0.0))
    plain.load_state_dict(model.state_dict())
    tokens = torch.randint(0, 6, (2, 12))  # (B, T)
    model.train()
    first, _ = model(tokens)
    second, _ = model(tokens)
    assert not torch.allclose(first, second)  # a fresh mask at every call
    model.eval()
    plain.train()  # dropout 0 drops nothing, in either mode
    torch.testing.assert_close(model(tokens)[0], plain(tokens)[0], rtol=0, atol=0)


def test_evaluation_turns_dropout_off(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat. " * 40)
    task = TextTask(corpus, "char", batch_size=2, bptt=10)
    torch.manual_seed(0)
    config = TextConfig(vocab_size=len(task.alphabet), embedding_size=4, hidden_size=8)
    model = TextNetwork(replace(config, dropout=0.5))
    plain = TextNetwork(config)
    plain.load_state_dict(model.state_dict())
    model.train()  # as the trainer leaves it
    scores = [task.evaluate(model, split="valid")["bits_per_symbol"] for _ in range(2)]
    assert scores == [task.evaluate(plain, split="valid")["bits_per_symbol"]] * 2


def test_dropout_flag_is_kept_in_the_model_file(tmp_path, capsys):
    _, run = train_tiny_text(tmp_path, "--dropout", "0.3")
    exported = tmp_path / "model.safetensors"
    assert cli.main(["export", str(run / "last.pt"), "-o", str(exported)]) == 0
    for path in (run / "last.pt", exported):
        network = load_model(path).network
        assert network.config.dropout == 0.3 and network.dropout.p == 0.3
    capsys.readouterr()
    prediction = ["train", "prediction", "--data", str(tmp_path), "--out", str(tmp_path / "p")]
    assert cli.main([*prediction, "--dropout", "0.3"]) == 2
    assert "--dropout does not apply to a prediction network" in capsys.readouterr().err


class ScriptedValidation:
    """A text task whose validation results are given in advance."""

    def __init__(self, task: TextTask, results: list[float]):
        self.task = task
        self.results = iter(results)

    def __getattr__(self, name):
        return getattr(self.task, name)

    def evaluate(self, model, device="cpu") -> dict:
        return {"bits_per_symbol": next(self.results)}


def test_patience_stops_training_when_validation_stops_improving(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat. " * 20)
    task = TextTask(corpus, "char", batch_size=4, bptt=20)
    config = TrainConfig(
        out_dir=str(tmp_path / "run"),
        epochs=10,
        patience=2,
        progress=False,
        sample_every=0,
        model={"hidden_size": 4, "embedding_size": 4},
    )
    messages = []
    # Best at epoch 2; epochs 3 and 4 are no better, so training stops after epoch 4 of 10.
    progress = train(ScriptedValidation(task, [3.0, 2.0, 2.5, 2.1, 1.0]), config, messages.append)
    assert [record["epoch"] for record in progress["history"]] == [1, 2, 3, 4]
    assert progress["best"]["epoch"] == 2
    assert any("stopped early" in m and "epoch 2" in m for m in messages)
    # Running it again resumes into the same verdict rather than training on.
    again = train(ScriptedValidation(task, [0.5]), config, messages.append)
    assert again["epoch"] == 4 and again["step"] == progress["step"]


def test_enwik8_fixture_trains_and_reports_on_validation(tmp_path, capsys):
    run = tmp_path / "run"
    args = ["train", "text", "--data", str(ENWIK8_FIXTURE), "--out", str(run), "--bptt", "20"]
    tiny = ["--hidden-size", "8", "--embedding-size", "4", "--max-steps", "2", "--quiet"]
    assert cli.main([*args, *tiny, "--batch-size", "4"]) == 0
    capsys.readouterr()
    assert cli.main(["eval", str(run / "last.pt"), "--data", str(ENWIK8_FIXTURE)]) == 0
    metrics = json.loads(capsys.readouterr().out)
    # The last 400 of the 10,000 bytes validate; the first of them is read, not predicted.
    assert metrics["symbols"] == metrics["characters"] == 399
    assert metrics["bits_per_character"] == pytest.approx(metrics["bits_per_symbol"])
    assert "word_perplexity" not in metrics
    with pytest.raises(UserError, match="has no test split"):
        evaluate(load_model(run / "last.pt"), ENWIK8_FIXTURE, split="test")


def write_text_model(path: Path, symbols: str) -> None:
    """A tiny untrained character model saved as a model file."""
    torch.manual_seed(0)
    config = TextConfig(vocab_size=len(symbols), embedding_size=4, hidden_size=8)
    data = {"alphabet": Alphabet(list(symbols)).to_json(), "level": "char"}
    description = {"kind": "text", "config": asdict(config), "data": data}
    weights.write_model_file(path, TextNetwork(config).state_dict(), description)


def test_a_shipped_text_model_is_found_by_name(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(weights, "weights_folder", lambda: tmp_path)
    sample = ["text", "sample", "--model", "shakespeare", "--prime", "ab", "--length", "6"]
    with pytest.raises(CheckpointError, match="shipped shakespeare model is missing"):
        load_model("shakespeare")
    assert cli.main([*sample, "--seed", "0"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and str(tmp_path / "shakespeare.safetensors") in error
    write_text_model(tmp_path / "shakespeare.safetensors", "abcd ")
    model = load_model("shakespeare", kind="text")
    assert model.path == tmp_path / "shakespeare.safetensors"
    assert cli.main([*sample, "--seed", "0"]) == 0
    assert capsys.readouterr().out == model.generate("ab", length=6, seed=0) + "\n"
    with pytest.raises(UserError, match="no shipped hamlet model"):
        load_model("hamlet")
