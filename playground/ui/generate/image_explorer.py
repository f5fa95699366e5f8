"""Seeds side by side, the guidance sweep, time travel and the forward process: the Images section's
comparisons, each a job filling a view.

The section hands over the loaded model and the request; this starts the job
(through the section's ``SlotJobs``) and draws what it returns. Drawings go
back to the section (``made``) for its history; a tile clicked asks the
section to show that drawing (``shown``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from playground.core.events import Progress, Status
from playground.ui.generate.image_views import ForwardPage, SweepPage
from playground.ui.generate.slot_jobs import SlotJobs
from playground.ui.widgets.image_tiles import ImageTiles

DRAW, FORWARD = "image-draw", "image-forward"  # every drawing shares one slot: a new one cancels the last


class ImageExplorer(QObject):
    made = Signal(object, str)  # a finished drawing for the history, and how it was made
    shown = Signal(object)  # a drawing to show in the Drawing view (a tile clicked)
    said = Signal(str, str)  # (message, level) for the section's message line

    def __init__(self, jobs: SlotJobs, parent: QObject | None = None):
        super().__init__(parent)
        self._jobs = jobs
        self._judges: dict[str, Any] = {}  # the sweep's judging classifier, trained once per model ref
        self._sweep_ref = ""  # the model the running sweep draws with
        self.judge_config: Any = None  # how the sweep's judge is trained (None: the core's default)
        self.seeds = ImageTiles(per_row=4, minimum=72)
        self.sweep = SweepPage()
        self.time_travel = ImageTiles(per_row=4, minimum=72)
        self.forward = ForwardPage()
        self.seed_runs: tuple[Any, ...] = ()
        self.snapshot_runs: tuple[Any, ...] = ()
        self.seeds.tile_clicked.connect(self._on_seeds_tile_clicked)
        self.time_travel.tile_clicked.connect(self._on_time_travel_tile_clicked)

    def run_seeds(self, model: Any, request: Any, count: int) -> None:
        from playground.core.generate.image import variants_job

        seeds = [request.seed + k for k in range(count)]
        self.seeds.set_tiles([(f"seed {s}", None, "…") for s in seeds])
        self._jobs.start(DRAW, variants_job(model, request, seeds), event=self._on_progress,
                         finished=self._on_seeds_finished)

    def run_sweep(self, model: Any, request: Any) -> bool:
        """False (with a message) for a model without guidance."""
        from playground.core.generate.guidance_sweep import JUDGE_CONFIG, SWEEP_GUIDANCE, sweep_job

        try:
            job = sweep_job(model, request, judge=self._judges.get(model.ref),
                            judge_config=self.judge_config or JUDGE_CONFIG)
        except ValueError as exc:
            self.said.emit(str(exc), "warning")
            return False
        self.sweep.begin(SWEEP_GUIDANCE)
        self._sweep_ref = model.ref
        self._jobs.start(DRAW, job, event=self._on_progress, finished=self._on_sweep_finished)
        return True

    def run_time_travel(self, model: Any, request: Any) -> bool:
        """False (with a message) when the model kept no snapshots."""
        from playground.core.generate.image import time_travel_job

        try:
            job = time_travel_job(model, request)
        except ValueError as exc:
            self.said.emit(str(exc), "warning")
            return False
        self.time_travel.set_tiles([(f"step {s:,}", None, "…") for s in model.snapshots])
        self._jobs.start(DRAW, job, event=self._on_progress, finished=self._on_time_travel_finished)
        return True

    def run_forward(self, model: Any, index: int) -> None:
        from playground.core.generate.image import forward_job

        try:
            job = forward_job(model, index)
        except ValueError as exc:
            self.said.emit(str(exc), "warning")
            return
        self._jobs.start(FORWARD, job, finished=self.forward.show_frames)

    def set_model(self, model: Any) -> None:
        training = model.training if model is not None else None
        self.forward.set_training(training.images if training else None, training.captions if training else ())

    # -- job results ----------------------------------------------------------------------------
    def _on_progress(self, event: object) -> None:
        if isinstance(event, Status):
            self.said.emit(event.message, event.level)
        elif isinstance(event, Progress) and event.message and event.done < event.total:
            self.said.emit(event.message + "…", "info")

    def _on_seeds_finished(self, generations: object) -> None:
        self.seed_runs = tuple(generations)
        self.seeds.set_tiles([(f"seed {g.request.seed}", g.images[0], "") for g in self.seed_runs])
        for g in self.seed_runs:
            self.made.emit(g, f"seed {g.request.seed}")
        self.said.emit("Seeds done: the same prompt from different start noise. Click one for its filmstrip.", "info")

    def _on_sweep_finished(self, result: object) -> None:
        if result.judge is not None:
            self._judges[self._sweep_ref] = result.judge
        self.sweep.show_result(result)
        self.said.emit("Sweep done: more guidance obeys the prompt harder and varies less.", "info")

    def _on_time_travel_finished(self, frames: object) -> None:
        self.snapshot_runs = tuple(g for _step, g in frames)
        self.time_travel.set_tiles([(f"step {step:,}", g.images[0], "") for step, g in frames])
        self.said.emit("Time travel done: the same seed, from the first snapshot to the last.", "info")

    def _on_seeds_tile_clicked(self, index: int) -> None:
        if index < len(self.seed_runs):
            self.shown.emit(self.seed_runs[index])

    def _on_time_travel_tile_clicked(self, index: int) -> None:
        if index < len(self.snapshot_runs):
            self.shown.emit(self.snapshot_runs[index])
