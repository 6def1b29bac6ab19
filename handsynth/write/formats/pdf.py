"""Printable pages: the handwriting as a PDF of A4 or Letter pages, ink as vector paths only.

The lines are laid out as the SVG lays them out (`page.page_strokes`, without its pixel margin)
and printed at the SVG's size: one CSS pixel is 1/96 inch. Content wider than the paper between
its margins is shrunk to fit. Lines go onto a page while they fit between its top and bottom
margins; the next line starts the next page. Optional ruled or squared paper is drawn under the
ink on the lines' baselines. No text and no fonts: the PDF holds paths and nothing else.
Uses fpdf2, imported when a PDF is written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from handsynth.atomic import write_atomically
from handsynth.data.strokes import strokes_to_points
from handsynth.write.formats.ink import stroke_outline
from handsynth.write.formats.page import Source, page_strokes
from handsynth.write.hand_metrics import measure_line
from handsynth.write.render import CSS_PX_PER_INCH, RenderOptions, path_commands

PAPER_MM = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}  # width, height
MM_PER_PX = 25.4 / CSS_PX_PER_INCH


@dataclass
class PdfOptions:
    """The paper the handwriting is printed on. Lengths in millimetres."""

    paper: Literal["a4", "letter"] = "a4"
    margin: float = 20.0  # blank border on every side of every page
    ruling: Literal["none", "ruled", "squared"] = "none"  # paper under the ink
    rule_colour: str = "#a8c4e0"  # light blue, as printed on exercise books
    rule_width: float = 0.2
    # "plain": one pen width; "pen": width varying with pen speed (ink.py); None: as the render
    # options' `ink`, which the SVG and PNG follow too
    ink: Literal["plain", "pen"] | None = None


def write_pdf(
    source: Source,
    path: str | Path,
    options: PdfOptions | None = None,
    render: RenderOptions | None = None,
) -> int:
    """Write the handwriting as a PDF (atomically); returns the number of pages.

    `render` lays out and draws the lines as for the SVG (scale, line spacing, alignment, one hand,
    stroke width, colour, single_stroke); its `margin` and `background` are not used: the paper's
    margins are `options.margin`, and the paper is white.
    """
    from fpdf import FPDF
    from fpdf.drawing import DeviceRGB, GraphicsContext, PaintedPath
    from matplotlib.colors import to_rgb

    options = options or PdfOptions()
    render = render or RenderOptions()
    if options.paper not in PAPER_MM:
        raise ValueError(f"paper must be one of {sorted(PAPER_MM)}, got {options.paper!r}")
    if options.ruling not in ("none", "ruled", "squared"):
        raise ValueError(f"ruling must be 'none', 'ruled' or 'squared', got {options.ruling!r}")
    nib = options.ink or render.ink
    if nib not in ("plain", "pen"):
        raise ValueError(f"ink must be 'plain' or 'pen', got {nib!r}")
    if render.single_stroke:
        nib = "plain"  # plotter polylines, as the SVG draws them
    paper_w, paper_h = PAPER_MM[options.paper]
    room_w, room_h = paper_w - 2 * options.margin, paper_h - 2 * options.margin
    if room_w <= 0 or room_h <= 0:
        raise ValueError(f"a margin of {options.margin} mm leaves no room on {options.paper}")

    lines = page_strokes(source, replace(render, margin=0.0))  # per line strokes (n, 2) px
    widest = max((s[:, 0].max() for strokes in lines for s in strokes), default=0.0)
    mm = MM_PER_PX * min(1.0, room_w / max(widest * MM_PER_PX, 1e-9))  # mm per px
    lines = [[stroke * mm for stroke in strokes] for strokes in lines]  # now in mm
    pitch = _line_pitch(lines, render.line_spacing)

    pdf = FPDF(unit="mm", format=(paper_w, paper_h))
    pdf.set_auto_page_break(False)
    for page in _paginate(lines, room_h):
        pdf.add_page()
        top = min(stroke[:, 1].min() for n in page for stroke in lines[n])
        corner = np.array([options.margin, options.margin - top])  # layout mm -> paper mm
        if options.ruling != "none":
            first_baseline = _baseline(lines[page[0]]) + corner[1]
            _draw_ruling(pdf, options, first_baseline, pitch, (paper_w, paper_h))
        with pdf.drawing_context() as context:
            ink = GraphicsContext()
            ink.style.auto_close = False
            colour = DeviceRGB(*to_rgb(render.colour))
            if nib == "plain":
                ink.style.paint_rule = "stroke"
                ink.style.stroke_color = colour
                ink.style.stroke_width = render.stroke_width * mm
                ink.style.stroke_cap_style = "round"
                ink.style.stroke_join_style = "round"
            else:
                ink.style.paint_rule = "fill_nonzero"  # outlines overlap themselves at sharp turns
                ink.style.fill_color = colour
            for n in page:
                for stroke in lines[n]:
                    trace = PaintedPath()
                    if nib == "plain":
                        _trace_stroke(trace, stroke + corner, render.single_stroke)
                    else:
                        outline = stroke_outline(stroke + corner, render.stroke_width * mm)
                        trace.move_to(*outline[0])
                        for x, y in outline[1:]:
                            trace.line_to(x, y)
                        trace.close()
                    ink.add_item(trace, clone=False)  # built here, never changed after
            context.add_item(ink, clone=False)
    if not pdf.pages:
        pdf.add_page()  # nothing written: one blank page, not an unreadable file
    write_atomically(Path(path), lambda f: f.write(pdf.output()))
    return len(pdf.pages)


def _paginate(lines: list[list[np.ndarray]], room: float) -> list[list[int]]:
    """Indices of the lines on each page: a line goes on the page while the page's ink, from its
    first line's top to this line's bottom, stays within `room` mm. Blank lines are skipped."""
    pages: list[list[int]] = []
    page_top = 0.0
    for n, strokes in enumerate(lines):
        if not strokes:
            continue
        top = min(stroke[:, 1].min() for stroke in strokes)
        bottom = max(stroke[:, 1].max() for stroke in strokes)
        if pages and bottom - page_top <= room:
            pages[-1].append(n)
        else:  # the first line, or one that does not fit: a new page (alone if taller than it)
            pages.append([n])
            page_top = top
    return pages


def _line_pitch(lines: list[list[np.ndarray]], line_spacing: float) -> float:
    """Distance between the lines' baselines: `layout_lines`'s pitch, 1 + line_spacing median
    line heights."""
    heights = [
        max(s[:, 1].max() for s in strokes) - min(s[:, 1].min() for s in strokes)
        for strokes in lines
        if strokes
    ]
    return (1 + line_spacing) * float(np.median(heights)) if heights else 0.0


def _baseline(strokes: list[np.ndarray]) -> float:
    """The y a line sits on (`hand_metrics.measure_line`), or its lowest point if unmeasurable."""
    points, eos = strokes_to_points(strokes)  # (N, 2), (N,)
    metrics = measure_line(points, eos)
    return float(points[:, 1].max()) if metrics is None else metrics.baseline


def _draw_ruling(
    pdf, options: PdfOptions, baseline: float, pitch: float, paper: tuple[float, float]
) -> None:
    """Rules every `pitch` mm through `baseline` between the margins; squared paper adds rules at
    half the pitch and columns as far apart. Drawn on `pdf`'s current page (fpdf2, mm)."""
    from matplotlib.colors import to_rgb

    if pitch <= 0:
        return
    step = pitch / 2 if options.ruling == "squared" else pitch
    low, high = options.margin, paper[1] - options.margin
    left, right = options.margin, paper[0] - options.margin
    first = baseline - np.floor((baseline - low) / step) * step
    pdf.set_draw_color(*(round(255 * c) for c in to_rgb(options.rule_colour)))
    pdf.set_line_width(options.rule_width)
    for y in np.arange(first, high + 1e-9, step):
        pdf.line(left, y, right, y)
    if options.ruling == "squared":
        for x in np.arange(left, right + 1e-9, step):
            pdf.line(x, low, x, high)


def _trace_stroke(path, stroke: np.ndarray, single_stroke: bool) -> None:
    """The SVG's path commands for one stroke (n, 2) mm (`render.path_commands`) on an fpdf2
    path; a one-point stroke becomes a zero-length line, a dot under round caps."""
    for letter, points in path_commands(stroke, single_stroke):
        if letter == "M":
            path.move_to(*points[0])
        elif letter == "L":
            for x, y in points:
                path.line_to(x, y)
        else:  # Q: control point, end point
            path.quadratic_curve_to(*points[0], *points[1])
