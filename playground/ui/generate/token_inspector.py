"""The Text section's right column: one generated token explained, and the door to a branch.

The candidates the model weighed (a chart and a list to pick from), and where
it looked: the attention of the position that chose the token, for a layer
and a head (or the mean over heads), as a heat strip over the text.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from playground.ui.widgets.attention_strip import AttentionStrip
from playground.ui.widgets.candidate_chart import KEY, CandidateChart
from playground.ui.widgets.visible_text import show_whitespace

MEAN = -1  # the head chooser's "mean over heads"
CHART_CANDIDATES = 10  # bars in the chart; the list holds every recorded candidate


class TokenInspector(QWidget):
    branch_requested = Signal(int)  # the token id of the candidate to continue with

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel("Click a generated token.")
        self.title.setWordWrap(True)
        self.chart = CandidateChart()
        key = QLabel(KEY)
        key.setWordWrap(True)
        self.candidates = QListWidget()
        self.candidates.setMaximumHeight(110)
        self.branch_button = QPushButton("Continue with this candidate")
        self.branch_button.setToolTip("Swap the token for the candidate picked and let the model write on from there; "
                                      "the original stays in the history")
        self.layer, self.head = QComboBox(), QComboBox()
        self.strip = AttentionStrip()
        self._view: Any = None  # the AttentionView shown
        self._text, self._next = "", ""
        self._can_branch = False
        chooser = QHBoxLayout()
        chooser.addWidget(QLabel("Attention:"))
        chooser.addWidget(self.layer, 1)
        chooser.addWidget(self.head, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.chart, 3)
        layout.addWidget(key)
        layout.addWidget(self.candidates, 1)
        layout.addWidget(self.branch_button)
        layout.addLayout(chooser)
        layout.addWidget(self.strip, 2)
        self.branch_button.setEnabled(False)
        self.branch_button.clicked.connect(self._on_branch_clicked)
        self.candidates.itemDoubleClicked.connect(self._on_candidates_item_double_clicked)
        self.candidates.currentRowChanged.connect(self._on_candidates_current_row_changed)
        self.layer.currentIndexChanged.connect(self._on_chooser_changed)
        self.head.currentIndexChanged.connect(self._on_chooser_changed)

    def show_token(self, choice: Any, index: int, texts: list[str], can_branch: bool) -> None:
        """Show generated token ``index``: ``choice`` its TokenChoice, ``texts`` its candidates' text."""
        taken = choice.chosen_index
        self.title.setText(f"<b>Token {index + 1}</b>: “{show_whitespace(texts[taken])}”, picked from "
                           f"{choice.kept:,} candidates the filters kept, after reading {choice.context:,} tokens")
        n = min(CHART_CANDIDATES, len(texts))
        shown = list(range(n)) if taken < n else [*range(n - 1), taken]
        self.chart.set_candidates([texts[i] for i in shown], [choice.probs_before[i] for i in shown],
                                  [choice.probs_after[i] for i in shown], shown.index(taken))
        self.candidates.blockSignals(True)
        self.candidates.clear()
        for i, token_id in enumerate(choice.candidate_ids):
            mark = "  ← taken" if i == taken else ""
            item = QListWidgetItem(f"“{show_whitespace(texts[i])}”  {100 * choice.probs_before[i]:.1f}% → "
                                   f"{100 * choice.probs_after[i]:.1f}%{mark}")
            item.setData(Qt.ItemDataRole.UserRole, int(token_id))
            self.candidates.addItem(item)
        self.candidates.blockSignals(False)
        self._can_branch = can_branch
        self.branch_button.setEnabled(False)
        self.branch_button.setToolTip("" if can_branch else "Branching continues outputs of the final weights only")

    def show_attention(self, view: Any, text: str, next_piece: str) -> None:
        """Draw an ``AttentionView`` over ``text`` (prompt + generated text); keeps the layer and head chosen."""
        layers, heads = view.weights.shape[:2]
        if self.layer.count() != layers or self.head.count() != heads + 1:
            for combo, names in ((self.layer, [f"layer {i + 1} of {layers}" for i in range(layers)]),
                                 (self.head, ["mean over heads", *(f"head {h + 1}" for h in range(heads))])):
                combo.blockSignals(True)
                combo.clear()
                combo.addItems(names)
                combo.blockSignals(False)
            self.layer.setCurrentIndex(layers - 1)
        self._view, self._text, self._next = view, text, next_piece
        self._draw_attention()

    def set_attention_note(self, note: str) -> None:
        self._view = None
        self.strip.clear_attention(note)

    def clear(self) -> None:
        self.title.setText("Click a generated token.")
        self.chart.clear_candidates()
        self.candidates.clear()
        self.branch_button.setEnabled(False)
        self.set_attention_note("")

    def attention_weights(self) -> np.ndarray:
        """Per context token, for the layer and head chosen (empty before any is shown)."""
        return self.strip.weights()

    def _draw_attention(self) -> None:
        if self._view is None:
            return
        layer = max(0, self.layer.currentIndex())
        head = self.head.currentIndex() - 1  # MEAN for the first entry
        maps = self._view.weights[layer]  # n_head x T
        weights = maps.mean(axis=0) if head == MEAN else maps[head]
        caption = f"{self.layer.currentText()}, {self.head.currentText()}"
        self.strip.set_attention(self._text, self._view.token_spans, weights, self._next, caption)

    # -- slots ------------------------------------------------------------------------------
    def _on_chooser_changed(self, _index: int) -> None:
        self._draw_attention()

    def _on_candidates_current_row_changed(self, row: int) -> None:
        self.branch_button.setEnabled(row >= 0 and self._can_branch)

    def _on_candidates_item_double_clicked(self, item: QListWidgetItem) -> None:
        if self._can_branch:
            self.branch_requested.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def _on_branch_clicked(self) -> None:
        item = self.candidates.currentItem()
        if item is not None and self._can_branch:
            self.branch_requested.emit(int(item.data(Qt.ItemDataRole.UserRole)))
