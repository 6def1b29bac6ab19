"""Tests for the text corpora: PTB zip layout, plain text and enwik8 splits, batching for BPTT."""

import math
import zipfile
from pathlib import Path

import numpy as np
import pytest

from handsynth.alphabet import UnknownSymbolError
from handsynth.text_corpus import (
    batchify,
    bits_per_symbol,
    iter_bptt,
    load_enwik8,
    load_plain_text,
    load_ptb,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "text"

# Two sentences of train, one of valid and test, written in Mikolov's two formats.
PTB_WORDS = {
    "train": [["the", "cat", "sat"], ["a", "<unk>", "sat"]],
    "valid": [["the", "cat"]],
    "test": [["a", "cat", "sat"]],
}


def _char_line(words: list[str]) -> str:
    return " ".join("_".join(words))


def _write_ptb_zip(path: Path, words: dict[str, list[list[str]]], folder: str = "") -> Path:
    """A zip laid out like ptb.zip (optionally nested in `folder`), trailing spaces included."""
    with zipfile.ZipFile(path, "w") as archive:
        for split, lines in words.items():
            word_text = "".join(f" {' '.join(line)} \n" for line in lines)
            char_text = "".join(f"{_char_line(line)} \n" for line in lines) + " "
            archive.writestr(f"{folder}ptb.{split}.txt", word_text)
            archive.writestr(f"{folder}ptb.char.{split}.txt", char_text)
    return path


def test_ptb_word_level(tmp_path):
    corpus = load_ptb(_write_ptb_zip(tmp_path / "ptb.zip", PTB_WORDS), "word")
    assert corpus.alphabet.symbols == ("<eos>", "<unk>", "a", "cat", "sat", "the")
    assert {k: len(v) for k, v in corpus.splits.items()} == {"train": 8, "valid": 3, "test": 4}
    assert all(v.dtype == np.int64 for v in corpus.splits.values())
    assert corpus.alphabet.decode(corpus.splits["test"]) == ["a", "cat", "sat", "<eos>"]
    expected = corpus.alphabet.encode(["the", "cat", "sat", "<eos>"])
    np.testing.assert_array_equal(corpus.splits["train"][:4], expected)


def test_ptb_char_level_reads_underscore_as_space_and_ends_lines(tmp_path):
    zip_path = _write_ptb_zip(tmp_path / "ptb.zip", PTB_WORDS, folder="ptb/")
    corpus = load_ptb(zip_path, "char")
    train_text = "the cat sat\na <unk> sat\n"
    assert corpus.alphabet.symbols == tuple(sorted(set(train_text)))
    assert len(corpus.splits["train"]) == len(train_text)
    assert "".join(corpus.alphabet.decode(corpus.splits["train"])) == train_text
    assert "".join(corpus.alphabet.decode(corpus.splits["valid"])) == "the cat\n"
    np.testing.assert_array_equal(corpus.splits["test"], corpus.alphabet.encode("a cat sat\n"))


def test_ptb_valid_symbol_missing_from_train_is_named(tmp_path):
    words = dict(PTB_WORDS, valid=[["the", "dog"]])
    zip_path = _write_ptb_zip(tmp_path / "ptb.zip", words)
    with pytest.raises(ValueError, match="dog"):
        load_ptb(zip_path, "word")
    with pytest.raises(ValueError, match="'d'"):
        load_ptb(zip_path, "char")


def test_plain_text_splits_in_order(tmp_path):
    text = "abcdefghij" * 10
    path = tmp_path / "text.txt"
    path.write_text(text, encoding="utf-8")
    corpus = load_plain_text(path, valid_fraction=0.1, test_fraction=0.2)
    assert [len(corpus.splits[s]) for s in ("train", "valid", "test")] == [70, 10, 20]
    joined = np.concatenate([corpus.splits[s] for s in ("train", "valid", "test")])
    assert "".join(corpus.alphabet.decode(joined)) == text
    with pytest.raises(UnknownSymbolError):
        corpus.alphabet.encode("z")


def test_enwik8_bytes_are_symbols(tmp_path):
    data = bytes(range(256)) * 4
    path = tmp_path / "enwik8"
    path.write_bytes(data)
    corpus = load_enwik8(path)
    assert len(corpus.alphabet) == 256
    assert [len(corpus.splits[s]) for s in ("train", "valid", "test")] == [922, 51, 51]
    decoded = "".join(corpus.alphabet.decode(corpus.splits["valid"])).encode("latin-1")
    assert decoded == data[922:973]


def test_batchify_rows_are_contiguous_streams():
    stream = batchify(np.arange(23), batch_size=4)
    assert stream.shape == (4, 5) and stream.dtype == np.int64
    np.testing.assert_array_equal(stream[1], [5, 6, 7, 8, 9])
    with pytest.raises(ValueError):
        batchify(np.arange(3), batch_size=4)


def test_iter_bptt_windows_shift_by_one():
    stream = batchify(np.arange(22), batch_size=2)  # (2, 11)
    windows = list(iter_bptt(stream, seq_len=4))
    assert [w[0].shape for w in windows] == [(2, 4), (2, 4), (2, 2)]
    inputs = np.concatenate([w[0] for w in windows], axis=1)
    targets = np.concatenate([w[1] for w in windows], axis=1)
    np.testing.assert_array_equal(inputs, stream[:, :-1])
    np.testing.assert_array_equal(targets, stream[:, 1:])
    assert all(w[0].dtype == np.int64 and w[1].dtype == np.int64 for w in windows)


def test_bits_per_symbol():
    assert bits_per_symbol(math.log(2)) == pytest.approx(1.0)
    assert bits_per_symbol(math.log(256)) == pytest.approx(8.0)


@pytest.mark.skipif(not (DATA / "ptb.zip").exists(), reason="shared PTB data absent")
def test_real_ptb_char_level():
    corpus = load_ptb(DATA / "ptb.zip", "char")
    # 49 characters in the files (README says 51) plus the line end; `_` becomes " ".
    assert len(corpus.alphabet) == 50
    assert "\n" in corpus.alphabet and " " in corpus.alphabet and "_" not in corpus.alphabet
    # 4,975,414 characters on 42,068 lines, one line end each.
    assert len(corpus.splits["train"]) == 4_975_414 + 42_068


@pytest.mark.skipif(not (DATA / "ptb.zip").exists(), reason="shared PTB data absent")
def test_real_ptb_word_level():
    corpus = load_ptb(DATA / "ptb.zip", "word")
    assert len(corpus.alphabet) == 10_000
    assert {k: len(v) for k, v in corpus.splits.items()} == {
        "train": 929_589,
        "valid": 73_760,
        "test": 82_430,
    }


@pytest.mark.skipif(not (DATA / "enwik8-first10k.txt").exists(), reason="enwik8 prefix absent")
def test_real_enwik8_prefix():
    corpus = load_enwik8(DATA / "enwik8-first10k.txt")
    assert [len(corpus.splits[s]) for s in ("train", "valid", "test")] == [9000, 500, 500]
    assert "".join(corpus.alphabet.decode(corpus.splits["train"][:6])) == "<media"
