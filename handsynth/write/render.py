"""Render lines of handwriting as SVG (svgwrite) or PNG (matplotlib).

A line is an offsets array (N, 3) of rows (dx, dy, eos) in pen units, y growing downwards as in
IAM-OnDB and SVG. `layout_lines` places the lines on a page in pixels; both renderers draw the same
layout and the same path commands, so the PNG looks like the SVG. Each pen-down stroke becomes one
path; a stroke of a single point (the dot of an i, a full stop) is drawn as a round dot, never
skipped, so the number of drawn paths always equals the number of strokes. With pen ink
(`RenderOptions.ink`) each stroke's path is instead the filled outline of a pen whose width follows
its speed (`formats/ink.py`); single-stroke output is always the plain pen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import svgwrite

from handsynth import limits
from handsynth.atomic import write_atomically
from handsynth.data.strokes import offsets_to_points, split_strokes
from handsynth.errors import FieldError
from handsynth.write.one_hand import match_lines

CSS_PX_PER_INCH = 96  # SVG user units are CSS pixels
POINTS_PER_INCH = 72  # matplotlib line widths are in points


@dataclass
class RenderOptions:
    """How lines of handwriting are laid out and drawn. Lengths are in output pixels."""

    stroke_width: float = 2.0  # pen width in px
    colour: str = "black"  # ink colour, any SVG/CSS colour name or "#rrggbb"
    line_spacing: float = 0.5  # gap between one line's box and the next, x median line height
    # Horizontal alignment of the lines; "justify" widens the gaps between words of each line that
    # does not end a paragraph to the widest line's width (`justify_line`).
    align: Literal["left", "center", "right", "justify"] = "left"
    margin: float = 20.0  # blank border around the content in px
    scale: float = 0.1  # px per IAM-OnDB pen unit: a written line comes out about 60 px tall
    background: str | None = None  # page colour; None leaves it transparent
    single_stroke: bool = False  # open M/L polylines for a pen plotter, not smooth curves
    # "pen": each stroke a filled outline, wider where the pen moved slowly (formats/ink.py), as
    # ink from a nib looks; "plain": one width throughout. Chosen by looking at both on a letter.
    ink: Literal["plain", "pen"] = "pen"
    # Several lines: bring each to the page's median x-height and slant, level it and set it on
    # its baseline (one_hand.py), so the page looks written by one hand. False: as drawn.
    one_hand: bool = True


def layout_lines(
    lines: Sequence[np.ndarray], options: RenderOptions, texts: Sequence[str] | None = None
) -> list[list[np.ndarray]]:
    """Place each line's strokes on the page; returns per line its strokes as (n, 2) px points.

    Each line is scaled by `options.scale`. With `options.one_hand` and more than one line drawn,
    the lines are first brought to one hand (`one_hand.match_lines`: the page's median x-height and
    slant, levelled; `texts`, what each line says, tells it which lines are too few small letters
    to measure) and sit at an even pitch on their baselines; otherwise they are left as drawn
    and sit at an even pitch on their middles (the median height of their points), so tall
    capitals and deep descenders do not push the next line down. The pitch is 1 + `line_spacing`
    median line heights; the first line's box starts at the margin. Lines are aligned to the
    widest one. A line with no points is left blank.
    """
    if options.align not in ("left", "center", "right", "justify"):
        raise ValueError(
            f"align must be 'left', 'center', 'right' or 'justify', got {options.align!r}"
        )
    if options.ink not in ("plain", "pen"):
        raise ValueError(f"ink must be 'plain' or 'pen', got {options.ink!r}")
    drawn_lines = []  # per line: points (N_i, 2) px, eos (N_i,)
    for offsets in lines:
        points, eos = offsets_to_points(offsets)  # (N, 2), (N,)
        drawn_lines.append((points * options.scale, eos))
    drawn = [i for i, (points, _) in enumerate(drawn_lines) if len(points)]
    if options.one_hand and len(drawn) > 1:
        placed, anchors = match_lines(drawn_lines, texts)
    else:
        placed = [points for points, _ in drawn_lines]
        anchors = [float(np.median(points[:, 1])) if len(points) else 0.0 for points in placed]
    line_strokes = []  # per line: strokes (n_i, 2) with the box at (0, 0)
    for n, (points, (_, eos)) in enumerate(zip(placed, drawn_lines, strict=True)):
        if len(points):
            anchors[n] -= points[:, 1].min()
            points = points - points.min(axis=0)
        line_strokes.append(split_strokes(points, eos))
    sizes = np.array([_extent(strokes) for strokes in line_strokes]).reshape(-1, 2)  # (L, 2) w, h
    median_height = float(np.median(sizes[drawn, 1])) if drawn else 0.0
    widest = float(sizes[:, 0].max()) if len(sizes) else 0.0
    if options.align == "justify" and drawn:
        # The width to justify to: the widest line but for a few the network wrote far wider
        # than the others, which stay as they are and stick out on the right.
        target = float(np.percentile(sizes[drawn, 0], JUSTIFY_PERCENTILE))
        for n in drawn:
            if not _ends_paragraph(n, line_strokes, sizes[:, 0], target):
                line_strokes[n] = justify_line(line_strokes[n], target)
                sizes[n, 0] = _extent(line_strokes[n])[0]
    pitch = (1 + options.line_spacing) * median_height
    first_anchor = options.margin + (anchors[drawn[0]] if drawn else 0.0)

    laid_out = []
    for n, (strokes, anchor, width) in enumerate(
        zip(line_strokes, anchors, sizes[:, 0], strict=True)
    ):
        free = widest - width
        shift = {"left": 0.0, "center": free / 2, "right": free, "justify": 0.0}[options.align]
        corner = np.array([options.margin + shift, first_anchor + n * pitch - anchor])
        laid_out.append([stroke + corner for stroke in strokes])
    top = min((stroke[:, 1].min() for line in laid_out for stroke in line), default=options.margin)
    if top < options.margin:  # a tall later line reached above the page: move all down
        laid_out = [[stroke + [0.0, options.margin - top] for stroke in line] for line in laid_out]
    return laid_out


def render_svg(
    lines: Sequence[np.ndarray],
    path: str | Path | None = None,
    options: RenderOptions | None = None,
    texts: Sequence[str] | None = None,
) -> str:
    """The SVG text of `lines`, one <path> per stroke; written atomically to `path` if given.
    `texts`, what each line says, helps the layout size the lines (`layout_lines`)."""
    options = options or RenderOptions()
    laid_out = layout_lines(lines, options, texts)
    width, height = page_size(laid_out, options)
    drawing = svgwrite.Drawing(size=(f"{width:.2f}px", f"{height:.2f}px"))
    drawing.viewbox(0, 0, round(width, 2), round(height, 2))
    if options.background is not None:
        drawing.add(
            drawing.rect((0, 0), (round(width, 2), round(height, 2)), fill=options.background)
        )
    if uses_pen_ink(options):  # filled outlines; nonzero, as an outline may cross itself
        ink = drawing.add(drawing.g(fill=options.colour, fill_rule="nonzero", stroke="none"))
    else:
        ink = drawing.add(
            drawing.g(
                fill="none",
                stroke=options.colour,
                stroke_width=options.stroke_width,
                stroke_linecap="round",
                stroke_linejoin="round",
            )
        )
    for strokes in laid_out:
        for stroke in strokes:
            ink.add(drawing.path(d=_svg_path_data(stroke_commands(stroke, options))))
    svg = drawing.tostring()
    if path is not None:
        write_atomically(Path(path), lambda f: f.write(svg.encode("utf-8")))
    return svg


def render_png(
    lines: Sequence[np.ndarray],
    path: str | Path,
    options: RenderOptions | None = None,
    dpi: float = 96,
    texts: Sequence[str] | None = None,
) -> None:
    """Write `lines` as a PNG (atomically). At dpi=96 one SVG pixel is one PNG pixel. `texts`,
    what each line says, helps the layout size the lines (`layout_lines`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, PathPatch
    from matplotlib.path import Path as MplPath

    options = options or RenderOptions()
    laid_out = layout_lines(lines, options, texts)
    width, height = page_size(laid_out, options)
    check_pixels(width * dpi / CSS_PX_PER_INCH, height * dpi / CSS_PX_PER_INCH)
    figure = Figure(figsize=(width / CSS_PX_PER_INCH, height / CSS_PX_PER_INCH), dpi=dpi)
    FigureCanvasAgg(figure)
    figure.patch.set_facecolor(options.background or "none")
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    axes.set_xlim(0, width)
    axes.set_ylim(height, 0)  # y grows downwards, as in the SVG
    line_width_pt = options.stroke_width * POINTS_PER_INCH / CSS_PX_PER_INCH
    codes = {"M": MplPath.MOVETO, "L": MplPath.LINETO, "Q": MplPath.CURVE3, "Z": MplPath.CLOSEPOLY}
    pen = uses_pen_ink(options)
    for strokes in laid_out:
        for stroke in strokes:
            if pen:
                vertices, kinds = [], []
                for letter, points in stroke_commands(stroke, options):
                    vertices.extend(points if len(points) else vertices[:1])  # Z: back to start
                    kinds.extend([codes[letter]] * max(len(points), 1))
                outline = PathPatch(
                    MplPath(np.array(vertices), kinds), facecolor=options.colour, lw=0
                )
                axes.add_patch(outline)
                continue
            if len(stroke) == 1:
                # Agg draws nothing for a zero-length path: a filled disc of the pen's width.
                dot = Circle(stroke[0], options.stroke_width / 2, color=options.colour, lw=0)
                axes.add_patch(dot)
                continue
            vertices, kinds = [], []
            for letter, points in path_commands(stroke, options.single_stroke):
                vertices.extend(points)
                kinds.extend([codes[letter]] * len(points))
            patch = PathPatch(
                MplPath(np.array(vertices), kinds),
                fill=False,
                edgecolor=options.colour,
                linewidth=line_width_pt,
                capstyle="round",
                joinstyle="round",
            )
            axes.add_patch(patch)
    write_atomically(
        Path(path),
        lambda f: figure.savefig(f, format="png", dpi=dpi, facecolor=figure.get_facecolor()),
    )


def check_pixels(width: float, height: float) -> None:
    """Refuse, before drawing, an image over `limits.IMAGE_PIXELS`: a 73-character line at scale
    10 was 92,410 x 7,364 px, 2.9 GB of memory."""
    if width * height > limits.IMAGE_PIXELS:
        raise FieldError(
            "scale",
            f"the image would be {width:,.0f} x {height:,.0f} px; at most {limits.IMAGE_PIXELS:,} "
            "pixels are drawn: lower {field}, write less at a time, or write an SVG",
        )


# A gap between a line's strokes at least this many times the line's height is a word space.
WORD_GAP = 0.25
# Justified lines are as wide as this percentile of the lines' widths; a line narrower than
# JUSTIFY_LAST_LINE of that ends its paragraph and is not stretched.
JUSTIFY_PERCENTILE = 90
JUSTIFY_LAST_LINE = 0.75


def justify_line(strokes: list[np.ndarray], width: float) -> list[np.ndarray]:
    """A line's strokes (boxed at (0, 0)) with its word gaps widened evenly so it is `width` wide.

    Word gaps are where no stroke covers the x axis for at least WORD_GAP line heights; a line
    with none, or already as wide, is returned as it is.
    """
    line_width, height = _extent(strokes)
    if not strokes or line_width >= width:
        return strokes
    spans = sorted((float(s[:, 0].min()), float(s[:, 0].max())) for s in strokes)
    gaps, reach = [], spans[0][1]  # x where each word gap ends; how far the ink reaches so far
    for start, end in spans[1:]:
        if start - reach >= WORD_GAP * height:
            gaps.append(start)
        reach = max(reach, end)
    if not gaps:
        return strokes
    extra = (width - line_width) / len(gaps)
    gaps_array = np.array(gaps)
    return [s + [extra * int(np.sum(gaps_array <= s[:, 0].min())), 0.0] for s in strokes]


def _ends_paragraph(
    n: int, lines: list[list[np.ndarray]], widths: np.ndarray, width: float
) -> bool:
    """Whether line `n` ends a paragraph, so justification leaves it be: the last line, one before
    an empty line, or one much narrower than the justified `width` (a paragraph's short last
    line)."""
    return n == len(lines) - 1 or not lines[n + 1] or widths[n] < JUSTIFY_LAST_LINE * width


def _extent(strokes: list[np.ndarray]) -> tuple[float, float]:
    """Width and height of strokes whose bounding box starts at (0, 0)."""
    if not strokes:
        return 0.0, 0.0
    far = np.max([stroke.max(axis=0) for stroke in strokes], axis=0)  # (2,)
    return float(far[0]), float(far[1])


def page_size(laid_out: list[list[np.ndarray]], options: RenderOptions) -> tuple[float, float]:
    """Width and height in px of a page holding the laid-out strokes and the margin around them."""
    ink = [stroke for strokes in laid_out for stroke in strokes]
    if not ink:
        return 2 * options.margin, 2 * options.margin
    far = np.max([stroke.max(axis=0) for stroke in ink], axis=0)  # (2,)
    return float(far[0] + options.margin), float(far[1] + options.margin)


def uses_pen_ink(options: RenderOptions) -> bool:
    """Whether strokes are drawn as pen outlines: pen ink, unless plotter polylines are asked."""
    return options.ink == "pen" and not options.single_stroke


def stroke_commands(stroke: np.ndarray, options: RenderOptions) -> list[tuple[str, np.ndarray]]:
    """The path commands that draw one stroke (n, 2) px: its pen outline, closed (letters M, L and
    Z, whose points are empty), with pen ink; else `path_commands`' centre line, to be stroked."""
    if not uses_pen_ink(options):
        return path_commands(stroke, options.single_stroke)
    from handsynth.write.formats.ink import stroke_outline

    outline = stroke_outline(stroke, options.stroke_width)  # (m, 2)
    return [("M", outline[:1]), ("L", outline[1:]), ("Z", outline[:0])]


def path_commands(stroke: np.ndarray, single_stroke: bool) -> list[tuple[str, np.ndarray]]:
    """Path commands for one stroke (n, 2): (letter, points (k, 2)) with letters M, L and Q.

    Polyline: M p0 L p1 ... L p(n-1). Smooth: from p0 straight to the midpoint of p0 p1, then a
    quadratic Bezier per inner point, with that point as control and the next midpoint as end, and
    straight into p(n-1); the curve passes through every midpoint, tangent to the polyline there.
    A single point becomes M p0 L p0, a dot under round caps.
    """
    if len(stroke) == 1:
        return [("M", stroke[:1]), ("L", stroke[:1])]
    if single_stroke or len(stroke) == 2:
        return [("M", stroke[:1])] + [("L", stroke[i : i + 1]) for i in range(1, len(stroke))]
    middles = (stroke[:-1] + stroke[1:]) / 2  # (n-1, 2)
    commands = [("M", stroke[:1]), ("L", middles[:1])]
    for i in range(1, len(stroke) - 1):
        commands.append(("Q", np.stack([stroke[i], middles[i]])))
    commands.append(("L", stroke[-1:]))
    return commands


def _svg_path_data(commands: list[tuple[str, np.ndarray]]) -> str:
    """SVG path data ("M x y L x y Q cx cy x y ...") with coordinates rounded to 0.01 px."""
    parts = []
    for letter, points in commands:
        coordinates = " ".join(f"{x:.2f} {y:.2f}" for x, y in points)
        parts.append(f"{letter}{coordinates}")
    return " ".join(parts)
