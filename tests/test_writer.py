"""Writing text: character checks, wrapping, sampling with stop and retries, model files, CLI."""

import json

import numpy as np
import pytest
import torch
from lxml import etree

from handsynth import cli
from handsynth.data.alphabet import Alphabet
from handsynth.errors import CheckpointError
from handsynth.loaded import load_model
from handsynth.nn.models import SynthesisConfig, SynthesisNetwork
from handsynth.nn.weights import export_weights
from handsynth.options import WriteOptions
from handsynth.sample.reader import Reading
from handsynth.sample.synthesis import (
    END_GRACE_STEPS,
    LATE_STROKES,
    StyleMismatch,
    _check_prime,
    _first_step_of_text,
    sample_synthesis,
)
from handsynth.write import lines as lines_module
from handsynth.write.lines import RETRY_CANDIDATES, TextError, tidy_lines, write_lines

ALPHABET = Alphabet(list(" .,abcdefghijklmnopqrstuvwxyzADT"))
SVG_NS = "{http://www.w3.org/2000/svg}"


def tiny_payload(
    alphabet: Alphabet = ALPHABET, num_layers: int = 2, kappa_bias: float | None = None
) -> dict:
    """A tiny synthesis checkpoint payload; with `kappa_bias` its window moves e^kappa_bias
    characters a step whatever it reads."""
    torch.manual_seed(0)
    config = SynthesisConfig(
        alphabet_size=len(alphabet), hidden_size=8, num_layers=num_layers, num_mixtures=2
    )
    model = SynthesisNetwork(config)
    if kappa_bias is not None:
        with torch.no_grad():
            model.window.linear.weight.zero_()
            model.window.linear.bias[2 * config.num_window_gaussians :] = kappa_bias
    return {
        "kind": "synthesis",
        "config": vars(config),
        "model": model.state_dict(),
        "data": {
            "alphabet": alphabet.to_json(),
            "normalisation": {"mean": [8.0, 0.0], "std": [40.0, 35.0]},
        },
        "progress": {"step": 0, "epoch": 0, "best": None},
        "train_config": {},
    }


@pytest.fixture()
def model_file(tmp_path):
    path = tmp_path / "tiny.safetensors"
    export_weights(tiny_payload(), path)
    return path


def test_tidy_lines_wraps_and_keeps_paragraph_gaps():
    text = "the  quick\tbrown fox jumps over the lazy dog\n\nend.\n\n"
    assert tidy_lines(text, ALPHABET, wrap=20) == [
        "the quick brown fox",
        "jumps over the lazy",
        "dog",
        "",
        "end.",
    ]


def test_tidy_lines_names_every_unknown_character_with_its_place():
    with pytest.raises(TextError) as error:
        tidy_lines("abc\nab€ q!", ALPHABET, wrap=0)
    message = str(error.value)
    assert "2 character(s)" in message
    assert "'€' (U+20AC) at line 2, column 3" in message
    assert "'!' (U+0021) at line 2, column 6" in message


@pytest.mark.parametrize("text", ["", "   \n\t \n"])
def test_tidy_lines_refuses_empty_text(text):
    with pytest.raises(TextError, match="nothing to write"):
        tidy_lines(text, ALPHABET, wrap=50)


def test_tidy_lines_refuses_huge_text():
    with pytest.raises(TextError, match="at most 5000"):
        tidy_lines("a" * 5001, ALPHABET, wrap=50)


