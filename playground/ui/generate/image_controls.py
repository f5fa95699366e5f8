"""The Images section's left column: the model and its card, the prompt, the settings, the buttons."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtWidgets import QGridLayout, QPushButton, QSpinBox, QVBoxLayout, QWidget

from playground.ui.generate.diffusion_form import DiffusionForm
from playground.ui.generate.model_picker import MessageLine, ModelPicker, trained_for
from playground.ui.generate.prompt_box import PromptBox

NO_MODEL = ("No model loaded. Pick one above, or open a diffusion run (or a conditional GAN) trained on the "
            "Train tab.")


class ImageControls(QWidget):
    """Widgets only: the section reads them and wires their signals."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.picker = ModelPicker("The bundled image models, every diffusion model trained in the app on images, "
                                  "and every conditional GAN (its label is the prompt)", NO_MODEL)
        self.prompt = PromptBox("what to draw, in the words of the captions (e.g. a handwritten 7)")
        self.form = DiffusionForm()
        self.generate_button, self.stop_button = QPushButton("Generate"), QPushButton("Stop")
        self.generate_button.setDefault(True)
        self.seeds_button = QPushButton("Seeds side by side")
        self.seeds_button.setToolTip("One image each for the seed above and the next ones")
        self.seed_count = QSpinBox()
        self.seed_count.setRange(2, 12)
        self.seed_count.setValue(6)
        self.seed_count.setToolTip("How many seeds side by side")
        self.sweep_button = QPushButton("Guidance sweep")
        self.sweep_button.setToolTip("The same prompt and seed at guidance 0, 1, 2, 4, 7 and 10: how well the images "
                                     "obey the prompt, and how varied they are")
        self.time_travel_button = QPushButton("Time travel")
        self.time_travel_button.setToolTip("The same prompt and seed drawn by each snapshot the run kept as it learned")
        self.save_button = QPushButton("Save as PNG…")
        self.save_button.setToolTip("The images as one PNG, with the settings and a receipt in its text fields")
        self.open_button = QPushButton("Open PNG…")
        self.open_button.setToolTip("Put the settings of a saved PNG back (or drop the PNG on this section)")
        self.verify_button = QPushButton("Verify PNG…")
        self.verify_button.setToolTip("Draw a saved PNG again from its receipt and check it is identical, bit for bit")
        self.message = MessageLine()
        buttons = QGridLayout()
        buttons.addWidget(self.generate_button, 0, 0)
        buttons.addWidget(self.stop_button, 0, 1)
        buttons.addWidget(self.seeds_button, 1, 0)
        buttons.addWidget(self.seed_count, 1, 1)
        buttons.addWidget(self.sweep_button, 2, 0)
        buttons.addWidget(self.time_travel_button, 2, 1)
        buttons.addWidget(self.save_button, 3, 0)
        buttons.addWidget(self.open_button, 3, 1)
        buttons.addWidget(self.verify_button, 4, 0, 1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picker)
        layout.addWidget(self.prompt)
        layout.addWidget(self.form)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addStretch(1)

    def read_request(self, n: int | None = None) -> Any:
        """The ``ImageRequest`` the widgets describe; ValueError with the reason otherwise."""
        return self.form.read(self.prompt.text(), n)

    def set_request(self, request: Any) -> None:
        self.prompt.set_text(request.prompt)
        self.form.set_request(request)

    def show_card(self, card: dict[str, Any] | None, snapshots: int = 0, training: int | None = None) -> None:
        if card is None:
            self.picker.show_card(None)
            return
        loss = float(card.get("loss", math.nan) if card.get("loss") is not None else math.nan)
        rows = [("What", str(card.get("what", card.get("family", "")))),
                ("Trained on", str(card.get("source") or "unknown data")),
                ("For", trained_for(card))]
        if math.isfinite(loss):
            rows.append(("Last loss", f"{loss:.4f}"))
        rows.append(("Size", f"{int(card.get('parameters', 0)) / 1e6:.2f} M parameters, images "
                             f"{card.get('image', '?')}"))
        rows.append(("Snapshots", f"{snapshots} (time travel)" if snapshots else "none kept"))
        rows.append(("Training images", f"{training:,} kept (is it copying?)" if training else
                     "not kept: copied-or-new is not measured"))
        self.picker.show_card(rows)

    def set_state(self, loaded: bool, busy: bool, guided: bool, snapshots: bool, result: bool) -> None:
        """Buttons for what is possible now."""
        for button in (self.generate_button, self.seeds_button):
            button.setEnabled(loaded)
        self.sweep_button.setEnabled(loaded and guided)
        self.time_travel_button.setEnabled(loaded and snapshots)
        self.save_button.setEnabled(result)
        self.stop_button.setEnabled(busy)
        self.form.set_guided(guided or not loaded)

    def say(self, message: str, level: str = "info") -> None:
        self.message.say(message, level)
