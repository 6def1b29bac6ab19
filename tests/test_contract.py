"""The contract, over generated inputs (hypothesis): every command line and every web request
ends in a clean exit with a valid file, or exit 2 / HTTP 4xx with one line; never a traceback,
never a 500. Examples are few and bounded so the suite stays quick on a small machine."""

import threading
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

pytest.importorskip("starlette")

from starlette.testclient import TestClient  # noqa: E402

from handsynth import cli  # noqa: E402
from handsynth.loaded import load_model  # noqa: E402
from handsynth.web import ServeLimits, create_app  # noqa: E402
from handsynth.web import app as web_app  # noqa: E402
from handsynth.write.style_folder import StyleFolder  # noqa: E402
from tests.test_hostile_inputs import tiny_model  # noqa: E402

BOUNDED = settings(
    max_examples=30,
    deadline=None,  # a write's time depends on the machine; only outcomes are asserted
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples on every run: a failure is reproducible
)

# Flag values: numbers in every spelling, and text that is not a number at all.
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["", "1e309", "0x10", "\u00b2", "\u0663", "1_000", " 1", "nan", "-0"]),
    st.text(max_size=6),
)
texts = st.one_of(
    st.text(alphabet="abc de.\n\t'\"-", min_size=0, max_size=30),
    st.text(max_size=12),  # any Unicode: accents, symbols, surrogates are not in argv
)
FLAGS = ["--bias", "--temperature", "--seed", "--wrap", "--retries", "--scale", "--stroke-width"]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("contract") / "tiny.safetensors"
    tiny_model(path)
    return str(path)


@BOUNDED
@given(
    text=texts,
    flags=st.lists(st.tuples(st.sampled_from(FLAGS), numbers), max_size=3),
    ending=st.sampled_from(["svg", "png", "pdf", "inkml", "txt"]),
)
def test_write_ends_cleanly_whatever_the_flags(
    model, tmp_path_factory, capsys, text, flags, ending
):
    out_dir = tmp_path_factory.mktemp("write")
    out = out_dir / f"x.{ending}"
    argv = ["write", text, "--model", model, "-o", str(out), "--retries", "0"]
    argv += [word for flag in flags for word in flag]
    argv = [word.replace("\x00", "") for word in argv]  # argv cannot hold NUL
    status = cli.main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    errors = [line for line in captured.err.splitlines() if not line.startswith("warning: ")]
    if status == 0:
        assert out.is_file() and out.stat().st_size > 0
        if ending == "svg":
            assert etree.parse(str(out)).getroot().tag.endswith("svg")
        if ending == "png":
            assert out.read_bytes().startswith(b"\x89PNG")
    else:
        assert status == 2, captured.err
        assert len(errors) == 1 and errors[0].startswith("handsynth"), captured.err
    assert not [p for p in out_dir.iterdir() if p.name.endswith(".tmp")]
    assert status == 0 or list(out_dir.iterdir()) == []


@pytest.fixture(scope="module")
def client(model, tmp_path_factory):
    caps = ServeLimits(max_characters=60, waiting=8)
    app = create_app(load_model(model), StyleFolder(tmp_path_factory.mktemp("styles")), caps)
    with TestClient(app) as client:
        yield client


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**40), 10**40)
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["\ud800", "1", "\u00b2", "hello", "#000", "svg", "png"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)
write_bodies = st.dictionaries(
    st.sampled_from(["text", "bias", "seed", "style", "wrap", "other", "\ud800"]),
    json_values | st.text(alphabet="ab .", max_size=20),
    max_size=5,
)
points = st.lists(
    st.tuples(st.floats(width=32), st.floats(width=32), st.sampled_from([0, 1, 0.5])), max_size=6
)
render_bodies = st.fixed_dictionaries(
    {"lines": st.one_of(st.lists(points, max_size=3), json_values)},
    optional={
        "format": st.sampled_from(["svg", "png", "gif", 3]),
        "stroke_width": json_values,
        "colour": json_values,
    },
)


def post(client, route: str, body) -> None:
    """Post `body` (strings with lone surrogates are sent as JSON escapes) and check the reply."""
    import json

    data = json.dumps(body, ensure_ascii=True, allow_nan=True).encode()
    answer = client.post(route, content=data, headers={"Content-Type": "application/json"})
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        error = answer.json()["error"]
        assert isinstance(error, str) and "\n" not in error and "Traceback" not in error
    elif route == "/api/render":
        assert answer.content.startswith((b"<?xml", b"<svg", b"\x89PNG"))


@BOUNDED
@given(body=write_bodies)
def test_web_write_answers_4xx_or_a_write(client, body):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        post(client, "/api/write", body)


@BOUNDED
@given(body=render_bodies)
def test_web_render_answers_4xx_or_a_page(client, body):
    post(client, "/api/render", body)


def test_the_server_answers_while_a_page_is_drawn(client, monkeypatch):
    """A render blocked in its drawing must not block the event loop: /api/config answers while
    it waits. No timer races the work: the render waits for the answer, not for a clock."""
    drawing, answered = threading.Event(), threading.Event()
    real = web_app._render

    def held_render(*args):
        drawing.set()
        answered.wait(120)
        return real(*args)

    monkeypatch.setattr(web_app, "_render", held_render)
    replies = []
    body = {"lines": [[[0, 0, 0], [10, 10, 1]]], "format": "png"}
    render = threading.Thread(target=lambda: replies.append(client.post("/api/render", json=body)))
    render.start()
    try:
        assert drawing.wait(120)
        assert client.get("/api/config").status_code == 200  # while the page is being drawn
    finally:
        answered.set()
        render.join(120)
    assert replies[0].status_code == 200 and replies[0].content.startswith(b"\x89PNG")
