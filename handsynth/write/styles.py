"""Handwriting styles to prime the synthesis network with (Graves 2013, §5.5).

A style is a line of handwriting and its text. It comes from the set shipped with the package
(lines the shipped model wrote itself, so no IAM-OnDB strokes are redistributed), from an IAM-OnDB
lineStrokes XML file, from an SVG whose paths are pen strokes (such as `handsynth write
--single-stroke` output), or from a one-line W3C InkML file, the digital ink that tablet and pen
apps export (its transcription, if it carries one, is the style's text). Strokes are cleaned as
`handsynth prepare` cleans them and normalised with the model's statistics. A line drawn with a
mouse, pen or finger (`strokes_from_pointer`) is stored as an IAM-OnDB line file with its text
inside, and read back like any other.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
from lxml import etree

from handsynth.data.iam import line_transcription, parse_line_strokes, safe_xml_parser
from handsynth.data.prepare import DEFAULT_MAX_JUMP
from handsynth.data.strokes import (
    Normalisation,
    points_to_offsets,
    remove_outlier_jumps,
    strokes_to_points,
)
from handsynth.errors import FieldError, UserError

SHIPPED_STYLES = "styles.npz"
SHIPPED_STYLE_COUNT = 14  # lines in styles.npz, numbered 1-14 (tests/test_styles.py holds it)
# One line of handwriting: IAM-OnDB lines have at most about 1,900 points and 80 characters.
MAX_STYLE_BYTES = 2_000_000
MAX_STYLE_POINTS = 3000
MAX_STYLE_CHARACTERS = 120
_SVG_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def shipped_styles_path() -> Path:
    return Path(str(resources.files("handsynth") / "weights" / SHIPPED_STYLES))


def shipped_styles() -> list[tuple[np.ndarray, str]]:
    """The shipped styles: (offsets (T, 3) normalised with `shipped_normalisation`, read-only,
    text) each, numbered from 1 in the CLI."""
    return list(_shipped()[0])


def shipped_normalisation() -> Normalisation | None:
    """The statistics the shipped styles are normalised with (the shipped synthesis model's)."""
    return _shipped()[1]


@cache
def _shipped() -> tuple[tuple[tuple[np.ndarray, str], ...], Normalisation | None]:
    """styles.npz, read once: the styles and their normalisation (None if it does not say)."""
    path = shipped_styles_path()
    if not path.is_file():
        return (), None
    with np.load(path, allow_pickle=False) as data:
        starts, offsets, texts = data["starts"], data["offsets"], data["texts"].tolist()
        normalisation = None
        if "mean" in data.files:
            mean, std = data["mean"].astype(np.float64), data["std"].astype(np.float64)
            normalisation = Normalisation(mean, std)
    offsets.setflags(write=False)  # shared by every caller
    styles = tuple((offsets[starts[i] : starts[i + 1]], texts[i]) for i in range(len(texts)))
    return styles, normalisation


def svg_strokes(path: Path) -> list[np.ndarray]:
    """Each <path> of an SVG as one stroke: its coordinate pairs in order, (n, 2)."""
    try:
        root = etree.parse(str(path), safe_xml_parser())
    except etree.XMLSyntaxError as error:
        raise UserError(f"{path}: not a readable SVG ({error})") from None
    strokes = []
    for element in root.iter("{http://www.w3.org/2000/svg}path", "path"):
        numbers = [float(n) for n in _SVG_NUMBER.findall(element.get("d", ""))]
        if len(numbers) >= 2:
            strokes.append(np.asarray(numbers[: len(numbers) // 2 * 2]).reshape(-1, 2))
    if not strokes:
        raise UserError(f"{path}: no <path> elements with coordinates")
    return strokes


def pen_scale(offsets: np.ndarray, normalisation: Normalisation) -> float:
    """The factor that gives the pen steps of offsets (T, 3), in some unknown unit, the size of
    the training data's: the ratio of root mean square steps, averaged over x and y."""
    spread = np.sqrt(np.mean(np.square(offsets[1:, :2]), axis=0))  # (2,)
    target = np.sqrt(np.square(normalisation.std) + np.square(normalisation.mean))  # (2,)
    return float(np.mean(target / np.maximum(spread, 1e-9)))


def strokes_from_pointer(
    strokes: list[np.ndarray], normalisation: Normalisation
) -> list[np.ndarray]:
    """A line drawn on a screen as strokes in pen units: the input of `iam.line_strokes_xml`.

    strokes: per stroke (n_i, 3) of x, y in screen pixels (y down, as in IAM-OnDB) and the time in
    milliseconds, as pointer events report them. Browsers report a moving pointer about 60 times a
    second, close to IAM-OnDB's pen (a point every 15 ms), so the points are kept as they are and
    only scaled to the size of the training data's pen steps (`pen_scale`). Returns strokes
    (n_i, 3) of x, y in pen units and the time in seconds from the first point.
    """
    strokes = [np.asarray(stroke, dtype=np.float64).reshape(-1, 3) for stroke in strokes]
    strokes = [stroke for stroke in strokes if len(stroke)]
    total = sum(len(stroke) for stroke in strokes)
    if total > MAX_STYLE_POINTS:
        raise UserError(
            f"the line has {total:,} pen points; a style is one line of at most "
            f"{MAX_STYLE_POINTS:,}: write less, or more quickly"
        )
    if total < 2 or not all(np.isfinite(stroke).all() for stroke in strokes):
        raise UserError("the line has no usable strokes: write a line of handwriting first")
    points, eos = strokes_to_points(strokes)
    if np.ptp(points, axis=0).max() == 0:
        raise UserError("the line has no usable strokes: the pen never moved")
    scale = pen_scale(points_to_offsets(points, eos), normalisation)
    start = np.array([*points[0], strokes[0][0, 2]])  # (3,) the first point and its time
    factor = np.array([scale, scale, 1e-3])  # pixels to pen units, milliseconds to seconds
    return [(stroke - start) * factor for stroke in strokes]


def load_style(
    source: str, text: str | None, normalisation: Normalisation
) -> tuple[np.ndarray, str]:
    """A style as (offsets (T, 3) normalised with `normalisation`, its text) from a shipped number
    or a file. `text` may be None for a line file that carries its own (`strokes_from_pointer`)."""
    if source.isascii() and source.isdigit():  # not '²', which int() refuses
        styles = shipped_styles()
        number = int(source)
        if not styles:
            raise UserError("no styles are shipped with this installation; pass a style file")
        if not 1 <= number <= len(styles):
            raise UserError(f"style {number} does not exist; shipped styles are 1-{len(styles)}")
        offsets, style_text = styles[number - 1]
        stored = shipped_normalisation()
        if stored is not None and stored != normalisation:  # a model trained on other data
            offsets = normalisation.normalise(stored.denormalise(offsets))
        return offsets, style_text
    path = Path(source)
    if not path.is_file():
        raise UserError(f"{path}: no such style file (give a shipped style number or a file)")
    if path.stat().st_size > MAX_STYLE_BYTES:
        raise UserError(
            f"{path}: {path.stat().st_size:,} bytes is too large for one line of handwriting "
            f"(at most {MAX_STYLE_BYTES:,})"
        )
    suffix = path.suffix.lower()
    ink = None
    if suffix == ".inkml":
        from handsynth.write.formats.inkml import read_inkml

        ink = read_inkml(path)
    if ink is not None and len(ink.lines) != 1:
        raise UserError(f"{path}: holds {len(ink.lines)} lines of ink; a style is one line")
    if not text and suffix == ".xml":
        text = line_transcription(path)  # a line drawn on the web page says what it reads
    if not text and ink is not None:
        text = ink.texts[0]  # the line's own transcription, when the file carries one
    if not text or not text.strip():
        raise FieldError("style_text", f"{path}: say what the style line reads with {{field}}")
    if len(text) > MAX_STYLE_CHARACTERS:
        raise FieldError(
            "style_text",
            f"{{field}} has {len(text)} characters; a style is one line of at most "
            f"{MAX_STYLE_CHARACTERS}",
        )
    if suffix in (".svg", ".inkml"):
        strokes = svg_strokes(path) if ink is None else [t[:, :2] for t in ink.lines[0]]
        points, eos = strokes_to_points(strokes)
        offsets = points_to_offsets(points, eos)
        offsets[:, :2] *= pen_scale(offsets, normalisation)  # SVG and InkML units are arbitrary
    else:
        points, eos = strokes_to_points(parse_line_strokes(path))
        points, eos = remove_outlier_jumps(points, eos, DEFAULT_MAX_JUMP)
        offsets = points_to_offsets(points, eos)
    if len(offsets) > MAX_STYLE_POINTS:
        raise UserError(
            f"{path}: {len(offsets):,} pen points is more than one line of handwriting "
            f"(at most {MAX_STYLE_POINTS:,}); use a single line"
        )
    if len(offsets) < 2 or not np.isfinite(offsets).all():
        raise UserError(f"{path}: has no usable strokes to learn a style from")
    return normalisation.normalise(offsets), text.strip()
