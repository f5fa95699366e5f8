"""A progress bar with a message and a Cancel button, bound to one job at a time."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from playground.core.jobs import Progress
from playground.ui.job_runner import JobHandle


class JobProgress(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.message = QLabel()
        self.bar = QProgressBar()
        self.bar.setMinimumWidth(200)
        self.cancel_button = QPushButton("Cancel")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self._handle: JobHandle | None = None
        self.setVisible(False)

    def track(self, handle: JobHandle, message: str) -> None:
        """Show progress of ``handle`` until it ends."""
        self._handle = handle
        self.message.setText(message)
        self.bar.setRange(0, 0)
        self.setVisible(True)
        handle.event_emitted.connect(self._on_job_event)
        handle.ended.connect(self._on_job_ended)

    def _on_job_event(self, event: object) -> None:
        if self.sender() is not self._handle or not isinstance(event, Progress):
            return
        if event.total > 0:
            self.bar.setRange(0, event.total)
            self.bar.setValue(event.done)
        if event.message:
            self.message.setText(event.message)

    def _on_job_ended(self) -> None:
        if self.sender() is self._handle:
            self._handle = None
            self.setVisible(False)

    def _on_cancel_clicked(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
