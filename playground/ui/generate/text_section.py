"""The Generate tab's Text section: write with a trained GPT, watch what it weighed, branch, compare, verify.

Left: the model and its card, the prompt and sampling settings, the buttons.
Middle: the output (clickable tokens, copied stretches in amber), variants,
time travel and the temperature sweep, with the history below. Right: the
clicked token's candidates and attention. Every load, generation, index and
verification runs as a job (``playground.core.generate``); this class only
starts them and draws what they send.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QSplitter, QTabWidget, QVBoxLayout, QWidget

from playground.core.events import Progress, Status, TokensGenerated
from playground.core.paths import runs_dir
from playground.core.runs.catalog import models_job
from playground.ui.generate.slot_jobs import SlotJobs, deferred_job
from playground.ui.generate.text_controls import TextControls
from playground.ui.generate.text_explorer import EXPLORE, WRITE, TextExplorer
from playground.ui.generate.history_list import HistoryEntry
from playground.ui.generate.text_history import TextHistory
from playground.ui.generate.text_views import ColumnsView, OutputPage
from playground.ui.generate.token_inspector import TokenInspector
from playground.ui.job_runner import JobHandle, JobRunner

LIST, LOAD, ATTEND, VERIFY, CALIBRATE = "text-models", "text-load", "text-attention", "text-verify", "text-calibrate"


class TextSection(QWidget):
    def __init__(self, runner: JobRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self._jobs = SlotJobs(runner, self)
        self._model: Any = None  # the loaded TextModel
        self._current: Any = None  # the TextGeneration in the Output view
        self._selected: tuple[Any, int] | None = None  # (generation, token index) in the inspector
        self._branch: tuple[HistoryEntry | None, int] | None = None  # the running branch: (parent entry, index)
        self._listed = False
        self.last_verification: Any = None  # the Verification of the last "Verify…"
        self._loaded_note = ""  # said when the next model has loaded, instead of the usual line
        self._build()

    # -- building -------------------------------------------------------------------------
    def _build(self) -> None:
        self.controls = c = TextControls()
        self.page = page = OutputPage()
        self.output = page.output
        self.explorer = e = TextExplorer(self._jobs, self)
        self.views = QTabWidget()
        for view, title in ((page, "Output"), (e.variants, "Variants"), (e.time_travel, "Time travel"),
                            (e.sweep, "Temperature sweep")):
            self.views.addTab(view, title)
        self.history = TextHistory()
        middle = QSplitter(Qt.Orientation.Vertical)
        middle.addWidget(self.views)
        middle.addWidget(self.history)
        middle.setSizes([560, 110])
        self.inspector = TokenInspector()
        splitter = QSplitter(self)
        for widget in (c, middle, self.inspector):
            splitter.addWidget(widget)
        splitter.setSizes([300, 560, 400])
        QVBoxLayout(self).addWidget(splitter)
        c.model.currentIndexChanged.connect(self._on_model_current_index_changed)
        c.open_button.clicked.connect(self._on_open_clicked)
        c.refresh_button.clicked.connect(self.refresh_models)
        c.prompt.textChanged.connect(self._on_prompt_text_changed)
        c.generate_button.clicked.connect(self._on_generate_clicked)
        c.stop_button.clicked.connect(self._on_stop_clicked)
        c.variants_button.clicked.connect(self._on_variants_clicked)
        c.time_travel_button.clicked.connect(self._on_time_travel_clicked)
        c.sweep_button.clicked.connect(self._on_sweep_clicked)
        c.verify_button.clicked.connect(self._on_verify_clicked)
        c.calibrate_button.clicked.connect(self.calibrate)
        page.copy_button.clicked.connect(self._on_copy_clicked)
        page.save_button.clicked.connect(self._on_save_clicked)
        self.output.token_clicked.connect(self._on_output_token_clicked)
        e.variants.token_clicked.connect(self._on_columns_token_clicked)
        e.time_travel.token_clicked.connect(self._on_columns_token_clicked)
        e.made.connect(self._on_explorer_made)
        e.shown.connect(self._show)
        e.said.connect(self.controls.say)
        self.history.entry_selected.connect(self._on_history_entry_selected)
        self.history.rerun_requested.connect(self._on_history_rerun_requested)
        self.inspector.branch_requested.connect(self._on_inspector_branch_requested)
        self._jobs.busy_changed.connect(self._update_state)
        self._jobs.failed.connect(self._on_jobs_failed)
        self._jobs.cancelled.connect(self._on_jobs_cancelled)
        self._update_state()

    # -- models -------------------------------------------------------------------------------
    def refresh_models(self) -> None:
        """List the bundled models and the app's GPT runs again (in a job: it reads their meta files);
        while the section is hidden, at its next showing."""
        self._listed = self.isVisible()
        if self._listed:
            self._jobs.start(LIST, models_job("gpt"), finished=self._on_list_finished)

    def load_model(self, ref: str) -> JobHandle:
        """Load the GPT at ``ref`` (a folder or a bundled name) and index its training text."""
        self._jobs.cancel(WRITE, EXPLORE, ATTEND)
        self._model = None
        self.controls.show_card(None)
        self.controls.card.setText(f"Loading {Path(ref).name}…")
        self._update_state()
        return self._jobs.start(LOAD, deferred_job("playground.core.generate.text", "load_text_model_job", ref),
                                event=self._on_job_status, finished=self._on_load_finished)

    def model(self) -> Any:
        return self._model

    def _on_list_finished(self, entries: object) -> None:
        entries = list(entries) if isinstance(entries, list) else []
        keep = self._model.ref if self._model is not None else self.controls.current_ref()
        self.controls.set_models(entries, keep)
        if self._model is None and not self._jobs.running(LOAD) and entries and self.controls.current_ref() is None:
            self.controls.model.setCurrentIndex(0)  # loads it
        elif not entries and self._model is None:
            self.controls.say("No GPT model yet: train one on the Train tab with a text dataset (shakespeare, say), "
                              "or open a run folder.", "warning")

    def _on_model_current_index_changed(self, _index: int) -> None:
        ref = self.controls.current_ref()
        if ref is not None:
            self.load_model(ref)

    def _on_open_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a GPT run or checkpoint folder", str(runs_dir()))
        if path:
            self.controls.add_model(path, f"{Path(path).name} (opened)")

    def _on_load_finished(self, model: object) -> None:
        self._model = model
        gen = self._model.generator
        self.controls.show_card(gen.card(), len(self._model.snapshots), self._model.has_corpus)
        self.controls.temperature.setValue(gen.config.sample_temperature)  # the model's own, as images do
        self.controls.say(self._loaded_note or f"Loaded {Path(self._model.ref).name}. Type a prompt and press Generate.")
        self._loaded_note = ""
        self._on_prompt_text_changed()
        self._update_state()

    def _on_prompt_text_changed(self) -> None:
        if self._model is None:
            self.controls.unknown.clear()
            return
        self.controls.show_unknown(tuple(self._model.generator.tokenizer.unknown(self.controls.prompt.toPlainText())))

    # -- generating ------------------------------------------------------------------------------
    def generate(self, request: Any = None) -> JobHandle | None:
        """Write from the prompt (or ``request``); None with a message when it cannot start."""
        if self._model is None:
            self.controls.say("Load a model first (the list above, or Open…).", "warning")
            return None
        try:
            request = request or self.controls.read_request()
        except ValueError as exc:
            self.controls.say(str(exc), "error")
            return None
        from playground.core.generate.text import generate_job

        self._branch = None
        prompt, unknown = self._model.read_prompt(request.prompt)
        self.controls.show_unknown(unknown)
        self._begin_output(prompt, [])
        self.controls.say("Writing…")
        return self._jobs.start(WRITE, generate_job(self._model, request), event=self._on_write_event,
                                finished=self._on_write_finished)

    def _begin_output(self, prompt: str, pieces: list[str]) -> None:
        self.views.setCurrentIndex(0)
        self.page.begin(prompt, pieces)
        self.inspector.clear()
        self._current, self._selected = None, None

    def _on_generate_clicked(self) -> None:
        self.generate()

    def _on_stop_clicked(self) -> None:
        self._jobs.cancel(WRITE, EXPLORE)

    def _on_write_event(self, event: object) -> None:
        if isinstance(event, TokensGenerated) and event.stream == 0:
            self.output.append_pieces(event.pieces)

    def _on_write_finished(self, generation: object) -> None:
        parent, index = self._branch or (None, None)
        label = f"branch of #{parent.number} at token {index + 1}" if parent is not None and index is not None else ""
        self._branch = None
        self.history.add(generation, parent, label)
        self._show(generation)
        self.controls.say(f"Done: {len(generation.choices):,} tokens. Click any token to see what the model weighed.")

    def _show(self, generation: Any, select: int = -1) -> None:
        """Put a finished output in the Output view with its measures."""
        self._current = generation
        self.views.setCurrentIndex(0)
        self.page.show_generation(generation, select)
        self.controls.show_unknown(generation.unknown)
        self._update_state()

    # -- one token --------------------------------------------------------------------------------
    def _on_output_token_clicked(self, index: int) -> None:
        if self._current is None:
            self.controls.say("Wait for the text to finish, then click a token.", "warning")
            self.output.select(-1)
            return
        self.select_token(self._current, index)

    def _on_columns_token_clicked(self, column: int, index: int) -> None:
        view = self.sender()
        if not isinstance(view, ColumnsView) or column >= len(view.generations):
            self.controls.say("Wait for every column to finish, then click a token.", "warning")
            return
        view.select(column, index)
        self.select_token(view.generations[column], index)

    def select_token(self, generation: Any, index: int) -> None:
        """Explain generated token ``index`` of ``generation``: candidates now, attention from a job."""
        if self._model is None or not 0 <= index < len(generation.choices):
            return
        if generation.model != self._model.ref:
            self.controls.say(f"This output came from {generation.model}: load that model to explore its tokens.",
                              "warning")
            return
        self._selected = (generation, index)
        choice = generation.choices[index]
        texts = [self._model.generator.tokenizer.token_text(i) for i in choice.candidate_ids]
        own = generation.snapshot is None
        self.inspector.show_token(choice, index, texts, own)
        if not own:
            self.inspector.set_attention_note("Attention is shown for outputs of the loaded model's final weights.")
            return
        from playground.core.generate.text import attention_job

        self.inspector.set_attention_note("Computing attention…")
        self._jobs.start(ATTEND, attention_job(self._model, generation, index), finished=self._on_attention_finished)

    def _on_attention_finished(self, view: object) -> None:
        if self._selected is None:
            return
        generation, index = self._selected
        if view.index == index:
            self.inspector.show_attention(view, generation.prompt + generation.text, generation.pieces[index])

    def _on_inspector_branch_requested(self, token_id: int) -> None:
        if self._selected is None or self._model is None:
            return
        generation, index = self._selected
        self.branch(generation, index, token_id)

    def branch(self, generation: Any, index: int, token_id: int) -> JobHandle | None:
        """Swap token ``index`` for candidate ``token_id`` and write on; the original stays in the history."""
        from playground.core.generate.text import branch_job

        if self._model is None or generation.model != self._model.ref or generation.snapshot is not None:
            self.controls.say("Branch from an output of the loaded model's final weights.", "warning")
            return None
        try:
            job = branch_job(self._model, generation, index, token_id)
        except ValueError as exc:
            self.controls.say(str(exc), "error")
            return None
        parent = self.history.find(generation) or self.history.add(generation)
        swap = self._model.generator.tokenizer.token_text(token_id)
        self._begin_output(generation.prompt, [*generation.pieces[:index], swap])
        self._branch = (parent, index)
        self.controls.say(f"Branching at token {index + 1}…")
        return self._jobs.start(WRITE, job, event=self._on_write_event, finished=self._on_write_finished)

    # -- history ----------------------------------------------------------------------------------
    def _on_history_entry_selected(self, entry: object) -> None:
        self._show(entry.generation)

    def _on_history_rerun_requested(self, entry: object) -> None:
        generation = entry.generation
        if self._model is None or generation.model != self._model.ref:
            self.controls.say(f"This output came from {generation.model}: load that model to run it again.", "warning")
            return
        if generation.branch_at is not None and entry.parent is not None:
            self.branch(entry.parent.generation, generation.branch_at, generation.choices[generation.branch_at].token_id)
        else:
            self.controls.set_request(generation.request)
            self.generate(generation.request)

    # -- variants, time travel, sweep -------------------------------------------------------------
    def _explore_request(self) -> Any:
        if self._model is None:
            self.controls.say("Load a model first (the list above, or Open…).", "warning")
            return None
        try:
            return self.controls.read_request()
        except ValueError as exc:
            self.controls.say(str(exc), "error")
            return None

    def _on_variants_clicked(self) -> None:
        request = self._explore_request()
        if request is not None:
            self.explorer.run_variants(self._model, request, self.controls.variant_count.value())
            self.views.setCurrentWidget(self.explorer.variants)

    def _on_time_travel_clicked(self) -> None:
        request = self._explore_request()
        if request is not None and self.explorer.run_time_travel(self._model, request):
            self.views.setCurrentWidget(self.explorer.time_travel)

    def _on_sweep_clicked(self) -> None:
        request = self._explore_request()
        if request is not None:
            self.explorer.run_sweep(self._model, request)
            self.views.setCurrentWidget(self.explorer.sweep)

    def _on_explorer_made(self, generation: object, label: str) -> None:
        if self.history.find(generation) is None:
            self.history.add(generation, label=label)

    # -- copy, save, verify -----------------------------------------------------------------------
    def _on_copy_clicked(self) -> None:
        if self._current is not None:
            QApplication.clipboard().setText(self._current.prompt + self._current.text)
            self.controls.say("Copied the prompt and the text.")

    def save_text(self, path: str) -> bool:
        """Write the output shown, with its receipt, to ``path`` (atomically); False with a message on failure."""
        from playground.core.atomic import write_text_atomic
        from playground.core.generate.text_explore import saved_text

        if self._current is None or self._model is None or self._current.model != self._model.ref:
            self.controls.say("Generate (or pick from the history) an output of the loaded model first.", "warning")
            return False
        try:
            write_text_atomic(path, saved_text(self._model, self._current))
        except (OSError, ValueError) as exc:
            self.controls.say(f"could not save {path}: {exc}", "error")
            return False
        self.controls.say(f"Saved {path} with its receipt: Verify… regenerates it.")
        return True

    def _on_save_clicked(self) -> None:
        if self._current is None:
            self.controls.say("There is no output to save yet.", "warning")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save the text with its receipt", str(runs_dir() / "generated.txt"),
                                              "Text (*.txt)")
        if path:
            self.save_text(path)

    def verify(self, path: str) -> JobHandle:
        """Regenerate a saved text from its receipt (in a job) and say whether it is identical."""
        self.controls.say(f"Verifying {Path(path).name}: regenerating it from its receipt…")
        return self._jobs.start(VERIFY, deferred_job("playground.core.generate.text_explore", "verify_job", path),
                                finished=self._on_verify_finished)

    def _on_verify_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Verify a saved text", str(runs_dir()), "Text (*.txt);;All files (*)")
        if path:
            self.verify(path)

    def _on_verify_finished(self, verification: object) -> None:
        ok = bool(verification.identical)
        self.controls.say(("✔ " if ok else "✘ ") + verification.message, "info" if ok else "warning")
        self.last_verification = verification

    # -- calibration ------------------------------------------------------------------------------
    def calibrate(self) -> JobHandle | None:
        """Save a calibrated copy of the loaded model among the runs (in a job), then load the copy."""
        if self._model is None:
            self.controls.say("Load a model first (the list above, or Open…).", "warning")
            return None
        if not self._model.has_corpus:
            self.controls.say("This model did not keep its training text, so its validation split is unknown: "
                              "it cannot be calibrated.", "warning")
            return None
        return self._jobs.start(CALIBRATE, deferred_job("playground.core.generate.text_explore", "calibrate_job",
                                                        self._model.ref),
                                event=self._on_job_status, finished=self._on_calibrate_finished)

    def _on_calibrate_finished(self, result: object) -> None:
        folder, calibration = result
        self._loaded_note = (f"Saved a calibrated copy as {Path(folder).name}: logits divided by "
                             f"{calibration.temperature:.2f}; validation {calibration.before:.3f} → "
                             f"{calibration.after:.3f} nats per character ({calibration.cross_fitted:.3f} with each "
                             "half at the temperature fitted on the other). Its default temperature is now "
                             f"{calibration.sample_temperature[1]:.2f}.")
        self.controls.add_model(folder, f"{Path(folder).name} (calibrated)")  # loads it

    # -- jobs ---------------------------------------------------------------------------------------
    def _on_jobs_failed(self, slot: str, message: str) -> None:
        if slot == LOAD:
            self._loaded_note = ""
            self.controls.show_card(None)
            message = f"Could not load that model: {message}"
        elif slot == ATTEND:
            self.inspector.set_attention_note(message)
        self.controls.say(message, "error")

    def _on_jobs_cancelled(self, slot: str) -> None:
        if slot in (WRITE, EXPLORE):
            self.controls.say("Stopped. The text so far is shown; it is not kept in the history.", "warning")

    def _on_job_status(self, event: object) -> None:
        if isinstance(event, Status):
            self.controls.say(event.message, event.level)
        elif isinstance(event, Progress) and event.message:
            self.controls.say(event.message + "…")

    def _update_state(self) -> None:
        self.controls.set_state(self._model is not None, self._jobs.running(WRITE, EXPLORE))
        self.controls.calibrate_button.setEnabled(self._model is not None and not self._jobs.running(CALIBRATE))
        self.controls.time_travel_button.setEnabled(self._model is not None and bool(self._model.snapshots))
        self.page.save_button.setEnabled(self._current is not None)
        self.page.copy_button.setEnabled(self._current is not None)

    def is_busy(self) -> bool:
        return self._jobs.running()

    # -- Qt overrides -----------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._listed:
            self.refresh_models()
