"""Tests for rendering: layout, SVG structure (paths, viewBox, alignment) and PNG output."""

import re

import numpy as np
import pytest
from lxml import etree

from handsynth.data.strokes import points_to_offsets
from handsynth.write.render import RenderOptions, layout_lines, render_png, render_svg

SVG_NS = "{http://www.w3.org/2000/svg}"


def _line(strokes: list[list[tuple[float, float]]]) -> np.ndarray:
    """Offsets (N, 3) of a line drawn as the given strokes of absolute points."""
    points = np.concatenate([np.asarray(s, dtype=float) for s in strokes])
    eos = np.zeros(len(points))
    eos[np.cumsum([len(s) for s in strokes]) - 1] = 1.0
    return points_to_offsets(points, eos)


# These lines are drawn in pixels, so the tests render them at scale=1, not the pen-unit default.
# Line 1: a zigzag, a curve and an i-dot (3 strokes, 100 wide). Line 2: one short stroke (40 wide).
LINES = [
    _line([[(0, 0), (10, 20), (20, 0), (30, 20)], [(40, 5), (60, 15), (80, 5)], [(100, -10)]]),
    _line([[(500, 300), (520, 330), (540, 300)]]),
]
N_STROKES = 4


def _paths(svg: str) -> list[str]:
    root = etree.fromstring(svg.encode("utf-8"))
    return [p.get("d") for p in root.iter(f"{SVG_NS}path")]


def _coordinates(d: str) -> np.ndarray:
    return np.array([float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]).reshape(-1, 2)


def test_layout_places_lines_below_each_other_from_the_margin():
    # As drawn: the lines keep their sizes and sit on their middles (test_one_hand.py: in one hand).
    options = RenderOptions(margin=10, scale=2, line_spacing=0.5, one_hand=False)
    first, second = layout_lines(LINES, options)
    assert [len(first), len(second)] == [3, 1]
    top_left = np.min([s.min(axis=0) for s in first], axis=0)
    np.testing.assert_allclose(top_left, [10, 10])
    bottom_first = max(s[:, 1].max() for s in first)
    height_first = bottom_first - 10  # (20 - -10) * 2
    median_height = (height_first + 60) / 2
    middles = [np.median(np.concatenate(line)[:, 1]) for line in (first, second)]
    assert middles[1] - middles[0] == pytest.approx(1.5 * median_height)
    # The scale multiplies distances: the i-dot is 100 units right of the first point.
    assert first[2][0, 0] - first[0][0, 0] == pytest.approx(200)


def test_svg_has_one_path_per_stroke_and_viewbox_encloses_points(tmp_path):
    out = tmp_path / "page.svg"
    svg = render_svg(LINES, out, RenderOptions(scale=1, margin=5, background="white", ink="plain"))
    assert out.read_text(encoding="utf-8") == svg
    paths = _paths(svg)
    assert len(paths) == N_STROKES
    x0, y0, width, height = map(float, etree.fromstring(svg.encode()).get("viewBox").split(","))
    points = np.concatenate([_coordinates(d) for d in paths])
    assert (points[:, 0] >= x0 + 5).all() and (points[:, 0] <= x0 + width - 5 + 0.01).all()
    assert (points[:, 1] >= y0 + 5).all() and (points[:, 1] <= y0 + height - 5 + 0.01).all()


def test_single_point_stroke_is_a_dot():
    dot = _line([[(3, 4)]])
    (d,) = _paths(render_svg([dot], None, RenderOptions(scale=1, margin=1, ink="plain")))
    assert d == "M1.00 1.00 L1.00 1.00"


def test_right_alignment_lines_up_right_edges():
    svg = render_svg(
        LINES, None, RenderOptions(scale=1, align="right", one_hand=False, ink="plain")
    )
    paths = _paths(svg)
    right_first = max(_coordinates(d)[:, 0].max() for d in paths[:3])
    right_second = _coordinates(paths[3])[:, 0].max()
    assert right_first == pytest.approx(right_second)
    left_first = min(_coordinates(d)[:, 0].min() for d in paths[:3])
    assert _coordinates(paths[3])[:, 0].min() == pytest.approx(left_first + 60)


def test_center_alignment_lines_up_centres():
    laid_out = layout_lines(LINES, RenderOptions(scale=1, align="center"))
    centres = []
    for strokes in laid_out:
        xs = np.concatenate([s[:, 0] for s in strokes])
        centres.append((xs.min() + xs.max()) / 2)
    assert centres[0] == pytest.approx(centres[1])


def test_single_stroke_paths_are_move_and_line_only():
    smooth = _paths(render_svg(LINES, None, RenderOptions(scale=1, ink="plain")))
    assert any("Q" in d for d in smooth)
    plotter = _paths(render_svg(LINES, None, RenderOptions(scale=1, single_stroke=True)))
    assert len(plotter) == N_STROKES
    for d in plotter:
        assert set(re.findall(r"[A-Za-z]", d)) <= {"M", "L"}
        assert d.count("M") == 1


def test_bad_alignment_is_rejected():
    with pytest.raises(ValueError, match="align"):
        layout_lines(LINES, RenderOptions(scale=1, align="middle"))


