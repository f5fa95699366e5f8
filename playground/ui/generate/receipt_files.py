"""Save, open and verify for the Images and Sound sections: files that carry their receipt.

Saving writes atomically what the section hands over; opening reads a file's
receipt in a job (``opened``: the section puts the settings back); verifying
makes the output again in a job and compares (``verified``). Dropping a file
of the right type on a section opens it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QWidget

from playground.core.paths import runs_dir
from playground.ui.generate.slot_jobs import SlotJobs, deferred_job
from playground.ui.job_runner import JobHandle

SAVED = "playground.core.generate.saved_files"


class ReceiptFiles(QObject):
    opened = Signal(object)  # the Receipt of a file opened
    verified = Signal(object)  # the Verification of a file verified
    said = Signal(str, str)  # (message, level) for the section's message line

    def __init__(self, jobs: SlotJobs, kind: str, suffix: str, slot_prefix: str, parent: QObject | None = None):
        super().__init__(parent)
        self._jobs, self.kind, self.suffix = jobs, kind, suffix
        self.open_slot, self.verify_slot = f"{slot_prefix}-open", f"{slot_prefix}-verify"
        self.last_verification: Any = None

    def save(self, path: str, make: Callable[[], bytes]) -> bool:
        """Write ``make()`` to ``path`` atomically; False with a message when that fails."""
        from playground.core.atomic import write_bytes_atomic

        try:
            write_bytes_atomic(path, make())
        except (OSError, ValueError) as exc:
            self.said.emit(f"could not save {path}: {exc}", "error")
            return False
        self.said.emit(f"Saved {Path(path).name} with its receipt: Open {self.kind}… puts its settings back, "
                       f"Verify {self.kind}… makes it again.", "info")
        return True

    def open(self, path: str) -> JobHandle:
        """Read a saved file's receipt (in a job); ``opened`` carries it."""
        self.said.emit(f"Reading the settings of {Path(path).name}…", "info")
        return self._jobs.start(self.open_slot, deferred_job(SAVED, "read_receipt_job", path),
                                finished=self.opened.emit)

    def verify(self, path: str) -> JobHandle:
        """Make a saved file again from its receipt (in a job) and say whether it is identical."""
        self.said.emit(f"Verifying {Path(path).name}: making it again from its receipt…", "info")
        return self._jobs.start(self.verify_slot, deferred_job(SAVED, "verify_media_job", path),
                                finished=self._on_verify_finished)

    def ask_save(self, parent: QWidget, make: Callable[[], bytes]) -> None:
        path, _ = QFileDialog.getSaveFileName(parent, f"Save as {self.kind} with its receipt",
                                              str(runs_dir() / f"generated{self.suffix}"),
                                              f"{self.kind} (*{self.suffix})")
        if path:
            self.save(path, make)

    def ask_open(self, parent: QWidget) -> None:
        path, _ = QFileDialog.getOpenFileName(parent, f"Open a saved {self.kind}", str(runs_dir()),
                                              f"{self.kind} (*{self.suffix});;All files (*)")
        if path:
            self.open(path)

    def ask_verify(self, parent: QWidget) -> None:
        path, _ = QFileDialog.getOpenFileName(parent, f"Verify a saved {self.kind}", str(runs_dir()),
                                              f"{self.kind} (*{self.suffix});;All files (*)")
        if path:
            self.verify(path)

    def dropped(self, event: QDragEnterEvent | QDropEvent) -> str | None:
        """The first local file of this type being dragged or dropped, if any."""
        if not event.mimeData().hasUrls():
            return None
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        return next((p for p in paths if p.lower().endswith(self.suffix)), None)

    def _on_verify_finished(self, verification: object) -> None:
        ok = bool(verification.identical)
        self.last_verification = verification
        self.said.emit(("✔ " if ok else "✘ ") + verification.message, "info" if ok else "warning")
        self.verified.emit(verification)
