"""`handsynth serve`: parse and check its flags, then run the web page (`handsynth.web`).

The web stack is imported only when the command runs, so the rest of the command line works
without the `web` extra installed.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

from handsynth.cli import args as cli_args
from handsynth.errors import UserError


def default_styles_dir() -> Path:
    """Where saved styles live unless told: the platform's folder for a user's application data."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "handsynth" / "styles"


def add_serve(sub) -> None:
    p = sub.add_parser(
        "serve",
        help="a web page to type, watch it write, and save your own handwriting as a style",
        description="Serve a local web page: type a text, pick neatness, width, colour and "
        "style, watch the network write it, download SVG or PNG; write a line of your own with "
        "a mouse, pen or finger and save it as a style. Needs the web extra: "
        'pip install "handsynth[web]".',
        epilog="example: handsynth serve --port 8000, then open http://127.0.0.1:8000/",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on; anything but this machine's own lets others use the page",
    )
    p.add_argument("--port", type=cli_args.integer(0, 65535), default=8000, help="0: any free port")
    p.add_argument(
        "--model",
        type=cli_args.input_file,
        help="a synthesis checkpoint (.pt) or exported .safetensors (none: the shipped model)",
    )
    p.add_argument(
        "--styles-dir",
        type=cli_args.output_folder,
        default=str(default_styles_dir()),
        help="folder of the styles saved from the page",
    )
    p.add_argument(
        "--jobs", type=cli_args.integer(1, 64), default=1, help="texts written at once, 1-64"
    )
    p.add_argument(
        "--queue",
        type=cli_args.integer(0, 1000),
        default=4,
        help="texts waiting for a turn before the page is told the server is busy, 0-1000",
    )
    p.add_argument(
        "--threads",
        type=cli_args.integer(1, 256),
        default=1,
        help="torch threads per job: one step of one line is too small to share well",
    )


def run_serve(args) -> None:
    from handsynth.loaded import load_model

    try:
        import torch

        from handsynth.web import ServeLimits, create_app
        from handsynth.web.server import LOOPBACK_HOSTS, is_loopback, listen, make_server
        from handsynth.write.style_folder import StyleFolder
    except ImportError as error:
        raise UserError(
            f'serve needs the web extra ({error.name} is missing): pip install "handsynth[web]"'
        ) from None
    local = is_loopback(args.host)
    if not local:
        warnings.warn(
            f"serving on {args.host}: anyone who can reach this machine can use the page and "
            "save styles in your styles folder",
            stacklevel=1,
        )
    sock = listen(args.host, args.port)
    torch.set_num_threads(args.threads)
    model = load_model(args.model, kind="synthesis")
    app = create_app(
        model,
        StyleFolder(args.styles_dir),
        ServeLimits(workers=args.jobs, waiting=args.queue),
        allowed_hosts=LOOPBACK_HOSTS if local else None,
    )
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"handsynth serve: http://{shown}:{port}/ (styles in {args.styles_dir}; Ctrl-C stops)")
    sys.stdout.flush()
    make_server(app).run(sockets=[sock])
