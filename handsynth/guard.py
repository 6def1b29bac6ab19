"""The interrupt guard a command's work runs under (`guarded`), and the sections in which an
interrupt waits (`deferred`).

Under `guarded`, Ctrl-C (SIGINT) and SIGTERM both raise `Interrupted`, a KeyboardInterrupt that
remembers its signal, so `finally` blocks run and `atomic.write_atomically` removes its temporary
file; the command line then prints one line and exits 128 + the signal's number (130, 143).
Without a handler SIGTERM would end the process on the spot, leaving temporary files behind.

An exception raised from a signal handler can land anywhere, including inside a numba-compiled
call, whose dispatcher then fails with "returned a result with an exception set" instead of
passing it on. A `deferred()` section holds the interrupt back: the handler notes it and the
section raises it when it ends. The sampling loop runs each step as one such section
(`sample/synthesis.py`), so an interrupt waits at most one pen step.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM arrived; `exit_status` is what the shell expects (128 + the signal)."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


class _State(threading.local):
    depth = 0  # deferred sections open in this thread
    pending: int | None = None  # a signal that arrived inside one
    raised = False  # an Interrupted is on its way up: a second Ctrl-C does not cut the cleanup


_state = _State()  # signal handlers run in the main thread, so they see its state


def _on_signal(signum: int, frame) -> None:
    if _state.raised:
        return
    if _state.depth:
        _state.pending = signum
        return
    _state.raised = True
    raise Interrupted(signum)


class deferred:  # noqa: N801 - used as a statement, like contextlib's helpers
    """`with deferred():` holds back an interrupt until the block ends, then raises it.

    A class rather than a generator so that entering one costs well under a microsecond: the
    sampling loop enters one per pen step.
    """

    __slots__ = ()

    def __enter__(self) -> None:
        _state.depth += 1

    def __exit__(self, kind, error, traceback) -> None:
        _state.depth -= 1
        if _state.depth == 0 and _state.pending is not None:
            signum, _state.pending = _state.pending, None
            if error is None or not isinstance(error, KeyboardInterrupt):
                _state.raised = True
                raise Interrupted(signum)


@contextmanager
def guarded(process_ends: bool = False) -> Iterator[None]:
    """Run the block with SIGINT and SIGTERM raising `Interrupted` (once: later signals are
    ignored while it unwinds). Afterwards the previous handlers come back or, when the
    `process_ends` with the block, signals are ignored: the work is done and its exit status
    final. Outside the main thread (where handlers cannot be set) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _on_signal) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_IGN if process_ends else handler)
        _state.pending, _state.raised = None, False
