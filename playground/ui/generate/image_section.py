"""The Generate tab's Images section: draw from a prompt, watch the noise become a picture, and take the
drawing apart.

Left: the model and its card, the prompt, the settings, the buttons. Middle:
the drawing with its denoising filmstrip (guided beside unguided), seeds side
by side, the guidance sweep, time travel and the forward process, with the
history below. Right: is it copying? Every load, drawing and measurement is a
job (``playground.core.generate.image``); this class only starts them and
draws what they send.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QTabWidget, QWidget

from playground.ui.generate.image_controls import ImageControls
from playground.ui.generate.image_explorer import DRAW, FORWARD, ImageExplorer
from playground.ui.generate.image_history import ImageHistory
from playground.ui.generate.image_views import CopyingPanel, ResultPage
from playground.ui.generate.media_section import MediaSection
from playground.ui.generate.receipt_files import ReceiptFiles
from playground.ui.job_runner import JobHandle, JobRunner

NEAR = "image-nearest"  # job slot of "is it copying?"


class ImageSection(MediaSection):
    KIND = "image"
    LOADER = ("playground.core.generate.image", "load_image_model_job")
    LIST, LOAD, WORK = "image-models", "image-load", (DRAW, NEAR, FORWARD)
    FAMILIES = ("diffusion", "gan")
    NO_MODELS = ("No image model yet: train a diffusion model on the Train tab with a captioned image dataset (the "
                 "digits, say), or open a run folder.")
    OPEN_TITLE = "Open a diffusion or conditional GAN run folder"
    MAKE_JOB = ("playground.core.generate.image", "generate_images_job")
    BEGIN, MAKING = "Drawing “{prompt}”…", "Drawing…"
    NOT_SAVABLE = "Draw (or pick from the history) a drawing of the loaded model first."

    def __init__(self, runner: JobRunner, parent: QWidget | None = None):
        super().__init__(runner, parent)
        self.controls = c = ImageControls()
        self.result = ResultPage()
        self.explorer = e = ImageExplorer(self._jobs, self)
        self.files = ReceiptFiles(self._jobs, "PNG", ".png", "image", self)
        self.views = QTabWidget()
        for view, title in ((self.result, "Drawing"), (e.seeds, "Seeds side by side"), (e.sweep, "Guidance sweep"),
                            (e.time_travel, "Time travel"), (e.forward, "Forward process")):
            self.views.addTab(view, title)
        self.history = ImageHistory()
        self.copying = CopyingPanel()
        self._lay_out((self.views, self.history), [580, 100], self.copying, [300, 660, 280])
        c.sweep_button.clicked.connect(self._on_sweep_clicked)
        c.time_travel_button.clicked.connect(self._on_time_travel_clicked)
        self.result.image_clicked.connect(self.find_nearest)
        e.forward.image_picked.connect(self._on_forward_image_picked)
        e.made.connect(self._on_explorer_made)
        e.shown.connect(self._show)
        e.said.connect(c.say)
        self._connect_shared()

    # -- the model ------------------------------------------------------------------------------
    def _loaded(self, model: Any) -> None:
        drawer, training = model.drawer, model.training
        self.controls.show_card(drawer.card(), len(model.snapshots), len(training.images) if training else None)
        suggestions = drawer.suggestions()
        self.controls.prompt.set_suggestions(suggestions)
        if drawer.guided:
            config = model.generator.config
            self.controls.form.set_defaults(config.sampler, config.sample_steps, config.guidance)
        if not self.controls.prompt.text().strip() and suggestions:
            self.controls.prompt.set_text(suggestions[0])
        self.explorer.set_model(model)
        self.copying.clear("" if training else "This model did not keep its training images: copied-or-new is "
                                               "not measured.")
        self.controls.say(f"Loaded {Path(model.ref).name}. Write a prompt and press Generate.")

    def _unknown_message(self, prompt: str) -> str:
        words = self._model.drawer.unknown(prompt)
        return self._model.drawer.unknown_message(words) if words else ""

    # -- drawing ----------------------------------------------------------------------------------
    def _done_message(self, generation: Any) -> str:
        left_out = f" Left out, as unknown: {', '.join(generation.unknown)}." if generation.unknown else ""
        return "Done. Drag the filmstrip's slider to watch it denoise; click an image: is it copying?" + left_out

    def find_nearest(self, index: int) -> JobHandle | None:
        """Find the training images nearest to image ``index`` of the drawing shown (in a job)."""
        if self._current is None or self._model is None or self._model.training is None:
            return None
        from playground.core.generate.image import copying_job

        image = self._current.images[index]
        if image.shape != self._model.training.images.shape[1:]:
            self.copying.clear("This drawing is not from the loaded model: load its model to compare it.")
            return None
        self.copying.begin(image)
        return self._jobs.start(NEAR, copying_job(self._model.training, image), finished=self.copying.show_neighbours)

    # -- seeds, sweep, time travel, forward ---------------------------------------------------------
    def _on_seeds_clicked(self) -> None:
        request = self._request(1)
        if request is not None:
            self.explorer.run_seeds(self._model, request, self.controls.seed_count.value())
            self.views.setCurrentWidget(self.explorer.seeds)

    def _on_sweep_clicked(self) -> None:
        request = self._request()
        if request is not None and self.explorer.run_sweep(self._model, request):
            self.views.setCurrentWidget(self.explorer.sweep)

    def _on_time_travel_clicked(self) -> None:
        request = self._request(1)
        if request is not None and self.explorer.run_time_travel(self._model, request):
            self.views.setCurrentWidget(self.explorer.time_travel)

    def _on_forward_image_picked(self, index: int) -> None:
        if self._model is not None:
            self.explorer.run_forward(self._model, index)

    def _on_explorer_made(self, generation: object, label: str) -> None:
        self.history.add(generation, label=label)

    # -- save -------------------------------------------------------------------------------------------
    def _file_bytes(self, model: Any, generation: Any) -> Callable[[], bytes]:
        """The drawing as one PNG with its receipt."""
        from playground.core.generate.image import saved_png

        return lambda: saved_png(model, generation)

    # -- jobs ---------------------------------------------------------------------------------------
    def _on_jobs_failed(self, slot: str, message: str) -> None:
        if slot == NEAR:
            self.copying.clear(message)
        super()._on_jobs_failed(slot, message)

    def _update_state(self) -> None:
        m = self._model
        self.controls.set_state(m is not None, self._jobs.running(DRAW), self._current is not None,
                                guided=m is not None and m.drawer.guided, snapshots=m is not None and bool(m.snapshots))
