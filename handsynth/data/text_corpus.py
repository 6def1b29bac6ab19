"""Text corpora for the character- and word-level prediction network (Graves 2013, §3).

Loads the Penn Treebank as prepared by Mikolov (word or character level) and a plain text file such
as tiny Shakespeare (character level) into int64 token streams, streams enwik8 (byte level) from its
file without reading it, and cuts those streams into batches of contiguous rows for truncated
backpropagation through time (pytorch/examples `word_language_model` style).

Sentence boundaries in the Penn Treebank files are line ends. At word level each line becomes its
words followed by `WORD_LINE_END` ("<eos>"); at character level each line becomes its characters
followed by `CHAR_LINE_END` ("\\n"), and the `_` that the character files write for a word space is
read back as " ", so that decoding a character stream and joining it gives readable text.

Both levels of the Penn Treebank are scored on one scale, as Graves (2013) Table 1 does: every
corpus says how many characters of text each symbol stands for (`TextCorpus.characters`), and the
PTB ones also how many words each symbol ends (`TextCorpus.words`). The two files of a split hold
the same sentences, so a character stream and a word stream of it count the same characters and
words:

- characters: every character of a sentence, a space between its words, and one line end after it
  ("a cat sat" is 10). A character symbol is 1 character; a word is its letters plus the one
  separator after it (the space, or the line end after the last word of the sentence), and "<eos>"
  is 0, its line end being counted with the last word.
- words: every word and one "<eos>" per sentence ("a cat sat" is 4), as Graves counts the
  end-of-sentence token in the loss. A word symbol, "<eos>" included, is 1 word; of the character
  symbols " " is 1 (the word it ends), "\\n" is 2 (the last word and the "<eos>") and the rest 0.
"""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from handsynth.data.alphabet import Alphabet
from handsynth.data.validate import read_text
from handsynth.errors import UserError

SPLITS = ("train", "valid", "test")
WORD_LINE_END = "<eos>"
CHAR_LINE_END = "\n"
PTB_CHAR_SPACE = "_"
# Words of the Penn Treebank that a character ends: a space ends one, a line end the last word of
# the sentence and the "<eos>" after it.
WORDS_ENDED = {" ": 1, CHAR_LINE_END: 2}
# enwik8 (Graves 2013 §3.2): the first 96 M of its 100 M bytes train, the last 4 M validate.
ENWIK8_TRAIN_PERCENT = 96
MAX_MEMBER_BYTES = 64 * 2**20  # what one file of a corpus zip may inflate to; PTB: 5 MB


@dataclass
class TextCorpus:
    """An alphabet, the token streams of its splits, and what each symbol counts for in the text."""

    alphabet: Alphabet
    # split name -> (n_tokens,) indices into `alphabet`: int64, or uint8 read from a file (enwik8)
    splits: dict[str, np.ndarray]
    characters: np.ndarray  # (V,) int64 characters of text each symbol stands for
    words: np.ndarray | None = None  # (V,) int64 words each symbol ends; None: not counted

    def count_text(self, tokens: np.ndarray) -> tuple[int, int | None]:
        """The characters and words (None where not counted) that a (n,) token stream spells."""
        per_symbol = np.bincount(tokens, minlength=len(self.alphabet))  # (V,) occurrences
        characters = int(per_symbol @ self.characters)
        return characters, None if self.words is None else int(per_symbol @ self.words)

    def held_out_split(self) -> str:
        """The split results are reported on: test, or valid where there is none (enwik8)."""
        return "test" if "test" in self.splits else "valid"


