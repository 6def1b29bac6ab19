"""Handwriting a model drew: its lines of pen offsets, what each line says and what went wrong in
it, saved with the same defaults as the command line: SVG or PNG (`render.py`), or a printable
PDF, plotter G-code or HPGL, an animation of the pen, or InkML (`formats/`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from handsynth.data.strokes import offsets_to_points
from handsynth.errors import UserError
from handsynth.write.faults import Fault
from handsynth.write.render import RenderOptions, render_png, render_svg

if TYPE_CHECKING:
    from handsynth.write.formats.pdf import PdfOptions
    from handsynth.write.formats.plotter import PlotterOptions

FORMATS = (".svg", ".png", ".pdf", ".gcode", ".hpgl", ".gif", ".webp", ".inkml")


@dataclass
class Handwriting:
    """Lines of handwriting in pen units (IAM-OnDB whiteboard units, y growing downwards).

    `offsets` holds per line the raw pen offsets (T, 3) (dx, dy, end of stroke), empty for an empty
    line; `texts` what each line says ("" for unconditional handwriting); `faults` what the sampler
    could not fix in each line (empty when clean). Render options are the fields of
    `render.RenderOptions` (stroke_width, colour, line_spacing, align, margin, scale, background,
    single_stroke, one_hand, ink).
    """

    offsets: list[np.ndarray]
    texts: list[str]
    faults: list[list[Fault]]

    @property
    def lines(self) -> list[np.ndarray]:
        """Per line its points (N, 3): absolute x, y from the line's first point, end of stroke."""
        lines = []
        for offsets in self.offsets:
            points, eos = offsets_to_points(offsets)  # (N, 2), (N,)
            lines.append(np.column_stack([points, eos]).reshape(-1, 3))
        return lines

    def to_svg(self, **options) -> str:
        """The SVG text of the page, one <path> per stroke."""
        return render_svg(self.offsets, None, RenderOptions(**options), self.texts)

    def save(
        self,
        path: str | Path,
        pdf: PdfOptions | None = None,
        plotter: PlotterOptions | None = None,
        animate: bool = False,
        speed: float = 1.0,
        **options,
    ) -> Path:
        """Write the page to `path` in the format its extension names; returns the path.

        .svg (an animation of the pen when `animate`), .png, .pdf (`pdf`: paper, margins, ruling,
        ink), .gcode or .hpgl (`plotter`: size in mm, feed, pen commands), .gif or .webp (the pen
        writing) and .inkml. Animations play at `speed` times the pace the lines were written
        at. The render options (the fields of `render.RenderOptions`) place the lines in every
        format.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in FORMATS:
            raise UserError(f"{path}: the file name must end in one of {', '.join(FORMATS)}")
        render = RenderOptions(**options)
        from handsynth.write import formats

        if suffix == ".svg" and animate:
            formats.write_animated_svg(self, path, render, speed)
        elif suffix == ".svg":
            render_svg(self.offsets, path, render, self.texts)
        elif suffix == ".png":
            render_png(self.offsets, path, render, texts=self.texts)
        elif suffix == ".pdf":
            formats.write_pdf(self, path, pdf, render)
        elif suffix in (".gcode", ".hpgl"):
            write = formats.write_gcode if suffix == ".gcode" else formats.write_hpgl
            write(self, path, plotter, render)
        elif suffix in (".gif", ".webp"):
            formats.write_animated_image(self, path, render, speed)
        else:
            formats.write_inkml(self, path, render)
        return path
