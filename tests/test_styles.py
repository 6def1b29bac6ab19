"""Style lines for priming: from IAM-OnDB XML, from SVG paths, InkML and the shipped set; the
check that a line reads as its text; the folder of saved styles (save, rename, delete)."""

import os
from pathlib import Path

import numpy as np
import pytest

from handsynth.data.iam import line_strokes_xml, line_transcription
from handsynth.data.strokes import Normalisation, denormalise, offsets_to_points, points_to_offsets
from handsynth.errors import UserError
from handsynth.loaded import load_model
from handsynth.write.formats.inkml import write_inkml
from handsynth.write.render import RenderOptions, render_svg
from handsynth.write.style_check import MAX_ERROR_RATE, StyleMismatch, read_style
from handsynth.write.style_folder import StyleFolder
from handsynth.write.styles import (
    MAX_STYLE_BYTES,
    MAX_STYLE_POINTS,
    SHIPPED_STYLE_COUNT,
    load_style,
    shipped_normalisation,
    shipped_styles,
    shipped_styles_path,
    strokes_from_pointer,
    svg_strokes,
)
from tests.conftest import FIXTURE_ROOT

MEAN, STD = np.array([8.0, 0.0]), np.array([40.0, 35.0])
NORMALISATION = Normalisation(MEAN, STD)
XML = FIXTURE_ROOT / "lineStrokes" / "a01" / "a01-000" / "a01-000u-01.xml"
TABLET_LINE = (
    Path(__file__).resolve().parents[1] / "data" / "fixtures" / "inkml" / "tablet_line.inkml"
)


def test_style_from_iam_xml_is_the_line_normalised():
    offsets, text = load_style(str(XML), "A MOVE", NORMALISATION)
    assert text == "A MOVE"
    points, eos = offsets_to_points(denormalise(offsets, MEAN, STD))
    # The fixture's first stroke starts at (100, 200) and its second ends at (220, 230).
    np.testing.assert_allclose(points[-1] - points[0], [120.0, 30.0], atol=1e-3)
    assert eos.sum() == 2


def test_style_from_our_own_svg_keeps_strokes_and_shape(tmp_path):
    rng = np.random.default_rng(0)
    points = np.cumsum(rng.normal(size=(30, 2)) * 20, axis=0)
    eos = np.zeros(30)
    eos[[9, 19, 29]] = 1
    svg = tmp_path / "line.svg"
    render_svg([points_to_offsets(points, eos)], svg, RenderOptions(scale=1, single_stroke=True))
    strokes = svg_strokes(svg)
    assert [len(s) for s in strokes] == [10, 10, 10]
    offsets, _ = load_style(str(svg), "abc", NORMALISATION)
    raw = denormalise(offsets, MEAN, STD)
    # Rescaled as a whole: the shape (ratios between steps) is kept.
    ratio = np.linalg.norm(raw[1:4, :2], axis=1) / np.linalg.norm(
        np.diff(points[:4], axis=0), axis=1
    )
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-3)


def test_style_from_a_one_line_inkml_file_with_its_own_transcription(tmp_path):
    rng = np.random.default_rng(1)
    points = np.cumsum(rng.normal(size=(30, 2)) * 20, axis=0)
    eos = np.zeros(30)
    eos[[14, 29]] = 1
    ink = tmp_path / "line.inkml"
    write_inkml([points_to_offsets(points, eos)], ink, RenderOptions(scale=1), texts=["hi there"])
    offsets, text = load_style(str(ink), None, NORMALISATION)
    assert text == "hi there"  # the file's annotation
    raw = denormalise(offsets, MEAN, STD)
    assert len(raw) == 30 and raw[:, 2].sum() == 2  # every point, two strokes
    ratio = np.linalg.norm(raw[1:4, :2], axis=1) / np.linalg.norm(
        np.diff(points[:4], axis=0), axis=1
    )
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-3)  # rescaled as a whole
    assert load_style(str(ink), "said otherwise", NORMALISATION)[1] == "said otherwise"
    two = tmp_path / "two.inkml"
    write_inkml([points_to_offsets(points, eos)] * 2, two, RenderOptions(scale=1))
    with pytest.raises(UserError, match="holds 2 lines of ink; a style is one line"):
        load_style(str(two), "hi", NORMALISATION)


@pytest.mark.parametrize(
    ("source", "text", "message"),
    [
        ("999", None, "style 999 does not exist|no styles are shipped"),
        ("missing.xml", "a", "no such style file"),
        (str(XML), None, "reads with style_text"),  # the argument; the CLI names its flag
    ],
)
def test_style_errors(source, text, message):
    with pytest.raises(ValueError, match=message):
        load_style(source, text, NORMALISATION)


