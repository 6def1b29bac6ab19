"""Watch it write: the page as an animated SVG (SMIL, plays in browsers) or an animated GIF/WebP.

Both replay the pen at its recorded pace (`page.stroke_times`: a point every SECONDS_PER_POINT,
a pause of PEN_UP_SECONDS between strokes), `speed` times faster. The SVG is `render.render_svg`'s
own page with, on each stroke's path, an <animate> of stroke-dashoffset that uncovers the path
from its start, passing each recorded point at the time the pen reached it, and a <set> that
makes it visible when it starts. The GIF/WebP draws the same layout with Pillow, a frame every
1/fps seconds of the replay, the finished page held at the end.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from lxml import etree

from handsynth.atomic import write_atomically
from handsynth.write.formats.page import (
    Source,
    line_offsets,
    line_texts,
    page_strokes,
    stroke_times,
)
from handsynth.write.render import RenderOptions, check_pixels, page_size, render_svg

SVG_NS = "http://www.w3.org/2000/svg"
MAX_KEYS = 32  # key times per stroke's animation: long strokes are thinned to this many
HOLD_SECONDS = 2.0  # the finished page stays this long before the GIF/WebP loops


def write_animated_svg(
    source: Source,
    path: str | Path,
    render: RenderOptions | None = None,
    speed: float = 1.0,
) -> str:
    """Write (atomically) and return an SVG whose strokes draw themselves as the pen wrote them.

    The SVG is the one `render_svg` draws with the same options; each stroke's <path> gets
    pathLength="1", starts hidden, and holds a <set> (visible from its begin time) and, unless it
    is a dot, an <animate> of stroke-dashoffset from 1 to 0 whose keyTimes follow the pen's pace.
    """
    # The plain pen: the animation uncovers each stroke's centre line with a dash.
    render = replace(render or RenderOptions(), ink="plain")
    lines = page_strokes(source, render)
    strokes = [stroke for strokes in lines for stroke in strokes]
    times = [t for line_times in stroke_times(lines, speed) for t in line_times]
    svg = render_svg(line_offsets(source), None, render, line_texts(source))
    root = etree.fromstring(svg.encode("utf-8"))
    paths = list(root.iter(f"{{{SVG_NS}}}path"))
    assert len(paths) == len(strokes), "render_svg draws one path per stroke"
    for element, stroke, t in zip(paths, strokes, times, strict=True):
        begin = f"{t[0]:.3f}s"
        element.set("visibility", "hidden")
        etree.SubElement(
            element, f"{{{SVG_NS}}}set", attributeName="visibility", to="visible", begin=begin
        )
        if len(stroke) < 2:
            continue
        element.set("pathLength", "1")
        element.set("stroke-dasharray", "1 1")
        element.set("stroke-dashoffset", "1")
        travelled = np.concatenate(
            [[0], np.cumsum(np.linalg.norm(np.diff(stroke, axis=0), axis=1))]
        )
        keep = np.unique(np.linspace(0, len(stroke) - 1, min(len(stroke), MAX_KEYS)).round())
        keep = keep.astype(int)
        duration = t[-1] - t[0]
        key_times = (t[keep] - t[0]) / duration  # (K,) 0 .. 1
        drawn = travelled[keep] / max(travelled[-1], 1e-9)  # (K,) 0 .. 1 of the path
        etree.SubElement(
            element,
            f"{{{SVG_NS}}}animate",
            attributeName="stroke-dashoffset",
            begin=begin,
            dur=f"{duration:.3f}s",
            calcMode="linear",
            keyTimes=";".join(f"{k:.4f}" for k in key_times),
            values=";".join(f"{1 - d:.4f}" for d in drawn),
            fill="freeze",
        )
    text = etree.tostring(root, encoding="unicode")
    write_atomically(Path(path), lambda f: f.write(text.encode("utf-8")))
    return text


def write_animated_image(
    source: Source,
    path: str | Path,
    render: RenderOptions | None = None,
    speed: float = 1.0,
    fps: float = 20.0,
    max_frames: int = 200,
) -> int:
    """Write (atomically) an animated GIF or WebP, chosen by the suffix, of the pen writing the
    page; returns the number of frames. The paper is `render.background`, white if None.

    A frame every 1/fps seconds of the replay; a replay longer than `max_frames` frames gets
    fewer frames per second instead, each shown for as long as it covers, so the pace stays the
    pen's. The last frame, the whole page, is held HOLD_SECONDS. Frames are two-colour palette
    images (a byte a pixel), all held in memory until saved.
    """
    from PIL import Image, ImageDraw

    render = render or RenderOptions()
    suffix = Path(path).suffix.lower()
    if suffix not in (".gif", ".webp"):
        raise ValueError(f"{path}: an animated image must end in .gif or .webp")
    lines = page_strokes(source, render)
    strokes = [stroke for strokes in lines for stroke in strokes]
    times = [t for line_times in stroke_times(lines, speed) for t in line_times]
    width, height = page_size(lines, render)
    check_pixels(width, height)
    page = Image.new("P", (int(np.ceil(width)), int(np.ceil(height))), 0)
    page.putpalette([*_rgb(render.background or "white"), *_rgb(render.colour)])
    pen = ImageDraw.Draw(page)
    end = max((t[-1] for t in times), default=0.0)
    step = max(1 / fps, end / max(max_frames - 1, 1))  # replay seconds per frame
    frames = []
    drawn = [0] * len(strokes)  # points of each stroke already on the page
    first = 0  # strokes before this one are finished; times grow from stroke to stroke
    for clock in np.append(np.arange(0.0, end, step), end):
        n = first
        while n < len(strokes) and times[n][0] <= clock:
            reached = int(np.searchsorted(times[n], clock, side="right"))
            if reached > drawn[n]:
                # From the last point drawn, so the new piece joins the old.
                _draw(pen, strokes[n][max(drawn[n] - 1, 0) : reached], render.stroke_width)
                drawn[n] = reached
            if drawn[n] == len(strokes[n]) and n == first:
                first += 1
            n += 1
        frames.append(page.copy())
    durations = [round(1000 * step)] * len(frames)
    durations[-1] = round(1000 * HOLD_SECONDS)
    image_format = "GIF" if suffix == ".gif" else "WEBP"

    def save(file) -> None:
        frames[0].save(
            file,
            format=image_format,
            save_all=True,
            append_images=frames[1:],
            duration=durations,
            loop=0,
        )

    write_atomically(Path(path), save)
    return len(frames)


def _rgb(colour: str) -> tuple[int, int, int]:
    """An SVG/CSS colour name or "#rrggbb" as 0-255 red, green, blue."""
    from matplotlib.colors import to_rgb

    return tuple(round(255 * c) for c in to_rgb(colour))


def _draw(pen, points: np.ndarray, stroke_width: float) -> None:
    """Points (k, 2) px of one stroke in ink (palette index 1): a polyline with round joints and
    ends, or a dot for one point."""
    radius = max(stroke_width / 2, 0.5)
    if len(points) > 1:
        width = max(round(stroke_width), 1)
        pen.line([tuple(p) for p in points], fill=1, width=width, joint="curve")
    for x, y in points[[0, -1]]:  # round ends: Pillow's lines end square
        pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=1)
