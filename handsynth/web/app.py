"""The web page's server: a Starlette app over one loaded synthesis model and a styles folder.

Routes (docs/web.md documents the JSON):
    GET  /                   the page (static/index.html); sets the cookie that names the client
    GET  /api/config         the accepted ranges and defaults, from handsynth.limits
    GET  /api/styles         shipped and saved styles
    POST /api/styles         save a line drawn on the page as a style, if it reads as its text
    PATCH  /api/styles/{name}              rename a saved style
    DELETE /api/styles/{name}              delete a saved style
    GET  /api/styles/{name}/preview.svg    a style's own line, drawn
    POST /api/write          write a text; the lines as points, and their faults
    POST /api/write/stream   the same as Server-Sent Events: every pen step as it is drawn
    POST /api/render         lines as SVG, PNG, PDF, G-code, HPGL, GIF, WebP, InkML or an
                             animated SVG, written by `Handwriting.save` as the command writes them

Every request is parsed and checked with the checks the command line and the Python API use
(`handsynth.values`, `WriteOptions.check`) before any work starts; a `UserError` becomes a 400
with its message. Bodies are capped (413), sampling runs through `jobs.JobQueue` (429 beyond it),
and a job whose client goes away is stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from queue import Empty, SimpleQueue

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from handsynth import limits, values
from handsynth.errors import UserError
from handsynth.loaded import LoadedModel, SynthesisModel, load_model
from handsynth.options import DEFAULT_STYLE, MAX_LINE_CHARACTERS, WriteOptions
from handsynth.sample.reader import LineReader
from handsynth.web import checks
from handsynth.web.jobs import Busy, Job, JobQueue
from handsynth.write.handwriting import Handwriting
from handsynth.write.render import RenderOptions, layout_lines
from handsynth.write.style_folder import StyleFolder
from handsynth.write.styles import MAX_STYLE_CHARACTERS, MAX_STYLE_POINTS, shipped_styles
from handsynth.write.styles import strokes_from_pointer as pointer_strokes
from handsynth.write.typography import describe as describe_typography
from handsynth.write.typography import plain_typography

STATIC = Path(str(resources.files("handsynth.web") / "static"))
CLIENT_COOKIE = "handsynth_client"
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
WRITE_FIELDS = ("text", "bias", "seed", "style", "wrap")
RENDER_FIELDS = ("lines", "texts", "format", "stroke_width", "colour")
# The formats /api/render writes: format -> (file ending, media type). "animated-svg" is an SVG
# whose strokes draw themselves (`handsynth write --animate`).
RENDER_FORMATS = {
    "svg": (".svg", "image/svg+xml"),
    "png": (".png", "image/png"),
    "pdf": (".pdf", "application/pdf"),
    "gcode": (".gcode", "text/plain"),
    "hpgl": (".hpgl", "application/vnd.hp-hpgl"),
    "animated-svg": (".svg", "image/svg+xml"),
    "gif": (".gif", "image/gif"),
    "webp": (".webp", "image/webp"),
    "inkml": (".inkml", "application/inkml+xml"),
}
ANIMATED_IMAGES = ("gif", "webp")
STYLE_FIELDS = ("name", "text", "strokes")
RENAME_FIELDS = ("name",)
log = logging.getLogger("handsynth.web")


@dataclass
class ServeLimits:
    """What one request may ask of the server."""

    max_characters: int = 1000  # text per write: about 30 s of sampling on a 2-core CPU
    write_bytes: int = 64 * 1024  # request bodies: a write ...
    style_bytes: int = 1024 * 1024  # ... a drawn line (3,000 points at about 30 bytes each) ...
    render_bytes: int = 16 * 1024 * 1024  # ... and the lines of a whole write to render
    max_render_points: int = 200_000
    max_render_pixels: int = limits.IMAGE_PIXELS  # the cap `write -o page.png` has too
    max_render_strokes: int = 20_000  # each a path to draw; a 1,000-character page has ~3,000
    max_render_lines: int = 1_000
    renders: int = 2  # renders drawn at once, off the event loop; as many may wait (then 429)
    # GIF and WebP draw up to 200 frames of the page: a 3-million-pixel page took 2.6 s
    max_animation_pixels: int = 8_000_000
    workers: int = 1  # sampling jobs at once; each uses torch's threads
    waiting: int = 4  # jobs queued behind them before a 429
    stream_interval: float = 0.04  # seconds between Server-Sent Events of pen steps


class BodyTooLarge(UserError):
    """A request body over its cap (413)."""


@dataclass
class WriteRequest:
    text: str  # typography already made plain
    lines: list[str]  # what will be drawn, as `SynthesisModel.lines` wraps it
    notice: str | None  # what typography was replaced, for the page
    bias: float
    seed: int | None
    wrap: int
    style: str | None  # a shipped style number or the path of a saved style


def _fields(data, allowed: tuple[str, ...]) -> dict:
    if not isinstance(data, dict):
        raise UserError("send a JSON object")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise UserError(f"unknown field(s) {', '.join(unknown)}; the fields are {allowed}")
    return {key: value for key, value in data.items() if value is not None}


def parse_write(
    data, model: SynthesisModel, folder: StyleFolder, caps: ServeLimits
) -> WriteRequest:
    """Check a write request as `handsynth write` checks its flags and text."""
    data = _fields(data, WRITE_FIELDS)
    text = data.get("text")
    if not isinstance(text, str):
        raise UserError("text: give the text to write as a string")
    if len(text) > caps.max_characters:
        raise UserError(
            f"the text has {len(text):,} characters; the page writes at most "
            f"{caps.max_characters:,} at a time"
        )
    bias = values.number("bias", data.get("bias", WriteOptions.bias), limits.BIAS)
    seed = values.seed("seed", data["seed"]) if "seed" in data else None
    wrap = values.wrap("wrap", data.get("wrap", WriteOptions.wrap))
    WriteOptions(bias=bias, seed=seed, wrap=wrap).check()
    text, replaced = plain_typography(text)
    lines = model.lines(text, wrap)
    style = _style_source(data.get("style"), folder)
    model.prime(style)  # read and checked now, so its problems come back as a 400
    notice = describe_typography(replaced) if replaced else None
    return WriteRequest(text, lines, notice, bias, seed, wrap, style)


def _style_source(style, folder: StyleFolder) -> str | None:
    """A shipped style number as text (0: none), the path of a saved style, or None for the
    default hand; nothing else is read."""
    if style is None or style == "":
        return None
    if isinstance(style, int) and not isinstance(style, bool):
        style = str(style)
    if not isinstance(style, str):
        raise UserError("style: give a shipped style number or the name of a saved style")
    if style.isascii() and style.isdigit():  # not '²', which int() refuses
        return style
    return str(folder.existing(style))


def _saved_name(name: str) -> str:
    """A saved style's name from a URL; shipped styles are refused by number."""
    if name.isascii() and name.isdigit():
        raise UserError(
            f"style {name} is shipped with handsynth; only saved styles can be renamed or deleted"
        )
    return name


