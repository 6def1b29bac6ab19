"""Output formats beyond SVG and PNG: printable PDF pages, plotter G-code and HPGL, pen animations
(SVG and GIF/WebP), variable-width ink outlines, and W3C InkML out and in.

Every writer takes the lines of a `Handwriting` (or a list of per-line pen offsets (T, 3)) and
places them with `render.layout_lines`, so each format puts the strokes where the SVG does. The
names below load their module on first use, so writing an SVG imports none of them.
"""

_LAZY = {
    "write_animated_image": "animate",
    "write_animated_svg": "animate",
    "pen_widths": "ink",
    "stroke_outline": "ink",
    "InkLines": "inkml",
    "read_inkml": "inkml",
    "write_inkml": "inkml",
    "PdfOptions": "pdf",
    "write_pdf": "pdf",
    "PlotterOptions": "plotter",
    "write_gcode": "plotter",
    "write_hpgl": "plotter",
}
__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'handsynth.write.formats' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"handsynth.write.formats.{_LAZY[name]}"), name)
