"""Guided glyphs (sample/guide.py, write/glyphs.py): on a scripted network whose window and pen do
what the test says, a guided character is drawn from the guide's strokes, the window is moved past
it, and a line does not end inside one; a drawing is placed on the hand's baseline at its size."""

import numpy as np
import pytest

from handsynth.data.alphabet import Alphabet
from handsynth.data.strokes import Normalisation
from handsynth.sample.guide import CAUGHT_UP
from handsynth.sample.synthesis import sample_synthesis
from handsynth.write.glyphs import LETTER_GAP, WORD_GAP, GlyphBank, RealGlyphs, shipped_glyphs
from handsynth.write.hand_metrics import shear
from tests.test_sampling import ScriptedStepper, ScriptedWeights

ALPHABET = Alphabet(list(" ab1"))
GLYPH = np.float32([[5, 5, 0], [0, 7, 1], [3, 0, 0], [0, -7, 1]])  # two strokes
IDENTITY = Normalisation(np.zeros(2), np.ones(2))


class FixedGlyph:
    """A guide for every '1', always GLYPH; it records the positions asked for."""

    def __init__(self):
        self.asked: list[int] = []
        self.spaced: list[tuple[np.ndarray, np.ndarray]] = []  # what next_word was given

    def heads_on(self, jump) -> bool:
        return jump[0] > 0

    def guided(self, text: str) -> list[int]:
        return [u for u, c in enumerate(text) if c == "1"]

    def glyph(self, text, position, read, own, rng):
        self.asked.append(position)
        return GLYPH

    def next_word(self, jump, read, own):
        self.spaced.append((read[-len(GLYPH) :].copy(), own[-len(GLYPH) - 1 :].copy()))
        return jump + np.float32([10, 0, 0])


def write(text: str, lifts: set[int], reading, guide, moves=None):
    script = ScriptedStepper(lifts, reading, len(text), moves)
    weights = ScriptedWeights(script)
    (line,) = sample_synthesis(weights, ALPHABET, [text], temperature=0.0, guide=guide)
    return line, script


def test_a_guided_character_is_drawn_from_the_guides_strokes_at_the_lift_before_it():
    # Steps 0-4 write 'a' (lift at 4); from step 5 the window reads '1', from 12 'b', then past
    # the end at 20.
    guide = FixedGlyph()
    reading = lambda t: 0 if t < 5 else 1 if t < 12 else 2 if t < 20 else 3  # noqa: E731
    line, script = write("a1b", {4}, reading, guide)
    assert guide.asked == [1]
    # Offsets row 0 is the start; rows 1-5 are the network's five steps (row 1's jump zeroed).
    np.testing.assert_array_equal(line.offsets[6:10], GLYPH)
    # After the glyph's last point the window is moved CAUGHT_UP past the glyph's centre (1).
    assert script.kappas[9] - script.kappas[8] == np.float32(CAUGHT_UP)
    np.testing.assert_array_equal(line.offsets[10], [1, 0, 0])  # then the network goes on


def test_a_line_whose_last_character_is_a_glyph_ends_with_it():
    # The window stays on the '1' after the glyph: without the rule the network would draw on.
    line, _ = write("a1", {4}, lambda t: 0 if t < 5 else 1, FixedGlyph())
    np.testing.assert_array_equal(line.offsets[6:], GLYPH)


def test_a_line_goes_on_after_a_glyph_until_the_network_has_drawn_a_stroke_of_what_follows():
    # The window passes the end while the '1' is drawn (steps 5-8). The glyph's last lift is no
    # end: 'b' still has to be written, and the line ends at the network's next lift (step 14).
    line, _ = write("a1b", {4, 14}, lambda t: 0 if t < 5 else 1 if t < 6 else 3, FixedGlyph())
    np.testing.assert_array_equal(line.offsets[6:10], GLYPH)
    assert len(line.offsets) == 16  # the start and steps 0-14