def _render_request(data, caps: ServeLimits) -> tuple[Handwriting, dict, str]:
    """The handwriting, render options and format (a key of RENDER_FORMATS) of a render request."""
    data = _fields(data, RENDER_FIELDS)
    lines = data.get("lines")
    if not isinstance(lines, list) or not lines:
        raise UserError("lines: give the lines of a write, each a list of [x, y, eos] points")
    offsets, total = [], 0
    for number, line in enumerate(lines, start=1):
        try:
            points = np.asarray(line, dtype=np.float64).reshape(-1, 3)  # (N, 3) x, y, eos
        except (TypeError, ValueError):
            raise UserError(f"lines: line {number} is not a list of [x, y, eos] numbers") from None
        total += len(points)
        if total > caps.max_render_points:
            raise UserError(f"lines: more than {caps.max_render_points:,} points to render")
        if not np.isfinite(points).all():
            raise UserError(f"lines: line {number} has a number that is not finite")
        if len(points) and np.abs(points[:, :2]).max() > checks.MAX_COORDINATE:
            raise UserError(
                f"lines: line {number} has a coordinate beyond ±{checks.MAX_COORDINATE:,.0g} px"
            )
        # Offsets as `Handwriting.lines` summed them, row 0 included, so the drawing is the same.
        steps = np.diff(points[:, :2], axis=0, prepend=np.zeros((1, 2)))  # (N, 2)
        offsets.append(np.column_stack([steps, points[:, 2]]).astype(np.float32))
    checks.check_render_cost(offsets, caps.max_render_strokes, caps.max_render_lines)
    form = data.get("format", "svg")
    if form not in RENDER_FORMATS:
        raise UserError(
            f"format: one of {', '.join(RENDER_FORMATS)}, not {checks.safe(repr(form))}"
        )
    defaults = RenderOptions()
    width = data.get("stroke_width", defaults.stroke_width)
    options = {
        "stroke_width": values.number("stroke_width", width, limits.STROKE_WIDTH, above_low=True),
        "colour": values.colour("colour", data.get("colour", defaults.colour)),
    }
    ink = [stroke for line in layout_lines(offsets, RenderOptions(**options)) for stroke in line]
    width, height = np.max([stroke.max(axis=0) for stroke in ink], axis=0) if ink else (0, 0)
    cap = caps.max_animation_pixels if form in ANIMATED_IMAGES else caps.max_render_pixels
    if width * height > cap:
        raise UserError(
            f"lines: the page would be {width:,.0f} x {height:,.0f} px; at most "
            f"{cap:,} pixels are drawn{' as an animation' * (form in ANIMATED_IMAGES)}"
        )
    texts = data.get("texts", [""] * len(offsets))  # what each line says: InkML keeps it
    if not (
        isinstance(texts, list)
        and len(texts) == len(offsets)
        and all(isinstance(text, str) and len(text) <= MAX_LINE_CHARACTERS for text in texts)
    ):
        raise UserError("texts: give what each line says, a string a line, as /api/write did")
    handwriting = Handwriting(offsets, texts, [[] for _ in offsets])
    return handwriting, options, form