def test_sampling_stops_when_the_window_passes_the_end(model_file):
    weights = load_model(model_file, kind="synthesis").synthesis_weights
    # Push kappa forward fast: every step moves the window by about e^2 characters.
    k = len(weights.window_bias) // 3
    weights.window_bias[2 * k :] = 2.0
    rng = np.random.default_rng(0)
    lines = sample_synthesis(weights, ALPHABET, ["abc", "abcdefghij"], rng=rng)
    for line in lines:
        assert line.finished
        assert line.phi.shape == (len(line.offsets) - 1, len(line.text) + 1)
        assert line.offsets[-1, 2] == 1.0
        # The line ends at the first pen lift after the window passed the end (at most the second
        # after a letter that takes a later stroke, such as the j's dot), or after the grace.
        passed = np.flatnonzero(line.phi[:, -1] > line.phi[:, :-1].max(1))[0]
        lifts = np.flatnonzero(line.offsets[passed + 1 : -1, 2] > 0.5)
        assert len(lifts) <= (line.text[-1] in LATE_STROKES)
        assert len(line.offsets) - 1 - passed <= END_GRACE_STEPS + 1
    # The window passes the end of the longer text no sooner than that of the shorter.
    short, long = (np.flatnonzero(line.phi[:, -1] > line.phi[:, :-1].max(1))[0] for line in lines)
    assert long >= short


def test_streamed_steps_are_the_lines_that_come_back(model_file):
    weights = load_model(model_file, kind="synthesis").synthesis_weights
    k = len(weights.window_bias) // 3
    weights.window_bias[2 * k :] = 0.5
    seen = []
    lines = sample_synthesis(
        weights, ALPHABET, ["ab", "abcd"], rng=np.random.default_rng(0), on_step=seen.append
    )
    assert [step.t for step in seen] == list(range(len(seen)))
    drawn = np.stack([step.offsets for step in seen], axis=1)  # (B, T, 3)
    finished = np.stack([step.finished for step in seen])  # (T, B)
    assert (np.diff(finished.astype(int), axis=0) >= 0).all()  # a finished line stays finished
    for b, line in enumerate(lines):
        n = len(line.offsets) - 1  # steps the line kept
        assert finished[n - 1, b] and (n == 1 or not finished[n - 2, b])
        np.testing.assert_array_equal(line.offsets[2:, :2], drawn[b, 1:n, :2])
        np.testing.assert_array_equal(line.offsets[1:-1, 2], drawn[b, : n - 1, 2])


def test_a_style_whose_window_ends_far_from_its_text_is_refused():
    text = "a quick brown fox"  # 17 characters
    for focus, agrees in [(18, True), (17, True), (20, True), (14, True), (9, False), (22, False)]:
        phi = np.zeros(40)
        phi[focus - 1] = 1.0
        if agrees:
            _check_prime(phi, text)
        else:
            with pytest.raises(StyleMismatch, match=f"character {focus} of 17"):
                _check_prime(phi, text)


def test_strokes_before_the_window_reaches_the_text_are_dropped():
    # Style text "ab" + " ": the line's own text starts at index 3. Steps 0-2 draw a tick (the pen
    # lifts after step 2) while the window still reads the space; step 3 starts the text.
    T, U = 8, 6
    phi = np.zeros((T, U + 1))
    phi[np.arange(T), [2, 2, 2, 2, 3, 3, 4, 4]] = 1.0
    offsets = np.ones((T + 1, 3))
    offsets[:, 2] = [0, 0, 0, 1, 0, 0, 0, 0, 1]
    assert _first_step_of_text(offsets, phi, skip=3) == 3
    assert _first_step_of_text(offsets, phi, skip=0) == 0
    offsets[3, 2] = 0  # no lift before the text: the stroke is the text's first, kept whole
    assert _first_step_of_text(offsets, phi, skip=3) == 0


def test_a_primed_line_starts_at_its_first_point(model_file):
    weights = load_model(model_file, kind="synthesis").synthesis_weights
    # The window moves one character a step: the style's 3 points read "ab ".
    k = len(weights.window_bias) // 3
    weights.window_weight[:] = 0.0
    weights.window_bias[2 * k :] = 0.0
    style = (np.tile([[1.0, 0.0, 0.0]], (3, 1)), "ab")
    style[0][-1, 2] = 1.0
    (line,) = sample_synthesis(weights, ALPHABET, ["abc"], rng=np.random.default_rng(), prime=style)
    np.testing.assert_array_equal(line.offsets[:2, :2], 0.0)
    assert line.phi.shape == (len(line.offsets) - 1, 4)


