"""The job contract: long work is a plain generator that yields small events.

A job is a callable ``job(control) -> Iterator[Event]``. It yields frozen event
dataclasses (``playground.core.events``) carrying plain floats and numpy arrays
(never GPU tensors), calls ``control.checkpoint()`` between steps so pause and
cancel take effect, reads typed commands with ``control.drain()``, and returns
its result with ``return`` (read from ``StopIteration.value``).

Qt's job runner (``playground.ui.job_runner``) and the CLI (``run_to_end``) both
drive jobs through this contract, so every job works headless too.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any, TypeVar

from playground.core.events import Command, Metrics, Progress, Status, View

__all__ = ["Job", "JobCancelled", "JobControl", "Metrics", "Progress", "Status", "Throttle", "collect", "iterate",
           "paced", "relay", "run_to_end", "until_stopped", "without_metrics"]

R = TypeVar("R")


Job = Callable[["JobControl"], Generator[Any, None, Any]]


class JobCancelled(Exception):
    """Raised inside a job by ``JobControl.checkpoint`` once cancel was asked."""


class JobControl:
    """What a running job reads between steps: cancel, stop, pause and an inbox.

    Cancel abandons the work (nothing more is written); stop asks the job to
    finish early but properly (a training run saves its checkpoint). All
    methods are thread-safe; the job calls ``checkpoint`` and ``drain``, any
    other thread calls ``cancel``, ``stop``, ``pause``, ``resume`` and ``send``.
    """

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._inbox: queue.SimpleQueue[Command] = queue.SimpleQueue()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Ask the job to wrap up at its next step (every phase checks), waking it if paused."""
        self._stop.set()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def cancel(self) -> None:
        self._cancel.set()
        self._running.set()  # wake a paused job so it can see the cancel

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def send(self, command: Command) -> None:
        """Queue a typed command (``SetLearningRate("g", 1e-4)``, ``StepOnce("d")``, ...) for the job."""
        self._inbox.put(command)

    def drain(self) -> list[Command]:
        """All commands sent since the last call, oldest first."""
        out = []
        while True:
            try:
                out.append(self._inbox.get_nowait())
            except queue.Empty:
                return out

    def sleep(self, seconds: float) -> None:
        """Wait up to ``seconds``, returning early when the job is paused or cancelled."""
        end = time.monotonic() + seconds
        while not self._cancel.is_set() and self._running.is_set():
            left = end - time.monotonic()
            if left <= 0 or self._cancel.wait(min(left, 0.05)):
                return

    def checkpoint(self) -> None:
        """Block while paused; raise ``JobCancelled`` if cancel was asked."""
        while not self._running.wait(0.05):
            pass
        if self._cancel.is_set():
            raise JobCancelled()


class Throttle:
    """True at most once per ``interval`` seconds (and always on ``force``)."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self._last = -1e9

    def ready(self, force: bool = False) -> bool:
        now = time.monotonic()
        if force or now - self._last >= self.interval:
            self._last = now
            return True
        return False


def relay(gen: Generator[Any, None, R], hook: Callable[[Any], Iterator[Any]]) -> Generator[Any, None, R]:
    """Pass each event of ``gen`` through ``hook`` (which yields what to pass on); return gen's result."""
    while True:
        try:
            event = next(gen)
        except StopIteration as stop:
            return stop.value
        yield from hook(event)


def until_stopped(gen: Generator[Any, None, R], control: JobControl) -> Generator[Any, None, tuple[bool, R | None]]:
    """Relay a phase's events until it ends or a stop is asked; returns (stopped, its result).

    A phase that knows nothing of stop (preparing data, training the judge)
    is closed at its next event, so every phase of a long job stops within a step.
    """
    while True:
        if control.stop_requested:
            gen.close()
            return True, None
        try:
            event = next(gen)
        except StopIteration as stop:
            return False, stop.value
        yield event


def without_metrics(gen: Generator[Any, None, R]) -> Generator[Any, None, R]:
    """A sub-job's events minus its Metrics (its steps are not the caller's steps)."""

    def hook(event: Any) -> Iterator[Any]:
        if not isinstance(event, Metrics):
            yield event

    return relay(gen, hook)


def paced(job: Job, delay_s: Callable[[], float]) -> Job:
    """Slow motion: after each picture (a ``View`` event), wait ``delay_s()`` seconds in the worker.

    The wait is cut short by pause or cancel, which take effect at once.
    """

    def wrapped(control: JobControl) -> Generator[Any, None, Any]:
        def hook(event: Any) -> Iterator[Any]:
            yield event
            if isinstance(event, View):
                delay = delay_s()
                if delay > 0:
                    control.sleep(delay)
                    control.checkpoint()

        return (yield from relay(job(control), hook))

    return wrapped


def run_to_end(
    job: Job,
    on_event: Callable[[Any], None] | None = None,
    control: JobControl | None = None,
) -> Any:
    """Run a job in this thread and return its result (CLI and tests)."""
    control = control or JobControl()
    gen = job(control)
    while True:
        try:
            event = next(gen)
        except StopIteration as stop:
            return stop.value
        if on_event is not None:
            on_event(event)


def collect(job: Job, control: JobControl | None = None) -> tuple[Any, list[Any]]:
    """Run a job to the end; return ``(result, events)`` (for tests)."""
    events: list[Any] = []
    result = run_to_end(job, events.append, control)
    return result, events


def iterate(job: Job, control: JobControl | None = None) -> Iterator[Any]:
    """Yield a job's events in this thread (the result is dropped)."""
    yield from job(control or JobControl())
