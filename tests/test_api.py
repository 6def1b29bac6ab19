"""The Python front door: load_model from either file type, its methods, and the commands built on
it (eval and export of either file, sample, --version)."""

import json
import shutil

import numpy as np
import pytest
import torch
from lxml import etree

import handsynth
from handsynth import cli
from handsynth.data.prepare import load_metadata
from handsynth.errors import CheckpointError
from handsynth.eval.metrics import evaluate
from handsynth.loaded import load_model
from handsynth.nn.checkpoint import save_checkpoint
from handsynth.nn.models import (
    PredictionConfig,
    PredictionNetwork,
    SynthesisConfig,
    SynthesisNetwork,
)
from handsynth.nn.weights import export_weights
from tests.test_writer import tiny_payload

SVG_NS = "{http://www.w3.org/2000/svg}"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def half_rounded(payload: dict) -> dict:
    """The payload with float16-representable weights, so .pt and .safetensors hold the same."""
    return {**payload, "model": {k: v.half().float() for k, v in payload["model"].items()}}


def prediction_payload(data: dict | None = None) -> dict:
    torch.manual_seed(0)
    config = PredictionConfig(hidden_size=8, num_layers=2, num_mixtures=2)
    payload = {**tiny_payload(), "kind": "prediction", "config": vars(config)}
    payload["model"] = PredictionNetwork(config).state_dict()
    if data is not None:
        payload["data"] = data
    return half_rounded(payload)


def synthesis_payload(prepared_dir) -> dict:
    """A random tiny synthesis network over the prepared data's alphabet and statistics."""
    metadata = load_metadata(prepared_dir)
    torch.manual_seed(0)
    config = SynthesisConfig(len(metadata["alphabet"]["symbols"]), 8, 1, 2, 2)
    payload = {**tiny_payload(), "config": vars(config)}
    payload["model"] = SynthesisNetwork(config).state_dict()
    payload["data"] = {k: metadata[k] for k in ("alphabet", "normalisation")}
    return half_rounded(payload)


def both_files(payload: dict, tmp_path) -> tuple:
    pt, safetensors = tmp_path / "model.pt", tmp_path / "model.safetensors"
    save_checkpoint(pt, payload)
    export_weights(payload, safetensors)
    return pt, safetensors


def test_pt_and_safetensors_load_to_the_same_model(tmp_path):
    pt, safetensors = both_files(half_rounded(tiny_payload()), tmp_path)
    a, b = load_model(pt), load_model(safetensors)
    assert a.kind == b.kind == "synthesis"
    assert a.alphabet == b.alphabet and a.normalisation == b.normalisation
    assert a.description == b.description
    first, second = a.write("ab cd\nad", seed=3), b.write("ab cd\nad", seed=3)
    assert first.texts == second.texts == ["ab cd", "ad"]
    for x, y in zip(first.lines, second.lines, strict=True):
        np.testing.assert_array_equal(x, y)

    pt, safetensors = both_files(prediction_payload(), tmp_path)
    a, b = load_model(pt), load_model(safetensors)
    np.testing.assert_array_equal(a.sample(20, seed=1).lines[0], b.sample(20, seed=1).lines[0])


def test_handwriting_lines_are_absolute_points_of_the_offsets(tmp_path):
    pt, _ = both_files(half_rounded(tiny_payload()), tmp_path)
    handwriting = load_model(pt).write("ab\n\ncd", seed=0)
    assert handwriting.texts == ["ab", "", "cd"]
    assert len(handwriting.faults) == 3 and handwriting.lines[1].shape == (0, 3)
    for offsets, points in zip(handwriting.offsets, handwriting.lines, strict=True):
        np.testing.assert_allclose(points[:, :2], np.cumsum(offsets[:, :2], axis=0), atol=1e-3)
        np.testing.assert_array_equal(points[:, 2], offsets[:, 2])


