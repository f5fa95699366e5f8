"""The Text section's left column: the model picker and its card, the prompt, the sampling settings, the buttons.

``read_request()`` is the one place a ``TextRequest`` is made from the widgets;
a bad value's message comes back as ValueError for the section to show.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from playground.core.runs.catalog import ModelEntry
from playground.ui.generate.model_picker import MessageLine, ModelPicker, trained_for

DEFAULT_PROMPT = "ROMEO:\n"
NO_MODEL = "No model loaded. Pick one above, or open a run folder trained on the Train tab."


def validation_text(card: dict[str, Any]) -> str:
    """The card's validation loss: the calibrated figure, with the temperature and the figure before, when the
    model was calibrated (``python -m playground calibrate text``); else the last one its training measured."""
    calibration = card.get("calibration")
    if isinstance(calibration, dict):
        try:
            return (f"{float(calibration['after']):.3f} nats per character, calibrated: logits divided by "
                    f"{float(calibration['total_temperature']):.2f} ({float(calibration['before']):.3f} before; "
                    "its default temperature was divided too, so it writes as before)")
        except (KeyError, TypeError, ValueError):
            pass
    val = float(card.get("val_nats_per_char", math.nan))
    return f"{val:.3f} nats per character" if math.isfinite(val) else "not measured"


class TextControls(QWidget):
    """Widgets only: the section reads them and wires their signals."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.picker = ModelPicker("The bundled models and every GPT trained in the app (newest first)", NO_MODEL)
        self.model, self.open_button = self.picker.combo, self.picker.open_button
        self.refresh_button, self.card = self.picker.refresh_button, self.picker.card
        self.prompt = QPlainTextEdit(DEFAULT_PROMPT)
        self.prompt.setFixedHeight(64)
        self.prompt.setTabChangesFocus(True)
        self.unknown = QLabel()
        self.unknown.setWordWrap(True)
        self.unknown.setStyleSheet("color: #8a5a00;")
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(1, 5000)
        self.max_tokens.setValue(300)
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 5.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(0.8)
        self.temperature.setToolTip("Below 1: safer, more repetitive. Above 1: more surprising. 0: always the most likely")
        self.top_k = QSpinBox()
        self.top_k.setRange(0, 100_000)
        self.top_k.setSpecialValueText("off")
        self.top_k.setToolTip("Keep only the k most likely tokens (0: off)")
        self.top_p = QDoubleSpinBox()
        self.top_p.setRange(0.01, 1.0)
        self.top_p.setSingleStep(0.05)
        self.top_p.setValue(1.0)
        self.top_p.setToolTip("Keep the fewest most likely tokens whose probability adds up to p (1: off)")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.variant_count = QSpinBox()
        self.variant_count.setRange(2, 6)
        self.variant_count.setValue(3)
        self.variant_count.setToolTip("How many seeds side by side (the seed above, then the next ones)")
        self.generate_button, self.stop_button = QPushButton("Generate"), QPushButton("Stop")
        self.generate_button.setDefault(True)
        self.variants_button = QPushButton("Variants")
        self.time_travel_button = QPushButton("Time travel")
        self.time_travel_button.setToolTip("The same prompt and seed written by each snapshot the run kept as it learned")
        self.sweep_button = QPushButton("Temperature sweep")
        self.sweep_button.setToolTip("The same prompt and seed at temperatures 0.2 to 1.8, each measured")
        self.verify_button = QPushButton("Verify a saved text…")
        self.calibrate_button = QPushButton("Calibrate a copy")
        self.calibrate_button.setToolTip("Fit one temperature on the model's validation split and save a calibrated "
                                         "copy among your runs: a model that overfit is too sure of itself on text "
                                         "it never saw. The model itself is left as it is")
        self.message = MessageLine()
        self._build()

    def _build(self) -> None:
        prompt_box = QGroupBox("Prompt")
        box = QVBoxLayout(prompt_box)
        box.addWidget(self.prompt)
        box.addWidget(self.unknown)
        form = QFormLayout()
        form.addRow("Max length (tokens)", self.max_tokens)
        form.addRow("Temperature", self.temperature)
        form.addRow("Top-k", self.top_k)
        form.addRow("Top-p", self.top_p)
        form.addRow("Seed", self.seed)
        box.addLayout(form)
        buttons = QGridLayout()
        buttons.addWidget(self.generate_button, 0, 0)
        buttons.addWidget(self.stop_button, 0, 1)
        buttons.addWidget(self.variants_button, 1, 0)
        buttons.addWidget(self.variant_count, 1, 1)
        buttons.addWidget(self.time_travel_button, 2, 0)
        buttons.addWidget(self.sweep_button, 2, 1)
        buttons.addWidget(self.verify_button, 3, 0)
        buttons.addWidget(self.calibrate_button, 3, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picker)
        layout.addWidget(prompt_box)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addStretch(1)

    # -- models ---------------------------------------------------------------------------
    def set_models(self, entries: list[ModelEntry], keep: str | None) -> None:
        self.picker.set_models(entries, keep)

    def add_model(self, ref: str, title: str) -> None:
        self.picker.add_model(ref, title)

    def current_ref(self) -> str | None:
        return self.picker.current_ref()

    def show_card(self, card: dict[str, Any] | None, snapshots: int = 0, corpus: bool = True) -> None:
        if card is None:
            self.picker.show_card(None)
            return
        rows = [
            ("Trained on", str(card.get("source") or "unknown data")),
            ("For", trained_for(card)),
            ("Validation loss", validation_text(card)),
            ("Tokenizer", str(card.get("tokenizer", ""))),
            ("Size", f"{int(card.get('parameters', 0)) / 1e6:.2f} M parameters, context {card.get('block_size')} tokens"),
            ("Snapshots", f"{snapshots} (time travel)" if snapshots else "none kept"),
        ]
        if not corpus:
            rows.append(("Training text", "not kept: copied-or-new is not measured"))
        self.picker.show_card(rows)

    # -- request ----------------------------------------------------------------------------
    def read_request(self) -> Any:
        """The ``TextRequest`` the widgets describe; ValueError with the reason otherwise."""
        from playground.core.generators.text_generator import TextRequest  # imports torch: not at start-up

        return TextRequest(self.prompt.toPlainText(), self.max_tokens.value(), round(self.temperature.value(), 4),
                           self.top_k.value(), round(self.top_p.value(), 4), self.seed.value())

    def set_request(self, request: Any) -> None:
        """Put a request's settings back in the widgets (re-running from the history)."""
        self.prompt.setPlainText(request.prompt)
        self.max_tokens.setValue(request.max_tokens)
        self.temperature.setValue(request.temperature)
        self.top_k.setValue(request.top_k)
        self.top_p.setValue(request.top_p)
        self.seed.setValue(request.seed)

    def set_state(self, loaded: bool, busy: bool) -> None:
        """Buttons for: a model loaded or not, a generation running or not."""
        for button in (self.generate_button, self.variants_button, self.sweep_button, self.time_travel_button):
            button.setEnabled(loaded)
        self.stop_button.setEnabled(busy)

    def show_unknown(self, unknown: tuple[str, ...]) -> None:
        """Name the prompt characters the model's tokenizer does not know (none: the line is empty)."""
        if not unknown:
            self.unknown.clear()
            return
        shown = ", ".join(f"“{ch}”" for ch in unknown[:12]) + (" …" if len(unknown) > 12 else "")
        self.unknown.setText(f"⚠ This model's tokenizer does not know {shown}: the model reads each as the "
                             "unknown token (shown as �).")

    def say(self, message: str, level: str = "info") -> None:
        self.message.say(message, level)
