"""The pictures a run sends, for any family: sample grids over time, the 2D view, text samples.

The Train tab shell hands each picture event (``show_view``) to its family's
panel on the GUI thread and calls ``refresh`` from its redraw timer; a family
with more to show (the GAN's quality measures) subclasses this panel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from playground.core.events import AudioClips, ImageGrid, PointsView, TextSample, View
from playground.core.paths import runs_dir
from playground.core.runs.history import MetricHistory
from playground.ui.job_runner import JobRunner
from playground.ui.widgets.clip_list import ClipList
from playground.ui.widgets.points_view import PointsGANView
from playground.ui.widgets.sample_timeline import SampleTimeline


class ViewsPanel(QWidget):
    """A stack of views; the one matching the latest picture is shown."""

    def __init__(self, runner: JobRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self._runner = runner
        self._metadata: Callable[[], dict[str, Any]] = dict
        self._latest_points: PointsView | None = None
        self.timeline = SampleTimeline(display_size=280)
        self.points_view = PointsGANView()
        self.text_view = QPlainTextEdit()
        self.text_view.setReadOnly(True)
        self.text_view.setPlaceholderText("Text samples appear here as the model learns.")
        self.clip_list = ClipList()
        self.visual = QStackedWidget()
        for widget in (self.timeline, self.points_view, self.text_view, self.clip_list):
            self.visual.addWidget(widget)
        self.export_png_button, self.export_gif_button = QPushButton("Export grid PNG…"), QPushButton("Export timeline GIF…")
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        exports = QHBoxLayout()
        exports.addWidget(self.export_png_button)
        exports.addWidget(self.export_gif_button)
        exports.addStretch(1)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.addWidget(self.visual, 1)
        self.body.addLayout(exports)
        self.body.addWidget(self.notice)
        self.export_png_button.clicked.connect(self._on_export_png_clicked)
        self.export_gif_button.clicked.connect(self._on_export_gif_clicked)
        self.visual.currentChanged.connect(self._on_visual_current_changed)
        self._on_visual_current_changed()

    def _on_visual_current_changed(self, _index: int = 0) -> None:
        grids = self.visual.currentWidget() is self.timeline  # the exports save sample grids; text and sound have none
        self.export_png_button.setVisible(grids)
        self.export_gif_button.setVisible(grids)

    # -- what the shell calls ----------------------------------------------------------
    def side_widget(self) -> QWidget | None:
        """A widget for the right column (measures), or None."""
        return None

    def reset(self, kinds: frozenset[str]) -> None:
        """A new run starts on data of ``kinds``."""
        self.timeline.clear()
        self.points_view.reset()
        self.text_view.clear()
        self.notice.clear()
        self._latest_points = None
        self.clip_list.set_clips(np.zeros((0, 1), np.float32), 16_000, None, [])
        self.visual.setCurrentWidget(self.points_view if "points" in kinds else self.text_view if "tokens" in kinds
                                     else self.clip_list if kinds & {"audio", "captioned_audio"} else self.timeline)

    def set_metadata_source(self, metadata: Callable[[], dict[str, Any]]) -> None:
        """What exported PNGs record (settings, dataset)."""
        self._metadata = metadata

    def show_view(self, view: View) -> None:
        if isinstance(view, ImageGrid):
            self.timeline.add(view.step, view.images, view.cols, view.layout)
            self.visual.setCurrentWidget(self.timeline)
        elif isinstance(view, PointsView):
            self._latest_points = view  # drawn at the next redraw: 2D views can come faster than frames
        elif isinstance(view, TextSample):
            self.text_view.appendPlainText(f"— step {view.step:,} —\n{view.prompt}{view.text}\n")
            self.visual.setCurrentWidget(self.text_view)
        elif isinstance(view, AudioClips):
            self.clip_list.set_clips(view.clips, view.sample_rate, view.spectrograms, list(view.captions),
                                     heading=f"step {view.step:,}: ")
            self.visual.setCurrentWidget(self.clip_list)

    def refresh(self, history: MetricHistory) -> None:
        if self._latest_points is not None:
            self.points_view.show_frame(self._latest_points)
            self.visual.setCurrentWidget(self.points_view)
            self._latest_points = None

    def set_checkpoint(self, path: str | None) -> None:
        """A checkpoint was saved (or a new run has none yet)."""

    # -- exports -------------------------------------------------------------------------
    def export_png(self, path: str) -> None:
        """Save the grid shown, with the run's settings in the PNG's text fields (ValueError/OSError on failure)."""
        self.timeline.export_png(path, {"Software": "Generative AI Playground", **self._metadata()})

    def _on_export_png_clicked(self) -> None:
        current = self.timeline.current()
        if current is None:
            self.notice.setText("There is no sample grid to export yet.")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export the sample grid", str(runs_dir() / f"samples-step{current[0]}.png"), "PNG (*.png)")
        if path:
            self._report(lambda: self.export_png(path), path)

    def _on_export_gif_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the training timeline", str(runs_dir() / "timeline.gif"), "GIF (*.gif)")
        if path:
            self._report(lambda: self.timeline.export_gif(path), path)

    def _report(self, save: Callable[[], None], path: str) -> None:
        try:
            save()
        except (ValueError, OSError) as exc:
            self.notice.setText(f"⛔ {exc}")
        else:
            self.notice.setText(f"Saved {path}")