def test_the_jump_to_the_word_after_a_glyph_and_a_space_is_the_guides():
    # "a1 b": the network's first jump after the glyph is handed to the guide with the glyph as
    # the last thing read; what comes back is drawn. No space after it ("a1b"): not asked.
    guide = FixedGlyph()
    reading = lambda t: 0 if t < 5 else 1 if t < 9 else 3 if t < 20 else 4  # noqa: E731
    line, _ = write("a1 b", {4, 14}, reading, guide)
    ((read, own),) = guide.spaced
    np.testing.assert_array_equal(read, GLYPH)
    np.testing.assert_array_equal(own, [True, False, False, False, False])
    np.testing.assert_array_equal(line.offsets[10], [11, 0, 0])  # the scripted move and 10
    spaced = FixedGlyph()
    write("a1b", {4, 14}, lambda t: 0 if t < 5 else 1 if t < 9 else 2, spaced)
    assert spaced.spaced == []


def test_a_jump_back_after_a_glyph_is_left_alone_and_the_word_gap_waits_for_one_heading_on():
    # Step 9 jumps back (a t-cross); the stroke lifts at 11 and step 12 heads on: that jump is
    # the one moved.
    guide = FixedGlyph()
    reading = lambda t: 0 if t < 5 else 1 if t < 9 else 3 if t < 20 else 4  # noqa: E731
    line, _ = write("a1 b", {4, 11, 14}, reading, guide, moves={9: [-3.0, 0.0]})
    assert len(guide.spaced) == 1
    np.testing.assert_array_equal(line.offsets[10], [-3, 0, 0])
    np.testing.assert_array_equal(line.offsets[13], [11, 0, 0])


def test_a_word_after_a_glyph_starts_a_word_gap_right_of_it():
    ink, eos = zigzag(10.0, 8)  # x-height 10, ink up to x = 80
    glyph = np.array([[85.0, 0.0], [95.0, -20.0], [90.0, -10.0]])  # its right edge at x = 95
    points = np.concatenate([ink, glyph])
    read = np.zeros((len(points), 3), np.float32)
    read[1:, :2] = np.diff(points, axis=0)
    read[:, 2] = np.concatenate([eos, [False, False, True]])
    own = np.arange(len(points)) < len(ink)
    guide = RealGlyphs(GlyphBank({}, 30.0), IDENTITY)
    short = guide.next_word(np.float32([2, 1, 0]), read, own)
    np.testing.assert_allclose(short, [95 - 90 + WORD_GAP * 10, 1, 0], atol=0.2)
    far = np.float32([40, 1, 0])
    np.testing.assert_array_equal(guide.next_word(far, read, own), far)
    # The same hand leaning right (shear 0.4) and a word that starts 20 units up, at the top of
    # a t: the gap is measured along the slant, so the start moves 0.4 * 20 further right.
    leaning = shear(points, 0.4, 0.0)
    read[1:, :2] = np.diff(leaning, axis=0)
    up = guide.next_word(np.float32([2, -20, 0]), read, own)
    start_x = 95 + WORD_GAP * 10 - 0.4 * (leaning[-1, 1] - 20)
    np.testing.assert_allclose(up, [start_x - leaning[-1, 0], -20, 0], atol=0.5)


def test_a_glyph_right_after_a_glyph_follows_it_wherever_the_window_ran():
    # While the first '1' is drawn the window runs past the second to 'b': the second is drawn all
    # the same, at once.
    guide = FixedGlyph()
    line, _ = write("a11b", {4, 20}, lambda t: 0 if t < 5 else 1 if t < 7 else 3, guide)
    assert guide.asked == [1, 2]
    np.testing.assert_array_equal(line.offsets[6:14], np.concatenate([GLYPH, GLYPH]))


def test_a_full_stop_is_drawn_only_right_after_a_drawn_character():
    dot = (np.zeros((1, 2), np.float32), np.ones(1, bool))
    bank = GlyphBank({"7": [dot], "A": [dot], ".": [dot]}, 1.0)
    glyphs = RealGlyphs(bank, IDENTITY)
    assert glyphs.guided("1947. Mr. A. Lopez. Ann.") == [3, 4, 10, 11]
    assert "." in shipped_glyphs().drawings


