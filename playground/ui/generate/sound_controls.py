"""The Sound section's left column: the model and its card, the prompt, the settings, the buttons."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtWidgets import QGridLayout, QPushButton, QSpinBox, QVBoxLayout, QWidget

from playground.ui.generate.diffusion_form import DiffusionForm
from playground.ui.generate.model_picker import MessageLine, ModelPicker, trained_for
from playground.ui.generate.prompt_box import PromptBox

NO_MODEL = "No model loaded. Pick one above, or open a diffusion run trained on sounds on the Train tab."


class SoundControls(QWidget):
    """Widgets only: the section reads them and wires their signals."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.picker = ModelPicker("The bundled sound models and every diffusion model trained in the app on sounds",
                                  NO_MODEL)
        self.prompt = PromptBox("what to play, like the captions (e.g. a flute playing A4)")
        self.form = DiffusionForm(count_label="Sounds at once", count_tip="How many sounds to make at once "
                                                                          "(different start noise each)")
        self.form.count.setValue(1)
        self.form.count.setMaximum(16)
        self.generate_button, self.stop_button = QPushButton("Generate"), QPushButton("Stop")
        self.generate_button.setDefault(True)
        self.seeds_button = QPushButton("Seeds side by side")
        self.seeds_button.setToolTip("One sound each for the seed above and the next ones")
        self.seed_count = QSpinBox()
        self.seed_count.setRange(2, 8)
        self.seed_count.setValue(4)
        self.save_button = QPushButton("Save as WAV…")
        self.save_button.setToolTip("The sound as a 16-bit WAV, with the settings and a receipt in its metadata")
        self.open_button = QPushButton("Open WAV…")
        self.open_button.setToolTip("Put the settings of a saved WAV back (or drop the WAV on this section)")
        self.verify_button = QPushButton("Verify WAV…")
        self.verify_button.setToolTip("Make a saved WAV again from its receipt and check it is identical")
        self.message = MessageLine()
        buttons = QGridLayout()
        buttons.addWidget(self.generate_button, 0, 0)
        buttons.addWidget(self.stop_button, 0, 1)
        buttons.addWidget(self.seeds_button, 1, 0)
        buttons.addWidget(self.seed_count, 1, 1)
        buttons.addWidget(self.save_button, 2, 0)
        buttons.addWidget(self.open_button, 2, 1)
        buttons.addWidget(self.verify_button, 3, 0, 1, 2)
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

    def show_card(self, card: dict[str, Any] | None, snapshots: int = 0, training: int | None = None,
                  rate: int = 0) -> None:
        if card is None:
            self.picker.show_card(None)
            return
        loss = float(card.get("loss") if card.get("loss") is not None else math.nan)
        rows = [("Trained on", str(card.get("source") or "unknown data")), ("For", trained_for(card))]
        if math.isfinite(loss):
            rows.append(("Last loss", f"{loss:.4f}"))
        bands, frames = str(card.get("image", "1x?x?")).split("x")[1:3] if "x" in str(card.get("image")) else ("?", "?")
        rows.append(("Size", f"{int(card.get('parameters', 0)) / 1e6:.2f} M parameters; draws {bands} mel bands x "
                             f"{frames} frames, played at {rate:,} Hz"))
        rows.append(("Training sounds", f"{training:,} kept (new, or a copy?)" if training else
                     "not kept: new-or-copy is not measured"))
        self.picker.show_card(rows)

    def set_state(self, loaded: bool, busy: bool, result: bool) -> None:
        for button in (self.generate_button, self.seeds_button):
            button.setEnabled(loaded)
        self.save_button.setEnabled(result)
        self.stop_button.setEnabled(busy)

    def say(self, message: str, level: str = "info") -> None:
        self.message.say(message, level)