def test_write_shows_each_pen_step_in_pen_units(tmp_path):
    pt, _ = both_files(half_rounded(tiny_payload()), tmp_path)
    model = load_model(pt)
    assert model.lines("ab\n\nc\u00a0d") == ["ab", "", "c d"]
    steps = []
    handwriting = model.write("ab\n\ncd", seed=0, retries=0, on_step=steps.append)
    assert [step.t for step in steps] == list(range(len(steps)))  # one draw, no redraws
    assert all(step.offsets.shape == (2, 3) for step in steps)  # the two lines with text
    for row, offsets in zip((0, 1), (handwriting.offsets[0], handwriting.offsets[2]), strict=True):
        # The line is the steps it was drawn with, up to where it ended (its first step is
        # the pen put down: offset 0).
        drawn = np.array([step.offsets[row] for step in steps[: len(offsets) - 1]])
        np.testing.assert_allclose(drawn[1:, :2], offsets[2:, :2], rtol=1e-5, atol=1e-4)


def test_to_svg_has_the_command_line_defaults(tmp_path, capsys):
    _, model_file = both_files(half_rounded(tiny_payload()), tmp_path)
    out = tmp_path / "cli.svg"
    assert (
        cli.main(["write", "ab cd", "--model", str(model_file), "--seed", "4", "-o", str(out)]) == 0
    )
    assert out.read_text(encoding="utf-8") == load_model(model_file).write("ab cd", seed=4).to_svg()


def test_methods_refuse_the_wrong_kind(tmp_path):
    pt, _ = both_files(prediction_payload(), tmp_path)
    prediction = load_model(pt)
    with pytest.raises(ValueError, match="write needs a synthesis model; this is a prediction"):
        prediction.write("ab")
    with pytest.raises(ValueError, match="generate needs a text model"):
        prediction.generate("ab")
    with pytest.raises(CheckpointError, match="not a synthesis model"):
        load_model(pt, kind="synthesis")