def _checked_render(data, caps: ServeLimits) -> tuple[bytes, str]:
    """A render request checked and drawn: (the page's bytes, its format)."""
    handwriting, options, form = _render_request(data, caps)
    try:
        return _render(handwriting, options, form), form
    finally:
        del handwriting
        checks.return_memory()


def _render(handwriting: Handwriting, options: dict, form: str) -> bytes:
    """The page in `form`'s format, exactly as `Handwriting.save` writes it with the command
    line's defaults for everything the request does not set."""
    if form == "svg":
        return handwriting.to_svg(**options).encode("utf-8")
    suffix = RENDER_FORMATS[form][0]
    with tempfile.TemporaryDirectory(prefix="handsynth-render-") as folder:
        path = handwriting.save(
            Path(folder) / f"page{suffix}", animate=form == "animated-svg", **options
        )
        return path.read_bytes()


def _written(handwriting: Handwriting) -> dict:
    """A write's result as the API returns it."""
    return {
        "texts": handwriting.texts,
        "lines": [line.tolist() for line in handwriting.lines],
        "faults": [
            [{"kind": f.kind, "position": f.position, "detail": f.detail} for f in faults]
            for faults in handwriting.faults
        ],
    }


def _event(name: str, payload: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": checks.safe(message)}, status_code=status)


async def read_json(request: Request, max_bytes: int):
    """The request's JSON body, read no further than `max_bytes`."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise UserError("send the request as JSON (Content-Type: application/json)")
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(f"the request is larger than {max_bytes:,} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise BodyTooLarge(f"the request is larger than {max_bytes:,} bytes")
    return await run_in_threadpool(checks.parse_json, bytes(body))  # megabytes: off the loop


def client_of(request: Request) -> str:
    """Who is asking: the page's cookie, or the address for clients without one."""
    cookie = request.cookies.get(CLIENT_COOKIE, "")
    if _CLIENT_ID.fullmatch(cookie):
        return "cookie:" + cookie
    return "address:" + (request.client.host if request.client else "unknown")


class WebApp:
    """The route handlers, over one model, one styles folder and one job queue."""

    def __init__(
        self, model: SynthesisModel, folder: StyleFolder, caps: ServeLimits, reader: LineReader
    ):
        self.model, self.folder, self.caps, self.reader = model, folder, caps, reader
        self.jobs = JobQueue(caps.workers, caps.waiting)
        self._render_slots = asyncio.Semaphore(caps.renders)
        self._renders_waiting = 0  # renders drawing or waiting for a slot

    async def page(self, request: Request) -> Response:
        response = FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})
        if not _CLIENT_ID.fullmatch(request.cookies.get(CLIENT_COOKIE, "")):
            response.set_cookie(
                CLIENT_COOKIE, secrets.token_urlsafe(16), httponly=True, samesite="strict"
            )
        return response

    async def config(self, request: Request) -> Response:
        defaults, render = WriteOptions(), RenderOptions()
        return JSONResponse(
            {
                "limits": {
                    "bias": limits.BIAS,
                    "wrap": limits.WRAP,
                    "stroke_width": limits.STROKE_WIDTH,
                    "max_characters": self.caps.max_characters,
                    "max_style_points": MAX_STYLE_POINTS,
                    "max_style_characters": MAX_STYLE_CHARACTERS,
                },
                "defaults": {
                    "bias": defaults.bias,
                    "wrap": defaults.wrap,
                    "stroke_width": render.stroke_width,
                    "colour": render.colour,
                    "scale": render.scale,
                },
            }
        )

    async def styles(self, request: Request) -> Response:
        shipped = [
            {"name": str(n), "text": text, "saved": False, "default": n == DEFAULT_STYLE}
            for n, (_, text) in enumerate(shipped_styles(), start=1)
        ]
        saved = [{"name": s.name, "text": s.text, "saved": True} for s in self.folder.list()]
        return JSONResponse({"styles": shipped + saved})

    async def save_style(self, request: Request) -> Response:
        data = _fields(await read_json(request, self.caps.style_bytes), STYLE_FIELDS)
        text, strokes = data.get("text"), data.get("strokes")
        if not isinstance(text, str) or not text.strip():
            raise UserError("text: type what the line you wrote says")
        if len(self.model.lines(text, 0)) != 1:
            raise UserError("text: a style is one line; write it without line breaks")
        text = plain_typography(text)[0].strip()
        if not isinstance(strokes, list) or not all(isinstance(s, list) for s in strokes):
            raise UserError("strokes: give the line as strokes, each a list of [x, y, time]")
        try:
            arrays = [np.asarray(stroke, dtype=np.float64).reshape(-1, 3) for stroke in strokes]
        except (TypeError, ValueError):
            raise UserError("strokes: each point must be three numbers [x, y, time]") from None
        pen = pointer_strokes(arrays, self.model.normalisation)
        # Refused before anything is written when the strokes do not read as the text.
        path = await run_in_threadpool(self.folder.save, data.get("name"), pen, text, self.reader)
        try:
            self.model.load_style(path)  # as `write` will read it
        except UserError:
            path.unlink()
            raise
        points = sum(len(stroke) for stroke in pen)
        return JSONResponse({"name": data["name"], "text": text, "points": points}, 201)

    async def rename_style(self, request: Request) -> Response:
        name = _saved_name(request.path_params["name"])
        data = _fields(await read_json(request, self.caps.write_bytes), RENAME_FIELDS)
        new = data.get("name")
        if not isinstance(new, str):
            raise UserError("name: give the style's new name")
        self.folder.rename(name, new)
        return JSONResponse({"name": new})

    async def delete_style(self, request: Request) -> Response:
        self.folder.delete(_saved_name(request.path_params["name"]))
        return Response(status_code=204)

    async def preview_style(self, request: Request) -> Response:
        """A style's own line as SVG, drawn as `handsynth write` draws lines."""
        source = _style_source(request.path_params["name"], self.folder)
        offsets, text = await run_in_threadpool(self.model.load_style, source)
        line = self.model.normalisation.denormalise(offsets)
        svg = Handwriting([line], [text], [[]]).to_svg()
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})

    def _start(self, request: Request, write: WriteRequest, steps: SimpleQueue | None) -> Job:
        """Queue the sampling of `write`; each pen step goes to `steps` when it is given."""

        def work(job: Job):
            def on_step(step) -> None:
                job.check()
                if steps is not None:
                    steps.put(step)

            return self.model.write(
                write.text,
                bias=write.bias,
                seed=write.seed,
                wrap=write.wrap,
                style=write.style,
                on_step=on_step,
            )

        return self.jobs.submit(client_of(request), work)

    async def write(self, request: Request) -> Response:
        write = parse_write(
            await read_json(request, self.caps.write_bytes), self.model, self.folder, self.caps
        )
        job = self._start(request, write, None)
        try:
            while not job.future.done():
                if await request.is_disconnected():
                    return Response(status_code=499)  # nobody is listening; the job stops
                await asyncio.sleep(self.caps.stream_interval)
            handwriting = await job.result()
        finally:
            self.jobs.stop(job)
        return JSONResponse({**_written(handwriting), "notice": write.notice})

    async def write_stream(self, request: Request) -> Response:
        write = parse_write(
            await read_json(request, self.caps.write_bytes), self.model, self.folder, self.caps
        )
        steps: SimpleQueue = SimpleQueue()
        job = self._start(request, write, steps)
        return StreamingResponse(
            self._events(job, steps, write),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def _events(self, job: Job, steps: SimpleQueue, write: WriteRequest):
        """start, then steps as they are drawn, then done (or error). Leaving early (the client
        went away) stops the job."""
        try:
            rows = [i for i, line in enumerate(write.lines) if line]
            queued = not job.future.running() and not job.future.done()
            start = {"lines": write.lines, "rows": rows, "notice": write.notice, "queued": queued}
            yield _event("start", start)
            draw, finished = -1, None
            while True:
                over = job.future.done()
                batch: list = []
                while True:
                    try:
                        step = steps.get_nowait()
                    except Empty:
                        break
                    if step.t == 0:  # a new draw: the first, or a redraw of faulty lines
                        if batch:
                            yield _event("steps", {"draw": draw, "steps": batch})
                        draw, finished, batch = draw + 1, np.zeros(len(step.offsets), bool), []
                    batch.append(
                        [
                            None if done else [round(float(v), 2) for v in row]
                            for row, done in zip(step.offsets, finished, strict=True)
                        ]
                    )
                    finished = step.finished
                if batch:
                    yield _event("steps", {"draw": draw, "steps": batch})
                if over:
                    break
                await asyncio.sleep(self.caps.stream_interval)
            try:
                handwriting = job.future.result()
            except UserError as error:
                yield _event("error", {"error": str(error)})
                return
            except Exception:
                log.exception("a write failed")
                yield _event("error", {"error": "the server failed to write this; see its log"})
                return
            yield _event("done", {**_written(handwriting), "notice": write.notice})
        finally:
            self.jobs.stop(job)

    async def render(self, request: Request) -> Response:
        data = await read_json(request, self.caps.render_bytes)
        if self._renders_waiting >= 2 * self.caps.renders:
            raise Busy("the server is busy drawing pages; try again in a moment")
        self._renders_waiting += 1
        try:
            async with self._render_slots:  # checking and drawing both run off the event loop
                body, form = await run_in_threadpool(_checked_render, data, self.caps)
        finally:
            self._renders_waiting -= 1
        suffix, media = RENDER_FORMATS[form]
        name = "handwriting-animated" if form == "animated-svg" else "handwriting"
        headers = {"Content-Disposition": f'attachment; filename="{name}{suffix}"'}
        return Response(body, media_type=media, headers=headers)


async def _refused(request: Request, error: Exception) -> Response:
    """The library's errors as JSON with their message: 413, 429 or 400."""
    status = 413 if isinstance(error, BodyTooLarge) else 429 if isinstance(error, Busy) else 400
    return _error(status, str(error))


def create_app(
    model: LoadedModel,
    folder: StyleFolder,
    caps: ServeLimits | None = None,
    allowed_hosts: list[str] | None = None,
    reader: LineReader | None = None,
) -> Starlette:
    """The web app writing with `model` (a synthesis model) and saving styles in `folder`.

    `allowed_hosts` are the Host headers answered (all when None); a server bound to 127.0.0.1
    should answer only its own names, so that other web sites cannot reach it through DNS tricks.
    `reader` reads a style line before it is saved (`style_check`): the shipped recogniser when
    None.
    """
    if not isinstance(model, SynthesisModel):
        raise UserError(f"the web page needs a synthesis model; this is a {model.kind} model")
    if reader is None:
        reader = load_model(kind="recogniser").as_line_reader()
    web = WebApp(model, folder, caps or ServeLimits(), reader)
    routes = [
        Route("/", web.page),
        Route("/api/config", web.config),
        Route("/api/styles", web.styles, methods=["GET"]),
        Route("/api/styles", web.save_style, methods=["POST"]),
        Route("/api/styles/{name}", web.rename_style, methods=["PATCH"]),
        Route("/api/styles/{name}", web.delete_style, methods=["DELETE"]),
        Route("/api/styles/{name}/preview.svg", web.preview_style, methods=["GET"]),
        Route("/api/write", web.write, methods=["POST"]),
        Route("/api/write/stream", web.write_stream, methods=["POST"]),
        Route("/api/render", web.render, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        web.jobs.shutdown()

    app = Starlette(
        routes=routes,
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or ["*"])],
        exception_handlers={UserError: _refused, Busy: _refused},
        lifespan=lifespan,
    )
    app.state.web = web
    return app
