"""The CTC recogniser and legibility: edit distance, decoding, padding, overfitting, the CLI."""

import json
import math
import shutil

import numpy as np
import pytest
import torch

from handsynth import cli
from handsynth.data.alphabet import Alphabet
from handsynth.data.prepare import load_metadata
from handsynth.eval.legibility import recognise
from handsynth.nn.checkpoint import build_model
from handsynth.nn.ctc import character_error_rate, edit_distance, greedy_decode
from handsynth.nn.models import SynthesisConfig, SynthesisNetwork
from handsynth.nn.recogniser import Recogniser, RecogniserConfig, ctc_loss
from handsynth.nn.weights import export_weights
from handsynth.options import DEFAULT_BIAS
from handsynth.train.tasks import RecognitionTask


@pytest.mark.parametrize(
    "a, b, distance",
    [
        ("kitten", "sitting", 3),
        ("flaw", "lawn", 2),
        ("", "abc", 3),
        ("abc", "", 3),
        ("ab", "ab", 0),
    ],
)
def test_edit_distance_known_pairs(a, b, distance):
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


def test_character_error_rate_sums_distances_over_reference_length():
    assert character_error_rate(["sitting", "ab"], ["kitten", "ab"]) == 3 / 8
    assert character_error_rate(["abcd"], ["a"]) == 3.0  # insertions can take it above 1
    with pytest.raises(ValueError, match="2 predictions for 1"):
        character_error_rate(["a", "b"], ["a"])


def test_greedy_decode_merges_repeats_and_drops_blanks():
    blank = 3
    paths = [[0, 0, blank, 0, 1, 1, blank, 2], [2, blank, blank, 2, 2, 1, 1, 1]]
    log_probs = torch.full((8, 2, 4), -10.0)  # (T', B, C)
    for b, path in enumerate(paths):
        log_probs[torch.arange(8), b, torch.tensor(path)] = 0.0
    assert greedy_decode(log_probs, torch.tensor([8, 8])) == [[0, 0, 1, 2], [2, 2, 1]]
    assert greedy_decode(log_probs, torch.tensor([4, 3])) == [[0, 0], [2]]  # frames past length


@pytest.mark.parametrize("length", [7, 10])
def test_padding_does_not_change_a_line(length):
    torch.manual_seed(0)
    config = RecogniserConfig(alphabet_size=5, hidden_size=6, num_layers=2, frame_steps=2)
    model = Recogniser(config).eval()
    short, long = torch.randn(1, length, 3), torch.randn(1, 15, 3)
    alone, alone_lengths = model(short, torch.tensor([length]))
    batch = torch.cat([torch.nn.functional.pad(short, (0, 0, 0, 15 - length), value=5.0), long])
    padded, lengths = model(batch, torch.tensor([length, 15]))
    assert padded.shape == (8, 2, 6)  # (ceil(15 / 2), B, alphabet + blank)
    assert lengths.tolist() == [math.ceil(length / 2), 8] == [alone.shape[0], 8]
    torch.testing.assert_close(padded[: alone.shape[0], :1], alone)
    assert torch.allclose(padded.exp().sum(-1), torch.ones(8, 2))


def test_build_model_registers_the_recogniser():
    model = build_model("recogniser", {"alphabet_size": 4, "hidden_size": 3, "num_layers": 1})
    assert isinstance(model, Recogniser) and model.output_clip is None


