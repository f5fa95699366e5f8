"""A section's jobs, one per named slot, with their callbacks: a newer job in a slot silences the older one.

The runner cancels a slot's previous job when a new one starts; its late
signals (an event already queued, its ``cancelled``) still arrive. This keeps
the newest handle per slot and passes on only that one's events, result,
failure and cancellation, so a section never draws an abandoned output.
Callbacks run on the GUI thread: the handles' signals reach a bound method
of this QObject, which lives there.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QObject, Signal

from playground.core.jobs import Job, JobControl
from playground.ui.job_runner import JobHandle, JobRunner

Callback = Callable[[Any], None] | None


def deferred_job(module: str, name: str, *args: Any) -> Job:
    """The job ``module.name(*args)``, its module imported in the worker: core modules that import torch
    stay off the GUI thread (and off start-up) until a job needs them."""

    def job(control: JobControl) -> Generator[Any, None, Any]:
        import importlib

        return (yield from getattr(importlib.import_module(module), name)(*args)(control))

    return job


class SlotJobs(QObject):
    busy_changed = Signal()  # a job started or ended
    failed = Signal(str, str)  # (slot, message) of the newest job of a slot
    cancelled = Signal(str)  # slot whose newest job was cancelled

    def __init__(self, runner: JobRunner, parent: QObject | None = None):
        super().__init__(parent)
        self._runner = runner
        self._newest: dict[str, JobHandle] = {}  # until it ends
        self._callbacks: dict[JobHandle, tuple[Callback, Callback]] = {}

    def start(self, slot: str, job: Job, *, event: Callback = None, finished: Callback = None) -> JobHandle:
        """Run ``job`` in ``slot`` (cancelling the slot's previous job); ``event(e)`` for each event it
        yields and ``finished(result)`` at its end, while it is the slot's newest job."""
        handle = self._runner.start(slot, job)
        self._newest[slot] = handle
        self._callbacks[handle] = (event, finished)
        handle.event_emitted.connect(self._on_handle_event_emitted)
        handle.finished.connect(self._on_handle_finished)
        handle.failed.connect(self._on_handle_failed)
        handle.cancelled.connect(self._on_handle_cancelled)
        handle.ended.connect(self._on_handle_ended)
        self.busy_changed.emit()
        return handle

    def cancel(self, *slots: str) -> None:
        for slot in slots:
            handle = self._newest.get(slot)
            if handle is not None:
                handle.cancel()

    def running(self, *slots: str) -> bool:
        """True while a job of any of ``slots`` (of any slot, when none given) has not ended."""
        return any(slot in self._newest for slot in (slots or tuple(self._newest)))

    def _sender(self) -> JobHandle | None:
        """The handle whose signal is being handled, if it is still its slot's newest job."""
        handle = self.sender()
        return handle if isinstance(handle, JobHandle) and self._newest.get(handle.name) is handle else None

    def _on_handle_event_emitted(self, event: object) -> None:
        handle = self._sender()
        on_event = self._callbacks.get(handle, (None, None))[0] if handle is not None else None
        if on_event is not None:
            on_event(event)

    def _on_handle_finished(self, result: object) -> None:
        handle = self._sender()
        on_finished = self._callbacks.get(handle, (None, None))[1] if handle is not None else None
        if on_finished is not None:
            on_finished(result)

    def _on_handle_failed(self, message: str) -> None:
        handle = self._sender()
        if handle is not None:
            self.failed.emit(handle.name, message)

    def _on_handle_cancelled(self) -> None:
        handle = self._sender()
        if handle is not None:
            self.cancelled.emit(handle.name)

    def _on_handle_ended(self) -> None:
        handle = self.sender()
        if isinstance(handle, JobHandle):
            self._callbacks.pop(handle, None)
            if self._newest.get(handle.name) is handle:
                del self._newest[handle.name]
        self.busy_changed.emit()
