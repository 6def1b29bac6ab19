"""W3C InkML (https://www.w3.org/TR/InkML/): digital ink in and out.

Out: one <trace> per stroke, one <traceGroup> per line (annotated with what the line says), in
millimetres on the page as the SVG lays it out (y growing downwards, as in the SVG), with the
pen's time in seconds (`page.stroke_times`). In: the traces of an InkML file from any program,
grouped as it grouped them, with the channels X, Y and T when present. The reader follows the
trace grammar of the specification's section 3.2.1: points separated by commas, values by spaces
or by their sign, numbers decimal or hexadecimal (#1F), the prefixes ! (explicit), ' (first
difference) and " (second difference), each of which stays in force for its channel until the
next, T and F for booleans, and ? or * for a value the device did not give (refused in X and Y).
Other channels (pressure F, tilt, buttons, intermittent channels) are read past. A channel with
orientation "-ve" is flipped, and a Y given in another unit of length than X is converted.
Traces are found in nested <traceGroup>s and through <traceView>s of whole traces or groups.
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
from handsynth.write.formats.page import Source, line_texts, page_strokes, stroke_times
from handsynth.write.render import CSS_PX_PER_INCH, RenderOptions

INKML_NS = "http://www.w3.org/2003/InkML"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
MM_PER_PX = 25.4 / CSS_PX_PER_INCH
TEXT_TYPES = ("truth", "transcription")  # annotation types read as what a group says
# One value of a trace: an optional prefix, then a number, a hexadecimal number, T or F (a boolean
# channel's), or ? or * (a value the device did not give).
VALUE = re.compile(
    r"""\s*([!'"]?)\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?#[0-9A-Fa-f]+|[TF?*])"""
)
# Units of length a channel may be given in, in millimetres (InkML's units are SI or inches).
MILLIMETRES = {"mm": 1.0, "cm": 10.0, "dm": 100.0, "m": 1000.0, "in": 25.4, "pt": 25.4 / 72}


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
        texts = line_texts(source) or [""] * len(lines)
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


@dataclass(frozen=True)
class _Format:
    """The channels of a traceFormat: the regular ones, in order, how many intermittent ones may
    follow them in a point, and per channel its attributes (units, orientation)."""

    names: tuple[str, ...]
    intermittent: int = 0
    attributes: tuple[dict, ...] = ()


PLAIN = _Format(("X", "Y"), 0, ({}, {}))  # the specification's default format


def read_inkml(path: str | Path) -> InkLines:
    """The traces of an InkML file, as groups of arrays (n, k) of X, Y and T if every trace has it.

    Each top-level traceGroup is a line (traces in nested groups and those its traceViews select
    included); traces outside any group, one after another, form a line of their own unless a
    traceView selects them. A trace's channels come from its contextRef's traceFormat (or its
    group's), else from the last <context> or <traceFormat> before it, else X Y. Traces of type
    penUp (the pen moving in the air) are left out. A group's text is its annotation of type truth
    or transcription, else its subgroups' joined by spaces, else (for a file of one line) the
    <ink> element's own.
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
    ids = {e.get(XML_ID): e for e in root.iter() if isinstance(e.tag, str) and e.get(XML_ID)}
    # Traces outside groups that a group's traceView selects are part of that group's line.
    top_groups = [g for g in root if _name(g) == "traceGroup"]
    viewed = {t.get(XML_ID) for g in top_groups for t in _viewed_only(g, ids, path)} - {None}
    current = PLAIN  # the channels in force: the last context or traceFormat's
    groups: list[tuple[list, str]] = []  # per line: (traces with their format, text)
    loose: list = []  # a run of traces outside any group
    for child in root:
        kind = _name(child)
        if kind == "trace":
            if child.get(XML_ID) not in viewed:  # a traceView's trace belongs to its group's line
                loose.append((child, _format_of(child, current, formats)))
            continue
        if loose:
            groups.append((loose, ""))
            loose = []
        if kind in ("context", "traceFormat"):
            current = _channels_of(child, formats) or current
        elif kind == "traceGroup":
            traces = _traces(child, current, formats, ids, path)
            if traces:  # a group holding only annotations is no line
                groups.append((traces, _text_of(child)))
    if loose:
        groups.append((loose, ""))
    if len(groups) == 1 and not groups[0][1]:
        groups[0] = (groups[0][0], _text_of(root))

    parsed = []  # per line: per trace (values (n, k), its format)
    for traces, _ in groups:
        line = []
        for trace, form in traces:
            if trace.get("type") == "penUp":  # the pen moving in the air, not ink
                continue
            line.append((_parse_trace(trace.text or "", form, path, trace.sourceline), form))
        parsed.append(line)
    if not all({"X", "Y"} <= set(form.names) for line in parsed for _, form in line):
        raise InkmlError(f"{path}: a trace has no X and Y channels")
    with_time = all(
        "T" in form.names and np.isfinite(values[:, form.names.index("T")]).all()
        for line in parsed
        for values, form in line
    )
    wanted = ("X", "Y", "T") if with_time else ("X", "Y")
    lines = [[_columns(values, form, wanted, path) for values, form in line] for line in parsed]
    return InkLines(lines, wanted, [text for _, text in groups])


def _columns(values: np.ndarray, form: _Format, wanted: tuple, path: Path) -> np.ndarray:
    """The `wanted` channels of a trace's values (n, k): X and Y flipped where their orientation
    is "-ve", and Y converted to X's unit of length where the two differ."""
    out = values[:, [form.names.index(c) for c in wanted]]  # (n, len(wanted))
    if not np.isfinite(out[:, :2]).all():
        raise InkmlError(f"{path}: a trace leaves X or Y unknown ('?' or '*'); not supported")
    x, y = (form.attributes[form.names.index(c)] for c in ("X", "Y"))
    for column, channel in enumerate((x, y)):
        if channel.get("orientation") == "-ve":
            out[:, column] *= -1
    x_unit, y_unit = x.get("units"), y.get("units")
    if x_unit != y_unit and x_unit in MILLIMETRES and y_unit in MILLIMETRES:
        out[:, 1] *= MILLIMETRES[y_unit] / MILLIMETRES[x_unit]
    return out


def _name(element: etree._Element) -> str:
    """An element's name without its namespace ("" for comments and processing instructions)."""
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _reference(element: etree._Element, attribute: str) -> str:
    """The xml:id an attribute such as contextRef="#tablet" points at."""
    return (element.get(attribute) or "").strip().lstrip("#")


def _formats(root: etree._Element) -> dict[str, _Format]:
    """The format of every traceFormat, context and inkSource with an xml:id, by id."""
    formats: dict[str, _Format] = {}
    for kind in ("traceFormat", "inkSource", "context"):  # each may refer to the ones before
        for element in root.iter():
            if _name(element) == kind and element.get(XML_ID):
                form = _channels_of(element, formats)
                if form:
                    formats[element.get(XML_ID)] = form
    return formats


def _channels_of(element: etree._Element, formats: dict[str, _Format]) -> _Format | None:
    """The format of a traceFormat; of a context (its traceFormat, traceFormatRef, inkSource or
    inkSourceRef); or of an inkSource (its traceFormat). None when it names no channels."""
    kind = _name(element)
    if kind in ("context", "inkSource"):
        inner = [child for child in element if _name(child) == "traceFormat"]
        if inner:
            return _channels_of(inner[0], formats)
        for attribute in ("traceFormatRef", "inkSourceRef"):
            if _reference(element, attribute) in formats:
                return formats[_reference(element, attribute)]
        sources = [child for child in element if _name(child) == "inkSource"]
        return _channels_of(sources[0], formats) if sources else None
    regular, intermittent = [], []
    for child in element:
        if _name(child) == "channel":
            regular.append(child)
        elif _name(child) == "regularChannels":  # the 2006 drafts' wrapper
            regular += [c for c in child if _name(c) == "channel"]
        elif _name(child) == "intermittentChannels":
            intermittent += [c for c in child if _name(c) == "channel"]
    regular = [c for c in regular if c.get("name")]
    if not regular:
        return None
    attributes = tuple(dict(c.attrib) for c in regular)
    return _Format(tuple(c.get("name") for c in regular), len(intermittent), attributes)


def _format_of(trace: etree._Element, default: _Format, formats: dict[str, _Format]) -> _Format:
    """A trace's format: its contextRef's, else `default` (its group's or the one in force)."""
    return formats.get(_reference(trace, "contextRef"), default)


def _traces(group, default: _Format, formats: dict, ids: dict, path: Path, depth: int = 0):
    """The traces of a traceGroup in order, each with its format: its own traces, those of its
    nested groups, and the traces or groups its traceViews select."""
    if _name(group) != "traceGroup":
        return []
    if depth > 32:
        raise InkmlError(f"{path}: traceGroups nest deeper than 32 (or a traceView loops)")
    default = _format_of(group, default, formats)
    found = []
    for child in group:
        kind = _name(child)
        if kind == "trace":
            found.append((child, _format_of(child, default, formats)))
        elif kind == "traceGroup":
            found += _traces(child, default, formats, ids, path, depth + 1)
        elif kind == "traceView":
            target = _view_target(child, ids, path)
            if _name(target) == "trace":
                found.append((target, _format_of(target, default, formats)))
            else:
                found += _traces(target, default, formats, ids, path, depth + 1)
    return found


def _viewed_only(group, ids: dict, path: Path, depth: int = 0) -> list:
    """The traces a traceGroup's traceViews select, at any depth."""
    if depth > 32:
        raise InkmlError(f"{path}: traceGroups nest deeper than 32 (or a traceView loops)")
    found = []
    for child in group:
        if _name(child) == "traceGroup":
            found += _viewed_only(child, ids, path, depth + 1)
        elif _name(child) == "traceView":
            target = _view_target(child, ids, path)
            if _name(target) == "trace":
                found.append(target)
            else:
                found += [t for t in target.iter() if _name(t) == "trace"]
    return found


def _view_target(view: etree._Element, ids: dict, path: Path) -> etree._Element:
    """The trace or traceGroup a traceView selects whole; selections of part are refused."""
    if view.get("from") or view.get("to"):
        raise InkmlError(
            f"{path}: line {view.sourceline}: a traceView selecting part of a trace (from/to) "
            "is not supported"
        )
    target = ids.get(_reference(view, "traceDataRef"))
    if target is None or _name(target) not in ("trace", "traceGroup"):
        raise InkmlError(
            f"{path}: line {view.sourceline}: traceView refers to "
            f"{view.get('traceDataRef')!r}, which is no trace or traceGroup in the file"
        )
    return target


def _text_of(element: etree._Element) -> str:
    """What a traceGroup (or <ink>) says: its own annotation of type truth or transcription, else
    its subgroups' texts joined by spaces (a line annotated word by word), "" if none."""
    for child in element:
        if _name(child) == "annotation" and child.get("type") in TEXT_TYPES:
            return (child.text or "").strip()
    if _name(element) == "ink":
        return ""
    words = [_text_of(child) for child in element if _name(child) == "traceGroup"]
    return " ".join(word for word in words if word)


def _parse_trace(text: str, form: _Format, path: Path, line: int) -> np.ndarray:
    """The points (n, k) of a trace's text for its k regular channels, differences resolved;
    intermittent values after them are read past, and ? or * is NaN."""
    channels = form.names
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
        if rest or not k <= len(tokens) <= k + form.intermittent:
            expected = f"{k} values" if not form.intermittent else f"{k} values (and optionally"
            expected += f" up to {form.intermittent} more)" if form.intermittent else ""
            raise InkmlError(
                f"{path}: line {line}: point {point.strip()!r} is not {expected} for "
                f"{list(channels)}"
            )
        for c, (prefix, number) in enumerate(tokens[:k]):
            mode[c] = prefix or mode[c]
            v = _number(number)
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


def _number(token: str) -> float:
    """One value of a trace as a number: T 1, F 0, ? and * NaN (unknown), #hex, or decimal."""
    if token in ("T", "F"):
        return 1.0 if token == "T" else 0.0
    if token in ("?", "*"):
        return float("nan")
    if "#" in token:
        sign = -1.0 if token.startswith("-") else 1.0
        return sign * int(token.lstrip("+-#"), 16)
    return float(token)
