"""IAM-OnDB reading: line stroke XML, form transcriptions, split lists and the blacklist.

Layout of an unpacked tree (form "a01-000u"; a form without a letter suffix such as "a02-004"
works the same way):
    ascii/a01/a01-000/a01-000u.txt            transcription; CSR line i belongs to line file -0i
    lineStrokes/a01/a01-000/a01-000u-01.xml    strokes of line 1
Nothing here trusts the files: XML is parsed without DTDs, entities or network access, and the
blacklist is read without unpickling.
"""

from __future__ import annotations

import ast
import pickletools
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lxml import etree

from handsynth.data import validate
from handsynth.errors import UserError

# A form id: writer group, three-digit form number, optional letter ("a01-000u", "a02-004").
FORM_ID = re.compile(r"^(?P<group>[a-z]\d{2})-(?P<number>\d{3})[a-z]?$")
# A line id is a form id and a two-digit line number; the blacklist writes it with ".xml".
LINE_ID = re.compile(r"([a-z]\d{2}-\d{3}[a-z]?-\d{2})(?:\.xml)?$")


class IamFormatError(UserError):
    """A file of the IAM-OnDB tree that cannot be read as the format requires."""


class IamDataWarning(UserWarning):
    """A line of IAM-OnDB skipped while collecting lines (the message names the file)."""


@dataclass
class IamLine:
    """One handwritten line: its ids, its transcription and its strokes (n_i, 3) of x, y, time."""

    line_id: str
    form_id: str
    text: str
    strokes: list[np.ndarray]


def safe_xml_parser() -> etree.XMLParser:
    # No entity expansion, no DTD loading, no network, bounded tree: the file cannot make the
    # parser read local files (XXE) or blow up memory (billion laughs).
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _parse_xml(path: Path) -> etree._Element:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise IamFormatError(f"{path}: cannot read the file ({error})") from error
    # IAM-OnDB files never declare a DTD; one that does is either corrupt or hostile.
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise IamFormatError(
            f"{path}: declares a DOCTYPE/ENTITY, which IAM-OnDB files never do; refusing to parse "
            "it. Replace it with the file from the original archive or blacklist the line."
        )
    try:
        return etree.fromstring(raw, safe_xml_parser())
    except etree.XMLSyntaxError as error:
        where = f" line {error.lineno}" if error.lineno else ""
        raise IamFormatError(
            f"{path}:{where}: malformed XML ({error.msg}); the file may be truncated. "
            "Re-extract it from the original archive or blacklist the line."
        ) from error


def _bad_point(stroke: etree._Element, path: Path, stroke_index: int) -> IamFormatError:
    # Slow path, only after the fast conversion failed: find and describe the first bad value.
    for point in stroke.iterfind("Point"):
        where = f"{path}: line {point.sourceline}: stroke {stroke_index}"
        for name in ("x", "y", "time"):
            value = point.get(name)
            if value is None:
                return IamFormatError(f"{where}: <Point> lacks the {name!r} attribute")
            try:
                finite = np.isfinite(float(value))
            except ValueError:
                finite = False
            if not finite:
                return IamFormatError(f"{where}: {name}={value!r} is not a finite number")
    return IamFormatError(f"{path}: stroke {stroke_index}: unreadable points")


def parse_line_strokes(path: str | Path) -> list[np.ndarray]:
    """The strokes of one line file, each an array (n_i, 3) float64 of x, y, time.

    Raises IamFormatError naming the file for malformed XML, a missing or empty StrokeSet, a
    stroke without points, or a point whose x, y or time is missing or not a finite number.
    """
    path = Path(path)
    root = _parse_xml(path)
    stroke_set = root.find("StrokeSet")
    if stroke_set is None:
        raise IamFormatError(f"{path}: no <StrokeSet> element; is this an IAM-OnDB line file?")
    strokes = []
    for stroke_index, stroke in enumerate(stroke_set.iterfind("Stroke")):
        rows = [(p.get("x"), p.get("y"), p.get("time")) for p in stroke.iterfind("Point")]
        if not rows:
            raise IamFormatError(
                f"{path}: line {stroke.sourceline}: stroke {stroke_index} has no points"
            )
        try:
            values = np.asarray(rows, dtype=np.float64)  # (n_i, 3) x, y, time
        except (TypeError, ValueError):
            raise _bad_point(stroke, path, stroke_index) from None
        if not np.isfinite(values).all():
            raise _bad_point(stroke, path, stroke_index)
        strokes.append(values)
    if not strokes:
        raise IamFormatError(f"{path}: <StrokeSet> holds no strokes")
    return strokes


