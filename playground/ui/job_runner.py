"""Runs core jobs (generators of events) in worker threads and re-emits them as Qt signals.

The rules from STYLE.md: widgets are touched only on the GUI thread (signals of
a ``JobHandle`` are queued to it); starting a job in a slot cancels the previous
job of the same slot; jobs that use the compute device take the device lock so
training and generation never fight over the GPU; on quit every job is
cancelled and joined with a timeout.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from playground.core.events import Command
from playground.core.jobs import Job, JobCancelled, JobControl, Progress

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.2  # at most 5 progress signals a second reach the GUI


def describe_error(exc: BaseException) -> str:
    """A message a user can read, for an exception that escaped a job."""
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return "Out of memory: try a smaller batch size, a smaller image size or fewer items."
    if isinstance(exc, (ValueError, OSError)) and str(exc):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class JobHandle(QObject):
    """One running job: its control (cancel, pause, inbox) and its signals.

    Exactly one of ``finished(result)``, ``failed(message)`` or ``cancelled()``
    is emitted at the end, followed by ``ended()``.
    """

    started = Signal()
    event_emitted = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    ended = Signal()

    def __init__(self, name: str, job: Job, *, device_lock: threading.Lock | None, parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self.control = JobControl()
        self._thread = _WorkerThread(self, job, device_lock)
        self._thread.finished.connect(self._on_thread_finished)
        self._done = False

    def start(self) -> None:
        """Start the worker once control is back in the event loop.

        Signals connected only at emit time are delivered, so the thread starts
        after the caller had the chance to connect to this handle.
        """
        QTimer.singleShot(0, self._start_now)

    def _start_now(self) -> None:
        if self.control.cancelled:  # cancelled before it began (a newer job, or shutdown)
            self._done = True
            self.cancelled.emit()
            self.ended.emit()
            return
        self._thread.start()

    def cancel(self) -> None:
        self.control.cancel()

    def stop(self) -> None:
        """Ask the job to finish early but properly (a training run saves its checkpoint)."""
        self.control.stop()

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def send(self, command: Command) -> None:
        """Queue a typed command (``SetLearningRate``, ``StepOnce``, ``SaveCheckpoint``) for the job."""
        self.control.send(command)

    def is_running(self) -> bool:
        """True until ``ended`` has been delivered (the GUI's view of the job)."""
        return not self._done

    def is_alive(self) -> bool:
        """True while the worker thread exists and has not finished."""
        return not self._done and not self._thread.isFinished()

    def join(self, timeout_s: float) -> bool:
        """Wait for the worker thread (only at shutdown and in tests)."""
        return self._thread.wait(int(timeout_s * 1000))

    def _on_thread_finished(self) -> None:
        # ``finished`` is sent just before the thread exits: let it exit, so the
        # QThread can be garbage collected safely (returns at once in practice).
        self._thread.wait(1000)
        self._done = True
        self.ended.emit()


class _WorkerThread(QThread):
    def __init__(self, handle: JobHandle, job: Job, device_lock: threading.Lock | None):
        super().__init__()
        self._handle = handle
        self._job = job
        self._device_lock = device_lock

    def run(self) -> None:  # noqa: D401 - Qt override, runs in the worker thread
        handle, control = self._handle, self._handle.control
        locked = False
        try:
            if self._device_lock is not None:
                while not self._device_lock.acquire(timeout=0.05):
                    control.checkpoint()
                locked = True
            handle.started.emit()
            result = self._drive(control)
        except JobCancelled:
            handle.cancelled.emit()
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the UI
            message = describe_error(exc)
            # The window shows the message; the terminal gets one line and the
            # traceback goes to the log file (playground.app sets up both).
            log.debug("job %s failed:\n%s", handle.name, traceback.format_exc())
            if isinstance(exc, (ValueError, OSError)):
                log.warning("job %s: %s", handle.name, message)
            else:
                log.error("job %s failed: %s", handle.name, message)
            handle.failed.emit(message)
        else:
            if control.cancelled:
                handle.cancelled.emit()
            else:
                handle.finished.emit(result)
        finally:
            if locked:
                self._device_lock.release()

    def _drive(self, control: JobControl) -> Any:
        handle = self._handle
        gen = self._job(control)
        pending: Progress | None = None
        last_progress = 0.0
        while True:
            try:
                event = next(gen)
            except StopIteration as stop:
                if pending is not None:
                    handle.event_emitted.emit(pending)
                return stop.value
            if isinstance(event, Progress):
                now = time.monotonic()
                if now - last_progress < PROGRESS_INTERVAL_S and event.done < event.total:
                    pending = event
                    continue
                last_progress, pending = now, None
            handle.event_emitted.emit(event)


class JobRunner(QObject):
    """Starts jobs, one per named slot, and stops them all at shutdown."""

    job_started = Signal(str)
    job_ended = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.device_lock = threading.Lock()
        self._slots: dict[str, JobHandle] = {}
        self._all: list[JobHandle] = []

    def start(self, slot: str, job: Job, *, uses_device: bool = False) -> JobHandle:
        """Start ``job`` in a worker; cancel whatever ran in ``slot`` before.

        Connect to the handle's signals right after this returns: the worker
        starts only when control is back in the event loop.
        """
        previous = self._slots.get(slot)
        if previous is not None and previous.is_running():
            previous.cancel()
        handle = JobHandle(slot, job, device_lock=self.device_lock if uses_device else None)
        handle.ended.connect(self._on_handle_ended)
        self._slots[slot] = handle
        self._all.append(handle)
        handle.start()
        self.job_started.emit(slot)
        return handle

    def current(self, slot: str) -> JobHandle | None:
        handle = self._slots.get(slot)
        return handle if handle is not None and handle.is_running() else None

    def active_jobs(self) -> list[str]:
        """Jobs whose worker thread has not finished."""
        return [h.name for h in self._all if h.is_alive()]

    def shutdown(self, timeout_s: float = 2.0) -> bool:
        """Cancel every job and join each within the shared timeout."""
        for handle in self._all:
            handle.cancel()
        deadline = time.monotonic() + timeout_s
        ok = True
        for handle in list(self._all):
            left = max(0.0, deadline - time.monotonic())
            ok = handle.join(left) and ok
        return ok

    def _on_handle_ended(self) -> None:
        handle = self.sender()
        if isinstance(handle, JobHandle):
            if handle in self._all:
                self._all.remove(handle)
            self.job_ended.emit(handle.name)
