"""Output formats beyond SVG and PNG: printable PDF pages, plotter G-code and HPGL, pen animations
(SVG and GIF/WebP), variable-width ink outlines, and W3C InkML out and in.

Every writer takes the lines of a `Handwriting` (or a list of per-line pen offsets (T, 3)) and
places them with `render.layout_lines`, so each format puts the strokes where the SVG does.
"""

from handsynth.write.formats.animate import write_animated_image, write_animated_svg
from handsynth.write.formats.ink import pen_widths, stroke_outline
from handsynth.write.formats.inkml import InkLines, read_inkml, write_inkml
from handsynth.write.formats.pdf import PdfOptions, write_pdf
from handsynth.write.formats.plotter import PlotterOptions, write_gcode, write_hpgl

__all__ = [
    "InkLines",
    "PdfOptions",
    "PlotterOptions",
    "pen_widths",
    "read_inkml",
    "stroke_outline",
    "write_animated_image",
    "write_animated_svg",
    "write_gcode",
    "write_hpgl",
    "write_inkml",
    "write_pdf",
]