def test_style_files_are_capped_before_parsing(tmp_path):
    huge = tmp_path / "huge.svg"
    huge.write_bytes(b"<svg>" + b" " * MAX_STYLE_BYTES + b"</svg>")
    with pytest.raises(ValueError, match="too large for one line"):
        load_style(str(huge), "abc", NORMALISATION)
    many = tmp_path / "many.svg"
    path = "M " + " L ".join(f"{i} {i % 7}" for i in range(MAX_STYLE_POINTS + 1))
    many.write_text(f'<svg xmlns="http://www.w3.org/2000/svg"><path d="{path}"/></svg>')
    with pytest.raises(ValueError, match="at most 3,000"):
        load_style(str(many), "abc", NORMALISATION)
    infinite = tmp_path / "inf.svg"
    infinite.write_text('<svg xmlns="http://www.w3.org/2000/svg"><path d="M 0 0 L 1e999 2"/></svg>')
    with pytest.raises(ValueError, match="no usable strokes"):
        load_style(str(infinite), "abc", NORMALISATION)
    with pytest.raises(ValueError, match="at most 120"):
        load_style(str(XML), "a" * 121, NORMALISATION)


def test_a_line_drawn_on_a_screen_is_saved_as_an_iam_line_with_its_text(tmp_path):
    rng = np.random.default_rng(1)
    pixels = [np.column_stack([np.cumsum(rng.normal(3, 2, (n, 2)), axis=0), 16.0 * np.arange(n)])
              for n in (12, 5, 1)]  # fmt: skip
    strokes = strokes_from_pointer(pixels, NORMALISATION)
    assert [len(s) for s in strokes] == [12, 5, 1]
    np.testing.assert_allclose(strokes[0][1:, 2] - strokes[0][:-1, 2], 0.016)  # ms to seconds
    path = tmp_path / "mine.xml"
    path.write_bytes(line_strokes_xml(strokes, 'a "quoted" <line>'))
    assert line_transcription(path) == 'a "quoted" <line>'
    offsets, text = load_style(str(path), None, NORMALISATION)  # no --style-text needed
    assert text == 'a "quoted" <line>' and len(offsets) == 18
    assert load_style(str(path), "told", NORMALISATION)[1] == "told"  # what is given wins
    raw = denormalise(offsets, MEAN, STD)
    # Scaled so the pen steps have the data's size, and the shape kept.
    rms = np.sqrt(np.mean(np.square(raw[1:, :2]), axis=0))
    target = np.sqrt(STD**2 + MEAN**2)
    assert 0.7 < np.mean(rms / target) < 1.3
    assert line_transcription(XML) is None  # IAM-OnDB's own line files keep it elsewhere


def test_a_screen_line_that_is_too_long_or_empty_is_refused():
    with pytest.raises(ValueError, match="at most 3,000"):
        strokes_from_pointer([np.ones((MAX_STYLE_POINTS + 1, 3))], NORMALISATION)
    with pytest.raises(ValueError, match="no usable strokes"):
        strokes_from_pointer([np.array([[np.nan, 1, 0], [2, 2, 16]])], NORMALISATION)
    with pytest.raises(ValueError, match="the pen never moved"):
        strokes_from_pointer([np.ones((4, 3))], NORMALISATION)


def test_the_shipped_style_count_that_help_states_is_the_shipped_file_s():
    assert len(shipped_styles()) == SHIPPED_STYLE_COUNT


def test_a_tablet_app_s_inkml_line_is_a_style_with_its_transcription():
    offsets, text = load_style(str(TABLET_LINE), None, NORMALISATION)
    assert text == "hello world"
    raw = denormalise(offsets, MEAN, STD)
    assert len(raw) == 341 and raw[:, 2].sum() == 5  # every point of its five traces
    points, _ = offsets_to_points(raw)
    # Centimetres scaled to pen units as a whole: the line keeps its proportions (the file's line
    # is 8.9 cm wide and 1.6 cm tall).
    width, height = np.ptp(points, axis=0)
    assert width / height == pytest.approx(8.885 / 1.5985, rel=0.02)


@pytest.fixture(scope="module")
def reader():
    return load_model(kind="recogniser").as_line_reader()


@pytest.fixture(scope="module")
def shipped_line():
    """Shipped style 1 in pen units and its text."""
    offsets, text = shipped_styles()[0]
    return load_model().normalisation.denormalise(offsets), text


