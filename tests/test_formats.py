"""The output formats of handsynth.write.formats, each read back: PDF pages (pypdf), G-code and HPGL
parsed into strokes, InkML round trip and hand-written files (a tablet app's line, and what the
specification allows), animated SVG timing, GIF/WebP frames, and the variable-width pen."""

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from handsynth.data.strokes import points_to_offsets, strokes_to_points
from handsynth.write.formats import (
    PdfOptions,
    PlotterOptions,
    pen_widths,
    read_inkml,
    stroke_outline,
    write_animated_image,
    write_animated_svg,
    write_gcode,
    write_hpgl,
    write_inkml,
    write_pdf,
)
from handsynth.write.formats.ink import CAP_POINTS
from handsynth.write.formats.inkml import InkmlError
from handsynth.write.formats.page import PEN_UP_SECONDS, SECONDS_PER_POINT
from handsynth.write.formats.plotter import nearest_neighbour_order
from handsynth.write.handwriting import Handwriting
from handsynth.write.render import RenderOptions, layout_lines

INKML_FIXTURE = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "inkml"
SVG_NS = "{http://www.w3.org/2000/svg}"
INKML_NS = "{http://www.w3.org/2003/InkML}"


def _line(words: int, seed: int) -> np.ndarray:
    """Offsets (T, 3) of a made-up line: per word a looped stroke of small 'e's along a baseline,
    then a one-point stroke (the dot of an i)."""
    rng = np.random.default_rng(seed)
    strokes, x = [], 0.0
    for _ in range(words):
        letters = int(rng.integers(2, 6))
        turn = np.linspace(0, 2 * np.pi * letters, 12 * letters)  # (n,)
        forward = 80 * turn / (2 * np.pi) + 50 * np.sin(turn)
        loops = np.stack([x + forward, -150 + 150 * np.cos(turn)], axis=1)  # (n, 2)
        strokes.append(loops)
        strokes.append(np.array([[x + 60.0, -420.0]]))
        x += 80 * letters + 200
    points, eos = strokes_to_points(strokes)
    return points_to_offsets(points, eos)


def _lines(count: int) -> list[np.ndarray]:
    return [_line(4, seed) for seed in range(count)]


def _stroke_count(lines: list[np.ndarray]) -> int:
    return int(sum(line[:, 2].sum() for line in lines))


# PDF


def _pdf_operators(page) -> list[bytes]:
    from pypdf.generic import ContentStream

    return [op for _, op in ContentStream(page.get_contents(), page.pdf).operations]


def test_pdf_long_text_fills_several_pages_of_vector_ink_without_text(tmp_path):
    from pypdf import PdfReader

    lines = _lines(40)
    pages = write_pdf(lines, tmp_path / "letter.pdf", PdfOptions(ink="plain"))
    reader = PdfReader(tmp_path / "letter.pdf")
    assert len(reader.pages) == pages >= 2
    strokes = 0
    for page in reader.pages:
        assert [round(float(v)) for v in page.mediabox] == [0, 0, 595, 842]  # A4 in points
        operators = _pdf_operators(page)
        assert b"m" in operators and b"c" in operators  # moves and the SVG's curves
        assert not {b"BT", b"Tj", b"TJ", b"Tf"} & set(operators)  # no text objects
        assert "/Font" not in page["/Resources"]
        assert page.extract_text().strip() == ""
        strokes += operators.count(b"S")
    assert strokes == _stroke_count(lines)  # one stroked path per stroke, none lost at breaks


def test_pdf_short_text_is_one_letter_page_and_rules_add_paths(tmp_path):
    from pypdf import PdfReader

    lines = _lines(3)
    plain = tmp_path / "plain.pdf"
    ruled = tmp_path / "ruled.pdf"
    squared = tmp_path / "squared.pdf"
    assert write_pdf(lines, plain, PdfOptions(paper="letter", ink="plain")) == 1
    write_pdf(lines, ruled, PdfOptions(paper="letter", ruling="ruled", ink="plain"))
    write_pdf(lines, squared, PdfOptions(paper="letter", ruling="squared", ink="plain"))
    counts = [_pdf_operators(PdfReader(p).pages[0]).count(b"S") for p in (plain, ruled, squared)]
    assert counts[0] == _stroke_count(lines)
    assert counts[0] < counts[1] < counts[2]
    page = PdfReader(plain).pages[0]
    assert [round(float(v), 1) for v in page.mediabox] == [0, 0, 612, 792]  # Letter in points


