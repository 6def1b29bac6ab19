"""Text corpora for the character- and word-level prediction network (Graves 2013, §3).

Loads the Penn Treebank as prepared by Mikolov (word or character level), a plain text file such as
tiny Shakespeare (character level) and a prefix of enwik8 (byte level) into int64 token streams, and
cuts those streams into batches of contiguous rows for truncated backpropagation through time
(pytorch/examples `word_language_model` style).

Sentence boundaries in the Penn Treebank files are line ends. At word level each line becomes its
words followed by `WORD_LINE_END` ("<eos>"); at character level each line becomes its characters
followed by `CHAR_LINE_END` ("\\n"), and the `_` that the character files write for a word space is
read back as " ", so that decoding a character stream and joining it gives readable text.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from handsynth.alphabet import Alphabet
from handsynth.errors import UserError

SPLITS = ("train", "valid", "test")
WORD_LINE_END = "<eos>"
CHAR_LINE_END = "\n"
PTB_CHAR_SPACE = "_"


@dataclass
class TextCorpus:
    """An alphabet and the token streams of the train, valid and test splits."""

    alphabet: Alphabet
    splits: dict[str, np.ndarray]  # split name -> (n_tokens,) int64 indices into `alphabet`


def load_ptb(zip_path: str | Path, level: Literal["char", "word"]) -> TextCorpus:
    """The Penn Treebank from Mikolov's `ptb.zip` at word level (10,000 symbols with "<eos>") or
    character level (49 characters, " " for `_`, plus "\\n" at each line end: 50 symbols).

    The alphabet is built from the train split; a valid or test symbol missing from it is an error.
    """
    if level not in ("char", "word"):
        raise UserError(f"level must be 'char' or 'word', got {level!r}")
    stem = "ptb.char" if level == "char" else "ptb"
    with zipfile.ZipFile(zip_path) as archive:
        members = {Path(name).name: name for name in archive.namelist()}
        texts = {}
        for split in SPLITS:
            file_name = f"{stem}.{split}.txt"
            if file_name not in members:
                raise UserError(f"{zip_path} holds no {file_name}")
            texts[split] = archive.read(members[file_name]).decode("utf-8")
    tokenize = _ptb_char_tokens if level == "char" else _ptb_word_tokens
    symbols = {split: tokenize(text) for split, text in texts.items()}
    alphabet = Alphabet.from_corpus([symbols["train"]])
    for split in ("valid", "test"):
        missing = alphabet.unknown(symbols[split])
        if missing:
            raise UserError(f"PTB {split} split has symbols absent from train: {missing[:10]}")
    return TextCorpus(alphabet, {split: alphabet.encode(seq) for split, seq in symbols.items()})


def _ptb_word_tokens(text: str) -> list[str]:
    """The words of every non-empty line, each line followed by "<eos>"."""
    tokens: list[str] = []
    for line in text.split("\n"):
        words = line.split()
        if words:
            tokens.extend(words)
            tokens.append(WORD_LINE_END)
    return tokens


def _ptb_char_tokens(text: str) -> list[str]:
    """The space-separated characters of every non-empty line, `_` read as " ", each line followed
    by "\\n"."""
    tokens: list[str] = []
    for line in text.split("\n"):
        chars = line.split()
        if chars:
            tokens.extend(" " if c == PTB_CHAR_SPACE else c for c in chars)
            tokens.append(CHAR_LINE_END)
    return tokens


def load_plain_text(
    path: str | Path, valid_fraction: float = 0.05, test_fraction: float = 0.05
) -> TextCorpus:
    """A UTF-8 text file at character level, split into contiguous train/valid/test parts in order.

    The alphabet is every character of the file: a character that happens to fall only past the
    train boundary is still a symbol rather than an error.
    """
    text = Path(path).read_text(encoding="utf-8")
    alphabet = Alphabet.from_corpus([text])
    return _split_contiguous(alphabet, alphabet.encode(text), valid_fraction, test_fraction)


def load_enwik8(path: str | Path) -> TextCorpus:
    """enwik8 (or a prefix of it) at byte level: each byte is the symbol `chr(byte)`.

    The standard split is the first 90M bytes for training, the next 5M for validation and the last
    5M for testing; a shorter file is split at the same 90% / 95% marks. The alphabet is every byte
    value present in the file (Graves 2013 §3.2 counts 205 in the full file).
    """
    data = np.frombuffer(Path(path).read_bytes(), dtype=np.uint8)  # (n,)
    present = np.unique(data)  # sorted byte values, so indices follow Alphabet.from_corpus order
    alphabet = Alphabet([chr(byte) for byte in present])
    tokens = np.searchsorted(present, data).astype(np.int64)  # (n,), vectorised for the 100 MB file
    return _split_contiguous(alphabet, tokens, valid_fraction=0.05, test_fraction=0.05)


def _split_contiguous(
    alphabet: Alphabet, tokens: np.ndarray, valid_fraction: float, test_fraction: float
) -> TextCorpus:
    """Cut a (n,) token stream into train | valid | test in order."""
    if valid_fraction < 0 or test_fraction < 0 or valid_fraction + test_fraction >= 1:
        raise ValueError(
            f"valid_fraction={valid_fraction} and test_fraction={test_fraction} must be >= 0 "
            "and leave some text for training"
        )
    n = len(tokens)
    train_end = round(n * (1 - valid_fraction - test_fraction))
    valid_end = round(n * (1 - test_fraction))
    splits = {
        "train": tokens[:train_end],
        "valid": tokens[train_end:valid_end],
        "test": tokens[valid_end:],
    }
    return TextCorpus(alphabet, splits)


def batchify(tokens: np.ndarray, batch_size: int) -> np.ndarray:
    """Cut a (n,) token stream into contiguous rows (batch_size, n // batch_size), dropping the tail
    that does not fill a whole column. Row b continues where row b-1's text ends."""
    n = len(tokens) // batch_size
    if n == 0:
        raise ValueError(f"{len(tokens)} tokens cannot fill {batch_size} rows")
    return np.asarray(tokens[: n * batch_size], dtype=np.int64).reshape(batch_size, n)


def iter_bptt(stream: np.ndarray, seq_len: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Successive windows of a (B, N) batchified stream for truncated BPTT.

    Yields (inputs, targets), both int64 of shape (B, T) with T = seq_len except possibly the last
    window; targets are the inputs shifted one token ahead, so the windows cover N - 1 predictions.
    """
    _, N = stream.shape
    for start in range(0, N - 1, seq_len):
        T = min(seq_len, N - 1 - start)
        inputs = stream[:, start : start + T]  # (B, T)
        targets = stream[:, start + 1 : start + 1 + T]  # (B, T)
        yield inputs.astype(np.int64, copy=False), targets.astype(np.int64, copy=False)


def bits_per_symbol(mean_nats: float) -> float:
    """A mean negative log-likelihood in nats per symbol expressed in bits per symbol."""
    return mean_nats / math.log(2)