def test_a_line_is_read_before_it_is_saved_and_refused_under_another_text(
    tmp_path, reader, shipped_line
):
    line, text = shipped_line
    assert read_style(reader, line, text).error_rate <= MAX_ERROR_RATE
    folder = StyleFolder(tmp_path / "styles")
    with pytest.raises(StyleMismatch) as refused:
        folder.save_offsets("other", line, "completely different words here", reader)
    message = str(refused.value)
    assert message.startswith("the line reads as '") and "type what you wrote" in message
    assert "not 'completely different words here'" in message
    assert not (tmp_path / "styles").exists()  # nothing written, not even the folder
    # Any unit: the same line in screen pixels, or a hundred times larger, reads the same.
    assert read_style(reader, line * [0.25, 0.25, 1], text) == read_style(
        reader, line * [100, 100, 1], text
    )
    path = folder.save_offsets("mine", line, text, reader)
    restored, saved_text = load_style(str(path), None, NORMALISATION)
    assert saved_text == text and len(restored) == len(line)
    # The same pen positions (row 0 is the origin, not a step), to the file's 0.1 unit.
    saved_points, saved_eos = offsets_to_points(denormalise(restored, MEAN, STD)[1:])
    points, eos = offsets_to_points(line[1:])
    np.testing.assert_allclose(saved_points, points, atol=0.11)
    np.testing.assert_array_equal(saved_eos, eos)


def test_texts_too_short_to_judge_are_not_refused(reader, shipped_line):
    line, _ = shipped_line
    found = read_style(reader, line, "ab")
    assert not found.judged and found.passes


def test_saved_styles_are_renamed_and_deleted_by_valid_names_only(tmp_path, shipped_line):
    line, text = shipped_line
    folder = StyleFolder(tmp_path)
    first = folder.save_offsets("first", line, text)
    folder.save_offsets("second", line, text)
    content = first.read_bytes()
    renamed = folder.rename("first", "neat_1")
    assert renamed == tmp_path / "neat_1.xml" and renamed.read_bytes() == content
    assert [s.name for s in folder.list()] == ["neat_1", "second"]
    for old, new, message in [
        ("neat_1", "second", "a style named 'second' exists already"),
        ("neat_1", "neat_1", "is named 'neat_1' already"),
        ("missing", "other", "no saved style named 'missing'"),
        ("neat_1", "../evil", "'../evil' is not a style name"),
        ("neat_1", "2", "'2' is not a style name"),  # a number is a shipped style's
        ("../neat_1", "other", "is not a style name"),
    ]:
        with pytest.raises(UserError, match=message):
            folder.rename(old, new)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["neat_1.xml", "second.xml"]
    folder.delete("second")
    assert [s.name for s in folder.list()] == ["neat_1"]
    with pytest.raises(UserError, match="no saved style named 'second'"):
        folder.delete("second")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.xml"
    outside.write_bytes(content)
    os.symlink(outside, tmp_path / "link.xml")  # a name that leads out of the folder
    with pytest.raises(UserError, match="is not a file in the styles folder"):
        folder.delete("link")
    assert outside.is_file()


def test_the_shipped_model_writes_every_line_in_style_1_unless_told_otherwise(tmp_path):
    model = load_model()
    offsets, text = shipped_styles()[0]
    prime = model.prime(None)
    np.testing.assert_array_equal(prime[0], offsets)
    assert prime[1] == text
    assert model.prime(0) is None and model.prime("0") is None
    assert model.prime(3)[1] == shipped_styles()[2][1]


def test_a_model_trained_on_other_data_writes_without_a_default_style(tmp_path):
    from tests.test_hostile_inputs import tiny_model

    tiny_model(tmp_path / "tiny.safetensors")
    model = load_model(tmp_path / "tiny.safetensors")
    assert model.prime(None) is None
    offsets, _ = model.prime(1)  # asked for, a shipped style is renormalised for this model
    raw = load_model().normalisation.denormalise(shipped_styles()[0][0])
    np.testing.assert_allclose(model.normalisation.denormalise(offsets), raw, atol=1e-3)


def test_shipped_styles_are_real_lines_each_with_its_source_and_statistics():
    with np.load(shipped_styles_path(), allow_pickle=False) as data:
        assert len(set(data["line_ids"].tolist())) == SHIPPED_STYLE_COUNT  # distinct lines
        assert data["cursive"].shape == (SHIPPED_STYLE_COUNT,)
    assert shipped_normalisation() == load_model().normalisation