def test_pdf_pen_ink_is_one_filled_outline_per_stroke(tmp_path):
    from pypdf import PdfReader

    lines = _lines(3)
    write_pdf(lines, tmp_path / "pen.pdf", PdfOptions(ink="pen"))
    operators = _pdf_operators(PdfReader(tmp_path / "pen.pdf").pages[0])
    assert operators.count(b"f") == _stroke_count(lines)
    assert b"S" not in operators


def test_pdf_rejects_bad_options(tmp_path):
    with pytest.raises(ValueError, match="paper"):
        write_pdf(_lines(1), tmp_path / "x.pdf", PdfOptions(paper="a5"))
    with pytest.raises(ValueError, match="margin"):
        write_pdf(_lines(1), tmp_path / "x.pdf", PdfOptions(margin=120))


# Plotters


def _parse_gcode(text: str, pen_up: str, pen_down: str) -> list[np.ndarray]:
    """Strokes (n, 2) drawn by G-code: the points visited between a pen-down and a pen-up."""
    strokes, here, down = [], None, False
    for line in text.splitlines():
        line = line.split(";")[0].strip()
        if line == pen_down:
            down = True
            strokes.append([here])
        elif line == pen_up:
            down = False
        elif re.match(r"G[01] ", line) and "X" in line:
            x = float(re.search(r"X(-?[\d.]+)", line).group(1))
            y = float(re.search(r"Y(-?[\d.]+)", line).group(1))
            here = (x, y)
            if down:
                assert line.startswith("G1"), "the pen moves down only to draw"
                strokes[-1].append(here)
    return [np.array(stroke) for stroke in strokes]


def _travel(strokes: list[np.ndarray]) -> float:
    here, total = np.zeros(2), 0.0
    for stroke in strokes:
        total += float(np.hypot(*(stroke[0] - here)))
        here = stroke[-1]
    return total


def _expected_plot(lines: list[np.ndarray], size: tuple[float, float]) -> list[np.ndarray]:
    """The page's strokes in recorded order, scaled into the plotter's area, y up."""
    options = RenderOptions()
    strokes = [s for line in layout_lines(lines, options) for s in line]
    far = np.max([s.max(axis=0) for s in strokes], axis=0) + options.margin  # page w, h px
    mm = min(size[0] / far[0], size[1] / far[1])
    return [np.column_stack([s[:, 0] * mm, (far[1] - s[:, 1]) * mm]) for s in strokes]


def _same_strokes(got: list[np.ndarray], want: list[np.ndarray], tolerance: float) -> None:
    """Each wanted stroke drawn once, forwards or backwards."""
    assert len(got) == len(want)
    unused = list(range(len(got)))
    for stroke in want:
        for n in unused:
            other = got[n]
            if other.shape == stroke.shape and (
                np.allclose(other, stroke, atol=tolerance)
                or np.allclose(other[::-1], stroke, atol=tolerance)
            ):
                unused.remove(n)
                break
        else:
            raise AssertionError(f"stroke from {stroke[0]} to {stroke[-1]} was not plotted")


def test_gcode_parses_back_into_the_strokes_with_less_pen_up_travel(tmp_path):
    lines = _lines(4)
    options = PlotterOptions(size=(200.0, 150.0), feed=1234)
    write_gcode(lines, tmp_path / "plot.gcode", options)
    text = (tmp_path / "plot.gcode").read_text()
    strokes = _parse_gcode(text, options.pen_up, options.pen_down)
    want = _expected_plot(lines, options.size)
    _same_strokes(strokes, want, tolerance=1e-3)
    assert _travel(strokes) < _travel(want)
    assert "F1234" in text and "G21" in text
    points = np.concatenate(strokes)
    assert points.min() >= 0 and points[:, 0].max() <= 200 and points[:, 1].max() <= 150


def test_gcode_pen_commands_and_dwell_are_configurable(tmp_path):
    lines = _lines(2)
    options = PlotterOptions(pen_up="G0 Z5", pen_down="G1 Z0 F500", dwell=0.2, reorder=False)
    write_gcode(lines, tmp_path / "z.gcode", options)
    text = (tmp_path / "z.gcode").read_text()
    assert "M3" not in text and "G4 P0.2" in text
    strokes = _parse_gcode(text, options.pen_up, options.pen_down)
    want = _expected_plot(lines, options.size)
    assert len(strokes) == len(want)
    for got, stroke in zip(strokes, want, strict=True):  # recorded order kept
        np.testing.assert_allclose(got, stroke, atol=1e-3)


