"""The Preprocess tab: an ordered pipeline on the left, its live effect on a few samples on the right.

Every edit restarts a short single-shot timer; when it fires, the preview runs
in the job runner's "preprocess-preview" slot (a newer preview cancels the
older one, and only the newest result is drawn). Prepare runs the whole
pipeline in the "preprocess" slot and hands the result to the store.
"""

from __future__ import annotations

import html
import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from playground.core.data.dataset import AnyDataset
from playground.core.preprocess import Pipeline, PrepareReport, default_pipeline
from playground.core.preprocess.preview_jobs import (
    NOUNS,
    DuplicatesResult,
    PrepareOutcome,
    PreviewResult,
    dedupe_prefix,
    duplicates_job,
    preview_job,
    safe_prepare_job,
)
from playground.ui.dataset_store import DatasetStore
from playground.ui.job_runner import JobHandle, JobRunner
from playground.ui.tabs.preprocess_report import report_html
from playground.ui.widgets.job_progress import JobProgress
from playground.ui.widgets.pipeline_editor import ERROR_STYLE, PipelineEditor
from playground.ui.widgets.preview_strip import (
    MAX_PAIRS,
    AudioPreview,
    ImagePreview,
    TextPreview,
)
from playground.ui.widgets.value_histogram import ValueHistogram

PREVIEW_SLOT = "preprocess-preview"
PREPARE_SLOT = "preprocess"
DUPLICATES_SLOT = "preprocess-duplicates"
DEBOUNCE_MS = 70
SAMPLE_STRIDE = 37  # "Other samples" moves the spread of previewed items by this much
POINTS_NOTE = ("2D points need no preprocessing: the pipeline is empty (identity) and Prepare hands the "
               "points to the Train tab as they are. You can still add label filters (the data diet).")


