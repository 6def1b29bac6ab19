"""What every writer in `formats` starts from: the lines laid out on the page as the SVG lays them
out (`render.layout_lines`), and the pen's timing, for the formats that replay or record it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from handsynth.write.render import RenderOptions, layout_lines

# IAM-OnDB's whiteboard pen stamps each point to 10 ms and reports one every 10 or 20 ms; inside
# strokes the mean step is 15.1 ms (240,000 steps of 400 lines of lineStrokes, measured on the
# `time` attributes that `iam.parse_line_strokes` reads; `styles.strokes_from_pointer` quotes the
# same "a point every 15 ms"). Sampled lines keep that pace: `prepare` drops spikes, does not
# resample.
SECONDS_PER_POINT = 0.015
# The pen is up between strokes for a median 0.18 s in IAM-OnDB (same 400 lines; quartiles 0.13
# and 0.32 s). A sampled line has a single pen-up step there, so the replay waits this long.
PEN_UP_SECONDS = 0.18

if TYPE_CHECKING:
    pass

Source = "Handwriting | Sequence[np.ndarray]"  # a page, or per line its offsets (T, 3)


def line_offsets(source: Source) -> list[np.ndarray]:
    """Per line the pen offsets (T, 3) (dx, dy, eos) of a Handwriting or of a list of them."""
    return list(getattr(source, "offsets", source))


def line_texts(source: Source) -> list[str] | None:
    """What each line of a Handwriting says; None for bare offsets."""
    return getattr(source, "texts", None)


def page_strokes(source: Source, options: RenderOptions | None = None) -> list[list[np.ndarray]]:
    """Per line its strokes (n_i, 2) in page px, placed exactly as `render.render_svg` does."""
    return layout_lines(line_offsets(source), options or RenderOptions(), line_texts(source))


def stroke_times(lines: list[list[np.ndarray]], speed: float = 1.0) -> list[list[np.ndarray]]:
    """Per line, per stroke the time in seconds at which the pen reached each point (n_i,).

    Points come SECONDS_PER_POINT apart, strokes PEN_UP_SECONDS apart, lines one after another;
    `speed` > 1 replays faster.
    """
    if speed <= 0:
        raise ValueError(f"speed must be positive, got {speed}")
    times, start = [], 0.0
    for strokes in lines:
        line_times = []
        for stroke in strokes:
            line_times.append(start + np.arange(len(stroke)) * SECONDS_PER_POINT / speed)
            start = line_times[-1][-1] + PEN_UP_SECONDS / speed
        times.append(line_times)
    return times