def test_hpgl_draws_the_same_strokes_in_plotter_units(tmp_path):
    lines = _lines(3)
    plotted = write_hpgl(lines, tmp_path / "plot.hpgl")
    commands = (tmp_path / "plot.hpgl").read_text().replace("\n", "").split(";")
    assert commands[:2] == ["IN", "SP1"]
    strokes = []
    for command in commands:
        if command.startswith(("PU", "PD")) and len(command) > 2:
            values = np.array(command[2:].split(","), dtype=float).reshape(-1, 2) / 40
            if command.startswith("PU"):
                strokes.append([values[-1]])
            else:
                strokes[-1].extend(values)
    strokes = [np.array(s) for s in strokes[:-1]]  # the last PU goes home
    for got, stroke in zip(strokes, plotted, strict=True):
        got = got[:1] if len(stroke) == 1 else got  # a dot is a pen-down in place
        np.testing.assert_allclose(got, stroke, atol=0.0125 + 1e-9)


def test_nearest_neighbour_reverses_a_stroke_whose_end_is_nearer():
    far = np.array([[10.0, 0.0], [20.0, 0.0]])
    near_end = np.array([[5.0, 0.0], [1.0, 0.0]])
    ordered = nearest_neighbour_order([far, near_end])
    np.testing.assert_array_equal(ordered[0], near_end[::-1])
    np.testing.assert_array_equal(ordered[1], far)


# InkML


def test_inkml_round_trip_keeps_strokes_groups_texts_and_time(tmp_path):
    lines = _lines(3)
    handwriting = Handwriting(lines, ["one", "two", ""], [[], [], []])
    write_inkml(handwriting, tmp_path / "page.inkml")
    # Its structure, read with lxml alone.
    root = etree.parse(str(tmp_path / "page.inkml")).getroot()
    assert root.tag == f"{INKML_NS}ink"
    channels = root.findall(f"{INKML_NS}definitions//{INKML_NS}channel")
    assert [c.get("name") for c in channels] == ["X", "Y", "T"]
    groups = root.findall(f"{INKML_NS}traceGroup")
    assert [len(g.findall(f"{INKML_NS}trace")) for g in groups] == [
        int(line[:, 2].sum()) for line in lines
    ]
    ink = read_inkml(tmp_path / "page.inkml")
    assert ink.channels == ("X", "Y", "T") and ink.texts == ["one", "two", ""]
    laid_out = layout_lines(lines, RenderOptions())
    times = []
    for got, want in zip(ink.lines, laid_out, strict=True):
        for trace, stroke in zip(got, want, strict=True):
            np.testing.assert_allclose(trace[:, :2], stroke * 25.4 / 96, atol=6e-4)
            np.testing.assert_allclose(np.diff(trace[:, 2]), SECONDS_PER_POINT, atol=1e-3)
            times.append(trace[:, 2])
    gaps = [b[0] - a[-1] for a, b in zip(times[:-1], times[1:], strict=True)]
    np.testing.assert_allclose(gaps, PEN_UP_SECONDS, atol=1e-3)


def test_inkml_reads_a_file_written_by_another_program():
    ink = read_inkml(INKML_FIXTURE / "two_lines.inkml")
    assert ink.channels == ("X", "Y", "T") and ink.texts == ["hi", "a."]
    first, second = ink.lines
    assert len(first) == 4  # the penUp trace is not ink
    np.testing.assert_array_equal(first[0], [[10, 0, 0], [10, 10, 15], [10, 20, 30], [10, 30, 45]])
    np.testing.assert_array_equal(first[1][1], [14, 16, 105])  # points without spaces after ','
    np.testing.assert_array_equal(first[3], [[30, 10, 480]])
    # Explicit, first differences (sticky, packed by sign), then second differences.
    np.testing.assert_array_equal(
        second[0][:, :2], [[50, 20], [46, 22], [44, 26], [46, 30], [48, 32], [50, 34]]
    )
    np.testing.assert_array_equal(second[0][:, 2], [900, 915, 930, 945, 960, 975])


