"""Hostile and mistaken input to every command: one line that names the problem, exit status 2, no
traceback, no output file; or, where the input can be made right, a correct file and a notice."""

import io
import json
import shutil
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from lxml import etree
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

from handsynth import cli
from handsynth.data.alphabet import Alphabet
from handsynth.data.prepare import prepare_dataset
from handsynth.nn.weights import METADATA_KEY, export_weights
from handsynth.write.styles import MAX_STYLE_BYTES
from tests.conftest import FIXTURE_ROOT
from tests.test_writer import tiny_payload

ALPHABET = Alphabet(list(" .,'\"-abcdefghijklmnopqrstuvwxyzADT"))
XML = FIXTURE_ROOT / "lineStrokes" / "a01" / "a01-000" / "a01-000u-01.xml"


def tiny_model(path, kappa_bias: float = 0.0) -> None:
    """A tiny synthesis model file; its window moves e^kappa_bias characters a step."""
    export_weights(tiny_payload(ALPHABET, num_layers=1, kappa_bias=kappa_bias), path)


def damaged_models(root: Path) -> None:
    """Model files with one thing wrong each: NaN weights, huge weights, ill-typed metadata, and
    .pt checkpoints with the right keys holding the wrong types."""
    good = root / "tiny.safetensors"
    with safe_open(str(good), framework="numpy") as f:
        description = json.loads(f.metadata()[METADATA_KEY])
    arrays = load_file(str(good))

    def variant(name: str, change_arrays=None, change_description=None) -> None:
        changed_arrays = {k: v.copy() for k, v in arrays.items()}
        changed = json.loads(json.dumps(description))
        if change_arrays:
            change_arrays(changed_arrays)
        if change_description:
            change_description(changed)
        metadata = {METADATA_KEY: json.dumps(changed)}
        save_file(changed_arrays, str(root / name), metadata=metadata)

    variant("nan.safetensors", lambda a: a["head.linear.weight"].__setitem__((0, 0), np.nan))
    variant("flipped.safetensors", lambda a: a["head.linear.bias"].__setitem__(slice(7, 11), 6.0e4))
    variant("str_size.safetensors", None, lambda d: d["config"].__setitem__("hidden_size", "8"))
    variant("bool_size.safetensors", None, lambda d: d["config"].__setitem__("num_layers", True))
    variant("no_alphabet.safetensors", None, lambda d: d["data"].__setitem__("alphabet", 7))
    variant(
        "std_zero.safetensors", None, lambda d: d["data"]["normalisation"]["std"].__setitem__(0, 0)
    )
    variant("list_data.safetensors", None, lambda d: d.__setitem__("data", []))
    variant(
        "big_window.safetensors", None, lambda d: d["config"].__setitem__("num_window_gaussians", 3)
    )
    payload = tiny_payload(ALPHABET, num_layers=1)
    torch.save({"format_version": 1, **payload, "model": {"w": 1}}, root / "wrong_model.pt")
    torch.save({"format_version": 1, **payload, "progress": [1]}, root / "wrong_progress.pt")
    torch.save(
        {"format_version": 1, **payload, "config": {**payload["config"], "hidden_size": [8]}},
        root / "wrong_config.pt",
    )


