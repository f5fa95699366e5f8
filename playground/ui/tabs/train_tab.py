"""The Train tab: a GAN's generator and discriminator learning live, with honest measures."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from playground.core.data.dataset import ImageDataset, PointsDataset, PreparedImages
from playground.core.jobs import Metrics, Samples, Status, paced
from playground.core.paths import runs_dir
from playground.core.training.gan_config import GANConfig
from playground.core.training.history import MetricHistory
from playground.ui.dataset_store import DatasetStore
from playground.ui.job_runner import JobHandle, JobRunner
from playground.ui.widgets.gan_settings import GANSettings
from playground.ui.widgets.loss_plot import LossPlot
from playground.ui.widgets.points_view import PointsGANView
from playground.ui.widgets.quality_panel import QualityPanel
from playground.ui.widgets.run_inspector import LatentStrip, NearestPanel
from playground.ui.widgets.sample_timeline import SampleTimeline

SLOT = "train"
REDRAW_MS = 66  # ~15 Hz, whatever the training speed


class TrainTab(QWidget):
    """Settings on the left, curves and samples in the middle, measures on the right."""

    run_started = Signal(str)
    run_ended = Signal()

    def __init__(self, store: DatasetStore, runner: JobRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self._store, self._runner = store, runner
        self._handle: JobHandle | None = None
        self._history = MetricHistory()
        self._dirty = False
        self._latest_points: dict | None = None
        self._run_dir: Path | None = None
        self._checkpoint: str | None = None
        self._device_description = ""
        self._delay_s = 0.0  # slow motion: read by the worker after each frame
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._timer.start()
        store.current_changed.connect(self._on_store_current_changed)
        store.prepared_changed.connect(self._on_store_current_changed)
        self._on_store_current_changed(None)

    # -- building -------------------------------------------------------------
    def _build(self) -> None:
        self.settings = GANSettings()
        for name in ("data_label", "preset", "form", "config_error", "start_button", "pause_button", "step_button",
                     "stop_button", "step_which", "resume_button", "slow_motion"):
            setattr(self, name, getattr(self.settings, name))  # the widgets tests and scenes click
        scroll = QScrollArea()
        scroll.setWidget(self.settings)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(300)

        self.loss_plot = LossPlot("Losses", [("d_loss", "D loss"), ("g_loss", "G loss"),
                                                ("info_loss", "code loss (InfoGAN)")])
        self.belief_plot = LossPlot("D's belief 'real'", [("d_real", "D(x), real"), ("d_fake", "D(G(z)), fake")], y_range=(0, 1))
        self.timeline = SampleTimeline(display_size=280)
        self.points_view = PointsGANView()
        self.visual = QStackedWidget()
        self.visual.addWidget(self.timeline)
        self.visual.addWidget(self.points_view)
        plots = QHBoxLayout()
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.belief_plot)
        middle = QWidget()
        m_layout = QVBoxLayout(middle)
        m_layout.setContentsMargins(0, 0, 0, 0)
        self.nearest = NearestPanel(self._runner)
        self.latent = LatentStrip(self._runner)
        m_layout.addLayout(plots, 2)
        m_layout.addWidget(self.visual, 3)
        m_layout.addWidget(self.latent)

        self.stats = QLabel("Not training.")
        self.stats.setTextFormat(Qt.TextFormat.RichText)
        self.quality = QualityPanel()
        self.alerts = QListWidget()
        self.alerts.setWordWrap(True)
        right = QWidget()
        r_layout = QVBoxLayout(right)
        r_layout.setContentsMargins(0, 0, 0, 0)
        r_layout.addWidget(self.stats)
        quality_box = QGroupBox("Quality, measured")
        q_layout = QVBoxLayout(quality_box)
        q_layout.addWidget(self.quality, 1)
        q_layout.addWidget(self.nearest)
        r_layout.addWidget(quality_box, 3)
        r_layout.addWidget(QLabel("Messages and alerts"))
        r_layout.addWidget(self.alerts, 1)

        splitter = QSplitter(self)
        for w in (scroll, middle, right):
            splitter.addWidget(w)
        splitter.setSizes([310, 560, 410])
        QVBoxLayout(self).addWidget(splitter)

        self.settings.config_changed.connect(self._on_settings_config_changed)
        self.settings.slow_motion_changed.connect(self._on_settings_slow_motion_changed)
        self.start_button.clicked.connect(self._on_start_clicked)
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.step_button.clicked.connect(self._on_step_clicked)
        self.stop_button.clicked.connect(self._on_stop_clicked)
        self.resume_button.clicked.connect(self._on_resume_clicked)
        self.settings.export_png_button.clicked.connect(self._on_export_png_clicked)
        self.settings.export_gif_button.clicked.connect(self._on_export_gif_clicked)
        self.timeline.sample_clicked.connect(self._on_timeline_sample_clicked)
        self._set_running(False)

    # -- config ---------------------------------------------------------------
    def _read_config(self) -> GANConfig:
        return self.settings.read_config()

    def _on_settings_config_changed(self, config: GANConfig) -> None:
        if self._handle is not None and self._handle.is_running():
            self._handle.send("set_lr_g", config.lr_g)  # live: the loop applies them between steps
            self._handle.send("set_lr_d", config.lr_d)

    def _on_store_current_changed(self, _value: object) -> None:
        dataset, prepared = self._store.current, self._store.prepared
        self.settings.set_points_mode(isinstance(dataset, PointsDataset))
        if dataset is None:
            self.data_label.setText("Pick an image dataset or a 2D distribution on the Datasets tab.")
        elif isinstance(dataset, PointsDataset):
            self.data_label.setText(f"<b>Data:</b> {dataset.name}, {len(dataset):,} points (2D mode, MLP GAN)")
            self.preset.setCurrentText("points")
        elif isinstance(prepared, PreparedImages) and prepared.source == dataset.name:
            c, h, w = prepared.shape
            self.data_label.setText(f"<b>Data:</b> {dataset.name} as prepared on the Preprocess tab: {len(prepared):,} images, {c}x{h}x{w}")
        elif isinstance(dataset, ImageDataset):
            self.data_label.setText(f"<b>Data:</b> {dataset.name} with its default pipeline ({len(dataset):,} images)")
            if self.preset.currentText() == "points":
                self.preset.setCurrentText("default")
        else:
            self.data_label.setText(f"{dataset.name} is {dataset.modality}: a GAN here trains on images or 2D points.")

    # -- run control ----------------------------------------------------------
    def start(self, config: GANConfig | None = None, resume_from: str | None = None, judge: bool = True) -> JobHandle | None:
        """Start training on the current dataset; returns the job, or None with a message shown."""
        dataset = self._store.current
        if not isinstance(dataset, (ImageDataset, PointsDataset)):
            self._alert("Pick an image dataset or a 2D distribution on the Datasets tab first.", "warning")
            return None
        try:
            config = config or self._read_config()
        except ValueError as exc:
            self.settings.show_error(str(exc))
            return None
        prepared = self._store.prepared
        if not (isinstance(prepared, PreparedImages) and prepared.source == dataset.name):
            prepared = None
        points = isinstance(dataset, PointsDataset)
        if points and self._delay_s > 0:
            config = config.replace(samples_every=1, metrics_every=1)
        self._run_dir = runs_dir() / f"gan-{dataset.name}-{datetime.now():%Y%m%d-%H%M%S}"
        from playground.core.training.gan_session import gan_session_job  # imports torch: not at start-up

        job = gan_session_job(dataset, config, prepared=prepared, out_dir=self._run_dir, resume_from=resume_from, judge=judge)
        self._reset_views(points)
        if resume_from is not None:
            self._history = _earlier_history(resume_from)  # the curves continue where they stopped
        for plot in (self.loss_plot, self.belief_plot):
            plot.set_span(self._history.last_step() + config.steps)
        self._handle = handle = self._runner.start(SLOT, paced(job, self._slow_motion_delay), uses_device=True)
        handle.event_emitted.connect(self._on_job_event)
        handle.finished.connect(self._on_job_finished)
        handle.failed.connect(self._on_job_failed)
        handle.cancelled.connect(self._on_job_cancelled)
        handle.ended.connect(self._on_job_ended)
        self._set_running(True)
        self.run_started.emit(str(self._run_dir))
        return handle

    def history(self) -> MetricHistory:
        return self._history

    def is_running(self) -> bool:
        return self._handle is not None and self._handle.is_running()

    def _on_start_clicked(self) -> None:
        self.start()

    def _on_pause_clicked(self) -> None:
        if not self.is_running():
            return
        assert self._handle is not None
        if self._handle.control.paused:
            self._handle.resume()
        else:
            self._handle.pause()
        self._set_running(True)

    def _on_step_clicked(self) -> None:
        if self.is_running():
            assert self._handle is not None
            if not self._handle.control.paused:
                self._handle.pause()
                self._set_running(True)
            self._handle.send("step_once", self.step_which.currentText())

    def _on_stop_clicked(self) -> None:
        if self.is_running():
            assert self._handle is not None
            self._handle.stop()

    def _on_resume_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Resume from a run or checkpoint folder", str(runs_dir()))
        if path:
            self.start(resume_from=path)

    def _slow_motion_delay(self) -> float:
        return self._delay_s  # a float read is atomic: safe from the worker thread

    def _on_settings_slow_motion_changed(self, seconds: float) -> None:
        self._delay_s = seconds

    # -- job events -----------------------------------------------------------
    def _on_job_event(self, event: object) -> None:
        if self.sender() is not self._handle:
            return
        if isinstance(event, Metrics):
            self._history.append(event.step, event.values)
            self._dirty = True
        elif isinstance(event, Samples) and event.kind == "points2d":
            self._latest_points = dict(event.extra)
        elif isinstance(event, Samples):
            self.timeline.add(event.step, event.images, int(event.extra.get("cols", 8)), str(event.extra.get("layout", "")))
            share, data_share = event.extra.get("class_share"), event.extra.get("data_share")
            names = event.extra.get("label_names")
            if share is not None and data_share is not None and names:
                self.quality.set_shares(list(names), np.asarray(data_share), np.asarray(share))
        elif isinstance(event, Status):
            self._alert(event.message, event.level)
            if event.message.startswith("checkpoint saved") and self._run_dir is not None:
                self.latent.set_checkpoint(str(self._run_dir))
            if event.level == "error":
                self._set_running(True)

    def _on_job_finished(self, result: object) -> None:
        if self.sender() is self._handle:
            self._checkpoint = getattr(result, "checkpoint", None)
            self.latent.set_checkpoint(self._checkpoint)
            self._alert(f"Finished at step {getattr(result, 'step', '?')}" + (f"; checkpoint in {self._checkpoint}" if self._checkpoint else ""), "info")

    def _on_job_failed(self, message: str) -> None:
        if self.sender() is self._handle:
            self._alert(message, "error")

    def _on_job_cancelled(self) -> None:
        if self.sender() is self._handle:
            self._alert("Training was cancelled; the last saved checkpoint is kept.", "warning")

    def _on_job_ended(self) -> None:
        if self.sender() is self._handle:
            self._set_running(False)
            self._on_timer_timeout()
            self.run_ended.emit()

    def _on_timer_timeout(self) -> None:
        if self._dirty:
            self._dirty = False
            self.loss_plot.refresh(self._history)
            self.belief_plot.refresh(self._history)
            self.quality.refresh(self._history)
            self._update_stats()
        if self._latest_points is not None:
            self.points_view.show_frame(self._latest_points)
            self._latest_points = None

    # -- helpers ----------------------------------------------------------------
    def _update_stats(self) -> None:
        h = self._history
        last = h.last
        rows = [("Step", f"{h.last_step():,}"), ("Steps/s", f"{last('steps_per_s'):.1f}"),
                ("Images/s", f"{last('images_per_s'):,.0f}"), ("Epoch", f"{last('epoch'):.2f}"),
                ("Elapsed", _duration(last("elapsed"))), ("ETA", _duration(last("eta"))),
                ("Memory", f"{last('memory_mb'):,.0f} MiB"), ("Device", self._device_description)]
        self.stats.setText("<table>" + "".join(f"<tr><td><b>{k}</b>&nbsp;</td><td>{v}</td></tr>" for k, v in rows) + "</table>")

    def set_device_description(self, description: str) -> None:
        """What the status bar says about the compute device (shown with the run's speed)."""
        self._device_description = description

    def _reset_views(self, points: bool) -> None:
        self._history = MetricHistory()
        self._dirty = True
        self._checkpoint = None
        self.timeline.clear()
        self.points_view.reset()
        self.alerts.clear()
        self.quality.clear(points)
        self.nearest.clear()
        self.nearest.setVisible(not points)
        self.latent.setVisible(not points)
        self.latent.set_checkpoint(None)
        self.loss_plot.clear_curves()
        self.belief_plot.clear_curves()
        self.visual.setCurrentWidget(self.points_view if points else self.timeline)

    def _set_running(self, running: bool) -> None:
        running = running and self.is_running()
        self.settings.set_running(running, running and self._handle is not None and self._handle.control.paused)

    def _alert(self, message: str, level: str = "info") -> None:
        prefix = {"warning": "⚠ ", "error": "⛔ "}.get(level, "")
        self.alerts.addItem(f"{datetime.now():%H:%M:%S}  {prefix}{message}")
        self.alerts.scrollToBottom()

    def _export_metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"Software": "Generative AI Playground"}
        try:
            meta["playground.config"] = self._read_config().to_dict()
        except ValueError:
            pass
        if self._store.current is not None:
            meta["playground.dataset"] = self._store.current.name
        return meta

    def _on_export_png_clicked(self) -> None:
        current = self.timeline.current()
        if current is None:
            self._alert("There is no sample grid to export yet.", "warning")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export the sample grid", str(runs_dir() / f"samples-step{current[0]}.png"), "PNG (*.png)")
        if path:
            self.export_png(path)

    def export_png(self, path: str) -> None:
        """Save the grid shown, with the run's settings in the PNG's text fields."""
        try:
            self.timeline.export_png(path, self._export_metadata())
        except (ValueError, OSError) as exc:
            self._alert(str(exc), "error")
        else:
            self._alert(f"Saved {path}")

    def _on_export_gif_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the training timeline", str(runs_dir() / "timeline.gif"), "GIF (*.gif)")
        if not path:
            return
        try:
            self.timeline.export_gif(path)
        except (ValueError, OSError) as exc:
            self._alert(str(exc), "error")
        else:
            self._alert(f"Saved {path}")

    def _on_timeline_sample_clicked(self, sample: np.ndarray) -> None:
        self._find_nearest(sample)

    def _find_nearest(self, sample: np.ndarray) -> None:
        prepared, dataset = self._store.prepared, self._store.current
        train = None
        if isinstance(prepared, PreparedImages) and dataset is not None and prepared.source == dataset.name:
            train = prepared.to_uint8()
        elif isinstance(dataset, ImageDataset) and isinstance(dataset.images, np.ndarray):
            train = dataset.images
        self.nearest.find(sample, train)


def _earlier_history(path: str) -> MetricHistory:
    """The metric history saved with a checkpoint (a small JSON file), or an empty one.

    The training job validates the whole checkpoint; a damaged one fails there
    with a clear message, so here a problem just means no earlier curves.
    """
    import json

    from playground.core.training.checkpoint import CheckpointError, find_checkpoint

    try:
        return MetricHistory.from_json(json.loads((find_checkpoint(path) / "history.json").read_text()))
    except (CheckpointError, OSError, ValueError, TypeError, KeyError):
        return MetricHistory()


def _duration(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "–"
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"
