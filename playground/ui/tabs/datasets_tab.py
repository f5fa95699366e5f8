"""The Datasets tab: bundled and opened datasets, each shown by its modality's view."""

from __future__ import annotations

import html
from collections.abc import Generator
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.core.data.bundled import DEFAULT_DATASETS, bundled_datasets, load_bundled
from playground.core.data.dataset import AnyDataset
from playground.core.data.overview import DatasetOverview, overview_job
from playground.core.data.user_data import DataError, load_path_job
from playground.core.jobs import Job, JobControl
from playground.ui.dataset_store import DatasetStore
from playground.ui.job_runner import JobHandle, JobRunner
from playground.ui.settings import AppSettings
from playground.ui.tabs.dataset_views import AudioView, ImagesView, PointsView, TextView
from playground.ui.widgets.job_progress import JobProgress
from playground.ui.widgets.skipped_panel import SkippedPanel

SLOT = "datasets"
NAME_ROLE = Qt.ItemDataRole.UserRole
SHOWN_NOTES = 5  # notes under the dataset's title; the title's tooltip holds every one
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp)"
FILE_FILTER = f"Data files (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.txt *.md *.csv *.wav *.flac *.ogg);;{IMAGE_FILTER};;Text (*.txt *.md *.csv);;Audio (*.wav *.flac *.ogg);;All files (*)"


def _bundled_load(name: str) -> Job:
    def job(control: JobControl) -> Generator[Any, None, AnyDataset]:
        control.checkpoint()
        return load_bundled(name)
        yield  # a generator with no events: loading takes well under a second

    return job


def _safe(load: Job) -> Job:
    """Return a ``DataError`` as the result, so its list of skipped files reaches the UI."""

    def job(control: JobControl) -> Generator[Any, None, DatasetOverview | DataError]:
        try:
            return (yield from overview_job(load)(control))
        except DataError as exc:
            return exc

    return job


