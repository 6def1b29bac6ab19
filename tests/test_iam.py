"""Tests of handsynth.data.iam on the fixture tree data/fixtures/iam and on hostile inputs."""

import re
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from handsynth.data.iam import (
    IamDataWarning,
    IamFormatError,
    form_paths,
    iter_lines,
    load_blacklist,
    parse_line_strokes,
    parse_transcription,
    read_form_list,
    safe_xml_parser,
)

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "iam"
LINES = FIXTURES / "lineStrokes"


def test_parse_line_strokes_values():
    strokes = parse_line_strokes(LINES / "a01" / "a01-000" / "a01-000u-01.xml")
    assert [s.shape for s in strokes] == [(6, 3), (6, 3)]
    assert strokes[0].dtype == np.float64
    np.testing.assert_array_equal(strokes[0][0], [100, 200, 100.0])
    np.testing.assert_array_equal(strokes[1][-1], [220, 230, 100.11])


def test_parse_transcription_reads_csr_section():
    csr = parse_transcription(FIXTURES / "ascii" / "a01" / "a01-000" / "a01-000u.txt")
    assert csr == ["A MOVE to stop", "Mr. Gaitskell", "from"]


def test_parse_transcription_without_csr(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("OCR:\n\nsome text\n")
    with pytest.raises(IamFormatError, match="x.txt.*CSR"):
        parse_transcription(path)


def test_read_form_list_strips_and_skips_blanks():
    assert read_form_list(FIXTURES / "splits" / "testset_t.txt") == ["a02-004"]


def test_form_paths_with_and_without_letter_suffix():
    ascii_path, lines = form_paths(FIXTURES, "a02-004")
    assert ascii_path == FIXTURES / "ascii" / "a02" / "a02-004" / "a02-004.txt"
    assert [p.name for p in lines] == ["a02-004-01.xml", "a02-004-02.xml"]
    _, lines = form_paths(FIXTURES, "a01-000u")
    assert [p.name for p in lines] == [f"a01-000u-0{i}.xml" for i in range(1, 5)]
    with pytest.raises(ValueError, match="form id"):
        form_paths(FIXTURES, "../../etc")


def test_truncated_xml_names_file_and_line():
    path = LINES / "a02" / "a02-004" / "a02-004-02.xml"
    with pytest.raises(IamFormatError, match=r"a02-004-02\.xml: line \d+"):
        parse_line_strokes(path)


def xxe_document(secret: Path) -> bytes:
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE WhiteboardCaptureSession [<!ENTITY leak SYSTEM "file://{secret}">]>\n'
        '<WhiteboardCaptureSession><StrokeSet><Stroke><Point x="1" y="2" time="3"/>'
        "<Extra>&leak;</Extra></Stroke></StrokeSet></WhiteboardCaptureSession>"
    ).encode()


def test_xxe_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    path = tmp_path / "a01-000u-01.xml"
    path.write_bytes(xxe_document(secret))
    with pytest.raises(IamFormatError, match="a01-000u-01.xml.*DOCTYPE") as error:
        parse_line_strokes(path)
    assert "TOP-SECRET" not in str(error.value)
    with pytest.raises(IamFormatError, match="DOCTYPE"):
        parse_line_strokes(LINES / "b01" / "b01-001" / "b01-001x-02.xml")


def testsafe_xml_parser_does_not_expand_external_entities(tmp_path):
    # Defence in depth behind the DOCTYPE check: the parser itself never reads the file.
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    root = etree.fromstring(xxe_document(secret), safe_xml_parser())
    assert b"TOP-SECRET" not in etree.tostring(root)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<StrokeSet></StrokeSet>", "no strokes"),
        ("", "no <StrokeSet>"),
        ('<StrokeSet><Stroke><Point x="1" time="0"/></Stroke></StrokeSet>', "lacks the 'y'"),
        ('<StrokeSet><Stroke><Point x="1" y="zz" time="0"/></Stroke></StrokeSet>', "y='zz'"),
        ('<StrokeSet><Stroke><Point x="nan" y="1" time="0"/></Stroke></StrokeSet>', "x='nan'"),
        ("<StrokeSet><Stroke></Stroke></StrokeSet>", "has no points"),
    ],
)
def test_bad_line_files_name_the_file(tmp_path, body, message):
    path = tmp_path / "bad-01.xml"
    path.write_text(f"<WhiteboardCaptureSession>{body}</WhiteboardCaptureSession>")
    with pytest.raises(IamFormatError, match="bad-01.xml") as error:
        parse_line_strokes(path)
    assert message in str(error.value)


def test_load_blacklist_text():
    assert load_blacklist(FIXTURES / "splits" / "blacklist.txt") == {"a01-000u-03"}


class WritesFileWhenUnpickled:
    """Unpickling this calls open(marker, "w"): proof that something was unpickled."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_load_blacklist_npy_object_array_without_unpickling(tmp_path):
    marker = tmp_path / "unpickled"
    ids = np.array(
        ["a01-004w-08.xml", "e03-137z-09.xml", WritesFileWhenUnpickled(marker)], dtype=object
    )
    path = tmp_path / "blacklist.npy"
    np.save(path, ids, allow_pickle=True)
    assert load_blacklist(path) == {"a01-004w-08", "e03-137z-09"}
    assert not marker.exists()


def test_load_blacklist_npy_string_array(tmp_path):
    path = tmp_path / "blacklist.npy"
    np.save(path, np.array(["a01-004w-08.xml", "a02-004-01"]))
    assert load_blacklist(path) == {"a01-004w-08", "a02-004-01"}


def test_iter_lines_counts_and_warns():
    forms = ["a01-000u", "a02-004", "b01-001x"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lines = list(iter_lines(FIXTURES, forms, {"a01-000u-03"}, dropped := Counter()))
    messages = [str(w.message) for w in caught if issubclass(w.category, IamDataWarning)]
    assert len(messages) == 3  # one per skipped file; blacklisted lines are silent
    assert any("a01-000u-04.xml" in m and "only 3 CSR lines" in m for m in messages)
    assert any("a02-004-02.xml" in m for m in messages)
    assert any("b01-001x-02.xml" in m for m in messages)
    assert dropped == {"blacklisted": 1, "line number past CSR list": 1, "malformed xml": 2}
    assert [line.line_id for line in lines] == [
        "a01-000u-01",
        "a01-000u-02",
        "a02-004-01",
        "b01-001x-01",
        "b01-001x-03",
        "b01-001x-04",
    ]
    assert lines[1].text == "Mr. Gaitskell"
    assert lines[2].form_id == "a02-004"
    assert lines[4].text == '"resolution" on 3'


def test_iter_lines_missing_transcription(tmp_path):
    tree = tmp_path / "lineStrokes" / "a01" / "a01-000"
    tree.mkdir(parents=True)
    source = LINES / "a01" / "a01-000" / "a01-000u-01.xml"
    (tree / "a01-000u-01.xml").write_bytes(source.read_bytes())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lines = list(iter_lines(tmp_path, ["a01-000u", "a09-999"], (), dropped := Counter()))
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2
    assert re.search(r"a01-000u-01\.xml.*a01-000u\.txt: cannot read", messages[0])
    assert "a09-999" in messages[1]
    assert lines == []
    assert dropped == {"no transcription": 1, "form without line files": 1}
