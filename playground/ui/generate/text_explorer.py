"""Variants, time travel and the temperature sweep: the Text section's comparisons, each a job filling a view.

The section hands over the loaded model and the request; this starts the job
(through the section's ``SlotJobs``) and draws what it streams. Finished
outputs go back to the section (``made``) for its history.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from playground.core.events import Progress, TokensGenerated
from playground.ui.generate.slot_jobs import SlotJobs
from playground.ui.generate.text_views import ColumnsView, SweepView

WRITE, EXPLORE = "text-generate", "text-explore"  # variants write like Generate; the others explore


class TextExplorer(QObject):
    made = Signal(object, str)  # a finished output for the history, and how it was made
    shown = Signal(object)  # an output to read in the Output view (a sweep row double-clicked)
    said = Signal(str, str)  # (message, level) for the section's message line

    def __init__(self, jobs: SlotJobs, parent: QObject | None = None):
        super().__init__(parent)
        self._jobs = jobs
        self.variants = ColumnsView("Variants: the same prompt and settings with several seeds, side by side.")
        self.time_travel = ColumnsView("Time travel: the same prompt and seed written by the model at each "
                                       "snapshot its run kept, from its first steps to the end.")
        self.sweep = SweepView()
        self.sweep.row_activated.connect(self._on_sweep_row_activated)

    def run_variants(self, model: Any, request: Any, count: int) -> None:
        from playground.core.generate.text import variants_job

        seeds = [request.seed + k for k in range(count)]
        self.variants.set_columns([f"seed {s}" for s in seeds], model.read_prompt(request.prompt)[0],
                                  f"The same prompt and settings with seeds {seeds[0]} to {seeds[-1]}.")
        self._jobs.start(WRITE, variants_job(model, request, seeds), event=self._on_variants_event,
                         finished=self._on_variants_finished)

    def run_time_travel(self, model: Any, request: Any) -> bool:
        """False (with a message) when the model kept no snapshots."""
        from playground.core.generate.text_explore import time_travel_job

        try:
            job = time_travel_job(model, request)
        except ValueError as exc:
            self.said.emit(str(exc), "warning")
            return False
        self.time_travel.set_columns([f"step {s:,}" for s in model.snapshots], model.read_prompt(request.prompt)[0],
                                     f"Seed {request.seed}, temperature {request.temperature:g}, as the model wrote "
                                     "it at each snapshot: watch letters, then words, then form appear.")
        self._jobs.start(EXPLORE, job, event=self._on_time_travel_event, finished=self._on_time_travel_finished)
        return True

    def run_sweep(self, model: Any, request: Any) -> None:
        from playground.core.generate.text_explore import sweep_job

        self.sweep.clear()
        self._jobs.start(EXPLORE, sweep_job(model, request), event=self._on_progress, finished=self._on_sweep_finished)

    # -- job results ----------------------------------------------------------------------------
    def _on_progress(self, event: object) -> None:
        if isinstance(event, Progress) and event.message and event.done < event.total:
            self.said.emit(event.message + "…", "info")

    def _on_variants_event(self, event: object) -> None:
        if isinstance(event, TokensGenerated):
            self.variants.append(event.stream, event.pieces)
        self._on_progress(event)

    def _on_variants_finished(self, generations: object) -> None:
        self.variants.finish(list(generations))
        for generation in generations:
            self.made.emit(generation, f"variant, seed {generation.request.seed}")
        self.said.emit("Variants done: click a token in any of them.", "info")

    def _on_time_travel_event(self, event: object) -> None:
        if isinstance(event, TokensGenerated):
            self.time_travel.append(event.stream, event.pieces)
        self._on_progress(event)

    def _on_time_travel_finished(self, frames: object) -> None:
        self.time_travel.finish([g for _step, g in frames], [f"step {step:,}" for step, _g in frames])
        self.said.emit("Time travel done: the same seed, from the first snapshot to the last.", "info")

    def _on_sweep_finished(self, rows: object) -> None:
        self.sweep.set_rows(rows)
        self.said.emit("Sweep done: double-click a row to read that output.", "info")

    def _on_sweep_row_activated(self, row: int) -> None:
        generation = self.sweep.rows[row].generation
        self.made.emit(generation, f"sweep, T {generation.request.temperature:g}")
        self.shown.emit(generation)
