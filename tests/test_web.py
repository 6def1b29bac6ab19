"""The web page's API through Starlette's test client, with tiny models: writing (plain and
streamed), rendering as `handsynth write` does, saved styles, every refusal, the job queue and a
client that goes away mid-stream."""

import asyncio
import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import numpy as np
import pytest

pytest.importorskip("starlette")

from lxml import etree  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from handsynth import cli  # noqa: E402
from handsynth.data.strokes import offsets_to_points  # noqa: E402
from handsynth.loaded import load_model  # noqa: E402
from handsynth.web import ServeLimits, create_app  # noqa: E402
from handsynth.web.jobs import Busy, Job, JobQueue, Stopped  # noqa: E402
from handsynth.write.style_folder import StyleFolder  # noqa: E402
from handsynth.write.styles import shipped_styles  # noqa: E402
from tests.test_hostile_inputs import tiny_model  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CAPS = ServeLimits(max_characters=300, write_bytes=4096, style_bytes=200_000, waiting=1)
SHIPPED_TEXT = shipped_styles()[0][1]  # what shipped style 1's line says


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("web-models")
    tiny_model(root / "tiny.safetensors")
    tiny_model(root / "stuck.safetensors", kappa_bias=-30.0)  # the window never moves
    # Reads the characters of shipped style 1 to their end over its points, as trained ones do.
    points = len(shipped_styles()[0][0])
    pace = (len(SHIPPED_TEXT) + 0.5) / points
    tiny_model(root / "paced.safetensors", kappa_bias=float(np.log(pace)))
    return {name: root / f"{name}.safetensors" for name in ("tiny", "stuck", "paced")}


def make_client(model_path, folder, caps=CAPS) -> TestClient:
    app = create_app(load_model(model_path), StyleFolder(folder), caps)
    return TestClient(app)


@pytest.fixture
def client(models, tmp_path):
    with make_client(models["tiny"], tmp_path / "styles") as client:
        yield client


def events(body: str) -> list[tuple[str, dict]]:
    """The (name, data) of each Server-Sent Event of a response body."""
    found = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        found.append((fields["event"], json.loads(fields["data"])))
    return found


def pointer_line(number: int = 1, pixels_per_unit: float = 0.25) -> list[list[list[float]]]:
    """A shipped style line as a page would post it: strokes of [x, y, ms] in screen pixels."""
    offsets, _ = shipped_styles()[number - 1]
    model = load_model()
    points, eos = offsets_to_points(model.normalisation.denormalise(offsets))
    points = (points - points.min(axis=0)) * pixels_per_unit + 10
    strokes, stroke = [], []
    for n, ((x, y), end) in enumerate(zip(points, eos, strict=True)):
        stroke.append([round(x, 1), round(y, 1), 1000 + 16.0 * n])
        if end > 0.5:
            strokes.append(stroke)
            stroke = []
    return strokes + ([stroke] if stroke else [])


def test_write_returns_the_lines_and_faults_of_load_model_write(client, models):
    answer = client.post("/api/write", json={"text": "hello there", "seed": 3, "wrap": 0})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    expected = load_model(models["tiny"]).write("hello there", seed=3, wrap=0)
    assert result["texts"] == ["hello there"]
    assert len(result["lines"]) == 1 and len(result["faults"]) == 1
    np.testing.assert_array_equal(np.array(result["lines"][0]), expected.lines[0])
    assert all(set(f) == {"kind", "position", "detail"} for f in result["faults"][0])


def test_downloads_match_handsynth_write(client, models, tmp_path):
    text = "hello there,\n\nhow do you do"
    result = client.post("/api/write", json={"text": text, "seed": 5, "bias": 2}).json()
    assert result["texts"] == ["hello there,", "", "how do you do"]
    for form in ("svg", "png"):
        cli_file = tmp_path / f"cli.{form}"
        argv = ["write", text, "--model", str(models["tiny"]), "--seed", "5", "--bias", "2"]
        assert (
            cli.main([*argv, "-o", str(cli_file), "--stroke-width", "3", "--colour", "navy"]) == 0
        )
        body = {"lines": result["lines"], "format": form, "stroke_width": 3, "colour": "navy"}
        answer = client.post("/api/render", json=body)
        assert answer.status_code == 200, answer.text
        assert answer.content == cli_file.read_bytes()
    assert answer.content.startswith(PNG_MAGIC)
    assert answer.headers["content-disposition"] == 'attachment; filename="handwriting.png"'


