"""Running the web app on uvicorn: a listening socket opened before the model is loaded (so a
port in use is reported at once), and a server that runs on it until Ctrl-C or `should_exit`."""

from __future__ import annotations

import ipaddress
import socket

import uvicorn

from handsynth.errors import FieldError

# The Host headers a server on a loopback address answers: its own names only, so that a web
# site cannot reach it by pointing a name of its own at 127.0.0.1 (DNS rebinding).
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]


def is_loopback(host: str) -> bool:
    """Whether `host` can only be reached from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on host:port (port 0: any free port); a UserError if it cannot."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family)
    except OSError as error:
        reason = error.strerror or str(error)
        raise FieldError(
            "port", f"cannot listen on {host}:{port} ({reason}); try another {{field}}"
        ) from None


def make_server(app) -> uvicorn.Server:
    """A uvicorn server for `app`; `server.run(sockets=[listen(...)])` serves until stopped."""
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2)
    return uvicorn.Server(config)
