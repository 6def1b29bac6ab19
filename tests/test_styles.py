"""Style lines for priming: from IAM-OnDB XML, from SVG paths, and the shipped set."""

import numpy as np
import pytest

from handsynth.render import RenderOptions, render_svg
from handsynth.strokes import Normalisation, denormalise, offsets_to_points, points_to_offsets
from handsynth.styles import MAX_STYLE_BYTES, MAX_STYLE_POINTS, load_style, svg_strokes
from tests.conftest import FIXTURE_ROOT

MEAN, STD = np.array([8.0, 0.0]), np.array([40.0, 35.0])
NORMALISATION = Normalisation(MEAN, STD)
XML = FIXTURE_ROOT / "lineStrokes" / "a01" / "a01-000" / "a01-000u-01.xml"


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


@pytest.mark.parametrize(
    ("source", "text", "message"),
    [
        ("999", None, "style 999 does not exist|no styles are shipped"),
        ("missing.xml", "a", "no such style file"),
        (str(XML), None, "--style-text"),
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