def test_a_capital_beginning_a_word_is_left_to_the_network_but_for_i_x_and_z():
    dot = (np.zeros((1, 2), np.float32), np.ones(1, bool))
    glyphs = RealGlyphs(GlyphBank({c: [dot] for c in "DXZI"}, 1.0), IDENTITY)
    assert glyphs.guided("Dear Xavier, Zoe, Ivy. DX") == [5, 13, 18, 23, 24]


def test_a_line_does_not_end_inside_a_glyph():
    # The window passes the end while the glyph is drawn; the lift between its strokes is no end.
    line, _ = write("a1", {4}, lambda t: 0 if t < 5 else 1 if t < 6 else 2, FixedGlyph())
    np.testing.assert_array_equal(line.offsets[6:10], GLYPH)


def test_a_character_the_network_has_written_itself_is_not_drawn_again():
    # At the only lift the window already reads past the '1': the network wrote it.
    guide = FixedGlyph()
    plain, _ = write("a1b", {4}, lambda t: 0 if t < 4 else 2 if t < 12 else 3, None)
    guided, _ = write("a1b", {4}, lambda t: 0 if t < 4 else 2 if t < 12 else 3, guide)
    assert guide.asked == []
    np.testing.assert_array_equal(guided.offsets, plain.offsets)


def test_a_glyph_is_not_started_before_the_network_has_written_what_comes_before_it():
    # At the lift after 'a' the window reads 'b' (the letter before the '1'): the network writes
    # 'b' first, and the glyph starts at the lift after it.
    guide = FixedGlyph()
    line, _ = write("ab1", {4, 9}, lambda t: 0 if t < 5 else 1 if t < 10 else 2, guide)
    assert guide.asked == [2]
    np.testing.assert_array_equal(line.offsets[11:15], GLYPH)


def test_a_glyph_waits_while_the_network_goes_back_to_cross_a_letter():
    # At the lift after 'a' (step 4) the window reads '1', but the pen jumps back (step 5): a
    # t-cross. The glyph starts at the next lift (step 6), where the pen heads on.
    guide = FixedGlyph()
    reading = lambda t: 0 if t < 5 else 1 if t < 14 else 2  # noqa: E731
    line, _ = write("a1", {4, 6}, reading, guide, moves={5: [-3.0, 0.0]})
    assert guide.asked == [1]
    np.testing.assert_array_equal(line.offsets[6:8], [[-3, 0, 0], [1, 0, 1]])
    np.testing.assert_array_equal(line.offsets[8:12], GLYPH)


def zigzag(x_height: float, letters: int) -> tuple[np.ndarray, np.ndarray]:
    """One stroke of `letters` up-and-down turns between the baseline y = 0 and y = -x_height."""
    x = np.linspace(0.0, letters * x_height, 8 * letters + 1)
    y = -x_height * (0.5 - 0.5 * np.cos(2 * np.pi * x / x_height))
    eos = np.zeros(len(x), bool)
    eos[-1] = True
    return np.stack([x, y], axis=1), eos


def test_a_drawing_is_put_on_the_baseline_at_the_hands_size_a_gap_right_of_the_ink():
    ink, eos = zigzag(10.0, 8)
    read = np.zeros((len(ink), 3), np.float32)
    read[1:, :2] = np.diff(ink, axis=0)
    read[:, 2] = eos
    drawing = np.float32([[0, 0], [0, -2], [1, -2]])  # 2 x-heights tall, 1 wide, upright
    bank = GlyphBank({"1": [(drawing, np.bool_([False, False, True]))]}, x_height=30.0)
    rng = np.random.default_rng(0)
    for text, gap in (("a 1", WORD_GAP), ("a1", LETTER_GAP)):
        offsets = RealGlyphs(bank, IDENTITY).glyph(
            text, len(text) - 1, read, np.ones(len(ink), bool), rng
        )
        placed = ink[-1] + np.cumsum(offsets[:, :2], axis=0)
        scale = (placed[1, 1] - placed[0, 1]) / -2.0  # the drawing's height over 2 x-heights
        assert 9.5 <= scale <= 10.5  # the hand's x-height, give or take the size jitter
        assert abs(placed[0, 1]) < 0.5  # on the baseline
        assert np.isclose(placed[0, 0] - ink[:, 0].max(), gap * scale, atol=0.5)
        assert offsets[-1, 2] == 1.0