def load_ptb(zip_path: str | Path, level: Literal["char", "word"]) -> TextCorpus:
    """The Penn Treebank from Mikolov's `ptb.zip` at word level (10,000 symbols with "<eos>") or
    character level (49 characters, " " for `_`, plus "\\n" at each line end: 50 symbols).

    The alphabet is built from the train split; a valid or test symbol missing from it is an error.
    """
    if level not in ("char", "word"):
        raise UserError(f"level must be 'char' or 'word', got {level!r}")
    stem = "ptb.char" if level == "char" else "ptb"
    try:
        with zipfile.ZipFile(zip_path) as archive:
            members = {Path(name).name: name for name in archive.namelist()}
            texts = {}
            for split in SPLITS:
                file_name = f"{stem}.{split}.txt"
                if file_name not in members:
                    raise UserError(f"{zip_path} holds no {file_name}")
                texts[split] = _read_member(archive, members[file_name], zip_path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as error:
        raise UserError(f"{zip_path}: not a readable zip archive ({error})") from None
    tokenize = _ptb_char_tokens if level == "char" else _ptb_word_tokens
    symbols = {split: tokenize(text) for split, text in texts.items()}
    alphabet = Alphabet.from_corpus([symbols["train"]])
    for split in ("valid", "test"):
        missing = alphabet.unknown(symbols[split])
        if missing:
            raise UserError(f"PTB {split} split has symbols absent from train: {missing[:10]}")
    splits = {split: alphabet.encode(seq) for split, seq in symbols.items()}
    if level == "word":
        characters = [0 if w == WORD_LINE_END else len(w) + 1 for w in alphabet.symbols]
        words = [1] * len(alphabet)
    else:
        characters = [1] * len(alphabet)
        words = [WORDS_ENDED.get(c, 0) for c in alphabet.symbols]
    return TextCorpus(alphabet, splits, _counts(characters), _counts(words))


def _read_member(archive: zipfile.ZipFile, name: str, zip_path) -> str:
    """One member as UTF-8 text, read no further than MAX_MEMBER_BYTES: the sizes a zip declares
    can lie, so the cap holds on what is actually inflated."""
    with archive.open(name) as member:
        data = member.read(MAX_MEMBER_BYTES + 1)
    if len(data) > MAX_MEMBER_BYTES:
        raise UserError(
            f"{zip_path}: {name} inflates to more than {MAX_MEMBER_BYTES // 2**20} MiB, the most a "
            "corpus file may hold (PTB's largest is 5 MB)"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UserError(f"{zip_path}: {name} is not UTF-8 text (at byte {error.start})") from None


def _counts(per_symbol: list[int]) -> np.ndarray:
    return np.asarray(per_symbol, dtype=np.int64)


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
    text = read_text(path, "text corpus")
    alphabet = Alphabet.from_corpus([text])
    if valid_fraction < 0 or test_fraction < 0 or valid_fraction + test_fraction >= 1:
        raise ValueError(
            f"valid_fraction={valid_fraction} and test_fraction={test_fraction} must be >= 0 "
            "and leave some text for training"
        )
    tokens = alphabet.encode(text)  # (n,)
    n = len(tokens)
    train_end = round(n * (1 - valid_fraction - test_fraction))
    valid_end = round(n * (1 - test_fraction))
    splits = {
        "train": tokens[:train_end],
        "valid": tokens[train_end:valid_end],
        "test": tokens[valid_end:],
    }
    return TextCorpus(alphabet, splits, _counts([1] * len(alphabet)))


def load_enwik8(path: str | Path) -> TextCorpus:
    """enwik8 (or any file of bytes) at byte level, streamed from the file: nothing is read here.

    Graves's protocol (2013 §3.2, Table 2): the first 96,000,000 bytes of the 100,000,000 train and
    the last 4,000,000 validate; there is no test split, results are reported on validation. A file
    of another length is split in the same proportion: the first 96 % of its bytes (rounded down)
    train, the rest validate. The splits are read-only uint8 views of `np.memmap(path)`.

    The alphabet is all 256 byte values, symbol i being `chr(i)`, so a token is its byte and a model
    fits any file of bytes (enwik8 itself uses 205 of them; the other 51 are never targets).
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file; give the path of enwik8 (or a prefix of it)")
    size = path.stat().st_size
    if size == 0:
        raise UserError(f"{path} is empty; give the path of enwik8 (or a prefix of it)")
    data = np.memmap(path, dtype=np.uint8, mode="r")  # (n,) paged in as windows are read
    train_end = size * ENWIK8_TRAIN_PERCENT // 100
    splits = {"train": data[:train_end], "valid": data[train_end:]}
    alphabet = Alphabet([chr(byte) for byte in range(256)])
    return TextCorpus(alphabet, splits, _counts([1] * 256))


def batchify(tokens: np.ndarray, batch_size: int) -> np.ndarray:
    """Cut a (n,) token stream into contiguous rows (batch_size, n // batch_size), dropping the tail
    that does not fill a whole column. Row b continues where row b-1's text ends.

    The rows are a view of `tokens` with its dtype: a stream read from a file stays on disk until a
    window of it is taken (`window`).
    """
    n = len(tokens) // batch_size
    if n == 0:
        raise ValueError(f"{len(tokens)} tokens cannot fill {batch_size} rows")
    return tokens[: n * batch_size].reshape(batch_size, n)


def window(stream: np.ndarray, start: int, length: int) -> np.ndarray:
    """Columns start to start + length of a (B, N) batchified stream as int64 (B, length), copied
    out of the stream (and so read from the file, for a stream on disk)."""
    return np.array(stream[:, start : start + length], dtype=np.int64)


def bits_per_symbol(mean_nats: float) -> float:
    """A mean negative log-likelihood in nats per symbol expressed in bits per symbol."""
    return mean_nats / math.log(2)