class DatasetsTab(QWidget):
    """Pick a dataset, see it: thumbnails, label histogram, text stats, clips, points."""

    overview_shown = Signal(object)

    def __init__(self, store: DatasetStore, runner: JobRunner, settings: AppSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._settings = settings
        self._overviews: dict[str, DatasetOverview] = {}
        self._loading: JobHandle | None = None

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Dataset", "Kind", "Items", "Licence"])
        self.tree.setRootIsDecorated(False)
        self.open_folder_button = QPushButton("Open folder…")
        self.open_file_button = QPushButton("Open file…")
        hint = QLabel("Or drop a folder or file onto the window.")
        hint.setWordWrap(True)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.tree, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_folder_button)
        buttons.addWidget(self.open_file_button)
        left_layout.addLayout(buttons)
        left_layout.addWidget(hint)

        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020; font-weight: bold;")
        self.message.setVisible(False)
        self.progress = JobProgress()
        self.views = QStackedWidget()
        self.empty_view = QLabel("Choose a dataset on the left.")
        self.empty_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_view, self.text_view = ImagesView(), TextView()
        self.audio_view, self.points_view = AudioView(), PointsView()
        self._view_for = {"image": self.image_view, "text": self.text_view,
                          "audio": self.audio_view, "points": self.points_view}
        for view in (self.empty_view, *self._view_for.values()):
            self.views.addWidget(view)
        self.skipped = SkippedPanel()
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.title)
        right_layout.addWidget(self.message)
        right_layout.addWidget(self.progress)
        right_layout.addWidget(self.views, 1)
        right_layout.addWidget(self.skipped)
        splitter = QSplitter(self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([420, 860])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        infos = bundled_datasets()  # reads index.json: once, not on every click
        self._bundled = {info.name for info in infos}
        for info in infos:
            self._add_row(info.name, info.title, info.modality, info.items, info.licence)
        for column in range(4):
            self.tree.resizeColumnToContents(column)
        self.tree.currentItemChanged.connect(self._on_tree_current_changed)
        self.open_folder_button.clicked.connect(self._on_open_folder_clicked)
        self.open_file_button.clicked.connect(self._on_open_file_clicked)

    # -- public -------------------------------------------------------------
    def select(self, name: str) -> None:
        """Show dataset ``name`` (bundled or opened), loading it if needed."""
        item = self._find_row(name)
        if item is None:
            raise ValueError(f"unknown dataset {name!r}")
        self.tree.setCurrentItem(item)

    def select_default(self, modality: str = "image") -> None:
        self.select(DEFAULT_DATASETS[modality])

    def open_path(self, path: str) -> None:
        """Load a user folder or file in the background and show it."""
        self._settings.last_folder = str(Path(path).parent if Path(path).is_file() else path)
        self._start_loading(Path(path).name or path, _safe(load_path_job(path)), f"Opening {path}")

    def is_loading(self) -> bool:
        return self._loading is not None and self._loading.is_running()

    def shown_overview(self) -> DatasetOverview | None:
        dataset = self._store.current
        return self._overviews.get(dataset.name) if dataset is not None else None

    # -- slots --------------------------------------------------------------
    def _on_tree_current_changed(self, current: QTreeWidgetItem | None, _previous) -> None:
        if current is None:
            return
        name = current.data(0, NAME_ROLE)
        overview = self._overviews.get(name)
        if overview is not None:
            self._show(overview)
        elif name in self._bundled:
            self._start_loading(name, _safe(_bundled_load(name)), f"Loading {current.text(0)}")

    def ask_open_folder(self) -> None:
        """Ask for a folder of images, text or audio, and open it (File menu and the Open folder button)."""
        path = QFileDialog.getExistingDirectory(self, "Open a folder of images, text or audio", self._settings.last_folder)
        if path:
            self.open_path(path)

    def ask_open_file(self) -> None:
        """Ask for a data file, and open it (File menu and the Open file button)."""
        path, _ = QFileDialog.getOpenFileName(self, "Open a data file", self._settings.last_folder, FILE_FILTER)
        if path:
            self.open_path(path)

    def _on_open_folder_clicked(self) -> None:
        self.ask_open_folder()

    def _on_open_file_clicked(self) -> None:
        self.ask_open_file()

    def _on_load_finished(self, result: object) -> None:
        if self.sender() is not self._loading:
            return
        if isinstance(result, DataError):
            self._show_error(str(result), getattr(result, "skipped", []))
            return
        assert isinstance(result, DatasetOverview)
        dataset = result.dataset
        self._overviews[dataset.name] = result
        if self._store.get(dataset.name) is None:
            self._store.add(dataset)
        if self._find_row(dataset.name) is None:
            self._add_row(dataset.name, dataset.name, dataset.modality, dataset.items, dataset.licence)
            self.tree.blockSignals(True)
            self.tree.setCurrentItem(self._find_row(dataset.name))
            self.tree.blockSignals(False)
        self._show(result)

    def _on_load_failed(self, message: str) -> None:
        if self.sender() is self._loading:
            self._show_error(message, [])

    def _on_load_cancelled(self) -> None:
        if self.sender() is self._loading:
            self.message.setText("Loading was cancelled.")
            self.message.setVisible(True)

    # -- helpers ------------------------------------------------------------
    def _start_loading(self, name: str, job: Job, message: str) -> None:
        self.message.setVisible(False)
        handle = self._runner.start(SLOT, job)
        self._loading = handle
        handle.finished.connect(self._on_load_finished)
        handle.failed.connect(self._on_load_failed)
        handle.cancelled.connect(self._on_load_cancelled)
        self.progress.track(handle, message)

    def _show(self, overview: DatasetOverview) -> None:
        dataset = overview.dataset
        self.message.setVisible(False)
        # Notes name the user's files and quote decoders, so they are escaped; a folder of
        # photos with broken EXIF data can have hundreds, all of them in the tooltip.
        notes = "".join(f"<br><i>{html.escape(n)}</i>" for n in dataset.notes[:SHOWN_NOTES])
        if len(dataset.notes) > SHOWN_NOTES:
            notes += f"<br><i>… and {len(dataset.notes) - SHOWN_NOTES} more notes (hover to see all)</i>"
        self.title.setText(f"<b>{html.escape(dataset.name)}</b> — {dataset.modality}, {dataset.items:,} items — "
                           f"licence: {html.escape(dataset.licence)}<br>{html.escape(dataset.source)}{notes}")
        self.title.setToolTip("\n".join(dataset.notes))
        view = self._view_for[dataset.modality]
        view.show_overview(overview)
        self.views.setCurrentWidget(view)
        self.skipped.set_skipped(dataset.skipped, dataset.source or None)
        if self._store.get(dataset.name) is None:
            self._store.add(dataset)
        self._store.set_current(dataset)
        self.overview_shown.emit(overview)

    def _show_error(self, message: str, skipped: list) -> None:
        self.message.setText(message)
        self.message.setVisible(True)
        self.skipped.set_skipped(skipped)

    def _add_row(self, name: str, title: str, modality: str, items: int, licence: str) -> None:
        item = QTreeWidgetItem([title, modality, f"{items:,}", licence])
        item.setData(0, NAME_ROLE, name)
        item.setToolTip(0, name)
        self.tree.addTopLevelItem(item)

    def _find_row(self, name: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, NAME_ROLE) == name:
                return item
        return None