def test_png_is_written_with_ink(tmp_path):
    from matplotlib.image import imread

    out = tmp_path / "page.png"
    render_png(LINES, out, RenderOptions(scale=1, background="white", colour="black"), dpi=96)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = imread(out)  # (H, W, 3 or 4) floats in [0, 1]
    ink = (image[..., :3] < 0.5).any(axis=-1)
    assert ink.sum() > 50
    # The page is white everywhere else: ink is a small part of it.
    assert ink.mean() < 0.2


def test_png_is_not_upside_down(tmp_path):
    from matplotlib.image import imread

    # A line along the top of the page and a dot at the bottom: y grows downwards, so most ink
    # must sit in the top rows.
    line = _line([[(0, 0), (100, 0)], [(0, 100)]])
    out = tmp_path / "top.png"
    render_png([line], out, RenderOptions(scale=1, background="white", margin=0, stroke_width=4))
    ink = (imread(out)[..., :3] < 0.5).any(axis=-1)  # (H, W)
    height = ink.shape[0]
    assert ink[: height // 10].sum() > 10 * ink[height // 2 :].sum() > 0


def test_layout_keeps_a_tall_later_line_on_the_page():
    flat = _line([[(0, 0), (50, 10)]])
    tall = _line([[(0, -1000), (0, 0), (10, 0), (20, 0), (30, 0)]])  # a long ascender, middle at 0
    laid_out = layout_lines([flat, tall], RenderOptions(margin=7, scale=1, line_spacing=0.5))
    tops = [min(stroke[:, 1].min() for stroke in line) for line in laid_out]
    assert min(tops) == pytest.approx(7)


def test_pen_ink_is_one_closed_filled_outline_per_stroke_around_its_centre_line():
    from handsynth.write.formats.ink import THICKEST, THINNEST

    svg = render_svg(LINES, None, RenderOptions(scale=1, margin=5, stroke_width=4))
    root = etree.fromstring(svg.encode("utf-8"))
    (ink,) = [g for g in root.iter(f"{SVG_NS}g")]
    assert ink.get("fill") == "black" and ink.get("stroke") == "none"
    paths = _paths(svg)
    assert len(paths) == N_STROKES and all(d.endswith("Z") for d in paths)
    centre = [
        stroke for line in layout_lines(LINES, RenderOptions(scale=1, margin=5)) for stroke in line
    ]
    for d, stroke in zip(paths, centre, strict=True):
        outline = _coordinates(d)
        # every outline point lies between the thinnest and the thickest half width of its line
        gaps = np.linalg.norm(outline[:, None] - stroke[None], axis=-1).min(axis=1)
        assert gaps.max() <= THICKEST * 2 + 0.02 and gaps.max() >= THINNEST * 2 - 0.02
    plain = RenderOptions(scale=1, margin=5, stroke_width=4, ink="plain")
    assert "Z" not in render_svg(LINES, None, plain)


def test_pen_ink_png_draws_as_much_ink_as_the_plain_pen_give_or_take(tmp_path):
    from matplotlib.image import imread

    amounts = {}
    for ink in ("plain", "pen"):
        out = tmp_path / f"{ink}.png"
        options = RenderOptions(scale=1, background="white", stroke_width=4, ink=ink)
        render_png(LINES, out, options)
        amounts[ink] = (imread(out)[..., :3] < 0.5).any(axis=-1).sum()
    assert 0.6 < amounts["pen"] / amounts["plain"] < 1.6


def test_plotter_and_single_stroke_output_stay_plain():
    single = render_svg(LINES, None, RenderOptions(scale=1, single_stroke=True, ink="pen"))
    assert all(set(d) <= set("ML0123456789.- ") for d in _paths(single))
    with pytest.raises(ValueError, match="ink"):
        layout_lines(LINES, RenderOptions(ink="brush"))


def test_justify_widens_word_gaps_of_all_but_a_paragraphs_last_line():
    word = [[(0, 0), (5, 20)], [(7, 0), (12, 20)]]  # two strokes 2 apart, 12 wide

    def words(count: int, step: float) -> np.ndarray:
        return _line([[(x + step * k, y) for x, y in s] for k in range(count) for s in word])

    lines = [words(4, 60), words(4, 50), words(4, 50), np.zeros((0, 3)), words(4, 60), words(2, 60)]
    options = RenderOptions(scale=1, margin=0, align="justify", one_hand=False)
    laid_out = layout_lines(lines, options)
    right = [max(s[:, 0].max() for s in line) if line else None for line in laid_out]
    assert right[0] == pytest.approx(192)
    assert right[1] == pytest.approx(192)  # stretched to the widest
    # the paragraph's last line (before the gap) and the page's last line stay as written
    assert right[2] == pytest.approx(162) and right[5] == pytest.approx(72)
    starts = sorted(s[:, 0].min() for s in laid_out[1])
    assert starts[1] - starts[0] == pytest.approx(7)  # a word's strokes keep their gap
    assert starts[2] - starts[1] == pytest.approx(53)  # the words share the extra 30
