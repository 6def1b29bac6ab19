"""Handwriting a model drew: its lines of pen offsets, what each line says and what went wrong in
it, rendered with `render.py` as SVG or PNG with the same defaults as the command line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from handsynth.data.strokes import offsets_to_points
from handsynth.errors import UserError
from handsynth.write.faults import Fault
from handsynth.write.render import RenderOptions, render_png, render_svg

FORMATS = (".svg", ".png")


@dataclass
class Handwriting:
    """Lines of handwriting in pen units (IAM-OnDB whiteboard units, y growing downwards).

    `offsets` holds per line the raw pen offsets (T, 3) (dx, dy, end of stroke), empty for an empty
    line; `texts` what each line says ("" for unconditional handwriting); `faults` what the sampler
    could not fix in each line (empty when clean). Render options are the fields of
    `render.RenderOptions` (stroke_width, colour, line_spacing, align, margin, scale, background,
    single_stroke, one_hand).
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
        return render_svg(self.offsets, None, RenderOptions(**options))

    def save(self, path: str | Path, **options) -> Path:
        """Write the page to `path` as SVG or PNG, chosen by its extension; returns the path."""
        path = Path(path)
        if path.suffix.lower() not in FORMATS:
            raise UserError(f"{path}: the file name must end in .svg or .png")
        render = render_png if path.suffix.lower() == ".png" else render_svg
        render(self.offsets, path, RenderOptions(**options))
        return path