def line_transcription(path: str | Path) -> str | None:
    """The text a line file says it reads, or None.

    IAM-OnDB keeps transcriptions in the ascii files; a line file written by `line_strokes_xml`
    (a style drawn on the web page) carries its own in <Transcription><TextLine text="...">, the
    element IAM-OnDB's whole-form files use.
    """
    element = _parse_xml(Path(path)).find("Transcription/TextLine")
    return None if element is None else element.get("text")


def line_strokes_xml(strokes: list[np.ndarray], text: str) -> bytes:
    """One line as an IAM-OnDB lineStrokes file: strokes (n_i, 3) of x, y, time in seconds, and
    `text` as its transcription. `parse_line_strokes` and `line_transcription` read it back."""
    root = etree.Element("WhiteboardCaptureSession")
    description = etree.SubElement(root, "WhiteboardDescription")
    etree.SubElement(description, "SensorLocation", corner="top_left")
    transcription = etree.SubElement(root, "Transcription")
    etree.SubElement(transcription, "TextLine", text=text)
    stroke_set = etree.SubElement(root, "StrokeSet")
    for stroke in strokes:
        element = etree.SubElement(
            stroke_set,
            "Stroke",
            colour="black",
            start_time=f"{stroke[0, 2]:.3f}",
            end_time=f"{stroke[-1, 2]:.3f}",
        )
        for x, y, time in stroke:
            etree.SubElement(element, "Point", x=f"{x:.1f}", y=f"{y:.1f}", time=f"{time:.3f}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def parse_transcription(path: str | Path) -> list[str]:
    """The stripped lines of the `CSR:` section of a form's ascii file (line i is index i - 1)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="iso-8859-1")
    except OSError as error:
        raise IamFormatError(f"{path}: cannot read the file ({error})") from error
    lines = text.splitlines()
    headers = [i for i, line in enumerate(lines) if line.strip() == "CSR:"]
    if not headers:
        raise IamFormatError(f"{path}: no 'CSR:' section; is this an IAM-OnDB ascii file?")
    csr = [line.strip() for line in lines[headers[0] + 1 :]]
    # The section starts after a blank line and may end with blank lines; drop both.
    while csr and not csr[0]:
        csr.pop(0)
    while csr and not csr[-1]:
        csr.pop()
    return csr


def read_form_list(path: str | Path) -> list[str]:
    """Form ids of a split list, one per line; surrounding whitespace and blank lines ignored."""
    lines = validate.read_text(path, "form list").splitlines()
    ids = [line.strip() for line in lines if line.strip()]
    validate.checked_ids(path, ids, FORM_ID, "a01-000u", "form list")
    return ids


def _pickled_strings(payload: bytes) -> Iterator[str]:
    # Walk the pickle opcodes without executing any of them; string arguments are plain data.
    for _, argument, _ in pickletools.genops(payload):
        if isinstance(argument, bytes):
            yield argument.decode("latin-1")
        elif isinstance(argument, str):
            yield argument


def _npy_strings(path: Path) -> list[str]:
    raw = path.read_bytes()
    if not raw.startswith(b"\x93NUMPY"):
        raise IamFormatError(f"{path}: not a .npy file (bad magic)")
    major = raw[6]
    # Header length is 2 bytes little-endian in format 1.0, 4 bytes in 2.0 and 3.0.
    size_bytes = 2 if major == 1 else 4
    start = 8 + size_bytes
    header_len = int.from_bytes(raw[8:start], "little")
    try:
        header = ast.literal_eval(raw[start : start + header_len].decode("latin-1"))
    except (ValueError, SyntaxError) as error:
        raise IamFormatError(f"{path}: unreadable .npy header ({error})") from error
    payload = raw[start + header_len :]
    if header.get("descr") != "|O":
        # A plain string array: load it without pickle.
        return [str(s) for s in np.load(path, allow_pickle=False).ravel()]
    try:
        return list(_pickled_strings(payload))
    except Exception as error:  # pickletools raises ValueError and others on damaged data
        raise IamFormatError(f"{path}: damaged pickle payload ({error})") from error


def load_blacklist(path: str | Path) -> set[str]:
    """Line ids (like "a01-004w-08") of a blacklist: a .npy array or a text file, one per line.

    An object-array .npy is read by walking its pickle opcodes; nothing is unpickled.
    """
    path = Path(path)
    if path.suffix == ".npy":
        entries = _npy_strings(path)
    else:
        entries = validate.read_text(path, "blacklist").split()
        validate.checked_ids(path, entries, LINE_ID, "a01-000u-03", "blacklist")
    ids = set()
    for entry in entries:
        match = LINE_ID.search(entry.strip())
        if match:
            ids.add(match.group(1))
    return ids


def form_paths(iam_root: str | Path, form_id: str) -> tuple[Path, list[Path]]:
    """The ascii file of a form and its line XML files (sorted by line number)."""
    match = FORM_ID.match(form_id)
    if match is None:
        raise ValueError(f"{form_id!r} is not an IAM-OnDB form id like 'a01-000u' or 'a02-004'")
    group, base = match.group("group"), form_id[:7]
    root = Path(iam_root)
    ascii_path = root / "ascii" / group / base / f"{form_id}.txt"
    line_paths = sorted((root / "lineStrokes" / group / base).glob(f"{form_id}-[0-9][0-9].xml"))
    return ascii_path, line_paths


def _skip(dropped: Counter, reason: str, message: str) -> None:
    dropped[reason] += 1
    warnings.warn(message, IamDataWarning, stacklevel=3)


def iter_lines(
    iam_root: str | Path,
    form_ids: Iterable[str],
    blacklist: Iterable[str] = (),
    dropped: Counter | None = None,
) -> Iterator[IamLine]:
    """Yield the usable lines of `form_ids`; count every skipped line in `dropped` by reason.

    Reasons: "blacklisted", "malformed xml", "no transcription", "line number past CSR list",
    "empty text"; "form without line files" counts forms. Each skipped file gives one
    IamDataWarning naming it (blacklisted lines are skipped silently).
    """
    dropped = Counter() if dropped is None else dropped
    blacklist = set(blacklist)
    for form_id in form_ids:
        ascii_path, line_paths = form_paths(iam_root, form_id)
        if not line_paths:
            _skip(dropped, "form without line files", f"form {form_id}: no line XML files found")
            continue
        transcription, transcription_error = None, ""
        try:
            transcription = parse_transcription(ascii_path)
        except IamFormatError as error:
            transcription_error = str(error)
        for line_path in line_paths:
            line_id = line_path.stem
            if line_id in blacklist:
                dropped["blacklisted"] += 1
                continue
            if transcription is None:
                _skip(dropped, "no transcription", f"{line_path}: skipped, {transcription_error}")
                continue
            number = int(line_id[-2:])
            if number > len(transcription):
                _skip(
                    dropped,
                    "line number past CSR list",
                    f"{line_path}: skipped, line {number} but {ascii_path} has only "
                    f"{len(transcription)} CSR lines",
                )
                continue
            text = transcription[number - 1]
            if not text:
                _skip(dropped, "empty text", f"{line_path}: skipped, CSR line {number} is empty")
                continue
            try:
                strokes = parse_line_strokes(line_path)
            except IamFormatError as error:
                _skip(dropped, "malformed xml", f"skipped: {error}")
                continue
            yield IamLine(line_id=line_id, form_id=form_id, text=text, strokes=strokes)