def test_write_lines_is_reproducible_and_keeps_empty_lines(model_file):
    model = load_model(model_file, kind="synthesis")
    options = WriteOptions(seed=7, retries=1)
    lines = ["ab", "", "cd"]
    args = (model.synthesis_weights, model.alphabet, model.normalisation, lines, options)
    first, second = write_lines(*args), write_lines(*args)
    assert [w.text for w in first] == ["ab", "", "cd"]
    assert [len(w.offsets) for w in first] == [len(w.offsets) for w in second]
    assert len(first[1].offsets) == 0 and first[1].faults == [] and len(first[0].offsets) > 1
    np.testing.assert_array_equal(first[2].offsets, second[2].offsets)
    assert [w.faults for w in first] == [w.faults for w in second]


def test_model_file_round_trip_and_refusals(model_file, tmp_path):
    payload = tiny_payload()
    model = load_model(model_file, kind="synthesis")
    for key, value in payload["model"].items():
        torch.testing.assert_close(model.network.state_dict()[key], value.half().float())
    assert model.alphabet == ALPHABET
    with pytest.raises(CheckpointError, match="not a text model"):
        load_model(model_file, kind="text")
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x00" * 64)
    with pytest.raises(CheckpointError, match="garbage.safetensors"):
        load_model(garbage, kind="synthesis")


def test_cli_write_svg_has_one_path_per_stroke(model_file, tmp_path, capsys):
    out = tmp_path / "note.svg"
    args = ["write", "ab\ncd", "-o", str(out), "--model", str(model_file), "--seed", "1"]
    assert cli.main([*args, "--single-stroke"]) == 0
    assert "2 lines" in capsys.readouterr().out
    paths = etree.parse(str(out)).getroot().findall(f".//{SVG_NS}path")
    written = load_model(model_file).write("ab\ncd", seed=1)
    strokes = sum(int(line[:, 2].sum()) for line in written.lines)
    assert len(paths) == strokes
    assert all(set(p.get("d")) <= set("ML0123456789.- ") for p in paths)


def test_cli_write_reports_bad_characters_and_outputs(model_file, tmp_path, capsys):
    assert cli.main(["write", "a€", "--model", str(model_file), "-o", str(tmp_path / "x.svg")]) == 2
    assert "'€' (U+20AC) at line 1, column 2" in capsys.readouterr().err
    assert cli.main(["write", "ab", "--model", str(model_file), "-o", str(tmp_path / "x.jpg")]) == 2
    assert "must end in .svg or .png" in capsys.readouterr().err
    assert not (tmp_path / "x.svg").exists()


def test_cli_export_then_eval_metadata(tmp_path, capsys):
    from handsynth.nn.checkpoint import save_checkpoint

    checkpoint = tmp_path / "last.pt"
    save_checkpoint(checkpoint, tiny_payload())
    out = tmp_path / "model.safetensors"
    assert cli.main(["export", str(checkpoint), "-o", str(out)]) == 0
    assert "synthesis" in capsys.readouterr().out
    from safetensors import safe_open

    with safe_open(str(out), framework="pt") as f:
        description = json.loads(f.metadata()["handsynth"])
    assert description["config"]["hidden_size"] == 8


