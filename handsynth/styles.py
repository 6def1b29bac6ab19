"""Handwriting styles to prime the synthesis network with (Graves 2013, §5.5).

A style is a line of handwriting and its text. It comes from the set shipped with the package
(lines the shipped model wrote itself, so no IAM-OnDB strokes are redistributed), from an IAM-OnDB
lineStrokes XML file, or from an SVG whose paths are pen strokes (such as `handsynth write
--single-stroke` output). Strokes are cleaned as `handsynth prepare` cleans them and normalised
with the model's statistics.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import numpy as np
from lxml import etree

from handsynth.errors import UserError
from handsynth.iam import parse_line_strokes, safe_xml_parser
from handsynth.prepare import DEFAULT_MAX_JUMP
from handsynth.strokes import (
    Normalisation,
    points_to_offsets,
    remove_outlier_jumps,
    strokes_to_points,
)

SHIPPED_STYLES = "styles.npz"
# One line of handwriting: IAM-OnDB lines have at most about 1,900 points and 80 characters.
MAX_STYLE_BYTES = 2_000_000
MAX_STYLE_POINTS = 3000
MAX_STYLE_CHARACTERS = 120
_SVG_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def shipped_styles_path() -> Path:
    return Path(str(resources.files("handsynth") / "weights" / SHIPPED_STYLES))


def shipped_styles() -> list[tuple[np.ndarray, str]]:
    """The shipped styles: (normalised offsets (T, 3), text) each, numbered from 1 in the CLI."""
    path = shipped_styles_path()
    if not path.is_file():
        return []
    with np.load(path, allow_pickle=False) as data:
        starts, offsets, texts = data["starts"], data["offsets"], data["texts"].tolist()
    return [(offsets[starts[i] : starts[i + 1]], texts[i]) for i in range(len(texts))]


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


def load_style(
    source: str, text: str | None, normalisation: Normalisation
) -> tuple[np.ndarray, str]:
    """A style as (offsets (T, 3) normalised with `normalisation`, its text) from a shipped number
    or a file."""
    if source.isdigit():
        styles = shipped_styles()
        number = int(source)
        if not styles:
            raise UserError("no styles are shipped with this installation; pass a style file")
        if not 1 <= number <= len(styles):
            raise UserError(f"style {number} does not exist; shipped styles are 1-{len(styles)}")
        return styles[number - 1]
    path = Path(source)
    if not path.is_file():
        raise UserError(f"{path}: no such style file (give a shipped style number or a file)")
    if path.stat().st_size > MAX_STYLE_BYTES:
        raise UserError(
            f"{path}: {path.stat().st_size:,} bytes is too large for one line of handwriting "
            f"(at most {MAX_STYLE_BYTES:,})"
        )
    if not text or not text.strip():
        raise UserError(f"{path}: say what the style line reads with --style-text")
    if len(text) > MAX_STYLE_CHARACTERS:
        raise UserError(
            f"--style-text has {len(text)} characters; a style is one line of at most "
            f"{MAX_STYLE_CHARACTERS}"
        )
    if path.suffix.lower() == ".svg":
        points, eos = strokes_to_points(svg_strokes(path))
        offsets = points_to_offsets(points, eos)
        # SVG units are arbitrary: scale the pen steps to the size of the training data's.
        spread = np.sqrt(np.mean(np.square(offsets[1:, :2]), axis=0))  # (2,)
        target = np.sqrt(np.square(normalisation.std) + np.square(normalisation.mean))
        offsets[:, :2] *= float(np.mean(target / np.maximum(spread, 1e-9)))
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
