"""What the Images and Sound sections share: listing and loading models in jobs, the request, making an
output and showing it, the history's "show" and "run again", and files with receipts (save, open or drop,
verify).

A section subclasses ``MediaSection``, builds its widgets (``controls``, a
``MediaControls``; ``views`` with the ``result`` page; ``history``;
``files``), lays them out with ``_lay_out`` and fills in what is its own:
what a loaded model changes (``_loaded``), what an unknown word means
(``_unknown_message``), the nearest training output (``find_nearest``),
seeds side by side (``_on_seeds_clicked``) and the bytes of a saved file
(``_file_bytes``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import QFileDialog, QTabWidget, QVBoxLayout, QWidget

from playground.core.events import Progress, Status
from playground.core.paths import runs_dir
from playground.ui.generate.layouts import split
from playground.ui.generate.media_controls import MediaControls
from playground.ui.generate.receipt_files import ReceiptFiles
from playground.ui.generate.slot_jobs import SlotJobs, deferred_job
from playground.ui.job_runner import JobHandle, JobRunner


class MediaSection(QWidget):
    KIND: ClassVar[str]  # what its models make: "image" or "audio"
    LOADER: ClassVar[tuple[str, str]]  # (module, job factory) that loads a model from a ref
    LIST: ClassVar[str]  # job slot of the model list
    LOAD: ClassVar[str]  # job slot of the model load
    WORK: ClassVar[tuple[str, ...]]  # job slots of work on the loaded model (making first), cancelled when another loads
    MAKE_JOB: ClassVar[tuple[str, str]]  # (module, job factory) that makes outputs from (model, request)
    BEGIN: ClassVar[str]  # the result page while it makes, with {prompt}
    MAKING: ClassVar[str]  # the message line while it makes
    NOT_SAVABLE: ClassVar[str]  # what to do first when there is nothing of the loaded model to save
    FAMILIES: ClassVar[tuple[str, ...]]  # families whose saved files this section can restore
    NO_MODELS: ClassVar[str]  # what to do when there is no model to list
    OPEN_TITLE: ClassVar[str]  # the title of "Open…"'s folder dialog

    controls: MediaControls  # the left column
    views: QTabWidget  # the middle's pages, ``result`` among them
    result: Any  # the page of the output shown: begin(message), show_generation(output)
    history: Any  # a GenerationHistory
    files: ReceiptFiles

    def __init__(self, runner: JobRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self._jobs = SlotJobs(runner, self)
        self._model: Any = None  # the loaded model
        self._current: Any = None  # the output shown
        self._restore: Any = None  # an opened file's receipt, whose settings come back once its model has loaded
        self._listed = False
        self.setAcceptDrops(True)

    def _connect_shared(self) -> None:
        """Wire what every section has; call at the end of building."""
        c = self.controls
        c.picker.combo.currentIndexChanged.connect(self._on_model_current_index_changed)
        c.picker.open_button.clicked.connect(self._on_open_model_clicked)
        c.picker.refresh_button.clicked.connect(self.refresh_models)
        c.prompt.prompt.textChanged.connect(self._on_prompt_text_changed)
        c.prompt.prompt.returnPressed.connect(self._on_generate_clicked)
        c.generate_button.clicked.connect(self._on_generate_clicked)
        c.stop_button.clicked.connect(self._on_stop_clicked)
        c.seeds_button.clicked.connect(self._on_seeds_clicked)
        c.save_button.clicked.connect(self._on_save_clicked)
        c.open_button.clicked.connect(self._on_open_file_clicked)
        c.verify_button.clicked.connect(self._on_verify_clicked)
        self.files.said.connect(c.say)
        self.files.opened.connect(self._on_files_opened)
        self.history.entry_selected.connect(self._on_history_entry_selected)
        self.history.rerun_requested.connect(self._on_history_rerun_requested)
        self._jobs.busy_changed.connect(self._update_state)
        self._jobs.failed.connect(self._on_jobs_failed)
        self._jobs.cancelled.connect(self._on_jobs_cancelled)
        self._update_state()

    def _lay_out(self, middle: tuple[QWidget, ...], heights: list[int], right: QWidget, widths: list[int]) -> None:
        """The controls, the ``middle`` widgets stacked ``heights`` high, and ``right``, side by side, ``widths``
        wide."""
        middle_pane = split(Qt.Orientation.Vertical, heights, *middle)
        QVBoxLayout(self).addWidget(split(Qt.Orientation.Horizontal, widths, self.controls, middle_pane, right))

    # -- to fill in -----------------------------------------------------------------------------
    def _loaded(self, model: Any) -> None:
        """Show what a newly loaded model brings (card, suggestions, defaults)."""
        raise NotImplementedError

    def _unknown_message(self, prompt: str) -> str:
        """The words of ``prompt`` the loaded model cannot use, explained ("" when none)."""
        raise NotImplementedError

    def _done_message(self, output: Any) -> str:
        """What to say when ``output`` is made."""
        raise NotImplementedError

    def find_nearest(self, index: int) -> JobHandle | None:
        """Find the training data nearest to output ``index`` of the one shown (in a job)."""
        raise NotImplementedError

    def _on_seeds_clicked(self) -> None:
        raise NotImplementedError

    def _file_bytes(self, model: Any, output: Any) -> Callable[[], bytes]:
        """What saving ``output`` of ``model`` writes: a call that makes the file's bytes."""
        raise NotImplementedError

    def _update_state(self) -> None:
        raise NotImplementedError

    def _on_jobs_failed(self, slot: str, message: str) -> None:
        if slot == self.LOAD:
            self.controls.show_card(None)
            self._restore = None
            message = f"Could not load that model: {message}"
        self.controls.say(message, "error")

    def _on_jobs_cancelled(self, slot: str) -> None:
        if slot in self.WORK[:1]:
            self.controls.say("Stopped. Nothing was kept in the history.", "warning")

    # -- models ---------------------------------------------------------------------------------
    def refresh_models(self) -> None:
        """List the bundled models and the app's runs again (in a job); while hidden, at the next showing."""
        self._listed = self.isVisible()
        if self._listed:
            self._jobs.start(self.LIST, deferred_job("playground.core.generate.media", "media_models_job", self.KIND),
                             finished=self._on_list_finished)

    def load_model(self, ref: str) -> JobHandle:
        """Load the model at ``ref`` (a folder or a bundled name), in a job."""
        self._jobs.cancel(*self.WORK)
        self._model = None
        self.controls.show_card(None)
        self.controls.picker.card.setText(f"Loading {Path(ref).name}…")
        self._update_state()
        return self._jobs.start(self.LOAD, deferred_job(*self.LOADER, ref), event=self._on_job_status,
                                finished=self._on_load_finished)

    def model(self) -> Any:
        return self._model

    def current(self) -> Any:
        return self._current

    def is_busy(self) -> bool:
        return self._jobs.running()

    def _on_list_finished(self, entries: object) -> None:
        entries = list(entries) if isinstance(entries, list) else []
        picker = self.controls.picker
        keep = self._model.ref if self._model is not None else picker.current_ref()
        picker.set_models(entries, keep)
        if self._model is None and not self._jobs.running(self.LOAD) and entries and picker.current_ref() is None:
            picker.combo.setCurrentIndex(0)  # loads it
        elif not entries and self._model is None:
            self.controls.say(self.NO_MODELS, "warning")

    def _on_model_current_index_changed(self, _index: int) -> None:
        ref = self.controls.picker.current_ref()
        if ref is not None:
            self.load_model(ref)

    def _on_open_model_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(self, self.OPEN_TITLE, str(runs_dir()))
        if path:
            self.controls.picker.add_model(path, f"{Path(path).name} (opened)")

    def _on_load_finished(self, model: object) -> None:
        self._model = model
        self._loaded(model)
        restore, self._restore = self._restore, None
        if restore is not None and restore.model == model.ref:
            self._apply_receipt(restore)
        self._on_prompt_text_changed()
        self._update_state()

    def _on_prompt_text_changed(self) -> None:
        prompt = self.controls.prompt.text()
        self.controls.prompt.show_unknown(self._unknown_message(prompt) if self._model is not None else "")

    # -- making and showing -----------------------------------------------------------------------------
    def generate(self, request: Any = None) -> JobHandle | None:
        """Make outputs from the prompt (or ``request``); None with a message when it cannot start."""
        request = request or self._request()
        if request is None:
            return None
        self.views.setCurrentWidget(self.result)
        self.result.begin(self.BEGIN.format(prompt=request.prompt))
        self.controls.say(self.MAKING)
        return self._jobs.start(self.WORK[0], deferred_job(*self.MAKE_JOB, self._model, request),
                                event=self._on_job_status, finished=self._on_made)

    def _on_stop_clicked(self) -> None:
        self._jobs.cancel(self.WORK[0])

    def _on_made(self, output: object) -> None:
        self.history.add(output)
        self._show(output)
        self.controls.say(self._done_message(output))

    def _show(self, output: Any) -> None:
        """Show an output on the result page, and look up the training data nearest to its first."""
        self._current = output
        self.views.setCurrentWidget(self.result)
        self.result.show_generation(output)
        self._update_state()
        self.find_nearest(0)

    # -- requests and history -------------------------------------------------------------------------
    def _request(self, n: int | None = None) -> Any:
        """The request the widgets describe, or None with a message."""
        if self._model is None:
            self.controls.say("Load a model first (the list above, or Open…).", "warning")
            return None
        try:
            return self.controls.read_request(n)
        except ValueError as exc:
            self.controls.say(str(exc), "error")
            return None

    def _on_generate_clicked(self) -> None:
        self.generate()

    def _on_history_entry_selected(self, entry: object) -> None:
        self._show(entry.generation)

    def _on_history_rerun_requested(self, entry: object) -> None:
        output = entry.generation
        if self._model is None or output.model != self._model.ref:
            self.controls.say(f"This came from {output.model}: load that model to make it again.", "warning")
            return
        self.controls.set_request(output.request)
        self.generate(output.request)

    # -- files ------------------------------------------------------------------------------------------
    def _maker(self) -> Callable[[], bytes] | None:
        """What saving writes (the output shown, with its receipt), or None with a message."""
        if self._current is None or self._model is None or self._current.model != self._model.ref:
            self.controls.say(self.NOT_SAVABLE, "warning")
            return None
        return self._file_bytes(self._model, self._current)

    def save_file(self, path: str) -> bool:
        """Write the output shown, with its receipt, to ``path`` (atomically); False with a message on failure."""
        make = self._maker()
        return make is not None and self.files.save(path, make)

    def _on_save_clicked(self) -> None:
        make = self._maker()
        if make is not None:
            self.files.ask_save(self, make)

    def open_file(self, path: str) -> JobHandle:
        """Read a saved file's receipt (in a job) and put its settings back, loading its model if need be."""
        return self.files.open(path)

    def verify(self, path: str) -> JobHandle:
        """Make a saved file again from its receipt (in a job) and say whether it is identical."""
        return self.files.verify(path)

    @property
    def last_verification(self) -> Any:
        return self.files.last_verification

    def _on_open_file_clicked(self) -> None:
        self.files.ask_open(self)

    def _on_verify_clicked(self) -> None:
        self.files.ask_verify(self)

    def _on_files_opened(self, receipt: object) -> None:
        if receipt.family not in self.FAMILIES or "prompt" not in receipt.request:
            self.controls.say(f"This file was made by a {receipt.family.upper()} model, not in this section.",
                              "warning")
        elif self._model is not None and self._model.ref == receipt.model:
            self._apply_receipt(receipt)
        else:
            self._restore = receipt
            self.controls.picker.add_model(receipt.model, f"{Path(receipt.model).name} (from the file)")
            if not self._jobs.running(self.LOAD):  # the picker showed it already: no change signal came
                self.load_model(receipt.model)

    def _apply_receipt(self, receipt: Any) -> None:
        from playground.core.generate.image_drawers import request_from_receipt

        try:
            request = request_from_receipt(receipt)
        except ValueError as exc:
            self.controls.say(str(exc), "error")
            return
        self.controls.set_request(request)
        snapshot = f" (made by the snapshot at step {receipt.snapshot:,})" if receipt.snapshot is not None else ""
        self.controls.say(f"Settings restored from the file{snapshot}: Generate makes it again; Verify… checks it "
                          "bit for bit.")

    # -- jobs ---------------------------------------------------------------------------------------------
    def _on_job_status(self, event: object) -> None:
        if isinstance(event, Status):
            self.controls.say(event.message, event.level)
        elif isinstance(event, Progress) and event.message:
            self.controls.say(event.message + "…")

    # -- Qt overrides -------------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._listed:
            self.refresh_models()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.files.dropped(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self.files.dropped(event)
        if path is None:
            event.ignore()
            return
        self.open_file(path)
        event.acceptProposedAction()