class ShortestReader:
    """Stands in for `reader.LineReader`: reads a line as a run of "a" as long as the line is, so
    that the shortest draw reads closest to its text and every draw reads too far from it to pass
    (an "unreadable" fault); logs how many lines each call read."""

    def __init__(self, alphabet):
        self.alphabet = alphabet
        self.calls = []

    def read(self, lines):
        self.calls.append(len(lines))
        self.lines = lines
        self.lengths = [len(line) for line in lines]
        return ["a" * (len(line) // 10) for line in lines]

    def read_against(self, lines, texts):
        return [Reading(t, 0.0) for t in self.read(lines)]


def test_the_reader_chooses_among_candidates_and_faulty_lines_get_several_draws(model_file):
    model = load_model(model_file, kind="synthesis")
    args = (model.synthesis_weights, model.alphabet, model.normalisation, ["ab ab", "cd cd"])
    reader = ShortestReader(model.alphabet)
    chosen = write_lines(*args, WriteOptions(seed=3, retries=0, candidates=3), reader=reader)
    assert reader.calls == [6]  # one batch of all draws
    drawn = np.reshape(reader.lengths, (2, 3))  # (line, draw)
    for line, lengths in zip(chosen, drawn, strict=True):  # each line: the shortest of its draws
        assert len(line.offsets) == lengths.min()
        assert [f.kind for f in line.faults].count("unreadable") == 1
    first = write_lines(*args, WriteOptions(seed=3, retries=0, candidates=1))
    assert all(f.kind != "unreadable" for line in first for f in line.faults)  # no reader
    with pytest.raises(ValueError, match="needs a reader"):
        write_lines(*args, WriteOptions(candidates=2))

    seen = []
    write_lines(
        *args, WriteOptions(seed=3, retries=0, candidates=3), on_step=seen.append, reader=reader
    )
    assert all(step.offsets.shape == (2, 3) for step in seen)  # one row a line, not a draw
    for row in range(2):  # the row is the line's first draw (drawn in order, line by line)
        first_draw = reader.lines[3 * row]  # (T, 3) raw pen units
        shown = np.array([step.offsets[row] for step in seen[: len(first_draw) - 1]])
        shown = model.normalisation.denormalise(shown)
        np.testing.assert_allclose(shown[1:, :2], first_draw[2:, :2], rtol=1e-5, atol=1e-3)

    reader = ShortestReader(model.alphabet)
    written = write_lines(*args, WriteOptions(seed=3, retries=1), reader=reader)
    # Both lines read as unreadable, so each is drawn again RETRY_CANDIDATES times.
    assert reader.calls == [2, RETRY_CANDIDATES * 2]
    assert len(written) == 2


class DoubtingReader:
    """Stands in for `reader.LineReader`: reads every line as its text, doubting it the less the
    longer the line is."""

    def __init__(self, alphabet):
        self.alphabet, self.given = alphabet, []

    def read_against(self, lines, texts):
        self.given.append(lines)
        return [Reading(text, 1.0 / len(line)) for line, text in zip(lines, texts, strict=True)]


@pytest.fixture
def no_faults(monkeypatch):
    """Every draw free of the faults the window and the ink show, so the reader alone decides."""
    monkeypatch.setattr(lines_module, "find_faults", lambda *_: [])
    monkeypatch.setattr(lines_module, "geometry_faults", lambda _: [])


def test_among_draws_read_alike_the_one_the_reader_doubts_least_is_kept(model_file, no_faults):
    model = load_model(model_file, kind="synthesis")
    args = (model.synthesis_weights, model.alphabet, model.normalisation, ["abc abc", "cd dc"])
    reader = DoubtingReader(model.alphabet)
    chosen = write_lines(*args, WriteOptions(seed=4, retries=1, candidates=4), reader=reader)
    assert len(reader.given) == 1  # read right: no second round
    drawn = np.reshape([len(line) for line in reader.given[0]], (2, 4))  # (line, draw)
    assert [len(line.offsets) for line in chosen] == drawn.max(axis=1).tolist()


def test_wrapping_goes_by_predicted_width_not_character_count():
    from handsynth.write.char_widths import text_width

    thin, wide = "ill lilt fill ", "mow mum maw "
    alphabet = Alphabet(list(" ailmtfouw"))
    lines = tidy_lines((thin * 6 + wide * 6).strip(), alphabet, wrap=20)
    assert all(text_width(line) <= 20 for line in lines)
    # the thin words pack more characters into a line than the wide ones
    assert len(lines[0]) > 1.5 * len(lines[-2])
    assert tidy_lines("w" * 130, alphabet, wrap=0) == ["w" * 120, "w" * 10]  # never over 120
