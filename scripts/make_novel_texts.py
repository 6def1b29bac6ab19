"""Pick novel sentences, not IAM-OnDB transcriptions, for `handsynth eval legibility --texts`.

From tiny Shakespeare: lines of verse. From the Penn Treebank test set: sentences with the
tokenisation undone ("did n't" -> "didn't"), the first letter capitalised and a full stop added,
leaving out those with <unk> or numbers (N). Both keep only sentences of 20-60 characters made
of letters, space and . , ' (the characters every IAM-trained model has seen often). The choice
is fixed by --seed; the texts themselves are not shipped (PTB is licensed).

    python scripts/make_novel_texts.py --shakespeare ../shared/data/text/tinyshakespeare.txt \
        --ptb ../shared/data/text/ptb.zip --out-dir /tmp/novel --count 200 --seed 0
"""

from __future__ import annotations

import argparse
import random
import re
import zipfile
from pathlib import Path

ALLOWED = re.compile(r"[A-Za-z][A-Za-z .,']*")
MIN_CHARACTERS, MAX_CHARACTERS = 20, 60
# Penn Treebank splits contractions and possessives off their words.
CLITICS = re.compile(r" (n't|'s|'re|'ve|'m|'ll|'d)\b")


def writable(sentence: str) -> bool:
    return MIN_CHARACTERS <= len(sentence) <= MAX_CHARACTERS and bool(ALLOWED.fullmatch(sentence))


def shakespeare_sentences(path: Path) -> list[str]:
    """Lines of speech (not the speakers' names), stripped."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if not line.endswith(":") and writable(line)]


def ptb_sentences(path: Path) -> list[str]:
    """Test-set sentences of the word-level PTB, detokenised and punctuated."""
    with zipfile.ZipFile(path) as archive:
        text = archive.read("ptb.test.txt").decode("utf-8")
    sentences = []
    for line in text.splitlines():
        words = line.strip()
        if not words or "<unk>" in words or re.search(r"\bN\b", words):
            continue
        sentence = CLITICS.sub(r"\1", words)
        sentence = sentence[0].upper() + sentence[1:] + "."
        if writable(sentence):
            sentences.append(sentence)
    return sentences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shakespeare", type=Path, required=True, help="tinyshakespeare.txt")
    parser.add_argument("--ptb", type=Path, required=True, help="the Penn Treebank ptb.zip")
    parser.add_argument("--out-dir", type=Path, required=True, help="where to write the lists")
    parser.add_argument("--count", type=int, default=200, help="sentences from each source")
    parser.add_argument("--seed", type=int, default=0, help="fixes the choice")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    sources = {
        "shakespeare": shakespeare_sentences(args.shakespeare),
        "ptb": ptb_sentences(args.ptb),
    }
    for name, candidates in sources.items():
        chosen = random.Random(args.seed).sample(sorted(set(candidates)), args.count)
        path = args.out_dir / f"{name}.txt"
        path.write_text("\n".join(chosen) + "\n", encoding="utf-8")
        print(f"wrote {args.count} of {len(set(candidates))} {name} sentences to {path}")


if __name__ == "__main__":
    main()