MAGIC = {
    "pdf": b"%PDF-",
    "gcode": b"; handsynth",
    "hpgl": b"IN;",
    "gif": b"GIF8",
    "webp": b"RIFF",
    "inkml": b"<?xml",
    "animated-svg": b"<svg",
}


def test_every_format_downloads_as_handsynth_write_writes_it(client, models, tmp_path):
    result = client.post("/api/write", json={"text": "hello there", "seed": 5}).json()
    argv = ["write", "hello there", "--model", str(models["tiny"]), "--seed", "5"]
    for form, magic in MAGIC.items():
        suffix = ".svg" if form == "animated-svg" else f".{form}"
        cli_file = tmp_path / f"cli{suffix}"
        animate = ["--animate"] if form == "animated-svg" else []
        assert cli.main([*argv, *animate, "-o", str(cli_file)]) == 0
        body = {"lines": result["lines"], "texts": result["texts"], "format": form}
        answer = client.post("/api/render", json=body)
        assert answer.status_code == 200, answer.text
        assert answer.content.startswith(magic), form
        if form != "pdf":  # a PDF holds the time it was made
            assert answer.content == cli_file.read_bytes(), form
    assert answer.headers["content-disposition"] == (
        'attachment; filename="handwriting-animated.svg"'
    )


def test_stream_sends_every_pen_step_then_the_result(client, models):
    answer = client.post("/api/write/stream", json={"text": "ab ba\nabc", "seed": 1})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(
        "text/event-stream"
    )
    found = events(answer.text)
    names = [name for name, _ in found]
    assert names[0] == "start" and names[-1] == "done" and "steps" in names
    assert found[0][1] == {
        "lines": ["ab ba", "abc"],
        "rows": [0, 1],
        "notice": None,
        "queued": False,
    }
    first_draw = [step for name, data in found if name == "steps" and data["draw"] == 0
                  for step in data["steps"]]  # fmt: skip
    assert all(len(step) == 2 for step in first_draw)  # one entry per line being drawn
    done = found[-1][1]
    plain = client.post("/api/write", json={"text": "ab ba\nabc", "seed": 1}).json()
    assert done["lines"] == plain["lines"] and done["faults"] == plain["faults"]


def test_pasted_typography_is_written_with_a_notice(client):
    result = client.post("/api/write", json={"text": "\u201cab\u201d \u2014 ba", "seed": 0}).json()
    assert result["texts"] == ['"ab" - ba']
    assert "2 × '\u201c'" not in result["notice"] and "1 × '\u2014' with '-'" in result["notice"]


