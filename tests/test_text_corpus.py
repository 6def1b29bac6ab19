"""Tests for the text corpora: PTB zip layout, plain text and enwik8 splits, batching for BPTT, and
what each symbol counts for in characters and words."""

import math
import zipfile
from pathlib import Path

import numpy as np
import pytest

from handsynth.data.alphabet import UnknownSymbolError
from handsynth.data.text_corpus import (
    batchify,
    bits_per_symbol,
    load_enwik8,
    load_plain_text,
    load_ptb,
    window,
)
from handsynth.errors import UserError

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "text"
ENWIK8_FIXTURE = Path(__file__).resolve().parents[1] / "data/fixtures/text/enwik8-fixture-10k.xml"

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


def test_enwik8_bytes_are_their_own_symbols(tmp_path):
    data = bytes(range(256)) * 4
    path = tmp_path / "enwik8"
    path.write_bytes(data)
    corpus = load_enwik8(path)
    assert corpus.alphabet.symbols == tuple(chr(b) for b in range(256))
    # 96 % of 1,024 bytes, rounded down, train; the other 41 validate; there is no test split.
    assert {k: len(v) for k, v in corpus.splits.items()} == {"train": 983, "valid": 41}
    assert corpus.held_out_split() == "valid"
    np.testing.assert_array_equal(corpus.splits["valid"], np.frombuffer(data[983:], np.uint8))


def test_enwik8_fixture_follows_graves_protocol():
    data = ENWIK8_FIXTURE.read_bytes()
    assert len(data) == 10_000
    corpus = load_enwik8(ENWIK8_FIXTURE)
    train, valid = corpus.splits["train"], corpus.splits["valid"]
    assert (len(train), len(valid)) == (9_600, 400)  # 96 % / 4 %, in file order
    assert bytes(train) + bytes(valid) == data
    assert "".join(corpus.alphabet.decode(train[:10])) == "<mediawiki"
    assert corpus.count_text(np.asarray(valid)) == (400, None)  # a byte is one character


def test_enwik8_full_size_split_is_96m_and_4m(tmp_path):
    path = tmp_path / "enwik8"
    with path.open("wb") as f:
        f.truncate(100_000_000)  # sparse: no 100 MB written or read
    splits = load_enwik8(path).splits
    assert (len(splits["train"]), len(splits["valid"])) == (96_000_000, 4_000_000)


def test_enwik8_streams_from_the_file_without_reading_it(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the whole file was read")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    monkeypatch.setattr(np, "fromfile", refuse)
    corpus = load_enwik8(ENWIK8_FIXTURE)
    for split in corpus.splits.values():
        assert isinstance(split, np.memmap) and split.dtype == np.uint8
        assert Path(split.filename) == ENWIK8_FIXTURE.resolve()
    stream = batchify(corpus.splits["train"], 4)  # (4, 2400), still a view of the file
    assert isinstance(stream, np.memmap) and stream.shape == (4, 2_400)
    piece = window(stream, 10, 5)  # only this is copied out, as int64 indices
    assert piece.dtype == np.int64 and not isinstance(piece, np.memmap)
    raw = ENWIK8_FIXTURE.open("rb").read()
    assert bytes(piece[1].astype(np.uint8)) == raw[2_400 + 10 : 2_400 + 15]


def test_enwik8_missing_or_empty_file_is_named(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        load_enwik8(tmp_path / "enwik8")
    (tmp_path / "enwik8").write_bytes(b"")
    with pytest.raises(UserError, match="empty"):
        load_enwik8(tmp_path / "enwik8")


def test_word_and_char_levels_count_the_same_characters_and_words(tmp_path):
    zip_path = _write_ptb_zip(tmp_path / "ptb.zip", PTB_WORDS)
    words, chars = load_ptb(zip_path, "word"), load_ptb(zip_path, "char")
    # "the cat sat\na <unk> sat\n": 24 characters, 8 words counting each "<eos>".
    assert words.count_text(words.splits["train"]) == (24, 8)
    for split in ("train", "valid", "test"):
        assert words.count_text(words.splits[split]) == chars.count_text(chars.splits[split])
    counts = dict(zip(words.alphabet.symbols, words.characters, strict=True))
    assert counts == {"<eos>": 0, "<unk>": 6, "a": 2, "cat": 4, "sat": 4, "the": 4}


def test_batchify_rows_are_contiguous_streams():
    tokens = np.arange(23)
    stream = batchify(tokens, batch_size=4)
    assert stream.shape == (4, 5) and stream.dtype == tokens.dtype
    assert np.shares_memory(stream, tokens)
    np.testing.assert_array_equal(stream[1], [5, 6, 7, 8, 9])
    np.testing.assert_array_equal(window(stream, 3, 2), [[3, 4], [8, 9], [13, 14], [18, 19]])
    with pytest.raises(ValueError):
        batchify(np.arange(3), batch_size=4)


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
    # The test split as both levels count it (test_real_ptb_word_level): 442,423 characters and
    # 82,430 words, each sentence's "<eos>" included.
    assert corpus.count_text(corpus.splits["test"]) == (442_423, 82_430)


@pytest.mark.skipif(not (DATA / "ptb.zip").exists(), reason="shared PTB data absent")
def test_real_ptb_word_level():
    corpus = load_ptb(DATA / "ptb.zip", "word")
    assert len(corpus.alphabet) == 10_000
    assert {k: len(v) for k, v in corpus.splits.items()} == {
        "train": 929_589,
        "valid": 73_760,
        "test": 82_430,
    }
    assert corpus.count_text(corpus.splits["test"]) == (442_423, 82_430)


@pytest.mark.skipif(not (DATA / "enwik8-first10k.txt").exists(), reason="enwik8 prefix absent")
def test_real_enwik8_prefix():
    corpus = load_enwik8(DATA / "enwik8-first10k.txt")
    assert {k: len(v) for k, v in corpus.splits.items()} == {"train": 9_600, "valid": 400}
    assert "".join(corpus.alphabet.decode(corpus.splits["train"][:6])) == "<media"
