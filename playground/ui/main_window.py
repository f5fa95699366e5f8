"""The main window: the tabs, a status bar with the compute device, drag and drop, clean quit."""

from __future__ import annotations

import gc
from collections.abc import Generator
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QWidget

from playground.core.jobs import JobControl
from playground.ui.dataset_store import DatasetStore
from playground.ui.job_runner import JobRunner
from playground.ui.settings import AppSettings
from playground.ui.tabs.datasets_tab import DatasetsTab

SHUTDOWN_TIMEOUT_S = 1.5


def device_probe_job(control: JobControl) -> Generator[Any, None, str]:
    """Import torch, warm up Adam (it imports torch._dynamo) and describe the device."""
    import torch

    from playground.core.device import describe_device

    from playground.core.device import apply_threads, describe_cpu_threads, resolve_device

    control.checkpoint()
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # imports torch._dynamo (~2 s) here, not in a slot
    if resolve_device("auto").type == "cuda":
        return describe_device()
    return describe_cpu_threads(apply_threads(0))  # what a training run uses unless its settings say
    yield  # a generator with no events


class MainWindow(QMainWindow):
    device_described = Signal(str)  # the compute device, once the probe has looked

    def __init__(self, runner: JobRunner, settings: AppSettings, store: DatasetStore, datasets_tab: DatasetsTab,
                 tabs: list[tuple[str, QWidget]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Generative AI Playground")
        self.setAcceptDrops(True)
        self.runner = runner
        self.settings = settings
        self.store = store
        self.datasets_tab = datasets_tab
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for title, widget in tabs:
            self.tabs.addTab(widget, title)
        self.setCentralWidget(self.tabs)
        self.device_label = QLabel("Device: detecting…")
        self.statusBar().addPermanentWidget(self.device_label)
        self._build_menu()
        geometry = settings.window_geometry
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 800)
        QTimer.singleShot(0, self._start_device_probe)

    def tab(self, kind: type[QWidget]) -> QWidget:
        """The tab of class ``kind`` (raises LookupError if there is none)."""
        for i in range(self.tabs.count()):
            if isinstance(self.tabs.widget(i), kind):
                return self.tabs.widget(i)
        raise LookupError(f"no {kind.__name__} tab")

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&File")
        open_folder = QAction("Open &folder…", self)
        open_folder.setShortcut(QKeySequence.StandardKey.Open)
        open_folder.triggered.connect(self.datasets_tab.ask_open_folder)
        open_file = QAction("Open f&ile…", self)
        open_file.triggered.connect(self.datasets_tab.ask_open_file)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        for action in (open_folder, open_file, quit_action):
            menu.addAction(action)

    def _start_device_probe(self) -> None:
        handle = self.runner.start("device-probe", device_probe_job)
        handle.finished.connect(self._on_probe_finished)
        handle.failed.connect(self._on_probe_failed)

    def _on_probe_finished(self, description: str) -> None:
        self.device_label.setText(f"Device: {description}")
        self.device_described.emit(description)
        # torch is loaded now. Move every object alive so far out of the
        # collector's reach: a full collection of torch's and Qt's objects held
        # the GIL for 60-180 ms, stalling training and the GUI alike (bench gan).
        gc.freeze()

    def _on_probe_failed(self, message: str) -> None:
        self.device_label.setText(f"Device: unknown ({message})")

    # -- Qt overrides -------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.tabs.setCurrentWidget(self.datasets_tab)
            self.datasets_tab.open_path(paths[0])
            event.acceptProposedAction()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.window_geometry = self.saveGeometry()
        self.settings.sync()
        self.runner.shutdown(timeout_s=SHUTDOWN_TIMEOUT_S)
        super().closeEvent(event)
