"""W3C InkML (https://www.w3.org/TR/InkML/): digital ink in and out.

Out: one <trace> per stroke, one <traceGroup> per line (annotated with what the line says), in
millimetres on the page as the SVG lays it out (y growing downwards, as in the SVG), with the
pen's time in seconds (`page.stroke_times`). In: the traces of an InkML file from any program,
grouped as it grouped them, with the channels X, Y and T when present. The reader follows the
trace grammar of the specification's section 3.2.1: points separated by commas, values by spaces
or by their sign, and the prefixes ! (explicit), ' (first difference) and " (second difference),
each of which stays in force for its channel until the next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lxml import etree

from handsynth.atomic import write_atomically
from handsynth.data.iam import safe_xml_parser
from handsynth.errors import UserError
from handsynth.write.formats.page import Source, page_strokes, stroke_times
from handsynth.write.render import CSS_PX_PER_INCH, RenderOptions

INKML_NS = "http://www.w3.org/2003/InkML"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
MM_PER_PX = 25.4 / CSS_PX_PER_INCH
TEXT_TYPES = ("truth", "transcription")  # annotation types read as what a group says
# One value of a trace: an optional prefix, then a number (or T/F for a boolean channel).
VALUE = re.compile(r"""\s*([!'"]?)\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[TF])""")


class InkmlError(UserError):
    """An InkML file that cannot be read as the specification requires."""


@dataclass
class InkLines:
    """Ink read from InkML: per group (a line) its traces, each an array (n, k) of `channels`."""

    lines: list[list[np.ndarray]]
    channels: tuple[str, ...]  # ("X", "Y") or ("X", "Y", "T"): the columns of every trace
    texts: list[str]  # per group its annotation of type truth or transcription, "" if none


def write_inkml(
    source: Source,
    path: str | Path,
    render: RenderOptions | None = None,
    texts: list[str] | None = None,
) -> None:
    """Write the page as InkML (atomically): per line a traceGroup of traces "x y t, ...", x and y
    in millimetres, t in seconds. `texts` (a Handwriting's own by default) annotate the groups."""
    lines = page_strokes(source, render)
    times = stroke_times(lines)
    if texts is None:
        texts = list(getattr(source, "texts", [""] * len(lines)))
    ink = etree.Element(f"{{{INKML_NS}}}ink", nsmap={None: INKML_NS})
    context = etree.SubElement(etree.SubElement(ink, "definitions"), "context")
    context.set(XML_ID, "page")
    trace_format = etree.SubElement(context, "traceFormat")
    for name, units in (("X", "mm"), ("Y", "mm"), ("T", "s")):
        etree.SubElement(trace_format, "channel", name=name, type="decimal", units=units)
    for strokes, stroke_ts, text in zip(lines, times, texts, strict=True):
        group = etree.SubElement(ink, "traceGroup")
        if text:
            etree.SubElement(group, "annotation", type="truth").text = text
        for stroke, t in zip(strokes, stroke_ts, strict=True):
            trace = etree.SubElement(group, "trace", contextRef="#page")
            mm = stroke * MM_PER_PX  # (n, 2)
            points = zip(mm, t, strict=True)
            trace.text = ", ".join(f"{x:.3f} {y:.3f} {s:.3f}" for (x, y), s in points)
    data = etree.tostring(ink, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    write_atomically(Path(path), lambda f: f.write(data))


def read_inkml(path: str | Path) -> InkLines:
    """The traces of an InkML file, as groups of arrays (n, k) of X, Y and T if every trace has it.

    Each top-level traceGroup is a line (traces in nested groups included); traces outside any
    group, one after another, form a line of their own. A trace's channels come from its
    contextRef's traceFormat, else from the last <context> or <traceFormat> before it, else X Y.
    Traces of type penUp (the pen moving in the air) are left out.
    """
    path = Path(path)
    raw = path.read_bytes()
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise InkmlError(f"{path}: declares a DOCTYPE/ENTITY; refusing to parse it")
    try:
        root = etree.fromstring(raw, safe_xml_parser())
    except etree.XMLSyntaxError as error:
        raise InkmlError(f"{path}: malformed XML ({error.msg})") from error
    if _name(root) != "ink":
        raise InkmlError(f"{path}: the root element is <{_name(root)}>, not InkML's <ink>")
    formats = _formats(root)
    current = ["X", "Y"]  # the channels in force: the last context or traceFormat's
    groups: list[tuple[list, str]] = []  # per line: (traces with their channels, text)
    loose: list = []  # a run of traces outside any group
    for child in root:
        kind = _name(child)
        if kind == "trace":
            loose.append((child, current))
            continue
        if loose:
            groups.append((loose, ""))
            loose = []
        if kind in ("context", "traceFormat"):
            current = _channels_of(child, formats) or current
        elif kind == "traceGroup":
            traces = [(t, current) for t in child.iter() if _name(t) == "trace"]
            groups.append((traces, _text_of(child)))
    if loose:
        groups.append((loose, ""))

    parsed = []  # per line: per trace (values (n, k), channel names)
    for traces, _ in groups:
        line = []
        for trace, channels in traces:
            if trace.get("type") == "penUp":  # the pen moving in the air, not ink
                continue
            reference = (trace.get("contextRef") or "").lstrip("#")
            channels = formats.get(reference, channels)
            line.append(
                (_parse_trace(trace.text or "", channels, path, trace.sourceline), channels)
            )
        parsed.append(line)
    everywhere = [{"X", "Y"} <= set(ch) for line in parsed for _, ch in line]
    if not all(everywhere):
        raise InkmlError(f"{path}: a trace has no X and Y channels")
    with_time = all("T" in ch for line in parsed for _, ch in line)
    wanted = ("X", "Y", "T") if with_time else ("X", "Y")
    lines = [
        [values[:, [channels.index(c) for c in wanted]] for values, channels in line]
        for line in parsed
    ]
    return InkLines(lines, wanted, [text for _, text in groups])


def _name(element: etree._Element) -> str:
    """An element's name without its namespace ("" for comments and processing instructions)."""
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _formats(root: etree._Element) -> dict[str, list[str]]:
    """Channel names of every traceFormat and context with an xml:id, by id."""
    formats: dict[str, list[str]] = {}
    for element in root.iter():
        if _name(element) == "traceFormat" and element.get(XML_ID):
            formats[element.get(XML_ID)] = _channels_of(element, formats)
    for element in root.iter():
        if _name(element) == "context" and element.get(XML_ID):
            channels = _channels_of(element, formats)
            if channels:
                formats[element.get(XML_ID)] = channels
    return formats


def _channels_of(element: etree._Element, formats: dict[str, list[str]]) -> list[str]:
    """Channel names of a traceFormat, or of a context's traceFormat child or traceFormatRef."""
    if _name(element) == "context":
        reference = (element.get("traceFormatRef") or "").lstrip("#")
        inner = [child for child in element if _name(child) == "traceFormat"]
        if not inner:
            return formats.get(reference, [])
        element = inner[0]
    # Intermittent channels may be absent from a point; only the regular ones are read.
    return [c.get("name") for c in element if _name(c) == "channel" and c.get("name")]


def _text_of(group: etree._Element) -> str:
    """A traceGroup's own annotation saying what it reads, "" if none."""
    for child in group:
        if _name(child) == "annotation" and child.get("type") in TEXT_TYPES:
            return (child.text or "").strip()
    return ""


def _parse_trace(text: str, channels: list[str], path: Path, line: int) -> np.ndarray:
    """The points (n, k) of a trace's text for k channels, differences resolved."""
    k = len(channels)
    mode = ["!"] * k  # the prefix in force per channel
    value = np.zeros(k)
    velocity = np.zeros(k)
    points = []
    for point in text.split(","):
        if not point.strip():
            continue
        tokens = VALUE.findall(point)
        rest = VALUE.sub("", point).strip()
        if rest or len(tokens) != k:
            raise InkmlError(
                f"{path}: line {line}: point {point.strip()!r} is not {k} values for {channels}"
            )
        for c, (prefix, number) in enumerate(tokens):
            mode[c] = prefix or mode[c]
            v = {"T": 1.0, "F": 0.0}[number] if number in ("T", "F") else float(number)
            if mode[c] == "!" or not points:
                new = v
            elif mode[c] == "'":
                new = value[c] + v
            else:  # second difference: v changes the velocity
                new = value[c] + velocity[c] + v
            velocity[c] = new - value[c] if points else 0.0
            value[c] = new
        points.append(value.copy())
    if not points:
        raise InkmlError(f"{path}: line {line}: a trace with no points")
    return np.array(points)  # (n, k)