def test_a_bank_reads_back_as_written(tmp_path):
    drawings = {
        "4": [(np.float32([[0, 0], [1, -2]]), np.bool_([False, True]))],
        "Q": [(np.float32([[0, 0], [1, -1], [2, 0]]), np.bool_([False, False, True]))] * 2,
    }
    GlyphBank(drawings, 40.0).save(tmp_path / "bank.npz", ["a01-000-00", "b02-000-01", "c"])
    loaded = GlyphBank.load(tmp_path / "bank.npz")
    assert loaded.x_height == 40.0 and set(loaded.drawings) == {"4", "Q"}
    for char, drawn in drawings.items():
        for (points, eos), (p, e) in zip(drawn, loaded.drawings[char], strict=True):
            np.testing.assert_array_equal(points, p)
            np.testing.assert_array_equal(eos, e)


def test_the_shipped_bank_holds_every_digit():
    bank = shipped_glyphs()
    assert set("0123456789") <= set(bank.drawings)
    for drawn in bank.drawings.values():
        for points, eos in drawn:
            assert points.shape == (len(eos), 2) and eos[-1]


def test_the_shipped_model_draws_glyphs_unless_told_not_to():
    from handsynth import load_model
    from handsynth.options import WriteOptions

    model = load_model()
    assert isinstance(model.guide(WriteOptions()), RealGlyphs)
    assert model.guide(WriteOptions(glyphs=False)) is None


def test_write_no_glyphs_reaches_the_model(monkeypatch, tmp_path):
    from handsynth import cli
    from handsynth.loaded import SynthesisModel

    class Called(Exception):
        pass

    def write(self, text, **kwargs):
        raise Called(kwargs["glyphs"])

    monkeypatch.setattr(SynthesisModel, "write", write)
    for flags, expected in (([], True), (["--no-glyphs"], False)):
        with pytest.raises(Called) as called:
            cli.main(["write", "No. 4817", "-o", str(tmp_path / "x.svg"), *flags])
        assert called.value.args == (expected,)


def test_a_capital_beginning_a_word_of_small_letters_is_left_to_the_network():
    dash = (np.float32([[0, 0], [1, 0]]), np.bool_([False, True]))
    guide = RealGlyphs(GlyphBank({c: [dash] for c in "1AJE"}, 40.0), IDENTITY)
    text = "Ada A. JE1 Ab1"
    assert [text[u] + str(u) for u in guide.guided(text)] == ["A4", "J7", "E8", "19", "113"]


def test_without_ink_of_its_own_to_measure_a_drawing_stands_on_the_glyphs_before_it():
    # An unstyled line that began with a glyph: all the ink so far is the glyph's, none measured.
    before = np.array([[0.0, 0.0], [0.0, -60.0], [20.0, -60.0], [20.0, 0.0]])
    read = np.zeros((4, 3), np.float32)
    read[1:, :2] = np.diff(before, axis=0)
    read[-1, 2] = 1.0
    drawing = np.float32([[0, 0], [0, -2], [1, -2]])
    guide = RealGlyphs(GlyphBank({"1": [(drawing, np.bool_([0, 0, 1]))]}, 30.0), IDENTITY)
    offsets = guide.glyph("11", 1, read, np.zeros(4, bool), np.random.default_rng(0))
    placed = before[-1] + np.cumsum(offsets[:, :2], axis=0)
    size = (placed[0, 1] - placed[1, 1]) / 2.0  # the bank's x-height, give or take the jitter
    assert 28.5 <= size <= 31.5
    assert placed[:, 1].max() == pytest.approx(0.0, abs=1e-4)  # on the first glyph's baseline
    assert placed[:, 0].min() == pytest.approx(20.0 + LETTER_GAP * size, abs=1e-3)
