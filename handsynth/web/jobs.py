"""Sampling jobs of the web page: a few at a time on worker threads, a bounded queue behind them,
one job per client, and a way to stop a job whose client has gone.

Sampling is CPU-bound torch code, so it runs on a thread pool of `workers` threads; up to `waiting`
more jobs wait for a thread. A job checks its stop flag at every pen step (`Job.check`), which
raises `Stopped` inside the sampler. Only threading primitives are used, so the queue works from
any event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any


class Busy(Exception):
    """The job cannot be taken now: this client has one already, or the queue is full."""


class Stopped(Exception):
    """Raised inside a job whose client has gone or asked it to stop."""


@dataclass
class Job:
    client: str  # whose job it is: one at a time each
    stop: threading.Event = field(default_factory=threading.Event)
    steps: int = 0  # pen steps drawn so far
    future: Future | None = None

    def check(self) -> None:
        """Count a pen step, and raise `Stopped` if the job should end (call it at every step)."""
        self.steps += 1
        if self.stop.is_set():
            raise Stopped

    async def result(self) -> Any:
        """Wait for the job's function and return what it returned (or raise what it raised)."""
        return await asyncio.wrap_future(self.future)


class JobQueue:
    """At most `workers` jobs running and `waiting` more queued; one job per client."""

    def __init__(self, workers: int = 1, waiting: int = 4):
        self.workers, self.waiting = workers, waiting
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="handsynth-job")
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}  # by client, running or queued

    @property
    def count(self) -> int:
        """Jobs running or waiting."""
        with self._lock:
            return len(self._jobs)

    def submit(self, client: str, work: Callable[[Job], Any]) -> Job:
        """Queue `work(job)` for `client`; raises `Busy` when the client has a job or the queue is
        full. The job leaves the queue when `work` returns, raises or is cancelled unstarted."""
        with self._lock:
            if client in self._jobs:
                raise Busy("you have a job running already: wait for it to finish or stop it first")
            if len(self._jobs) >= self.workers + self.waiting:
                raise Busy(
                    f"the server is busy ({len(self._jobs)} jobs running or waiting); "
                    "try again in a moment"
                )
            job = Job(client)
            self._jobs[client] = job
        job.future = self._pool.submit(work, job)
        job.future.add_done_callback(lambda _: self._forget(job))
        return job

    def stop(self, job: Job) -> None:
        """Stop `job`: never started if it is still queued, ended at its next pen step if not."""
        job.stop.set()
        job.future.cancel()

    def shutdown(self) -> None:
        """Stop every job and let the worker threads end."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            self.stop(job)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _forget(self, job: Job) -> None:
        with self._lock:
            if self._jobs.get(job.client) is job:
                del self._jobs[job.client]
