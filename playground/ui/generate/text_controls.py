"""The Text section's left column: the model picker and its card, the prompt, the sampling settings, the buttons.

``read_request()`` is the one place a ``TextRequest`` is made from the widgets;
a bad value's message comes back as ValueError for the section to show.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from playground.core.runs.catalog import ModelEntry

DEFAULT_PROMPT = "ROMEO:\n"
NO_MODEL = "No model loaded. Pick one above, or open a run folder trained on the Train tab."


class TextControls(QWidget):
    """Widgets only: the section reads them and wires their signals."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = QComboBox()
        self.model.setToolTip("The bundled models and every GPT trained in the app (newest first)")
        self.model.setMinimumContentsLength(18)
        self.model.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip("Open a run or checkpoint folder from disk")
        self.refresh_button = QPushButton("Refresh")
        self.card = QLabel(NO_MODEL)
        self.card.setWordWrap(True)
        self.card.setTextFormat(Qt.TextFormat.RichText)
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
        self.message = QLabel()
        self.message.setWordWrap(True)
        self._build()

    def _build(self) -> None:
        model_box = QGroupBox("Model")
        picker = QHBoxLayout()
        picker.addWidget(self.model, 1)
        picker.addWidget(self.open_button)
        picker.addWidget(self.refresh_button)
        box = QVBoxLayout(model_box)
        box.addLayout(picker)
        box.addWidget(self.card)
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
        buttons.addWidget(self.verify_button, 3, 0, 1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(model_box)
        layout.addWidget(prompt_box)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addStretch(1)

    # -- models ---------------------------------------------------------------------------
    def set_models(self, entries: list[ModelEntry], keep: str | None) -> None:
        """Offer ``entries``; keep ``keep`` (a ref) selected, adding it if it was opened from disk, without a
        change signal."""
        self.model.blockSignals(True)
        self.model.clear()
        for entry in entries:
            self.model.addItem(entry.title, entry.ref)
        if keep is not None and self.model.findData(keep) < 0:
            self.model.addItem(f"{Path(keep).name} (opened)", keep)
        self.model.setCurrentIndex(self.model.findData(keep) if keep is not None else -1)
        self.model.blockSignals(False)

    def add_model(self, ref: str, title: str) -> None:
        """Add (if new) and select a model opened from disk; emits the change signal."""
        found = self.model.findData(ref)
        if found < 0:
            self.model.addItem(title, ref)
            found = self.model.count() - 1
        self.model.setCurrentIndex(found)

    def current_ref(self) -> str | None:
        ref = self.model.currentData()
        return ref if isinstance(ref, str) else None

    def show_card(self, card: dict[str, Any] | None, snapshots: int = 0, corpus: bool = True) -> None:
        if card is None:
            self.card.setText(NO_MODEL)
            return
        elapsed = float(card.get("elapsed_s", math.nan))
        val = float(card.get("val_nats_per_char", math.nan))
        rows = [
            ("Trained on", str(card.get("source") or "unknown data")),
            ("For", f"{int(card.get('steps', 0)):,} steps" + (f" ({_duration(elapsed)})" if math.isfinite(elapsed) else "")),
            ("Validation loss", f"{val:.3f} nats per character" if math.isfinite(val) else "not measured"),
            ("Tokenizer", str(card.get("tokenizer", ""))),
            ("Size", f"{int(card.get('parameters', 0)) / 1e6:.2f} M parameters, context {card.get('block_size')} tokens"),
            ("Snapshots", f"{snapshots} (time travel)" if snapshots else "none kept"),
        ]
        if not corpus:
            rows.append(("Training text", "not kept: copied-or-new is not measured"))
        self.card.setText("<table>" + "".join(f"<tr><td><b>{k}</b>&nbsp;</td><td>{v}</td></tr>" for k, v in rows)
                          + "</table>")

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
        colour = {"error": "#b00020", "warning": "#8a5a00"}.get(level, "#303030")
        prefix = {"error": "⛔ ", "warning": "⚠ "}.get(level, "")
        self.message.setStyleSheet(f"color: {colour};")
        self.message.setText(prefix + message)


def _duration(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d} of training"
