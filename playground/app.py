"""The composition root: builds the QApplication, settings, job runner, store and window."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys

from PySide6.QtWidgets import QApplication

from playground.ui.dataset_store import DatasetStore
from playground.ui.job_runner import JobRunner
from playground.ui.main_window import MainWindow
from playground.ui.settings import AppSettings
from playground.ui.tabs.datasets_tab import DatasetsTab
from playground.ui.tabs.generate_tab import GenerateTab
from playground.ui.tabs.preprocess_tab import PreprocessTab
from playground.ui.tabs.train_tab import TrainTab


def build_main_window(runner: JobRunner | None = None, settings: AppSettings | None = None) -> MainWindow:
    """Build the whole window; a QApplication must exist."""
    runner = runner or JobRunner()
    settings = settings or AppSettings()
    store = DatasetStore()
    datasets_tab = DatasetsTab(store, runner, settings)
    preprocess_tab = PreprocessTab(store, runner)
    train_tab = TrainTab(store, runner)
    generate_tab = GenerateTab(runner)
    tabs = [("Datasets", datasets_tab), ("Preprocess", preprocess_tab), ("Train", train_tab), ("Generate", generate_tab)]
    window = MainWindow(runner, settings, store, datasets_tab, tabs)
    window.device_described.connect(train_tab.set_device_description)
    train_tab.run_ended.connect(generate_tab.refresh_models)  # a new run is a new model to pick
    return window


def setup_logging() -> str:
    """One line per problem on the terminal, details (tracebacks) in a log file.

    ``PLAYGROUND_DEBUG=1`` sends the details to the terminal too. Returns the
    log file's path.
    """
    from playground.core.paths import home_dir

    folder = home_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "playground.log"
    root = logging.getLogger("playground")
    root.setLevel(logging.DEBUG)
    to_file = logging.handlers.RotatingFileHandler(path, maxBytes=2**20, backupCount=3, encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    terminal = logging.StreamHandler()
    terminal.setLevel(logging.DEBUG if os.environ.get("PLAYGROUND_DEBUG") else logging.WARNING)
    terminal.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.handlers[:] = [to_file, terminal]
    root.propagate = False
    return str(path)


def run_app(argv: list[str] | None = None) -> int:
    """Start the app on the bundled default dataset; returns the exit code."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    setup_logging()
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("Generative AI Playground")
    window = build_main_window()
    window.show()
    window.datasets_tab.select_default("image")
    code = app.exec()
    if not window.runner.shutdown(timeout_s=0.5):
        # A worker is still inside a call that cannot be interrupted (importing
        # torch, say): leave without running Qt's destructors, which would abort
        # on a running QThread. Checkpoints are written atomically, so nothing is lost.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
