"""Symbol vocabularies: characters of handwriting transcriptions, or the symbols of a text corpus.

An `Alphabet` maps symbols to contiguous indices. Unknown symbols are an error that names the symbol
and where it occurs, never a silent index 0.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence

import numpy as np

from handsynth.errors import UserError

# Graves (2013, §5) trains the synthesis network on a reduced character set. We read it as the 52
# letters, the space, the three commonest punctuation marks and one class standing for everything
# else (digits and the rarer punctuation): 52 + 1 + 3 + 1 = 57 symbols.
OTHER_SYMBOL = "#"
REDUCED_SYMBOLS = tuple(string.ascii_letters + " .,'" + OTHER_SYMBOL)


class UnknownSymbolError(UserError):
    """A symbol that the alphabet does not contain."""


class Alphabet:
    """An ordered set of symbols (single characters or whole words) with index lookups."""

    def __init__(self, symbols: Sequence[str], fold_unknown_to: str | None = None):
        if len(set(symbols)) != len(symbols):
            raise ValueError("alphabet symbols must be unique")
        if fold_unknown_to is not None and fold_unknown_to not in symbols:
            raise ValueError(f"fold_unknown_to={fold_unknown_to!r} is not one of the symbols")
        self.symbols = tuple(symbols)
        self.fold_unknown_to = fold_unknown_to
        self._index = {s: i for i, s in enumerate(self.symbols)}

    @classmethod
    def from_corpus(cls, sequences: Iterable[Iterable[str]]) -> Alphabet:
        """The sorted set of every symbol occurring in `sequences`."""
        seen: set[str] = set()
        for sequence in sequences:
            seen.update(sequence)
        return cls(sorted(seen))

    @classmethod
    def reduced(cls) -> Alphabet:
        """Graves's 57-symbol set; symbols outside it fold into `OTHER_SYMBOL`."""
        return cls(REDUCED_SYMBOLS, fold_unknown_to=OTHER_SYMBOL)

    def __len__(self) -> int:
        return len(self.symbols)

    def __contains__(self, symbol: str) -> bool:
        return symbol in self._index

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Alphabet)
            and self.symbols == other.symbols
            and self.fold_unknown_to == other.fold_unknown_to
        )

    def unknown(self, sequence: Iterable[str]) -> list[str]:
        """The distinct symbols of `sequence` this alphabet cannot encode, in order of use."""
        if self.fold_unknown_to is not None:
            return []
        missing: dict[str, None] = {}
        for symbol in sequence:
            if symbol not in self._index:
                missing[symbol] = None
        return list(missing)

    def encode(self, sequence: Iterable[str]) -> np.ndarray:
        """Indices of the symbols of `sequence` as an int64 array of shape (len(sequence),)."""
        indices = []
        for position, symbol in enumerate(sequence):
            index = self._index.get(symbol)
            if index is None:
                if self.fold_unknown_to is None:
                    raise UnknownSymbolError(
                        f"symbol {symbol!r} at position {position} is not in the alphabet "
                        f"of {len(self)} symbols; remove it or use a model trained with it"
                    )
                index = self._index[self.fold_unknown_to]
            indices.append(index)
        return np.asarray(indices, dtype=np.int64)

    def decode(self, indices: Iterable[int]) -> list[str]:
        """The symbols at `indices`."""
        return [self.symbols[int(i)] for i in indices]

    def spell(self, text: str) -> str:
        """`text` as this alphabet writes it: a reduced alphabet folds rare symbols into one."""
        return "".join(self.decode(self.encode(text)))

    def to_json(self) -> dict:
        return {"symbols": list(self.symbols), "fold_unknown_to": self.fold_unknown_to}

    @classmethod
    def from_json(cls, data: dict) -> Alphabet:
        return cls(data["symbols"], fold_unknown_to=data.get("fold_unknown_to"))
