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

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

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
        middle = QSplitter(Qt.Orientation.Vertical)
        middle.addWidget(self.views)
        middle.addWidget(self.history)
        middle.setSizes([580, 100])
        self.copying = CopyingPanel()
        splitter = QSplitter(self)
        for widget in (c, middle, self.copying):
            splitter.addWidget(widget)
        splitter.setSizes([300, 660, 280])
        QVBoxLayout(self).addWidget(splitter)
        c.stop_button.clicked.connect(self._on_stop_clicked)
        c.seeds_button.clicked.connect(self._on_seeds_clicked)
        c.sweep_button.clicked.connect(self._on_sweep_clicked)
        c.time_travel_button.clicked.connect(self._on_time_travel_clicked)
        c.save_button.clicked.connect(self._on_save_clicked)
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
    def generate(self, request: Any = None) -> JobHandle | None:
        """Draw from the prompt (or ``request``); None with a message when it cannot start."""
        request = request or self._request()
        if request is None:
            return None
        from playground.core.generate.image import generate_images_job

        self.views.setCurrentWidget(self.result)
        self.result.begin(f"Drawing “{request.prompt}”…")
        self.controls.say("Drawing…")
        return self._jobs.start(DRAW, generate_images_job(self._model, request), event=self._on_job_status,
                                finished=self._on_draw_finished)

    def _on_stop_clicked(self) -> None:
        self._jobs.cancel(DRAW)

    def _on_draw_finished(self, generation: object) -> None:
        self.history.add(generation)
        self._show(generation)
        left_out = f" Left out, as unknown: {', '.join(generation.unknown)}." if generation.unknown else ""
        self.controls.say("Done. Drag the filmstrip's slider to watch it denoise; click an image: is it copying?"
                          + left_out)

    def _show(self, generation: Any) -> None:
        """Put a drawing in the Drawing view and look up the training images nearest to its first image."""
        self._current = generation
        self.views.setCurrentWidget(self.result)
        self.result.show_generation(generation)
        self._update_state()
        self.find_nearest(0)

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
    def _maker(self) -> Any:
        """What saving writes (the drawing shown as a PNG with its receipt), or None with a message."""
        from playground.core.generate.image import saved_png

        if self._current is None or self._model is None or self._current.model != self._model.ref:
            self.controls.say("Draw (or pick from the history) a drawing of the loaded model first.", "warning")
            return None
        model, current = self._model, self._current
        return lambda: saved_png(model, current)

    def save_png(self, path: str) -> bool:
        """Write the drawing shown, with its receipt, to ``path`` (atomically); False with a message on failure."""
        make = self._maker()
        return make is not None and self.files.save(path, make)

    def _on_save_clicked(self) -> None:
        make = self._maker()
        if make is not None:
            self.files.ask_save(self, make)

    # -- jobs ---------------------------------------------------------------------------------------
    def _on_jobs_failed(self, slot: str, message: str) -> None:
        if slot == NEAR:
            self.copying.clear(message)
        super()._on_jobs_failed(slot, message)

    def _update_state(self) -> None:
        m = self._model
        self.controls.set_state(m is not None, self._jobs.running(DRAW), self._current is not None,
                                guided=m is not None and m.drawer.guided, snapshots=m is not None and bool(m.snapshots))
