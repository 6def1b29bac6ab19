"""`handsynth heatmap` end to end: from a written line and from a line of the prepared data."""

import pytest

from handsynth import cli
from handsynth.data.prepare import load_metadata
from handsynth.nn.checkpoint import save_checkpoint
from handsynth.nn.models import PredictionConfig, PredictionNetwork
from handsynth.nn.weights import export_weights
from tests.test_writer import tiny_payload

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_heatmap_and_attention_of_a_written_line(tmp_path, capsys):
    model = tmp_path / "synthesis.safetensors"
    export_weights(tiny_payload(), model)
    heatmap, attention = tmp_path / "heat.png", tmp_path / "att.png"
    args = ["heatmap", "--model", str(model), "--text", "ab c", "-o", str(heatmap)]
    assert cli.main([*args, "--attention", str(attention), "--components"]) == 0
    assert heatmap.read_bytes().startswith(PNG_MAGIC)
    assert attention.read_bytes().startswith(PNG_MAGIC)


def test_heatmap_of_a_data_line_with_a_prediction_checkpoint(prepared_dir, tmp_path, capsys):
    metadata = load_metadata(prepared_dir)
    config = PredictionConfig(hidden_size=8, num_layers=1, num_mixtures=2)
    checkpoint = tmp_path / "prediction.pt"
    payload = {
        **tiny_payload(),
        "kind": "prediction",
        "config": vars(config),
        "model": PredictionNetwork(config).state_dict(),
        "data": {"alphabet": metadata["alphabet"], "normalisation": metadata["normalisation"]},
    }
    save_checkpoint(checkpoint, payload)
    out = tmp_path / "heat.png"
    base = ["heatmap", "--model", str(checkpoint), "--data", str(prepared_dir), "-o", str(out)]
    assert cli.main([*base, "--line", "b01-001x-01"]) == 0
    assert out.read_bytes().startswith(PNG_MAGIC)
    assert cli.main([*base, "--line", "99"]) == 2
    assert "neither a line id nor an index below 2" in capsys.readouterr().err
    assert cli.main([*base, "--line", "0", "--attention", str(tmp_path / "a.png")]) == 2
    assert "--attention needs a synthesis model" in capsys.readouterr().err


@pytest.mark.parametrize("missing", [["--text", "ab"], ["--line", "0"]])
def test_heatmap_needs_its_inputs(tmp_path, capsys, missing):
    checkpoint = tmp_path / "p.pt"
    config = PredictionConfig(hidden_size=8, num_layers=1, num_mixtures=2)
    payload = {**tiny_payload(), "kind": "prediction", "config": vars(config)}
    payload["model"] = PredictionNetwork(config).state_dict()
    save_checkpoint(checkpoint, payload)
    assert cli.main(["heatmap", "--model", str(checkpoint), *missing]) == 2
    assert "needs" in capsys.readouterr().err