class PreprocessTab(QWidget):
    """Build a pipeline for the current dataset, watch it work on samples, and Prepare."""

    preview_shown = Signal(object)  # PreviewResult, once drawn
    prepare_ended = Signal()

    def __init__(self, store: DatasetStore, runner: JobRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self._store, self._runner = store, runner
        self._dataset: AnyDataset | None = None
        self._pipelines: dict[str, Pipeline] = {}  # edited pipelines of datasets seen this session
        self._offset = 0
        self._generation = 0  # bumps on every change the preview must follow
        self._preview: JobHandle | None = None
        self._preview_generation = -1
        self._shown_generation = -2
        self._preview_started = 0.0
        self._prepare: JobHandle | None = None
        self._prepared_pipeline: Pipeline | None = None
        self._duplicates: JobHandle | None = None
        self._dup_key: str | None = None
        self._dup_shown_key: str | None = None
        self.last_preview: PreviewResult | None = None
        self.last_preview_ms = 0.0  # from the preview job's start to drawn
        self.last_report: PrepareReport | None = None

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

        # Left: the pipeline, Prepare and its report.
        self.title = QLabel("Choose a dataset on the Datasets tab.")
        self.title.setWordWrap(True)
        self.points_note = QLabel(POINTS_NOTE)
        self.points_note.setWordWrap(True)
        self.points_note.setStyleSheet("background: #eef5ff; padding: 6px; border-radius: 4px;")
        self.points_note.setVisible(False)
        self.editor = PipelineEditor()
        self.prepare_button = QPushButton("Prepare")
        self.prepare_button.setToolTip("Run the pipeline on the whole dataset and hand the result to the Train tab")
        self.progress = JobProgress()
        self.report = QTextBrowser()
        self.report.setPlaceholderText("Prepare runs the pipeline on the whole dataset; its report appears here.")
        self.report.setMaximumHeight(200)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.title)
        left_layout.addWidget(self.points_note)
        left_layout.addWidget(self.editor, 1)
        left_layout.addWidget(self.prepare_button)
        left_layout.addWidget(self.progress)
        left_layout.addWidget(self.report)

        # Right: before/after, then the value histograms.
        self.preview_title = QLabel()
        self.preview_title.setStyleSheet("color: #555;")
        self.other_button = QPushButton("Other samples")
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(ERROR_STYLE)
        self.warning.setVisible(False)
        self.image_preview, self.text_preview, self.audio_preview = ImagePreview(), TextPreview(), AudioPreview()
        self.points_preview = QLabel()
        self.points_preview.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.points_preview.setWordWrap(True)
        self.empty_page = QLabel("No dataset yet: choose one on the Datasets tab.")
        self.empty_page.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages = QStackedWidget()
        self._page_for = {"image": self.image_preview, "text": self.text_preview, "audio": self.audio_preview,
                          "points": self.points_preview}
        for page in (self.empty_page, *self._page_for.values()):
            self.pages.addWidget(page)
        self.before_histogram = ValueHistogram("Before", colour=(120, 120, 120))
        self.after_histogram = ValueHistogram("After", colour=(40, 110, 190))
        self.histograms = QWidget()
        hist_row = QHBoxLayout(self.histograms)
        hist_row.setContentsMargins(0, 0, 0, 0)
        hist_row.addWidget(self.before_histogram)
        hist_row.addWidget(self.after_histogram)
        self.histograms.setFixedHeight(190)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.preview_title, 1)
        head.addWidget(self.other_button)
        right_layout.addLayout(head)
        right_layout.addWidget(self.warning)
        right_layout.addWidget(self.pages, 1)
        right_layout.addWidget(self.histograms)

        splitter = QSplitter(self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([370, 910])
        layout = QVBoxLayout(self)
        # Shown alone (tests, screenshots), a window whose minimum size followed every
        # label change would make offscreen Qt warn; inside the main window this changes nothing.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.addWidget(splitter)

        store.current_changed.connect(self._on_store_current_changed)
        self.editor.pipeline_changed.connect(self._on_editor_pipeline_changed)
        self.editor.error_changed.connect(self._on_editor_error_changed)
        self.prepare_button.clicked.connect(self._on_prepare_clicked)
        self.other_button.clicked.connect(self._on_other_clicked)
        self.audio_preview.clip_changed.connect(self._on_audio_clip_changed)
        self._on_store_current_changed(store.current)

    # -- public -------------------------------------------------------------
    def pipeline(self) -> Pipeline | None:
        """The pipeline now edited for the current dataset."""
        return self.editor.pipeline()

    def is_busy(self) -> bool:
        return any(h is not None and h.is_running() for h in (self._preview, self._prepare, self._duplicates))

    def screenshot_ready(self) -> bool:
        """True when the preview and histograms of the current dataset are drawn and no job of ours runs."""
        dataset = self._store.current
        return (dataset is not None and dataset is self._dataset and not self._timer.isActive()
                and self._shown_generation == self._generation and self._dup_shown_key == self._dup_key
                and not self.is_busy())

    # -- slots: dataset and pipeline ------------------------------------------
    def _on_store_current_changed(self, dataset: AnyDataset | None) -> None:
        for handle in (self._preview, self._duplicates, self._prepare):
            if handle is not None and handle.is_running():
                handle.cancel()  # it works on the previous dataset
        self._preview = self._duplicates = self._prepare = None  # so a late result is not drawn
        self._dataset = dataset
        self._offset = 0
        self._dup_key = self._dup_shown_key = None
        self.report.clear()
        self.editor.set_problem("")
        if dataset is None:
            self.title.setText("Choose a dataset on the Datasets tab.")
            self.editor.set_pipeline(None)
            self.pages.setCurrentWidget(self.empty_page)
            self._update_buttons()
            return
        pipeline = self._pipelines.get(dataset.name)
        if pipeline is None:
            pipeline = self._pipelines[dataset.name] = default_pipeline(dataset)
        modality = dataset.modality
        self.title.setText(f"<b>{html.escape(dataset.name)}</b> — {modality}, {dataset.items:,} "
                           f"{NOUNS[modality]}. Steps run top to bottom; untick one to skip it.")
        self.points_note.setVisible(modality == "points")
        self.histograms.setVisible(modality != "points")
        self.other_button.setVisible(modality != "audio")
        if modality == "audio":
            self.audio_preview.set_clip_names([self._clip_name(i) for i in range(len(dataset))])
        self.image_preview.show_pairs(None, "")
        self.pages.setCurrentWidget(self._page_for[modality])
        self.editor.set_pipeline(pipeline, list(getattr(dataset, "label_names", [])))
        self.editor.set_problem("")
        self._update_buttons()
        self._schedule_preview()

    def _on_editor_pipeline_changed(self, pipeline: Pipeline) -> None:
        if self._dataset is not None:
            self._pipelines[self._dataset.name] = pipeline
        self.editor.set_problem("")
        self._schedule_preview()

    def _on_editor_error_changed(self, _text: str) -> None:
        self._update_buttons()

    def _on_other_clicked(self) -> None:
        self._offset += SAMPLE_STRIDE
        self._schedule_preview()

    def _on_audio_clip_changed(self, _index: int) -> None:
        self._schedule_preview()

    # -- preview --------------------------------------------------------------
    def _schedule_preview(self) -> None:
        self._generation += 1
        self._timer.start()

    def _on_timer_timeout(self) -> None:
        dataset, pipeline = self._dataset, self.editor.pipeline()
        if dataset is None or pipeline is None:
            return
        clip = self.audio_preview.current_clip() if dataset.modality == "audio" else 0
        self._preview_generation = self._generation
        self._preview_started = time.perf_counter()
        handle = self._runner.start(PREVIEW_SLOT, preview_job(dataset, pipeline, self._offset, clip))
        self._preview = handle
        handle.finished.connect(self._on_preview_finished)
        handle.failed.connect(self._on_preview_failed)
        handle.ended.connect(self._on_job_ended)
        self._update_duplicates(dataset, pipeline)

    def _on_preview_finished(self, result: PreviewResult) -> None:
        if self.sender() is not self._preview or self._dataset is None:
            return
        self.last_preview = result
        self.editor.set_problem(result.error)
        self.warning.setText(result.warning)
        self.warning.setVisible(bool(result.warning))
        if not result.error:
            self._draw(self._dataset, result)
        self._shown_generation = self._preview_generation
        self.last_preview_ms = 1000 * (time.perf_counter() - self._preview_started)
        noun = NOUNS[result.modality]
        shown = (f"a {len(result.before[0]):,}-character chunk" if result.modality == "text" and result.before
                 else f"{len(result.indices)} of {self._dataset.items:,} {noun}")
        self.preview_title.setText(f"Preview: {shown}  ·  {1000 * result.seconds:.0f} ms")
        self.preview_shown.emit(result)

    def _on_preview_failed(self, message: str) -> None:
        if self.sender() is self._preview:
            self.editor.set_problem(message)
            self._shown_generation = self._preview_generation

    def _draw(self, dataset: AnyDataset, result: PreviewResult) -> None:
        if result.modality == "image":
            tips = [self._item_name(i) for i in result.indices]
            self.image_preview.show_result(result.before, result.after, tips, result.variants, result.variants_note)
        elif result.modality == "text":
            self.text_preview.show_result(result.before[0] if result.before else "", result.tokens)
        elif result.modality == "audio":
            if result.before:
                self.audio_preview.show_result(result.before[0], result.after[0])
        else:
            rows = "".join(
                f"<tr><td>#{i}</td><td>({b[0]:.3f}, {b[1]:.3f})</td><td>→</td><td>"
                + (f"({a[0]:.3f}, {a[1]:.3f})" if a is not None else "removed") + "</td></tr>"
                for i, b, a in zip(result.indices, result.before, result.after))
            self.points_preview.setText("<p><b>Sample points, before → after</b></p>"
                                        f"<table cellspacing='6'>{rows}</table>")
        if result.modality != "points":
            self.before_histogram.set_values(result.before_values, integer=result.integer_values,
                                             title=result.before_title)
            self.after_histogram.set_values(result.after_values, integer=result.integer_values,
                                            title=result.after_title)

    # -- duplicates -------------------------------------------------------------
    def _update_duplicates(self, dataset: AnyDataset, pipeline: Pipeline) -> None:
        prefix = dedupe_prefix(pipeline) if dataset.modality == "image" else None
        key = prefix.to_json() if prefix is not None else None
        if key == self._dup_key:
            return
        self._dup_key = key
        if prefix is None:
            if self._duplicates is not None and self._duplicates.is_running():
                self._duplicates.cancel()
            self._dup_shown_key = None
            self.image_preview.show_pairs(None, "")
            return
        self.image_preview.show_pairs([], "Searching the whole dataset for duplicates…")
        handle = self._runner.start(DUPLICATES_SLOT, duplicates_job(dataset, prefix))
        self._duplicates = handle
        handle.finished.connect(self._on_duplicates_finished)
        handle.failed.connect(self._on_duplicates_failed)
        handle.ended.connect(self._on_job_ended)

    def _on_duplicates_finished(self, result: DuplicatesResult) -> None:
        if self.sender() is not self._duplicates or self._dataset is None:
            return
        dataset = self._dataset
        pairs = [(dataset.image(k), dataset.image(r), f"#{k} is kept, #{r} is removed as its copy")
                 for k, r in result.pairs[:MAX_PAIRS]]
        if result.error:
            note = result.error
        else:
            more = f" (the first {MAX_PAIRS} shown)" if len(result.pairs) > MAX_PAIRS else ""
            note = f"{len(result.pairs)} pairs in the whole dataset{more}: {result.note}."
        self.image_preview.show_pairs(pairs, note)
        self._dup_shown_key = self._dup_key

    def _on_duplicates_failed(self, message: str) -> None:
        if self.sender() is self._duplicates:
            self.image_preview.show_pairs([], message)
            self._dup_shown_key = self._dup_key

    # -- prepare ----------------------------------------------------------------
    def _on_prepare_clicked(self) -> None:
        dataset, pipeline = self._dataset, self.editor.pipeline()
        if dataset is None or pipeline is None:
            return
        self._prepared_pipeline = pipeline
        self.report.setHtml(f"Preparing <b>{html.escape(dataset.name)}</b>…")
        handle = self._runner.start(PREPARE_SLOT, safe_prepare_job(dataset, pipeline))
        self._prepare = handle
        handle.finished.connect(self._on_prepare_finished)
        handle.failed.connect(self._on_prepare_failed)
        handle.cancelled.connect(self._on_prepare_cancelled)
        handle.ended.connect(self._on_prepare_ended)
        self.progress.track(handle, f"Preparing {dataset.name}")
        self._update_buttons()

    def _on_prepare_finished(self, outcome: PrepareOutcome) -> None:
        if self.sender() is not self._prepare:
            return
        if outcome.error or outcome.report is None:
            self.editor.set_problem(outcome.error)
            self.report.setHtml(f"<span style='{ERROR_STYLE}'>Prepare stopped: {html.escape(outcome.error)}</span>")
            return
        self.last_report = outcome.report
        self.report.setHtml(report_html(outcome.report, outcome.prepared))
        self._store.set_prepared(outcome.prepared, self._dataset)
        recorded = getattr(outcome.prepared, "pipeline", None)
        if (self._dataset is not None and self._dataset.modality == "text" and isinstance(recorded, dict)
                and self.editor.pipeline() is self._prepared_pipeline):
            # Keep the trained tokenizer, so Save writes it and the preview shows Prepare's tokens.
            self.editor.set_pipeline(Pipeline.from_dict(recorded), select=self.editor.steps.currentRow(), emit=True)

    def _on_prepare_failed(self, message: str) -> None:
        if self.sender() is self._prepare:
            self.report.setHtml(f"<span style='{ERROR_STYLE}'>Prepare failed: {html.escape(message)}</span>")

    def _on_prepare_cancelled(self) -> None:
        if self.sender() is self._prepare:
            self.report.setHtml("Prepare was cancelled.")

    def _on_prepare_ended(self) -> None:
        self._update_buttons()
        self.prepare_ended.emit()

    def _on_job_ended(self) -> None:
        self._update_buttons()

    # -- helpers ------------------------------------------------------------------
    def _update_buttons(self) -> None:
        preparing = self._prepare is not None and self._prepare.is_running()
        ok = self._dataset is not None and self.editor.pipeline() is not None and not self.editor.has_edit_error()
        self.prepare_button.setEnabled(ok and not preparing)

    def _item_name(self, index: int) -> str:
        dataset = self._dataset
        labels = getattr(dataset, "labels", None)
        names = getattr(dataset, "label_names", [])
        label = int(labels[index]) if labels is not None else -1
        text = f"#{index}  label: {names[label] if 0 <= label < len(names) else '(none)'}"
        captions = getattr(dataset, "captions", None)
        return text + (f"\n{captions[index]}" if captions else "")

    def _clip_name(self, index: int) -> str:
        return self._item_name(index).replace("\n", " — ")