def damaged_data(root: Path, prepared_dir: Path) -> None:
    """Prepared folders with a damaged metadata.json or .npz, and split lists and blacklists that
    are not UTF-8 or not ids."""

    def prepared_copy(name: str) -> Path:
        folder = root / name
        shutil.copytree(prepared_dir, folder)
        return folder

    (prepared_copy("meta_json") / "metadata.json").write_bytes(b'{"format_version": 1, "alph')
    (prepared_copy("meta_list") / "metadata.json").write_text("[1, 2]")
    metadata = json.loads((prepared_dir / "metadata.json").read_text())
    metadata["normalisation"]["std"] = "wide"
    (prepared_copy("meta_types") / "metadata.json").write_text(json.dumps(metadata))
    metadata["normalisation"] = {"mean": [0, 0], "std": [1, 1]}
    metadata["alphabet"] = {"symbols": "abc"}
    (prepared_copy("meta_alphabet") / "metadata.json").write_text(json.dumps(metadata))
    (prepared_copy("meta_latin1") / "metadata.json").write_bytes(b'{"format_version": "\xe9"}')
    train = (prepared_dir / "train.npz").read_bytes()
    (prepared_copy("npz_cut") / "train.npz").write_bytes(train[: len(train) // 2])
    with np.load(prepared_dir / "train.npz") as data:
        arrays = dict(data)
    pickled = {**arrays, "texts": np.array(list(arrays["texts"]), dtype=object)}
    np.savez(prepared_copy("npz_pickled") / "train.npz", **pickled)
    np.savez(
        prepared_copy("npz_starts") / "train.npz", **{**arrays, "starts": arrays["starts"][::-1]}
    )
    splits = FIXTURE_ROOT / "splits"
    for name, trainset in [
        ("splits_latin1", b"a01-000u\n\xe9t\xe9\n"),
        ("splits_words", b"hello world\n"),
    ]:
        shutil.copytree(splits, root / name)
        (root / name / "trainset.txt").write_bytes(trainset)
    with zipfile.ZipFile(root / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for split in ("train", "valid", "test"):
            archive.writestr(f"ptb.char.{split}.txt", b"a b\n")
        with archive.open("huge/ptb.train.txt", "w") as member:  # 65 MiB of "a": 64 KB zipped
            for _ in range(65):
                member.write(b"a" * 2**20)
    (root / "notzip.zip").write_bytes(b"PK\x03\x04 and then nothing")
    (root / "corpus_latin1.txt").write_bytes("caf\u00e9 au lait\n".encode("latin-1") * 20)
    (root / "blacklist_latin1.txt").write_bytes(b"a01-000u-03 \xff\xfe")
    (root / "blacklist_words.txt").write_text("a01-000u-03\nnot-a-line\n")


def resumable_run(root: Path, prepared_dir: Path) -> None:
    """{tmp}/resume/last.pt: a tiny synthesis run of one RMSProp step; {tmp}/reduced: the fixture
    prepared with another alphabet."""
    argv = ["train", "synthesis", "--data", str(prepared_dir), "--out", str(root / "resume")]
    argv += ["--max-steps", "1", "--hidden-size", "8", "--layers", "1", "--quiet"]
    assert cli.main(argv) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        splits = FIXTURE_ROOT / "splits"
        prepare_dataset(
            FIXTURE_ROOT, root / "reduced", splits, reduced_alphabet=True, progress=False
        )


@pytest.fixture(scope="module")
def place(tmp_path_factory, prepared_dir):
    """Paths the table refers to: {model}, {stuck}, {bad_pt}, {afile}, {huge}, {xml}, ..."""
    root = tmp_path_factory.mktemp("hostile")
    tiny_model(root / "tiny.safetensors")
    tiny_model(root / "stuck.safetensors", kappa_bias=-30.0)  # the window never moves
    (root / "random.pt").write_bytes(b"PK\x03\x04 not really a torch file")
    (root / "afile").write_text("just a file")
    (root / "huge.svg").write_bytes(b"<svg>" + b" " * MAX_STYLE_BYTES + b"</svg>")
    (root / "corpus.txt").write_text("some text to learn from\n" * 20)
    damaged_models(root)
    damaged_data(root, prepared_dir)
    resumable_run(root, prepared_dir)
    return {
        "tmp": str(root),
        "model": str(root / "tiny.safetensors"),
        "stuck": str(root / "stuck.safetensors"),
        "bad_pt": str(root / "random.pt"),
        "afile": str(root / "afile"),
        "huge": str(root / "huge.svg"),
        "corpus": str(root / "corpus.txt"),
        "xml": str(XML),
        "prepared": str(prepared_dir),
        "fixtures": str(FIXTURE_ROOT),
    }


WRITE = ["write", "hello", "--model", "{model}", "-o", "{out}/x.svg"]
TRAIN = ["train", "synthesis", "--data", "{prepared}", "--out", "{out}/run", "--max-steps", "1"]
TEXT = ["text", "sample", "--length", "5"]
# 4 lines of 73 characters, seeded: some 100,000 x 25,000 px at --scale 10
FOUR_LINES = [
    "write",
    "\n".join(["a" * 73] * 4),
    "--wrap",
    "0",
    "--seed",
    "1",
    "--model",
    "{model}",
]
RESUME = ["train", "synthesis", "--data", "{prepared}", "--out", "{tmp}/resume", "--max-steps", "2"]

REFUSED = [
    # write: outputs
    (WRITE[:4] + ["-o", "{tmp}"], "is a folder; give a file name"),
    (WRITE[:4] + ["-o", "/sys/x.svg"], "cannot write in /sys"),
    (WRITE[:4] + ["-o", "{afile}/x.svg"], "is a file, not a folder"),
    (WRITE[:4] + ["-o", "{out}/x.jpg"], "must end in .svg or .png or .pdf"),
    (WRITE + ["--colour", "notacolour"], "--colour/--color: 'notacolour' is not a colour"),
    (WRITE + ["--background", "nope"], "--background: 'nope' is not a colour"),
    # write: numbers
    (WRITE + ["--bias", "nan"], "--bias: must be a number from 0 up to 10, got nan"),
    (WRITE + ["--bias", "inf"], "--bias: must be a number from 0 up to 10"),
    (WRITE + ["--bias", "-5"], "--bias: must be a number from 0 up to 10"),
    (WRITE + ["--bias", "100"], "--bias: must be a number from 0 up to 10"),
    (WRITE + ["--temperature", "inf"], "--temperature: must be a number above 0 up to 5"),
    (WRITE + ["--temperature", "0"], "--temperature: must be a number above 0"),
    (WRITE + ["--retries", "-1"], "--retries: must be between 0 and 20, got -1"),
    (WRITE + ["--line-spacing", "-5"], "--line-spacing: must be a number from 0 up to 5"),
    (WRITE + ["--wrap", "1"], "--wrap: must be 0 (the text's own lines) or from 10 to 120"),
    (WRITE + ["--wrap", "500"], "--wrap: must be between 0 and 120, got 500"),
    (WRITE + ["--seed", "99999999999999999999999"], "--seed: must be between 0 and 9,223"),
    (WRITE + ["--seed", "-1"], "--seed: must be between 0 and"),
    (WRITE + ["--stroke-width", "0"], "--stroke-width: must be a number above 0"),
    (WRITE + ["--scale", "-1"], "--scale: must be a number above 0"),
    (  # the pixel cap the web page has: refused before drawing, not a MemoryError
        [*FOUR_LINES, "-o", "{out}/x.png", "--scale", "10"],
        "px; at most 25,000,000 pixels are drawn: lower --scale",
    ),
    (
        [*FOUR_LINES, "-o", "{out}/x.gif", "--scale", "10"],
        "pixels are drawn: lower --scale",
    ),
    # write: text
    (["write", "caf\u00e9", *WRITE[2:]], "'\u00e9' (U+00E9) at line 1, column 4"),
    (["write", "", *WRITE[2:]], "nothing to write"),
    (["write", "  \n \t", *WRITE[2:]], "nothing to write"),
    (["write", "a" * 5001, *WRITE[2:]], "write at most 5000 at a time"),
    # write: styles and models
    (WRITE + ["--style", "99"], "style 99 does not exist"),
    (WRITE + ["--style", "{tmp}/missing.xml", "--style-text", "a"], "no such style file"),
    (WRITE + ["--style", "{xml}"], "say what the style line reads with --style-text"),
    (WRITE + ["--style", "{huge}", "--style-text", "a"], "too large for one line"),
    (WRITE + ["--style-text", "abc"], "--style-text needs --style"),
    (  # the shipped model reads the fixture's 12 points as far less than this text
        [
            "write",
            "hello",
            "-o",
            "{out}/x.svg",
            "--style",
            "{xml}",
            "--style-text",
            "A MOVE to stop",
        ],
        "the style's strokes do not seem to write 'A MOVE to stop'",
    ),
    (["write", "hello", "--model", "{bad_pt}", "-o", "{out}/x.svg"], "not a handsynth checkpoint"),
    (["write", "hello", "--model", "{tmp}/missing.pt"], "missing.pt: no such file"),
    (["write", "hello", "--model", "{prepared}"], "is a folder; give a file"),
    (
        ["write", "hello", "--model", "{stuck}", "-o", "{out}/x.svg", "--retries", "0", "--strict"],
        "1 line(s) still faulty after 0 retries (--strict); nothing written",
    ),
    # damaged model files: refused when loaded, naming the file
    (["write", "hi", "--model", "{tmp}/nan.safetensors"], "{tmp}/nan.safetensors: a damaged model"),
    (["write", "hi", "--model", "{tmp}/nan.safetensors"], "head.linear.weight hold NaN"),
    (
        ["write", "hi", "--model", "{tmp}/flipped.safetensors", "-o", "{out}/x.svg"],
        "flipped.safetensors: the model drew",
    ),
    (["write", "hi", "--model", "{tmp}/str_size.safetensors"], "config.hidden_size is '8'"),
    (["write", "hi", "--model", "{tmp}/bool_size.safetensors"], "config.num_layers is True"),
    (["write", "hi", "--model", "{tmp}/no_alphabet.safetensors"], "data.alphabet is not a list"),
    (["write", "hi", "--model", "{tmp}/std_zero.safetensors"], "positive deviations"),
    (["write", "hi", "--model", "{tmp}/list_data.safetensors"], "data is not an object"),
    (["write", "hi", "--model", "{tmp}/big_window.safetensors"], "big_window.safetensors: the w"),
    (["write", "hi", "--model", "{tmp}/wrong_model.pt"], "wrong_model.pt: not a handsynth"),
    (["write", "hi", "--model", "{tmp}/wrong_progress.pt"], "wrong_progress.pt: not a handsynth"),
    (["write", "hi", "--model", "{tmp}/wrong_config.pt"], "config.hidden_size is [8]"),
    (["export", "{tmp}/nan.safetensors", "-o", "{out}/m.safetensors"], "hold NaN or infinite"),
    (TRAIN + ["--init-from", "{tmp}/str_size.safetensors"], "config.hidden_size is '8'"),
    # damaged prepared data, split lists and blacklists: the file and what is wrong with it
    (TRAIN[:2] + ["--data", "{tmp}/meta_json", *TRAIN[4:]], "meta_json/metadata.json: damaged"),
    (TRAIN[:2] + ["--data", "{tmp}/meta_list", *TRAIN[4:]], "not a JSON object"),
    (TRAIN[:2] + ["--data", "{tmp}/meta_types", *TRAIN[4:]], "2 positive deviations"),
    (TRAIN[:2] + ["--data", "{tmp}/meta_alphabet", *TRAIN[4:]], "prepared metadata: alphabet"),
    (TRAIN[:2] + ["--data", "{tmp}/meta_latin1", *TRAIN[4:]], "metadata is not UTF-8 text"),
    (TRAIN[:2] + ["--data", "{tmp}/npz_cut", *TRAIN[4:]], "npz_cut/train.npz: a damaged prep"),
    (TRAIN[:2] + ["--data", "{tmp}/npz_pickled", *TRAIN[4:]], "holds Python objects"),
    (TRAIN[:2] + ["--data", "{tmp}/npz_starts", *TRAIN[4:]], "starts do not divide"),
    (
        ["eval", "{model}", "--data", "{tmp}/npz_cut", "--split", "train"],
        "train.npz: a damaged prepared split",
    ),
    (
        [
            "prepare",
            "--iam-root",
            "{fixtures}",
            "--out",
            "{out}/p",
            "--splits",
            "{tmp}/splits_latin1",
        ],
        "trainset.txt: the form list is not UTF-8 text (byte 0xe9 at offset 9)",
    ),
    (
        [
            "prepare",
            "--iam-root",
            "{fixtures}",
            "--out",
            "{out}/p",
            "--splits",
            "{tmp}/splits_words",
        ],
        "entry 1 'hello world' of the form list is not an IAM-OnDB id",
    ),
    (
        [
            "prepare",
            "--iam-root",
            "{fixtures}",
            "--out",
            "{out}/p",
            "--blacklist",
            "{tmp}/blacklist_latin1.txt",
        ],
        "blacklist_latin1.txt: the blacklist is not UTF-8 text",
    ),
    (
        [
            "prepare",
            "--iam-root",
            "{fixtures}",
            "--out",
            "{out}/p",
            "--blacklist",
            "{tmp}/blacklist_words.txt",
        ],
        "entry 2 'not-a-line' of the blacklist is not an IAM-OnDB id like 'a01-000u-03'",
    ),
    # corpora: a zip that inflates far, a broken zip, text that is not UTF-8
    (
        ["train", "text", "--data", "{tmp}/bomb.zip", "--level", "word", "--out", "{out}/run"],
        "huge/ptb.train.txt inflates to more than 64 MiB, the most a corpus file may hold",
    ),
    (
        ["train", "text", "--data", "{tmp}/notzip.zip", "--out", "{out}/run"],
        "notzip.zip: not a readable zip archive",
    ),
    (
        ["train", "text", "--data", "{tmp}/corpus_latin1.txt", "--out", "{out}/run"],
        "corpus_latin1.txt: the text corpus is not UTF-8 text (byte 0xe9 at offset 3)",
    ),
    # resuming {tmp}/resume/last.pt with what does not fit it, refused before any step
    (
        [*RESUME, "--optimizer", "adam"],
        "resume/last.pt was trained with rmsprop; resume it with --optimizer rmsprop",
    ),
    (
        [*RESUME, "--hidden-size", "16"],
        "resumes a network with hidden_size 8, not --hidden-size 16",
    ),
    ([*RESUME, "--layers", "1", "--mixtures", "3"], "with num_mixtures 20, not --mixtures 3"),
    (
        [
            "train",
            "synthesis",
            "--data",
            "{tmp}/reduced",
            "--out",
            "{tmp}/resume",
            "--max-steps",
            "2",
        ],
        "resume/last.pt was trained on data of another alphabet",
    ),
    (["train", "text", "--data", "{corpus}", "--out", "{tmp}/resume"], "holds a synthesis model"),
    # train
    (TRAIN[:4] + ["--out", "{afile}"], "is a file; give a folder"),
    (["train", "synthesis", "--data", "{tmp}/missing", "--out", "{out}/run"], "not a prepared"),
    (TRAIN + ["--lr", "nan"], "--lr: must be a number above 0 up to 1, got nan"),
    (TRAIN + ["--lr", "-1"], "--lr: must be a number above 0 up to 1"),
    (TRAIN + ["--device", "tpu"], "--device: must be cpu, cuda or cuda:N, got 'tpu'"),
    (TRAIN + ["--batch-size", "0"], "--batch-size: must be between 1 and 8,192, got 0"),
    (TRAIN + ["--init-from", "{bad_pt}"], "not a handsynth checkpoint"),
    (["train", "text", "--data", "{prepared}", "--out", "{out}/run"], "needs a corpus file"),
    (
        ["train", "text", "--data", "{corpus}", "--out", "{out}/run", "--mixtures", "3"],
        "--mixtures does not apply to a text network",
    ),
    # eval and export
    (["eval", "{tmp}/missing.pt", "--data", "{prepared}"], "missing.pt: no such"),
    (["eval", "{bad_pt}", "--data", "{prepared}"], "not a handsynth checkpoint"),
    (
        [
            "eval",
            "legibility",
            "--recogniser",
            "{model}",
            "--data",
            "{prepared}",
            "--texts",
            "{tmp}/no",
        ],
        "--texts: {tmp}/no: no such file",
    ),
    (["export", "{bad_pt}", "-o", "{out}/m.safetensors"], "not a handsynth checkpoint"),
    (["export", "{model}", "-o", "{out}/m.bin"], "must end in .safetensors"),
    # text sampling, heatmaps, preparation
    (TEXT[:2] + ["--length", "0"], "--length: must be between 1 and 10,000,000, got 0"),
    (TEXT + ["--temperature", "inf"], "--temperature: must be a number above 0 up to 5"),
    (TEXT + ["--prime", "\u00e9\u00e9"], "the prime uses symbols the model does not know"),
    (["heatmap", "--text", "hi", "--model", "{model}", "-o", "{out}/h.gif"], "must end in .png"),
    (["heatmap", "--line", "0", "--model", "{model}", "-o", "{out}/h.png"], "--line needs --data"),
    (["prepare", "--iam-root", "{tmp}/missing", "--out", "{out}/p"], "no lineStrokes/ folder"),
    (["prepare", "--iam-root", "{fixtures}", "--out", "{afile}"], "is a file; give a folder"),
    (
        [
            "prepare",
            "--iam-root",
            "{fixtures}",
            "--out",
            "{out}/p",
            "--train-sets",
            "trainset,bogus",
        ],
        "unknown training sets ['bogus']",
    ),
]


def fill(words: list[str], place: dict, out) -> list[str]:
    return [word.format(out=out, **place) for word in words]


@pytest.mark.parametrize(("argv", "message"), REFUSED, ids=[" ".join(a[:3]) for a, _ in REFUSED])
def test_refused_with_one_line_before_any_output(argv, message, place, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    assert cli.main(fill(argv, place, out)) == 2
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1, captured.err  # warnings about faulty lines may come first
    error = lines[0]
    assert "Traceback" not in error and "weights_only" not in error, error
    assert error.startswith("handsynth ") and fill([message], place, out)[0] in error, error
    assert captured.out == ""
    assert list(out.iterdir()) == []  # nothing written, not even in part


def one_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    return lines[0]


def test_pasted_typography_is_written_with_a_notice(place, tmp_path, capsys):
    out = tmp_path / "quote.svg"
    text = "\u201cit\u2019s late\u201d \u2014 she said\u2026\u00a0ok"
    assert cli.main(["write", text, "--model", place["model"], "-o", str(out), "--seed", "1"]) == 0
    err = capsys.readouterr().err
    assert "warning: replaced typographic characters: 2 × '\u201c'" not in err  # counted per char
    assert "1 × '\u201c' with '\"'" in err and "1 × '\u2026' with '...'" in err
    assert etree.parse(str(out)).getroot().tag.endswith("svg")


def test_a_faulty_line_is_named_without_strict(place, tmp_path, capsys):
    out = tmp_path / "stuck.svg"
    argv = ["write", "ab", "--model", place["stuck"], "-o", str(out), "--retries", "0"]
    assert cli.main(argv) == 0
    assert "warning: line 1 'ab': never reached the end of the text" in capsys.readouterr().err
    assert out.exists()


STDIN = [  # (bytes on standard input, the one-line error or None for a clean write)
    ("caf\u00e9".encode("latin-1"), "standard input is not UTF-8 text (byte 0xe9 at offset 3)"),
    (b"\xff\xfehello", "standard input is not UTF-8 text (byte 0xff at offset 0)"),
    (b"\xef\xbb\xbfhello there", None),  # a UTF-8 byte-order mark: dropped
    ("\u00b2".encode(), "'\u00b2' (U+00B2) at line 1, column 1"),
]


@pytest.mark.parametrize(("data", "message"), STDIN)
def test_standard_input_in_any_encoding(data, message, place, tmp_path, capsys, monkeypatch):
    """Whatever the locale, standard input is read as UTF-8: other bytes are one line."""
    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="ascii")  # a locale that is not UTF-8
    monkeypatch.setattr(sys, "stdin", stdin)
    out = tmp_path / "x.svg"
    status = cli.main(["write", "-", "--model", place["model"], "-o", str(out), "--seed", "1"])
    captured = capsys.readouterr()
    if message is None:
        assert status == 0 and "U+FEFF" not in captured.err
        assert etree.parse(str(out)).getroot().tag.endswith("svg")
    else:
        assert status == 2 and message in captured.err and not out.exists()
        assert len(captured.err.splitlines()) == 1


@pytest.mark.parametrize("number", ["\u00b2", "\u0663", "\uff11"])
def test_digits_that_are_not_ascii_are_no_style_number(number, place, tmp_path, capsys):
    argv = ["write", "hi", "--model", place["model"], "-o", str(tmp_path / "x.svg")]
    assert cli.main([*argv, "--style", number]) == 2
    assert "no such style file" in one_line(capsys)