def test_ctc_overfits_two_lines(prepared_dir):
    # The fixture lines have 12 points for 13-17 characters: too few frames for CTC. Each pen step
    # is repeated 4 times (44 steps, 22 frames) and paired with the line's first word.
    task = RecognitionTask(prepared_dir)
    data = task.train
    data.offsets = [np.repeat(o, 4, axis=0) for o in data.offsets[:2]]
    words = [text.split()[0] for text in data.texts[:2]]
    data.chars = [task.alphabet.encode(w) for w in words]
    batch = data.batch(np.arange(2))
    torch.manual_seed(0)
    config = task.model_config(hidden_size=16, num_layers=1, frame_steps=2)
    model = build_model("recogniser", config)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-2)
    losses = []
    for _ in range(60):
        loss = ctc_loss(model, batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    read = recognise(model, data.offsets, task.alphabet)
    assert character_error_rate(read, words) < 0.5, (read, words)


def tiny_synthesis_file(prepared_dir, path):
    """A random tiny synthesis network over the prepared data's alphabet, as a model file."""
    metadata = load_metadata(prepared_dir)
    alphabet = Alphabet.from_json(metadata["alphabet"])
    torch.manual_seed(0)
    config = SynthesisConfig(len(alphabet), hidden_size=8, num_layers=1, num_mixtures=2)
    payload = {
        "kind": "synthesis",
        "config": vars(config),
        "model": SynthesisNetwork(config).state_dict(),
        "data": {"alphabet": metadata["alphabet"], "normalisation": metadata["normalisation"]},
        "progress": {"step": 0, "epoch": 0, "best": None},
        "train_config": {},
    }
    export_weights(payload, path)


def test_cli_trains_a_recogniser_and_scores_legibility(prepared_dir, tmp_path, capsys):
    out = tmp_path / "run"
    train_args = ["train", "recogniser", "--data", str(prepared_dir), "--out", str(out)]
    tiny = ["--hidden-size", "8", "--layers", "1", "--optimizer", "adam", "--max-steps", "2"]
    assert cli.main([*train_args, *tiny, "--quiet"]) == 0
    best = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["best"]
    assert best["cer"] >= 0 and best["sequences"] == 2

    assert cli.main(["eval", str(out / "last.pt"), "--data", str(prepared_dir)]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["kind"] == "recogniser"
    assert set(evaluated["classes"]) == {"capitals", "digits", "rare lower-case",
                                         "other lower-case", "punctuation"}  # fmt: skip

    synthesis = tmp_path / "tiny.safetensors"
    tiny_synthesis_file(prepared_dir, synthesis)
    legibility = ["eval", "legibility", "--recogniser", str(out / "last.pt")]
    legibility += ["--model", str(synthesis), "--data", str(prepared_dir), "--lines", "2"]
    assert cli.main(legibility) == 0
    result = json.loads(capsys.readouterr().out)
    assert 0 <= result["cer_real"] < math.inf and 0 <= result["cer_synthesized"] < math.inf
    assert (
        result["lines"] == 2 and result["bias"] == DEFAULT_BIAS and result["texts"] == "validation"
    )
    assert 0 <= result["faulty_lines"] <= 1 and 0 <= result["last_letter_synthesized"] <= 1

    sentences = tmp_path / "sentences.txt"
    sentences.write_text("to stop\n\n  life  \nMr. Gaitskell\n")
    assert cli.main([*legibility, "--texts", str(sentences)]) == 0
    novel = json.loads(capsys.readouterr().out)
    assert novel["texts"] == "novel" and novel["lines"] == 3 and novel["real_lines"] == 2
    assert novel["cer_real"] == result["cer_real"]  # the same real lines give the scale
    classes = novel["classes_synthesized"]
    assert set(classes) == {"capitals", "digits", "rare lower-case", "other lower-case",
                            "punctuation"}  # fmt: skip
    assert classes["capitals"] is not None and classes["digits"] is None  # "Mr. Gaitskell"
    if shutil.which("tesseract"):
        assert cli.main([*legibility, "--ocr"]) == 0
        read = json.loads(capsys.readouterr().out)
        assert 0 <= read["ocr_cer_real"] < math.inf and 0 <= read["ocr_cer_synthesized"] < math.inf
        assert read["cer_real"] == result["cer_real"]
    sentences.write_text("to stop\na move\n")
    assert cli.main([*legibility, "--texts", str(sentences)]) == 2
    assert "'v' (U+0076) at line 2, column 5" in capsys.readouterr().err
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n")
    assert cli.main([*legibility, "--texts", str(empty)]) == 2
    assert "no sentences in it" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["eval", "run.pt", "--data", "d", "--recogniser", __file__], "--recogniser apply only to"),
        (["eval", "legibility", "--data", "d", "--recogniser", __file__, "--dynamic"], "not apply"),
    ],
)
def test_cli_refuses_misplaced_legibility_flags(argv, message, capsys):
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


def test_cli_refuses_mixtures_for_a_recogniser(prepared_dir, tmp_path, capsys):
    argv = ["train", "recogniser", "--data", str(prepared_dir), "--out", str(tmp_path)]
    assert cli.main([*argv, "--mixtures", "3"]) == 2
    assert "--mixtures does not apply to a recogniser" in capsys.readouterr().err