def test_inkml_without_time_or_groups_and_bad_files(tmp_path):
    plain = tmp_path / "xy.inkml"
    plain.write_text('<ink xmlns="http://www.w3.org/2003/InkML"><trace>0 0, 1 2</trace></ink>')
    ink = read_inkml(plain)
    assert ink.channels == ("X", "Y") and ink.texts == [""]
    np.testing.assert_array_equal(ink.lines[0][0], [[0, 0], [1, 2]])
    bad = tmp_path / "bad.inkml"
    bad.write_text('<ink xmlns="http://www.w3.org/2003/InkML"><trace>0 0 0, 1 2</trace></ink>')
    with pytest.raises(InkmlError, match="not 2 values"):
        read_inkml(bad)
    hostile = tmp_path / "hostile.inkml"
    hostile.write_text('<!DOCTYPE ink [<!ENTITY x "y">]><ink><trace>0 0</trace></ink>')
    with pytest.raises(InkmlError, match="DOCTYPE"):
        read_inkml(hostile)


def test_inkml_reads_a_tablet_app_s_line_in_centimetres_with_pressure_and_word_groups():
    """data/fixtures/inkml/tablet_line.inkml, written by hand as a tablet program writes InkML:
    channels X Y F T from an inkSource, the line a traceGroup of word groups, three encodings."""
    ink = read_inkml(INKML_FIXTURE / "tablet_line.inkml")
    assert ink.channels == ("X", "Y", "T")  # the pressure F is read past; T is the 4th column
    assert ink.texts == ["hello world"]  # the line's transcription, not its words'
    (line,) = ink.lines
    assert [len(trace) for trace in line] == [181, 45, 61, 13, 41]
    np.testing.assert_allclose(line[0][:2], [[2.041, 3.001, 0], [2.082, 3.001, 15]])
    # First differences (t2), explicit points without spaces (t3), second differences (t4):
    np.testing.assert_allclose(line[1][:3, :2], [[7.116, 2.573], [7.114, 2.572], [7.114, 2.568]])
    np.testing.assert_allclose(line[2][1], [8.41, 2.677, 3735])
    np.testing.assert_allclose(line[3][:3, :2], [[9.863, 2.07], [9.859, 2.084], [9.854, 2.132]])
    for trace in line:  # the pen's clock: 15 ms a point within every trace, whatever encoding
        np.testing.assert_allclose(np.diff(trace[:, 2]), 15)
        assert np.ptp(trace[:, :2], axis=0).max() < 4  # centimetres, as the file says
    starts = [trace[0, 2] for trace in line]
    assert starts == sorted(starts)


INK = '<ink xmlns="http://www.w3.org/2003/InkML">{}</ink>'


def _ink(tmp_path, body: str, name: str = "ink.inkml"):
    path = tmp_path / name
    path.write_text(INK.format(body))
    return read_inkml(path)