def test_save_picks_the_format_by_extension(tmp_path):
    pt, _ = both_files(prediction_payload(), tmp_path)
    scribble = load_model(pt).sample(steps=30, lines=2, seed=0)
    assert scribble.save(tmp_path / "s.PNG").read_bytes().startswith(PNG_MAGIC)
    assert etree.parse(str(scribble.save(tmp_path / "s.svg"))).getroot().tag == f"{SVG_NS}svg"
    assert scribble.save(tmp_path / "s.pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(ValueError, match="must end in one of .svg, .png, .pdf"):
        scribble.save(tmp_path / "s.jpg")


def test_cli_sample_draws_one_path_per_stroke(tmp_path, capsys):
    pt, _ = both_files(prediction_payload(), tmp_path)
    out = tmp_path / "scribble.svg"
    args = ["sample", "--model", str(pt), "--steps", "60", "--lines", "2", "--seed", "5"]
    assert cli.main([*args, "-o", str(out), "--single-stroke"]) == 0
    assert "2 lines" in capsys.readouterr().out
    paths = etree.parse(str(out)).getroot().findall(f".//{SVG_NS}path")
    drawn = load_model(pt).sample(steps=60, lines=2, seed=5)
    assert [len(line) for line in drawn.lines] == [61, 61]
    assert len(paths) == sum(int(line[:, 2].sum()) for line in drawn.lines)
    synthesis = tmp_path / "synthesis.pt"
    save_checkpoint(synthesis, tiny_payload())
    assert cli.main(["sample", "--model", str(synthesis), "-o", str(out)]) == 2
    assert "holds a synthesis model, not a prediction model" in capsys.readouterr().err


def test_eval_takes_either_file_with_the_model_statistics(prepared_dir, tmp_path, capsys):
    pt, safetensors = both_files(synthesis_payload(prepared_dir), tmp_path)
    results = []
    for model_file in (pt, safetensors):
        assert cli.main(["eval", str(model_file), "--data", str(prepared_dir)]) == 0
        results.append(json.loads(capsys.readouterr().out))
    assert results[0]["kind"] == "synthesis" and results[0]["sequences"] == 2
    assert results[0]["nll_per_sequence"] == results[1]["nll_per_sequence"]

    # Data prepared with other statistics: its lines are still normalised with the model's own.
    other = tmp_path / "other"
    shutil.copytree(prepared_dir, other)
    metadata = json.loads((other / "metadata.json").read_text())
    metadata["normalisation"]["std"] = [s * 1.5 for s in metadata["normalisation"]["std"]]
    (other / "metadata.json").write_text(json.dumps(metadata))
    assert cli.main(["eval", str(safetensors), "--data", str(other)]) == 0
    assert json.loads(capsys.readouterr().out)["nll_per_sequence"] == results[1]["nll_per_sequence"]

    # ... but another alphabet is refused.
    metadata["alphabet"]["symbols"] = metadata["alphabet"]["symbols"] + ["~"]
    (other / "metadata.json").write_text(json.dumps(metadata))
    assert cli.main(["eval", str(safetensors), "--data", str(other)]) == 2
    assert "another alphabet" in capsys.readouterr().err


def test_export_writes_to_o_from_either_file(tmp_path, capsys):
    pt, _ = both_files(half_rounded(tiny_payload()), tmp_path)
    first, second = tmp_path / "first.safetensors", tmp_path / "second.safetensors"
    assert cli.main(["export", str(pt), "-o", str(first)]) == 0
    assert "synthesis" in capsys.readouterr().out
    assert cli.main(["export", str(first), "--output", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert cli.main(["export", str(first), "-o", str(first)]) == 2
    assert cli.main(["export", str(pt), str(tmp_path / "positional.safetensors")]) == 2


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"handsynth {handsynth.__version__}"


def train_tiny_text(tmp_path, *flags: str) -> tuple:
    """(corpus, run folder) of a tiny char model trained 2 steps with `flags` on a small corpus."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat. " * 200)
    run = tmp_path / "run"
    args = ["train", "text", "--data", str(corpus), "--out", str(run), "--max-steps", "2"]
    tiny = ["--hidden-size", "8", "--embedding-size", "4", "--quiet"]
    assert cli.main([*args, *tiny, *flags]) == 0
    return corpus, run


def test_text_evaluation_uses_the_stored_bptt(tmp_path, capsys):
    corpus, run = train_tiny_text(tmp_path, "--bptt", "7")
    capsys.readouterr()
    model = load_model(run / "last.pt")
    assert model.bptt == 7 and model.level == "char"
    # Dynamic evaluation takes a step per window, so the window length shows in the result; and it
    # leaves the loaded model's own weights as they were.
    before = {k: v.clone() for k, v in model.network.state_dict().items()}
    stored = evaluate(model, corpus, split="valid", dynamic=True)
    model.bptt = 100
    default = evaluate(model, corpus, split="valid", dynamic=True)
    assert stored["bits_per_symbol"] != default["bits_per_symbol"]
    for key, value in model.network.state_dict().items():
        torch.testing.assert_close(value, before[key], rtol=0, atol=0)
    assert cli.main(["eval", str(run / "last.pt"), "--data", str(corpus), "--split", "valid"]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "text"


def test_text_generate_starts_with_the_prime(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat. " * 50)
    run = tmp_path / "run"
    args = ["train", "text", "--data", str(corpus), "--out", str(run), "--max-steps", "1"]
    assert cli.main([*args, "--hidden-size", "4", "--embedding-size", "4", "--quiet"]) == 0
    model = load_model(run / "last.pt")
    text = model.generate("the ", length=12, seed=0)
    assert text.startswith("the ") and len(text) == 16
    assert text == model.generate("the ", length=12, seed=0)
    with pytest.raises(ValueError, match="does not know"):
        model.generate("THE")


def test_shipped_models_are_there():
    assert load_model(kind="prediction").kind == "prediction"
    assert load_model(kind="text").level == "char"
    assert load_model().kind == "synthesis"
    assert load_model("shakespeare").level == "char"
    recogniser = load_model(kind="recogniser")
    assert recogniser.alphabet == load_model().alphabet  # it reads what the shipped model writes


def test_write_on_a_cuda_gpu(tmp_path):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU on this machine")
    pt, _ = both_files(half_rounded(tiny_payload()), tmp_path)
    handwriting = load_model(pt, device="cuda").write("ab cd\nad", seed=3, retries=0)
    assert handwriting.texts == ["ab cd", "ad"]
    assert all(len(offsets) > 1 for offsets in handwriting.offsets)
    cli.main(["write", "ab", "--model", str(pt), "--device", "cuda", "-o", str(tmp_path / "a.svg")])
    assert etree.parse(str(tmp_path / "a.svg")).getroot().findall(f".//{SVG_NS}path")


def test_write_on_a_machine_without_the_gpu_asked_for_is_refused(tmp_path, capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    assert cli.main(["write", "ab", "--device", "cuda", "-o", str(tmp_path / "a.svg")]) == 2
    assert "no CUDA GPU" in capsys.readouterr().err
    assert not (tmp_path / "a.svg").exists()