BIG = "a" * 5000
REFUSED = [
    # (route, JSON body or raw bytes, status, part of the message)
    ("/api/write", b"text=hello", 400, "send the request as JSON"),
    ("/api/write", b"{nope", 400, "not valid JSON"),
    ("/api/write", [1, 2], 400, "send a JSON object"),
    ("/api/write", {"text": "hi", "colour": "red"}, 400, "unknown field(s) colour"),
    ("/api/write", {"bias": 1}, 400, "text: give the text to write"),
    ("/api/write", {"text": 5}, 400, "text: give the text to write"),
    ("/api/write", {"text": "a" * 301}, 400, "the page writes at most 300 at a time"),
    ("/api/write", {"text": BIG}, 413, "larger than 4,096 bytes"),
    ("/api/write", {"text": " \n "}, 400, "nothing to write"),
    ("/api/write", {"text": "caf\u00e9"}, 400, "'\u00e9' (U+00E9) at line 1, column 4"),
    ("/api/write", b'{"text": "hi", "bias": NaN}', 400, "bias: must be a number from 0 up to 10"),
    ("/api/write", {"text": "hi", "bias": 11}, 400, "bias: must be a number from 0 up to 10"),
    ("/api/write", {"text": "hi", "bias": "lots"}, 400, "bias: must be a number, got 'lots'"),
    ("/api/write", {"text": "hi", "bias": True}, 400, "bias: must be a number, got 'True'"),
    ("/api/write", {"text": "hi", "seed": -1}, 400, "seed: must be between 0 and"),
    ("/api/write", {"text": "hi", "seed": 1.5}, 400, "seed: must be a whole number"),
    ("/api/write", {"text": "hi", "seed": 2**64}, 400, "seed: must be between 0 and"),
    ("/api/write", {"text": "hi", "wrap": 5}, 400, "wrap: must be 0 (the text's own lines) or"),
    ("/api/write", {"text": "hi", "style": 99}, 400, "style 99 does not exist"),
    ("/api/write", {"text": "hi", "style": "../../etc/passwd"}, 400, "is not a style name"),
    ("/api/write", {"text": "hi", "style": "/etc/passwd"}, 400, "is not a style name"),
    ("/api/write", {"text": "hi", "style": "mine"}, 400, "no saved style named 'mine'"),
    ("/api/write", {"text": "hi", "style": [1]}, 400, "style: give a shipped style number"),
    ("/api/write/stream", {"text": "hi", "wrap": 500}, 400, "wrap: must be between 0 and 120"),
    ("/api/write/stream", {"text": "hi\u2603"}, 400, "U+2603"),
    ("/api/render", {"lines": []}, 400, "lines: give the lines of a write"),
    ("/api/render", {"lines": [[[0, 0]]]}, 400, "line 1 is not a list of [x, y, eos]"),
    ("/api/render", {"lines": [["a", "b", "c"]]}, 400, "line 1 is not a list of [x, y, eos]"),
    ("/api/render", b'{"lines": [[[0, Infinity, 0]]]}', 400, "line 1 has a number that is not"),
    ("/api/render", {"lines": [[[0, 0, 1]]], "format": "jpg"}, 400, "format: one of svg, png"),
    (
        "/api/render",
        {"lines": [[[0, 0, 0], [3e4, 3e4, 1]]], "format": "gif"},
        400,
        "pixels are drawn as an animation",
    ),
    ("/api/render", {"lines": [[[0, 0, 1]]], "stroke_width": 0}, 400, "stroke_width: must be"),
    ("/api/render", {"lines": [[[0, 0, 1]]], "colour": "mauvish"}, 400, "'mauvish' is not a"),
    ("/api/render", {"lines": [[[0, 0, 1]] * 200_001]}, 400, "more than 200,000 points"),
    ("/api/render", {"lines": [[[0, 0, 0], [1e9, 1e9, 1]]]}, 400, "the page would be 100,000,020"),
    # JSON that Python's parser chokes on, and requests that cost more than their size says
    ("/api/render", b'{"lines": ' + b"[" * 20_000 + b"]" * 20_000 + b"}", 400, "nests deeper"),
    ("/api/render", b'{"lines": ' + b"[" * 100 + b"]" * 100 + b"}", 400, "lines: nested deeper"),
    (
        "/api/render",
        b'{"lines": [[[0, 0, 1]]], "stroke_width": ' + b"7" * 5000 + b"}",
        400,
        "stroke_width: must be a number",
    ),
    ("/api/write", b'{"text": "hi", "seed": ' + b"9" * 4000 + b"}", 400, "seed: must be a whole"),
    ("/api/write", b'{"\\ud800": 1, "text": "hi"}', 400, "a field name: holds U+D800"),
    ("/api/write", b'{"text": "h\\udc00i"}', 400, "text: holds U+DC00, half of a surrogate"),
    ("/api/write", {"text": "hi", "style": "\u00b2"}, 400, "is not a style name"),
    ("/api/render", {"lines": [[[0, 0, 0], [1e300, -1e300, 1]]]}, 400, "coordinate beyond"),
    ("/api/render", {"lines": [[[0, 0, 1]]] * 100_000}, 400, "lines: 100,000 lines; at most 1,000"),
    (
        "/api/render",
        {"lines": [[[i % 200, i // 200, 1] for i in range(50_000)]], "format": "png"},
        400,
        "lines: more than 20,000 strokes to draw",
    ),
    (
        "/api/styles",
        {"name": "a/b", "text": "ab", "strokes": [[[0, 0, 0], [5, 5, 16]]]},
        400,
        "'a/b' is not a style name",
    ),  # fmt: skip
    (
        "/api/styles",
        {"name": "..", "text": "ab", "strokes": [[[0, 0, 0], [5, 5, 16]]]},
        400,
        "is not a style name",
    ),  # fmt: skip
    (
        "/api/styles",
        {"name": "1", "text": "ab", "strokes": [[[0, 0, 0], [5, 5, 16]]]},
        400,
        "'1' is not a style name",
    ),  # fmt: skip
    ("/api/styles", {"name": "me", "strokes": [[[0, 0, 0], [5, 5, 16]]]}, 400, "text: type what"),
    ("/api/styles", {"name": "me", "text": "a\nb", "strokes": [[[0, 0, 0]]]}, 400, "one line"),
    ("/api/styles", {"name": "me", "text": "\u00e9t\u00e9", "strokes": []}, 400, "U+00E9"),
    ("/api/styles", {"name": "me", "text": "ab", "strokes": "abc"}, 400, "strokes: give the"),
    ("/api/styles", {"name": "me", "text": "ab", "strokes": [[[0, 0]]]}, 400, "three numbers"),
    ("/api/styles", {"name": "me", "text": "ab", "strokes": []}, 400, "no usable strokes"),
    (
        "/api/styles",
        {"name": "me", "text": "ab", "strokes": [[[1, 1, 0], [1, 1, 5]]]},
        400,
        "the pen never moved",
    ),  # fmt: skip
    (
        "/api/styles",
        {"name": "me", "text": "ab", "strokes": [[[0, 0, 0]] * 3001]},
        400,
        "at most 3,000",
    ),  # fmt: skip
]


@pytest.mark.parametrize(
    ("route", "body", "status", "message"), REFUSED, ids=[str(r[3])[:40] for r in REFUSED]
)
def test_refused_with_the_message_and_nothing_written(
    client, tmp_path, route, body, status, message
):
    if isinstance(body, bytes):
        json_type = {"Content-Type": "application/json"} if body.startswith(b"{") else {}
        answer = client.post(route, content=body, headers=json_type)
    else:
        answer = client.post(route, json=body)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["error"]
    assert not (tmp_path / "styles").exists()  # no style saved, not even the folder made
    assert client.app.state.web.jobs.count == 0


def test_other_methods_hosts_and_paths_are_refused(models, tmp_path):
    app = create_app(load_model(models["tiny"]), StyleFolder(tmp_path), CAPS, ["127.0.0.1"])
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert client.get("/api/write").status_code == 405
        assert client.get("/static/../loaded.py").status_code == 404
        assert client.get("/api/config").status_code == 200
    with TestClient(app, base_url="http://evil.example") as client:
        assert client.get("/api/config").status_code == 400  # a rebound DNS name


def test_a_style_that_does_not_read_its_text_is_a_400_or_an_error_event(models, tmp_path):
    with make_client(models["stuck"], tmp_path) as client:
        body = {"text": "ab", "style": 1}
        answer = client.post("/api/write", json=body)
        assert answer.status_code == 400
        assert "the style's strokes do not seem to write" in answer.json()["error"]
        found = events(client.post("/api/write/stream", json=body).text)
        assert found[-1][0] == "error" and "do not seem to write" in found[-1][1]["error"]


def test_a_line_drawn_on_the_page_becomes_a_style_for_the_page_and_the_command(models, tmp_path):
    with make_client(models["paced"], tmp_path / "styles") as client:
        drawn_line_becomes_a_style(client, models, tmp_path)


def drawn_line_becomes_a_style(client, models, tmp_path):
    strokes = pointer_line()
    body = {"name": "my-hand", "text": SHIPPED_TEXT, "strokes": strokes}
    answer = client.post("/api/styles", json=body)
    assert answer.status_code == 201, answer.text
    points = len(shipped_styles()[0][0])  # the shipped line the strokes were drawn from
    assert answer.json() == {"name": "my-hand", "text": SHIPPED_TEXT, "points": points}
    assert {"name": "my-hand", "text": SHIPPED_TEXT, "saved": True} in client.get(
        "/api/styles"
    ).json()["styles"]
    again = client.post("/api/styles", json=body)
    assert again.status_code == 400 and "exists already" in again.json()["error"]

    saved = tmp_path / "styles" / "my-hand.xml"
    root = etree.parse(str(saved)).getroot()
    assert root.find("Transcription/TextLine").get("text") == SHIPPED_TEXT
    assert len(root.findall("StrokeSet/Stroke")) == len(strokes)
    # The same strokes as the shipped line, in pen units again: the scale is the data's.
    model = load_model()
    restored, _ = model.load_style(saved)
    steps = np.hypot(*model.normalisation.denormalise(restored)[1:, :2].T)
    original = np.hypot(*model.normalisation.denormalise(shipped_styles()[0][0])[1:, :2].T)
    assert 0.5 < np.median(steps) / np.median(original) < 2

    written = client.post("/api/write", json={"text": "ab", "style": "my-hand", "seed": 0})
    assert written.status_code == 200, written.text
    out = tmp_path / "styled.svg"
    argv = ["write", "ab", "--model", str(models["paced"]), "--style", str(saved), "--seed", "0"]
    assert cli.main([*argv, "-o", str(out)]) == 0  # the command takes the file, text and all
    render = client.post("/api/render", json={"lines": written.json()["lines"]})
    assert render.text == out.read_text(encoding="utf-8")


def test_nothing_outside_the_styles_folder_is_read(client, tmp_path):
    outside = tmp_path / "secret.xml"
    body = {"name": "secret", "text": SHIPPED_TEXT, "strokes": pointer_line()}
    assert client.post("/api/styles", json=body).status_code == 201
    (tmp_path / "styles" / "secret.xml").rename(outside)
    (tmp_path / "styles" / "secret.xml").symlink_to(outside)
    assert all(s["name"] != "secret" for s in client.get("/api/styles").json()["styles"])
    answer = client.post("/api/write", json={"text": "ab", "style": "secret"})
    assert answer.status_code == 400
    assert "is not a file in the styles folder" in answer.json()["error"]


def test_a_line_saved_under_a_text_it_does_not_say_is_refused_before_anything_is_written(
    client, tmp_path
):
    body = {"name": "wrong", "text": "completely different words here", "strokes": pointer_line()}
    answer = client.post("/api/styles", json=body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error.startswith("the line reads as '") and "type what you wrote" in error
    assert "not 'completely different words here'" in error
    assert not (tmp_path / "styles").exists()  # nothing saved, not even the folder made


def test_saved_styles_are_previewed_renamed_and_deleted(client, tmp_path):
    strokes = pointer_line()
    body = {"name": "mine", "text": SHIPPED_TEXT, "strokes": strokes}
    assert client.post("/api/styles", json=body).status_code == 201
    # The style's own line, drawn: a path per stroke, for a saved style and a shipped one.
    drawn = {}
    for name, count in (("mine", len(strokes)), ("1", len(strokes))):
        preview = drawn[name] = client.get(f"/api/styles/{name}/preview.svg")
        assert preview.status_code == 200, preview.text
        assert preview.headers["content-type"].startswith("image/svg+xml")
        svg = etree.fromstring(preview.content)
        assert len(svg.findall(".//{http://www.w3.org/2000/svg}path")) == count

    renamed = client.patch("/api/styles/mine", json={"name": "neat"})
    assert renamed.status_code == 200 and renamed.json() == {"name": "neat"}
    names = [s["name"] for s in client.get("/api/styles").json()["styles"] if s["saved"]]
    assert names == ["neat"] and (tmp_path / "styles" / "neat.xml").is_file()
    assert client.get("/api/styles/neat/preview.svg").content == drawn["mine"].content
    assert client.post("/api/styles", json={**body, "name": "other"}).status_code == 201
    for method, url, json_body, message in [
        ("PATCH", "/api/styles/neat", {"name": "other"}, "a style named 'other' exists already"),
        ("PATCH", "/api/styles/mine", {"name": "x"}, "there is no saved style named 'mine'"),
        ("PATCH", "/api/styles/neat", {"name": "a/b"}, "'a/b' is not a style name"),
        ("PATCH", "/api/styles/neat", {"name": 7}, "name: give the style's new name"),
        ("PATCH", "/api/styles/neat", {"new": "x"}, "unknown field(s) new"),
        ("PATCH", "/api/styles/1", {"name": "x"}, "style 1 is shipped with handsynth"),
        ("DELETE", "/api/styles/1", None, "only saved styles can be renamed or deleted"),
        ("DELETE", "/api/styles/a.xml", None, "'a.xml' is not a style name"),
        ("DELETE", "/api/styles/gone", None, "there is no saved style named 'gone'"),
        ("GET", "/api/styles/gone/preview.svg", None, "there is no saved style named 'gone'"),
        ("GET", "/api/styles/99/preview.svg", None, "style 99 does not exist"),
    ]:
        answer = client.request(method, url, json=json_body)
        assert answer.status_code == 400, (url, answer.text)
        assert message in answer.json()["error"]
    assert sorted(p.name for p in (tmp_path / "styles").iterdir()) == ["neat.xml", "other.xml"]
    assert client.delete("/api/styles/neat").status_code == 204
    assert not (tmp_path / "styles" / "neat.xml").exists()
    names = [s["name"] for s in client.get("/api/styles").json()["styles"] if s["saved"]]
    assert names == ["other"]


def blocker(started: threading.Event, release: threading.Event):
    def work(job):
        started.set()
        release.wait(10)

    return work


def test_one_job_per_client_and_a_bounded_queue(client):
    jobs = client.app.state.web.jobs  # one worker, one place in the queue
    release = threading.Event()
    try:
        started = threading.Event()
        jobs.submit("address:testclient", blocker(started, release))  # this client's own job
        assert started.wait(5)
        answer = client.post("/api/write", json={"text": "hi"})
        assert answer.status_code == 429 and "you have a job running" in answer.json()["error"]
        jobs.submit("someone else", blocker(threading.Event(), release))  # waits for the worker
        other = TestClient(client.app, cookies={"handsynth_client": "x" * 22})
        answer = other.post("/api/write/stream", json={"text": "hi"})
        assert answer.status_code == 429 and "the server is busy" in answer.json()["error"]
    finally:
        release.set()
    deadline = time.monotonic() + 5
    while jobs.count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert client.post("/api/write", json={"text": "hi"}).status_code == 200


def test_a_stopped_job_that_never_started_leaves_the_queue():
    jobs = JobQueue(workers=1, waiting=1)
    release, ran = threading.Event(), []
    try:
        jobs.submit("a", blocker(threading.Event(), release))
        queued = jobs.submit("b", lambda job: ran.append(job))
        with pytest.raises(Busy, match="busy"):
            jobs.submit("c", lambda job: None)
        jobs.stop(queued)
        assert jobs.count == 1
    finally:
        release.set()
        jobs.shutdown()
    assert ran == []


async def call(app, path: str, body: dict, hang_up) -> None:
    """Post `body` to `path` as a server would, and hang up once `hang_up(sent, seconds)`."""
    raw = json.dumps(body).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(raw)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent: list[bytes] = []
    unread = [raw]
    started = time.monotonic()

    async def receive():
        if unread:
            return {"type": "http.request", "body": unread.pop(), "more_body": False}
        while not hang_up(sent, time.monotonic() - started):
            await asyncio.sleep(0.01)
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message.get("body", b""))

    await asyncio.wait_for(app(scope, receive, send), 20)


HANG_UPS = {
    "/api/write/stream": lambda sent, seconds: any(b"event: steps" in chunk for chunk in sent),
    "/api/write": lambda sent, seconds: seconds > 0.1,  # nothing is sent before the result
}


@pytest.mark.parametrize("path", HANG_UPS)
def test_a_client_that_goes_away_stops_its_job(models, tmp_path, path, monkeypatch):
    with make_client(models["stuck"], tmp_path) as client:
        app, jobs = client.app, client.app.state.web.jobs
        submitted = []
        submit = jobs.submit
        monkeypatch.setattr(
            jobs, "submit", lambda *a: submitted.append(submit(*a)) or submitted[-1]
        )
        # After its first pen step the job waits until it is told to stop (at most 20 s), so
        # however fast the machine it is still running when the client hangs up: it must then
        # stop at its next step instead of drawing the stuck model's four draws of 4,760 steps.
        check = Job.check

        def check_and_hold(job: Job) -> None:
            if job.steps >= 1:
                job.stop.wait(20)
            check(job)

        monkeypatch.setattr(Job, "check", check_and_hold)
        asyncio.run(call(app, path, {"text": "ab " * 66 + "ab", "wrap": 0}, HANG_UPS[path]))
        deadline = time.monotonic() + 5
        while jobs.count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert jobs.count == 0
        (job,) = submitted
        assert job.stop.is_set() and job.future.done()
        assert isinstance(job.future.exception(), Stopped)
        assert job.steps == 2  # one step drawn, then stopped at the next


def test_serve_refuses_a_port_in_use_before_loading_anything(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["serve", "--port", str(port), "--styles-dir", str(tmp_path)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_serve_runs_the_page_and_warns_when_others_can_reach_it(models, tmp_path):
    command = [sys.executable, "-m", "handsynth", "serve", "--host", "0.0.0.0", "--port", "0"]
    command += ["--model", str(models["tiny"]), "--styles-dir", str(tmp_path / "styles")]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = server.stdout.readline()
        port = re.search(r"http://0\.0\.0\.0:(\d+)/", first).group(1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert b"<title>handsynth</title>" in page.read()
            assert "handsynth_client=" in page.headers["set-cookie"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/app.js", timeout=10) as js:
            assert b"/api/write/stream" in js.read()
    finally:
        server.terminate()
        _, err = server.communicate(timeout=20)
    assert "warning: serving on 0.0.0.0: anyone who can reach this machine" in err


def test_the_rest_of_the_command_line_does_not_import_the_web_stack():
    check = "import sys; from handsynth import cli; cli.main(['serve', '--help']); "
    check += "print(sorted({'starlette', 'uvicorn'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert "--styles-dir" in done.stdout and done.stdout.strip().endswith("[]"), done.stdout
