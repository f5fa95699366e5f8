"""The model picker every Generate section shares: the bundled and trained models, Open…, Refresh, and
the model's card.

The section lists models in a job and hands the entries over (``set_models``);
picking one emits the combo box's ``currentIndexChanged``, which the section
answers by loading it (in a job too).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from playground.core.runs.catalog import ModelEntry


def card_html(rows: list[tuple[str, str]]) -> str:
    """A model card: one bold name and its value per row."""
    return "<table>" + "".join(f"<tr><td><b>{k}</b>&nbsp;</td><td>{v}</td></tr>" for k, v in rows) + "</table>"


def trained_for(card: dict[str, Any]) -> str:
    """"1,500 steps (2:03 of training)" from a card's steps and elapsed seconds."""
    elapsed = float(card.get("elapsed_s", math.nan))
    text = f"{int(card.get('steps', 0)):,} steps"
    if math.isfinite(elapsed):
        m, s = divmod(int(elapsed), 60)
        text += f" ({m}:{s:02d} of training)"
    return text


class ModelPicker(QGroupBox):
    """Widgets only: the section reads them and wires their signals."""

    def __init__(self, tooltip: str, empty_card: str, parent: QWidget | None = None):
        super().__init__("Model", parent)
        self.empty_card = empty_card
        self.combo = QComboBox()
        self.combo.setToolTip(tooltip)
        self.combo.setMinimumContentsLength(18)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip("Open a run or checkpoint folder from disk")
        self.refresh_button = QPushButton("Refresh")
        self.card = QLabel(empty_card)
        self.card.setWordWrap(True)
        self.card.setTextFormat(Qt.TextFormat.RichText)
        row = QHBoxLayout()
        row.addWidget(self.combo, 1)
        row.addWidget(self.open_button)
        row.addWidget(self.refresh_button)
        box = QVBoxLayout(self)
        box.addLayout(row)
        box.addWidget(self.card)

    def set_models(self, entries: list[ModelEntry], keep: str | None) -> None:
        """Offer ``entries``; keep ``keep`` (a ref) selected, adding it if it was opened from disk, without a
        change signal."""
        self.combo.blockSignals(True)
        self.combo.clear()
        for entry in entries:
            self.combo.addItem(entry.title, entry.ref)
        if keep is not None and self.combo.findData(keep) < 0:
            self.combo.addItem(f"{Path(keep).name} (opened)", keep)
        self.combo.setCurrentIndex(self.combo.findData(keep) if keep is not None else -1)
        self.combo.blockSignals(False)

    def add_model(self, ref: str, title: str) -> None:
        """Add (if new) and select a model opened from disk; emits the change signal."""
        found = self.combo.findData(ref)
        if found < 0:
            self.combo.addItem(title, ref)
            found = self.combo.count() - 1
        self.combo.setCurrentIndex(found)

    def current_ref(self) -> str | None:
        ref = self.combo.currentData()
        return ref if isinstance(ref, str) else None

    def show_card(self, rows: list[tuple[str, str]] | None) -> None:
        """The loaded model's card, or (None) the empty one."""
        self.card.setText(card_html(rows) if rows is not None else self.empty_card)


class MessageLine(QLabel):
    """The section's one line of news: what happened, what went wrong, what to do."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWordWrap(True)

    def say(self, message: str, level: str = "info") -> None:
        colour = {"error": "#b00020", "warning": "#8a5a00"}.get(level, "#303030")
        prefix = {"error": "⛔ ", "warning": "⚠ "}.get(level, "")
        self.setStyleSheet(f"color: {colour};")
        self.setText(prefix + message)
