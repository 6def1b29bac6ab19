"""Pen plotters: the handwriting as G-code or HPGL, one pen-down path per stroke.

The page is laid out as the SVG lays it out (`page.page_strokes`, margin included), then scaled to
fit `PlotterOptions.size` millimetres keeping its aspect, with y turned to grow upwards from the
plotter's origin at the bottom left. Strokes are drawn as straight segments through their recorded
points, in an order that keeps the pen-up travel short: from where the pen is, go to the nearest
end of a stroke not yet drawn, drawing it backwards if that end is its last point. The recorded
order is kept if that travels less.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from handsynth.atomic import write_atomically
from handsynth.write.formats.page import Source, page_strokes
from handsynth.write.render import RenderOptions, page_size

HPGL_UNITS_PER_MM = 40  # HP-GL plotter units are 0.025 mm


@dataclass
class PlotterOptions:
    """How the plotter is driven. Lengths in millimetres, speeds in millimetres per minute."""

    size: tuple[float, float] = (297.0, 210.0)  # drawing area, width x height: the page fits in it
    feed: float = 3000.0  # pen-down drawing speed (G-code F; HPGL VS in cm/s)
    pen_up: str = "M5"  # G-code that lifts the pen, e.g. "G0 Z5" on a Z-axis machine
    pen_down: str = "M3 S90"  # G-code that lowers the pen (servo angle 90), e.g. "G1 Z0 F500"
    dwell: float = 0.0  # seconds to wait after each pen move (G4), for a slow servo
    pen: int = 1  # HPGL pen number (SP)
    reorder: bool = True  # order strokes to shorten pen-up travel; False: as written


def write_gcode(
    source: Source,
    path: str | Path,
    options: PlotterOptions | None = None,
    render: RenderOptions | None = None,
) -> list[np.ndarray]:
    """Write the page as G-code (absolute millimetres); returns the strokes (n_i, 2) mm plotted,
    in plotting order. Rapid moves (G0) travel with the pen up, G1 moves draw at `feed`."""
    options = options or PlotterOptions()
    strokes = plotter_strokes(source, options, render)
    pause = [f"G4 P{options.dwell:g}"] if options.dwell > 0 else []
    width, height = options.size
    out = [
        f"; handsynth: {len(strokes)} strokes in {width:g} x {height:g} mm",
        "G21 ; millimetres",
        "G90 ; absolute coordinates",
        options.pen_up,
        *pause,
    ]
    for stroke in strokes:
        x, y = stroke[0]
        out += [f"G0 X{x:.3f} Y{y:.3f}", options.pen_down, *pause]
        out += [f"G1 X{x:.3f} Y{y:.3f} F{options.feed:g}" for x, y in stroke[1:]]
        out += [options.pen_up, *pause]
    out.append("G0 X0 Y0")
    _write_text(path, "\n".join(out) + "\n")
    return strokes


def write_hpgl(
    source: Source,
    path: str | Path,
    options: PlotterOptions | None = None,
    render: RenderOptions | None = None,
) -> list[np.ndarray]:
    """Write the page as HP-GL (PU/PD in plotter units of 0.025 mm); returns the strokes (n_i, 2)
    mm plotted, in plotting order. `pen_up`, `pen_down` and `dwell` are G-code's: HP-GL has its own
    pen commands."""
    options = options or PlotterOptions()
    strokes = plotter_strokes(source, options, render)
    out = ["IN", f"SP{options.pen}", f"VS{options.feed / 600:g}"]  # mm/min -> cm/s
    for stroke in strokes:
        units = np.rint(stroke * HPGL_UNITS_PER_MM).astype(int)  # (n, 2)
        out.append(f"PU{units[0, 0]},{units[0, 1]}")
        # A one-point stroke (a dot) is a pen-down in place.
        out.append("PD" + ",".join(f"{x},{y}" for x, y in (units[1:] if len(units) > 1 else units)))
    out += ["PU0,0", "SP0"]
    _write_text(path, ";\n".join(out) + ";\n")
    return strokes


def plotter_strokes(
    source: Source, options: PlotterOptions, render: RenderOptions | None = None
) -> list[np.ndarray]:
    """The page's strokes (n_i, 2) in plotter millimetres, y up, in the order they are plotted."""
    render = render or RenderOptions()
    lines = page_strokes(source, render)
    page_w, page_h = page_size(lines, render)  # px, as the SVG's page
    mm = min(options.size[0] / page_w, options.size[1] / page_h)  # plotter mm per page px
    strokes = [(stroke * [1, -1] + [0, page_h]) * mm for strokes in lines for stroke in strokes]
    if options.reorder:
        ordered = nearest_neighbour_order(strokes)
        if pen_up_travel(ordered) < pen_up_travel(strokes):
            return ordered
    return strokes


def nearest_neighbour_order(
    strokes: list[np.ndarray], start: tuple[float, float] = (0.0, 0.0)
) -> list[np.ndarray]:
    """Strokes (n_i, 2) reordered greedily: from `start`, to the stroke whose first or last point
    is nearest, reversed when it is the last; then on from where that stroke ends."""
    if not strokes:
        return []
    firsts = np.array([stroke[0] for stroke in strokes])  # (S, 2)
    lasts = np.array([stroke[-1] for stroke in strokes])  # (S, 2)
    left = np.ones(len(strokes), dtype=bool)
    here = np.asarray(start, dtype=np.float64)
    ordered = []
    for _ in strokes:
        to_first = np.where(left, np.linalg.norm(firsts - here, axis=1), np.inf)  # (S,)
        to_last = np.where(left, np.linalg.norm(lasts - here, axis=1), np.inf)  # (S,)
        n_first, n_last = int(to_first.argmin()), int(to_last.argmin())
        if to_last[n_last] < to_first[n_first]:
            ordered.append(strokes[n_last][::-1])
            left[n_last] = False
        else:
            ordered.append(strokes[n_first])
            left[n_first] = False
        here = ordered[-1][-1]
    return ordered


def pen_up_travel(strokes: list[np.ndarray], start: tuple[float, float] = (0.0, 0.0)) -> float:
    """Length of the pen-up moves drawing strokes (n_i, 2) in order from `start` takes."""
    ends = [np.asarray(start, dtype=np.float64)] + [stroke[-1] for stroke in strokes[:-1]]
    return float(sum(np.linalg.norm(s[0] - e) for s, e in zip(strokes, ends, strict=True)))


def _write_text(path: str | Path, text: str) -> None:
    write_atomically(Path(path), lambda f: f.write(text.encode("ascii")))
