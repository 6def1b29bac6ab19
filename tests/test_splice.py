"""Splicing cut characters after a line for the recogniser (train/splice.py): the line is kept as
it was, the word's drawings follow it on its baseline at its size with its text after a space,
and `train recogniser --splice BANK` trains on such lines."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from handsynth import cli
from handsynth.data.alphabet import Alphabet
from handsynth.data.strokes import Normalisation, points_to_offsets
from handsynth.train.splice import MAX_CHARACTERS, Splicing
from handsynth.write.glyphs import WORD_GAP, GlyphBank
from tests.test_glyph_guide import zigzag

ALPHABET = Alphabet(list(" abc7Q"))
NORMALISATION = Normalisation(np.array([2.0, 0.5]), np.array([3.0, 4.0]))
SEVEN = (np.float32([[0, -2], [1, -2], [0.3, 0]]), np.bool_([False, False, True]))  # 2 x-heights
BANK = GlyphBank({"7": [SEVEN], "%": [SEVEN]}, 1.0)  # % is not in the alphabet: never written
SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def _line() -> tuple[np.ndarray, np.ndarray]:
    """A zigzag of 8 letters at x-height 10, normalised, saying "abc"."""
    points, eos = zigzag(10.0, 8)
    return NORMALISATION.normalise(points_to_offsets(points, eos)), ALPHABET.encode("abc")


def test_a_spliced_word_follows_the_line_on_its_baseline_at_its_size():
    offsets, chars = _line()
    splicing = Splicing(BANK, ALPHABET, share=1.0)
    spliced, text = splicing.apply(offsets, chars, NORMALISATION, np.random.default_rng(0))
    word = "".join(ALPHABET.decode(text))[4:]
    assert "".join(ALPHABET.decode(text))[:4] == "abc " and 1 <= len(word) <= MAX_CHARACTERS
    assert set(word) == {"7"}
    np.testing.assert_allclose(spliced[: len(offsets)], offsets, atol=1e-5)  # the line as it was
    raw = NORMALISATION.denormalise(spliced)
    points = np.cumsum(raw[:, :2], axis=0)
    added = points[len(offsets) :].reshape(len(word), 3, 2)  # (W, 3, 2): each seven's corners
    assert np.allclose(added[:, 2, 1], 0.0, atol=0.5)  # on the baseline
    assert np.allclose(added[:, 0, 1], -20.0, atol=1.0)  # two x-heights tall
    assert added[0, 0, 0] - 80.0 == pytest.approx(WORD_GAP * 10, abs=1.0)  # a word gap after
    assert np.all(np.diff(added[:, 0, 0]) > 0)  # left to right
    assert np.all(raw[len(offsets) :, 2][2::3] == 1)  # each seven ends its stroke


def test_without_its_share_a_line_is_left_alone():
    offsets, chars = _line()
    kept = Splicing(BANK, ALPHABET, share=0.0).apply(
        offsets, chars, NORMALISATION, np.random.default_rng(0)
    )
    assert kept[0] is offsets and kept[1] is chars


def test_a_bank_with_nothing_the_alphabet_writes_is_refused():
    with pytest.raises(ValueError, match="no character of the alphabet"):
        Splicing(GlyphBank({"%": [SEVEN]}, 1.0), ALPHABET)


def test_the_recogniser_trains_on_spliced_lines(prepared_dir, tmp_path, capsys):
    bank, foreign = tmp_path / "pool.npz", tmp_path / "foreign.npz"
    GlyphBank({"e": [SEVEN], "%": [SEVEN]}, 1.0).save(bank, ["a", "b"])  # the fixtures write e
    GlyphBank({"%": [SEVEN]}, 1.0).save(foreign, ["a"])
    argv = ["train", "recogniser", "--data", str(prepared_dir), "--out", str(tmp_path / "run")]
    tiny = ["--hidden-size", "8", "--layers", "1", "--max-steps", "2", "--quiet"]
    assert cli.main([*argv, *tiny, "--splice", str(bank), "--augment"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["step"] == 2
    assert cli.main([*argv, *tiny, "--splice", str(foreign)]) == 2
    assert "no character of the alphabet" in capsys.readouterr().err
    text = tmp_path / "notes.txt"
    text.write_text("not a bank")
    assert cli.main([*argv, *tiny, "--splice", str(text)]) == 2
    assert f"{text}: not a glyph bank" in capsys.readouterr().err
    synthesis = ["train", "synthesis", "--data", str(prepared_dir), "--out", str(tmp_path / "s")]
    assert cli.main([*synthesis, "--splice", str(bank)]) == 2
    assert "--splice applies to the recogniser" in capsys.readouterr().err


def test_the_pool_gets_as_many_drawn_characters_as_cut_ones():
    sys.path.insert(0, str(SCRIPTS))
    try:
        from make_glyph_bank import POOL_DRAWN, SHAPES, Drawing, add_drawn
    finally:
        sys.path.remove(str(SCRIPTS))
    cut = [Drawing("1", f"a01-000-0{k % 10}", *SEVEN, np.zeros((0, 3))) for k in range(40)]
    pool = {"1": list(cut), "X": cut[:2], "7": cut[:5]}
    add_drawn(pool, np.random.default_rng(0))
    counts = {char: len(drawings) for char, drawings in pool.items()}
    assert counts == {"1": 80, "X": 2 + POOL_DRAWN, "7": 5} | {
        char: POOL_DRAWN for char in [*SHAPES, ":"] if char not in "1X"
    }
    assert pool["1"][:40] == cut and all(d.line == "drawn" for d in pool["1"][40:])
    ones = np.stack([d.points[-1] for d in pool["1"][40:]])  # where each drawn 1's stem ends
    np.testing.assert_allclose(ones, np.tile(SHAPES["1"][0][-1], (40, 1)), atol=0.15)
    assert len({d.points.tobytes() for d in pool["1"][40:]}) == 40  # no two alike
