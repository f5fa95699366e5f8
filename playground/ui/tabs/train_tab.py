"""The Train tab: any model family learning live, as a shell with one panel per family.

Left: the data, the model family (those that train on this data), its preset
and settings, and the run buttons. Middle: one plot per curve group the family
names, then the family's panel (sample grids, the 2D view, text). Right: speed,
ETA and memory, the panel's measures, and the messages and alerts. The tab
knows no family: settings, curves and pictures all come from the registry.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QListWidget, QScrollArea, QSplitter, QVBoxLayout, QWidget

from playground.core import families
from playground.core.data.dataset import ImageDataset
from playground.core.device import describe_cpu_threads, thread_count
from playground.core.events import CheckpointSaved, Metrics, SetLearningRate, Status, StepOnce, View
from playground.core.jobs import paced
from playground.core.paths import runs_dir
from playground.core.preprocess.prepared import MODALITY_KINDS, PreparedImages, data_kinds, kinds_in_words
from playground.core.runs.history import MetricHistory
from playground.core.training.settings import Settings
from playground.ui.dataset_store import DatasetStore
from playground.ui.family_panels import ViewsPanel, panel_for
from playground.ui.job_runner import JobHandle, JobRunner
from playground.ui.widgets.loss_plot import LossPlot
from playground.ui.widgets.run_controls import RunControls

SLOT = "train"
REDRAW_MS = 66  # ~15 Hz, whatever the training speed


class ControlsScroll(QScrollArea):
    """The settings column: it scrolls down, never sideways, and is always as wide as its form needs.

    A family's form can be wider than the column's first width (the diffusion labels are): without this, the
    values and the model's name were cut at the right edge behind a horizontal scroll bar.
    """

    def __init__(self, controls: QWidget) -> None:
        super().__init__()
        self.setWidget(controls)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        controls.installEventFilter(self)
        self._fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._fit()
        return False

    def _fit(self) -> None:
        bar = self.verticalScrollBar().sizeHint().width()
        self.setMinimumWidth(max(300, self.widget().minimumSizeHint().width() + bar + 2 * self.frameWidth()))


class TrainTab(QWidget):
    """A shell around the chosen family's settings, curves and panel."""

    run_started = Signal(str)
    run_ended = Signal()

    def __init__(self, store: DatasetStore, runner: JobRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self._store, self._runner = store, runner
        self._handle: JobHandle | None = None
        self._history = MetricHistory()
        self._dirty = False
        self._run_dir: Path | None = None
        self._checkpoint: str | None = None
        self._device_description = ""
        self._run_threads: int | None = None  # the running run's cpu_threads setting (0: one per core)
        self._delay_s = 0.0  # slow motion: read by the worker after each frame
        self._kinds: frozenset[str] = frozenset()
        self.plots: list[LossPlot] = []
        self.panel: ViewsPanel | None = None
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
        self.controls = RunControls()
        self.controls_scroll = scroll = ControlsScroll(self.controls)
        self._plots_row = QHBoxLayout()
        self._panel_slot = QVBoxLayout()
        middle = QWidget()
        m_layout = QVBoxLayout(middle)
        m_layout.setContentsMargins(0, 0, 0, 0)
        m_layout.addLayout(self._plots_row, 2)
        m_layout.addLayout(self._panel_slot, 3)
        self.stats = QLabel("Not training.")
        self.stats.setTextFormat(Qt.TextFormat.RichText)
        self.alerts = QListWidget()
        self.alerts.setWordWrap(True)
        right = QWidget()
        self._right = QVBoxLayout(right)
        self._right.setContentsMargins(0, 0, 0, 0)
        self._right.addWidget(self.stats)
        self._side_slot = QVBoxLayout()
        self._right.addLayout(self._side_slot, 3)
        self._right.addWidget(QLabel("Messages and alerts"))
        self._right.addWidget(self.alerts, 1)
        splitter = QSplitter(self)
        for w in (scroll, middle, right):
            splitter.addWidget(w)
        splitter.setSizes([310, 560, 410])
        QVBoxLayout(self).addWidget(splitter)

        c = self.controls
        c.family_changed.connect(self._on_controls_family_changed)
        c.settings_changed.connect(self._on_controls_settings_changed)
        c.slow_motion_changed.connect(self._on_controls_slow_motion_changed)
        c.start_button.clicked.connect(self._on_start_clicked)
        c.pause_button.clicked.connect(self._on_pause_clicked)
        c.step_button.clicked.connect(self._on_step_clicked)
        c.stop_button.clicked.connect(self._on_stop_clicked)
        c.resume_button.clicked.connect(self._on_resume_clicked)

    def _show_family(self, family: families.Family | None) -> None:
        """Plots and panel for ``family`` (between runs only)."""
        for plot in self.plots:
            self._plots_row.removeWidget(plot)
            plot.deleteLater()
        self.plots = [LossPlot(g.title, list(g.series), y_range=g.y_range) for g in (family.curves if family else ())]
        for plot in self.plots:
            self._plots_row.addWidget(plot)
        if self.panel is not None:
            side = self.panel.side_widget()
            if side is not None:  # the layout made the tab its parent: it would outlive the panel, still shown
                self._side_slot.removeWidget(side)
                side.hide()
                side.deleteLater()
            self._panel_slot.removeWidget(self.panel)
            self.panel.hide()
            self.panel.deleteLater()
        self.panel = panel_for(family.name if family else "", self._runner)
        self.panel.set_metadata_source(self._export_metadata)
        if hasattr(self.panel, "set_training_images"):
            self.panel.set_training_images(self._training_images)
        self._panel_slot.addWidget(self.panel)
        side = self.panel.side_widget()
        if side is not None:
            self._side_slot.addWidget(side)
        self.panel.reset(self._kinds)

    # -- data -----------------------------------------------------------------
    def _on_store_current_changed(self, _value: object) -> None:
        if self.is_running():
            return  # the run keeps its data; the choice applies to the next run
        dataset = self._store.current
        prepared = self._store.prepared_for(dataset)
        self._kinds = data_kinds(prepared) if prepared is not None else MODALITY_KINDS.get(getattr(dataset, "modality", ""), frozenset())
        offered = families.for_data(self._kinds) if dataset is not None else []
        self.controls.set_families(offered, self._kinds)
        label = self.controls.data_label
        if dataset is None:
            label.setText("Pick a dataset on the Datasets tab.")
        elif not offered:
            label.setText(f"{dataset.name} is {dataset.modality}: no model here trains on it yet.")
        elif isinstance(prepared, PreparedImages):
            c, h, w = prepared.shape
            label.setText(f"<b>Data:</b> {dataset.name} as prepared on the Preprocess tab: {len(prepared):,} images, {c}x{h}x{w}")
        elif prepared is not None:
            label.setText(f"<b>Data:</b> {dataset.name} as prepared on the Preprocess tab ({kinds_in_words(self._kinds)})")
        else:
            label.setText(f"<b>Data:</b> {dataset.name} with its default pipeline ({dataset.items:,} items, "
                          f"{kinds_in_words(self._kinds)})")
        self._show_family(self.controls.current_family())

    def _training_images(self) -> np.ndarray | None:
        """The training images at the samples' size, for "is it copying?"."""
        dataset = self._store.current
        prepared = self._store.prepared_for(dataset)
        if isinstance(prepared, PreparedImages):
            return prepared.to_uint8()
        if isinstance(dataset, ImageDataset) and isinstance(dataset.images, np.ndarray):
            return dataset.images
        return None

    # -- run control ----------------------------------------------------------
    def start(self, settings: Settings | None = None, resume_from: str | None = None, extras: bool = True) -> JobHandle | None:
        """Start training on the current dataset; returns the job, or None with a message shown."""
        dataset, family = self._store.current, self.controls.current_family()
        if dataset is None or family is None:
            self._alert("Pick a dataset a model here can train on (images, 2D points, ...) on the Datasets tab first.",
                        "warning")
            return None
        try:
            settings = settings or self.controls.read_settings()
        except ValueError as exc:
            self.controls.show_error(str(exc))
            return None
        if "points" in self._kinds and self._delay_s > 0:
            settings = settings.replace(samples_every=1, metrics_every=1)
        self._run_dir = runs_dir() / f"{family.name}-{dataset.name}-{datetime.now():%Y%m%d-%H%M%S}"
        from playground.core.families.session import session_job  # imports torch: not at start-up

        self._run_threads = settings.run.cpu_threads
        job = session_job(family, dataset, settings, prepared=self._store.prepared_for(dataset), out_dir=self._run_dir,
                          resume_from=resume_from, extras=extras)
        self._reset_views(family)
        if resume_from is not None:
            self._history = _earlier_history(resume_from)  # the curves continue where they stopped
        for plot in self.plots:
            plot.set_span(self._history.last_step() + settings.run.steps)
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
            self._handle.send(StepOnce(self.controls.step_part.currentText()))

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

    def _on_controls_slow_motion_changed(self, seconds: float) -> None:
        self._delay_s = seconds

    def _on_controls_family_changed(self, _name: str) -> None:
        if not self.is_running():
            self._show_family(self.controls.current_family())

    def _on_controls_settings_changed(self, settings: Settings) -> None:
        if self._handle is not None and self._handle.is_running():
            for name, lr in settings.run.learning_rates.items():  # live: the loop applies them between steps
                self._handle.send(SetLearningRate(name, lr))

    # -- job events -----------------------------------------------------------
    def _on_job_event(self, event: object) -> None:
        if self.sender() is not self._handle or self.panel is None:
            return
        if isinstance(event, Metrics):
            self._history.append(event.step, event.values)
            self._dirty = True
        elif isinstance(event, View):
            self.panel.show_view(event)
        elif isinstance(event, CheckpointSaved):
            self._checkpoint = event.path
            self._alert(f"checkpoint saved at step {event.step}")
            self.panel.set_checkpoint(str(self._run_dir))
        elif isinstance(event, Status):
            self._alert(event.message, event.level)
            if event.level == "error":
                self._set_running(True)

    def _on_job_finished(self, result: object) -> None:
        if self.sender() is self._handle:
            checkpoint = getattr(result, "checkpoint", None)
            self._checkpoint = checkpoint or self._checkpoint
            if self.panel is not None:
                self.panel.set_checkpoint(str(self._run_dir) if self._checkpoint else None)
            self._alert(f"Finished at step {getattr(result, 'step', '?')}" + (f"; checkpoint in {checkpoint}" if checkpoint else ""), "info")

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
            for plot in self.plots:
                plot.refresh(self._history)
            self._update_stats()
        if self.panel is not None:
            self.panel.refresh(self._history)

    # -- helpers ----------------------------------------------------------------
    def _update_stats(self) -> None:
        h = self._history
        last = h.last
        noun = next((k[: -len("_per_s")] for k in h.keys() if k.endswith("_per_s") and k != "steps_per_s"), "items")
        rows = [("Step", f"{h.last_step():,}"), ("Steps/s", f"{last('steps_per_s'):.1f}"),
                (f"{noun.capitalize()}/s", f"{last(noun + '_per_s'):,.0f}"), ("Epoch", f"{last('epoch'):.2f}"),
                ("Elapsed", _duration(last("elapsed"))), ("ETA", _duration(last("eta"))),
                ("Memory", f"{last('memory_mb'):,.0f} MiB"), ("Device", self.device_text())]
        self.stats.setText("<table>" + "".join(f"<tr><td><b>{k}</b>&nbsp;</td><td>{v}</td></tr>" for k, v in rows) + "</table>")

    def device_text(self) -> str:
        """The Device row: on the CPU, with the thread count of this run's settings (a preset may name one)."""
        if self._device_description.startswith("CPU") and self._run_threads is not None:
            return describe_cpu_threads(thread_count(self._run_threads))
        return self._device_description

    def set_device_description(self, description: str) -> None:
        """What the status bar says about the compute device (shown with the run's speed)."""
        self._device_description = description

    def _reset_views(self, family: families.Family) -> None:
        self._show_family(family)
        self._history = MetricHistory()
        self._dirty = True
        self._checkpoint = None
        self.alerts.clear()
        for plot in self.plots:
            plot.clear_curves()

    def _set_running(self, running: bool) -> None:
        running = running and self.is_running()
        self.controls.set_running(running, running and self._handle is not None and self._handle.control.paused)

    def _alert(self, message: str, level: str = "info") -> None:
        prefix = {"warning": "⚠ ", "error": "⛔ "}.get(level, "")
        self.alerts.addItem(f"{datetime.now():%H:%M:%S}  {prefix}{message}")
        self.alerts.scrollToBottom()

    def _export_metadata(self) -> dict[str, Any]:
        import json

        meta: dict[str, Any] = {}
        family = self.controls.current_family()
        settings = self.controls.settings_or_none()
        if family is not None and settings is not None:
            meta["playground.family"] = family.name
            meta["playground.config"] = json.dumps(settings.to_dict())
        if self._store.current is not None:
            meta["playground.dataset"] = self._store.current.name
        return meta


def _earlier_history(path: str) -> MetricHistory:
    """The metric history saved with a checkpoint (a small JSON file), or an empty one.

    The training job validates the whole checkpoint; a damaged one fails there
    with a clear message, so here a problem just means no earlier curves.
    """
    import json

    from playground.core.runs.checkpoint import CheckpointError, find_checkpoint

    try:
        return MetricHistory.from_json(json.loads((find_checkpoint(path) / "history.json").read_text()))
    except (CheckpointError, OSError, ValueError, TypeError, KeyError):
        return MetricHistory()


def _duration(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "–"
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"