def test_inkml_what_the_specification_allows_and_apps_write(tmp_path):
    # Traces at the top level, grouped by traceViews (as recognisers' ground truth is written):
    # one line, its text from the word groups, no second line of "loose" traces.
    ink = _ink(
        tmp_path,
        '<trace xml:id="a">0 0, 1 1</trace><trace xml:id="b">2 0, 3 1</trace>'
        '<trace xml:id="c">5 0, 6 1</trace>'
        '<traceGroup><traceGroup><annotation type="truth">hi</annotation>'
        '<traceView traceDataRef="#a"/><traceView traceDataRef="b"/></traceGroup>'
        '<traceGroup><annotation type="truth">x</annotation><traceView traceDataRef="#c"/>'
        "</traceGroup></traceGroup>"
        '<traceGroup><annotation type="description">an empty group</annotation></traceGroup>',
    )
    assert ink.texts == ["hi x"] and [len(line) for line in ink.lines] == [3]
    # Hexadecimal numbers; ? where the device gave no pressure; intermittent channels' values
    # after the regular ones; the 2006 drafts' <regularChannels>.
    ink = _ink(
        tmp_path,
        '<traceFormat><regularChannels><channel name="X"/><channel name="Y"/>'
        '<channel name="F"/></regularChannels><intermittentChannels><channel name="B"/>'
        "</intermittentChannels></traceFormat><trace>#A #1F ?, 11 -#2 3 T, 12 0 4</trace>",
    )
    np.testing.assert_array_equal(ink.lines[0][0], [[10, 31], [11, -2], [12, 0]])
    # Y pointing up ("-ve") is flipped to point down, as everywhere in handsynth; a Y in
    # millimetres beside an X in centimetres is put in centimetres; a file of one line without a
    # group takes the <ink>'s own transcription.
    ink = _ink(
        tmp_path,
        '<annotation type="transcription">up</annotation><traceFormat>'
        '<channel name="X" units="cm"/><channel name="Y" units="mm" orientation="-ve"/>'
        "</traceFormat><trace>1 10, 2 30</trace>",
    )
    np.testing.assert_allclose(ink.lines[0][0], [[1, -1], [2, -3]])
    assert ink.texts == ["up"]
    # A context naming its channels through an inkSource, used by the group holding the trace.
    ink = _ink(
        tmp_path,
        '<definitions><inkSource xml:id="pen"><traceFormat><channel name="T"/>'
        '<channel name="X"/><channel name="Y"/></traceFormat></inkSource>'
        '<context xml:id="c" inkSourceRef="#pen"/></definitions>'
        '<traceGroup contextRef="#c"><traceGroup><trace>0 5 6, 15 7 8</trace></traceGroup>'
        "</traceGroup>",
    )
    assert ink.channels == ("X", "Y", "T")
    np.testing.assert_array_equal(ink.lines[0][0], [[5, 6, 0], [7, 8, 15]])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<trace>0 ?, 1 2</trace>", "leaves X or Y unknown"),
        (
            '<trace xml:id="a">0 0, 1 1</trace><traceGroup><traceView traceDataRef="#a" from="1"/>'
            "</traceGroup>",
            "selecting part of a trace",
        ),  # fmt: skip
        ('<traceGroup><traceView traceDataRef="#nowhere"/></traceGroup>', "'#nowhere', which is"),
        (
            '<traceFormat><channel name="X"/><channel name="Y"/></traceFormat><trace>1 2 3</trace>',
            "is not 2 values for ['X', 'Y']",
        ),  # fmt: skip
        ('<traceFormat><channel name="P"/></traceFormat><trace>1, 2</trace>', "no X and Y"),
        ('<traceGroup xml:id="g"><traceView traceDataRef="#g"/></traceGroup>', "nest deeper"),
    ],
)
def test_inkml_refuses_what_it_cannot_read_saying_what(tmp_path, body, message):
    with pytest.raises(InkmlError, match=re.escape(message)):
        _ink(tmp_path, body)


# Animations


def test_animated_svg_draws_each_stroke_in_order_at_the_recorded_pace(tmp_path):
    lines = _lines(2)
    write_animated_svg(lines, tmp_path / "pen.svg")
    root = etree.parse(str(tmp_path / "pen.svg")).getroot()
    paths = list(root.iter(f"{SVG_NS}path"))
    strokes = [s for line in layout_lines(lines, RenderOptions()) for s in line]
    assert len(paths) == len(strokes)
    begins, ends = [], []
    for path, stroke in zip(paths, strokes, strict=True):
        assert path.get("visibility") == "hidden"
        (show,) = path.findall(f"{SVG_NS}set")
        begin = float(show.get("begin").rstrip("s"))
        animations = path.findall(f"{SVG_NS}animate")
        if len(stroke) == 1:
            assert not animations  # a dot appears at once
            end = begin
        else:
            (animate,) = animations
            assert animate.get("attributeName") == "stroke-dashoffset"
            assert float(animate.get("begin").rstrip("s")) == begin
            duration = float(animate.get("dur").rstrip("s"))
            assert duration == pytest.approx((len(stroke) - 1) * SECONDS_PER_POINT, abs=1e-3)
            keys = [float(k) for k in animate.get("keyTimes").split(";")]
            values = [float(v) for v in animate.get("values").split(";")]
            assert keys[0] == 0 and keys[-1] == 1 and np.all(np.diff(keys) > 0)
            assert values[0] == 1 and values[-1] == 0 and np.all(np.diff(values) <= 0)
            end = begin + duration
        begins.append(begin)
        ends.append(end)
    assert np.all(np.diff(begins) > 0)
    assert np.all(np.array(begins[1:]) >= np.array(ends[:-1]))  # one pen: no overlap
    fast = etree.fromstring(write_animated_svg(lines, tmp_path / "fast.svg", speed=2).encode())
    last = list(fast.iter(f"{SVG_NS}set"))[-1]
    assert float(last.get("begin").rstrip("s")) == pytest.approx(begins[-1] / 2, abs=2e-3)


@pytest.mark.parametrize("suffix", [".gif", ".webp"])
def test_animated_image_builds_up_to_all_the_ink(tmp_path, suffix):
    from PIL import Image, ImageSequence

    lines = _lines(2)
    frames = write_animated_image(lines, tmp_path / f"pen{suffix}", fps=10)
    image = Image.open(tmp_path / f"pen{suffix}")
    assert image.n_frames > 5 and frames >= image.n_frames
    inked = []
    for frame in ImageSequence.Iterator(image):
        grey = np.asarray(frame.convert("L"))  # (H, W), ink dark on white
        inked.append(grey < 128)
    counts = [mask.sum() for mask in inked]
    assert counts[0] < counts[-1] and np.all(np.diff(counts) >= 0)
    points = np.concatenate([s for line in layout_lines(lines, RenderOptions()) for s in line])
    rows, columns = np.floor(points[:, 1]).astype(int), np.floor(points[:, 0]).astype(int)
    near = np.zeros(len(points), dtype=bool)  # ink on the point's pixel or one beside it
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            near |= inked[-1][rows + dy, columns + dx]
    assert near.all()  # every point of every stroke is on the last frame
    assert not inked[0][rows[-1], columns[-1]]  # and the last one was not on the first


# Variable-width ink


def test_pen_width_is_bounded_and_narrower_where_the_pen_is_faster():
    slow = np.stack([np.linspace(0, 10, 21), np.zeros(21)], axis=1)  # steps of 0.5
    fast = np.stack([np.linspace(14, 94, 21), np.zeros(21)], axis=1)  # steps of 4
    stroke = np.concatenate([slow, fast])
    widths = pen_widths(stroke, width=2.0, thinnest=0.5, thickest=1.6)
    assert widths.min() >= 1.0 - 1e-9 and widths.max() <= 3.2 + 1e-9
    assert widths[:15].min() > widths[-15:].max()
    assert pen_widths(stroke[:1], width=2.0)[0] == pytest.approx(2.0 * 1.6)  # a dot


def test_outline_is_a_closed_polygon_at_half_the_width_either_side():
    turn = np.linspace(0, np.pi, 30)
    stroke = np.stack([np.cos(turn) * 20, np.sin(turn) * 20 * (1 + turn)], axis=1)  # (30, 2)
    outline = stroke_outline(stroke, 2.0)
    assert outline.shape == (2 * len(stroke) + 2 * CAP_POINTS, 2)
    half = pen_widths(stroke, 2.0) / 2
    left = outline[: len(stroke)]
    right = outline[len(stroke) + CAP_POINTS : 2 * len(stroke) + CAP_POINTS][::-1]
    np.testing.assert_allclose(np.linalg.norm(left - stroke, axis=1), half)
    np.testing.assert_allclose(np.linalg.norm(right - stroke, axis=1), half)
    assert stroke_outline(stroke[:1], 2.0).shape == (CAP_POINTS, 2)  # a dot: a circle


def test_write_saves_every_format_by_the_output_ending(tmp_path):
    """`handsynth write -o FILE` (and `Handwriting.save`) picks the format from the ending, with
    the format's own flags."""
    from pypdf import PdfReader

    from handsynth import cli
    from handsynth.write.formats import read_inkml

    sys.path.insert(0, str(Path(__file__).parent))
    try:
        from test_hostile_inputs import tiny_model
    finally:
        sys.path.pop(0)
    model = tmp_path / "tiny.safetensors"
    tiny_model(model)
    base = ["write", "ab cd", "--model", str(model), "--seed", "1", "--retries", "0"]

    def write(name: str, *flags: str) -> Path:
        out = tmp_path / name
        assert cli.main([*base, "-o", str(out), *flags]) == 0
        return out

    pdf = PdfReader(write("page.pdf", "--paper", "letter", "--ruling", "squared"))
    assert len(pdf.pages) == 1 and round(float(pdf.pages[0].mediabox.width)) == 612  # 8.5 in
    gcode = write("plot.gcode", "--pen-down", "G1 Z0", "--pen-up", "G0 Z5").read_text()
    assert "G1 Z0" in gcode and "G0 Z5" in gcode and "M3" not in gcode
    assert write("plot.hpgl").read_text().startswith("IN;")
    assert "<animate" in write("pen.svg", "--animate").read_text()
    from PIL import Image

    with Image.open(write("pen.gif", "--speed", "4")) as gif:
        assert gif.n_frames > 1
    assert len(read_inkml(write("ink.inkml")).lines) == 1
    assert cli.main([*base, "-o", str(tmp_path / "page.docx")]) == 2  # refused, named
