"""The output with its measures; outputs side by side (variants, time travel); the temperature sweep.

Each column is a ``TokenOutput`` under a title, so its tokens can be clicked
like the main output's; the sweep shows, per temperature, the share of real
words and of text copied from the training text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.ui.widgets.token_output import COPIED, NEW, PROMPT, TokenOutput

PER_ROW = 3  # columns side by side before wrapping to the next row
EXCERPT = 70  # characters of each sweep output in its table row


class OutputPage(QWidget):
    """One output as clickable tokens, how much of it is copied, and Copy / Save as text."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.output = TokenOutput()
        self.output.setPlaceholderText("The model's text streams in here. Click any token to see what it weighed.")
        self.measures = QLabel()
        self.measures.setWordWrap(True)
        self.copy_button, self.save_button = QPushButton("Copy"), QPushButton("Save as text…")
        legend = QLabel(f'<span style="background:{NEW[0]}">&nbsp;new&nbsp;</span> '
                        f'<span style="background:{COPIED[0]}">&nbsp;copied from the training text (30+ characters '
                        f'in a row)&nbsp;</span> <span style="color:{PROMPT}">prompt in grey</span>')
        legend.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(legend, 1)
        bottom.addWidget(self.copy_button)
        bottom.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.output, 1)
        layout.addWidget(self.measures)
        layout.addLayout(bottom)

    def begin(self, prompt: str, pieces: Sequence[str]) -> None:
        """An output about to stream in after ``pieces`` (a branch's kept tokens)."""
        self.output.set_tokens(prompt, pieces)
        self.measures.clear()

    def show_generation(self, generation: Any, select: int = -1) -> None:
        """A finished ``TextGeneration``, copied stretches marked, with its measures."""
        self.output.set_tokens(generation.prompt, generation.pieces, generation.copied_tokens(), select)
        v = generation.verbatim
        if v is None:
            self.measures.setText("This model kept no training text: copied or new is not measured.")
            return
        self.measures.setText(f"<b>{v.new_chars:,}</b> new characters, <b>{v.copied_chars:,}</b> copied from the "
                              f"training text ({100 * v.copied_share:.0f}%, in {len(v.spans)} stretch"
                              f"{'es' if len(v.spans) != 1 else ''} of {v.min_chars}+ characters); "
                              f"<b>{100 * (generation.real_words or 0):.0f}%</b> of its words are words of the "
                              "training text.")


class ColumnsView(QWidget):
    """Several outputs of one prompt, side by side, each under a title ("seed 3", "step 800")."""

    token_clicked = Signal(int, int)  # (column, generated token index)

    def __init__(self, empty_note: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.note = QLabel(empty_note)
        self.note.setWordWrap(True)
        self._grid = QGridLayout()
        holder = QWidget()
        holder.setLayout(self._grid)
        scroll = QScrollArea()
        scroll.setWidget(holder)
        scroll.setWidgetResizable(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addWidget(scroll, 1)
        self.outputs: list[TokenOutput] = []
        self.titles: list[QLabel] = []
        self.generations: list[Any] = []  # the finished outputs, by column (empty while they stream)

    def set_columns(self, titles: Sequence[str], prompt: str, note: str) -> None:
        """Empty columns, each starting with ``prompt``."""
        for widget in (*self.outputs, *self.titles):
            self._grid.removeWidget(widget)
            widget.deleteLater()
        self.outputs, self.titles, self.generations = [], [], []
        for k, title in enumerate(titles):
            label, output = QLabel(f"<b>{title}</b>"), TokenOutput()
            output.setMinimumHeight(150)
            output.set_prompt(prompt)
            output.token_clicked.connect(lambda index, column=k: self.token_clicked.emit(column, index))
            row, col = divmod(k, PER_ROW)
            self._grid.addWidget(label, 2 * row, col)
            self._grid.addWidget(output, 2 * row + 1, col)
            self.outputs.append(output)
            self.titles.append(label)
        self.note.setText(note)

    def append(self, column: int, pieces: Sequence[str]) -> None:
        if 0 <= column < len(self.outputs):
            self.outputs[column].append_pieces(pieces)

    def finish(self, generations: Sequence[Any], titles: Sequence[str] | None = None) -> None:
        """Redraw every column from its finished output (copied stretches marked)."""
        self.generations = list(generations)
        for column, generation in enumerate(self.generations[: len(self.outputs)]):
            self.outputs[column].set_tokens(generation.prompt, generation.pieces, generation.copied_tokens())
            if titles is not None:
                self.titles[column].setText(f"<b>{titles[column]}</b>")

    def select(self, column: int, index: int) -> None:
        """Highlight one token in one column, none in the others."""
        for k, output in enumerate(self.outputs):
            output.select(index if k == column else -1)


class SweepView(QWidget):
    """One row per temperature: real words, copied, and how the text begins; the two shares plotted."""

    row_activated = Signal(int)  # a row was double-clicked: show that output

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.note = QLabel("Temperature sweep: the same prompt and seed at six temperatures, each output measured. "
                           "Low temperatures write real words and copy more; high ones invent.")
        self.note.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Temperature", "Real words", "Copied", "How it begins"])
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setTitle("Safe or surprising: shares of each output", color="k", size="9pt")
        self.plot.setLabel("bottom", "temperature")
        self.plot.setLabel("left", "% of the output")
        self.plot.setYRange(-4, 104, padding=0)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        legend = self.plot.addLegend(offset=(-8, 8), labelTextColor="k")
        self._real = self.plot.plot([], [], pen=pg.mkPen((44, 160, 44), width=2), symbol="o", symbolBrush=(44, 160, 44))
        self._copied = self.plot.plot([], [], pen=pg.mkPen((230, 140, 0), width=2), symbol="s", symbolBrush=(230, 140, 0))
        legend.addItem(self._real, "real words")
        legend.addItem(self._copied, "copied from the training text")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.plot, 1)
        self.rows: tuple[Any, ...] = ()
        self.table.cellDoubleClicked.connect(self._on_table_cell_double_clicked)

    def set_rows(self, rows: Sequence[Any]) -> None:
        """``rows``: ``SweepRow``s (temperature, generation, real_words, copied)."""
        self.rows = tuple(rows)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            excerpt = row.generation.text[:EXCERPT].replace("\n", " ↵ ")
            cells = [f"{row.temperature:g}", _percent(row.real_words), _percent(row.copied), excerpt]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c < 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        t = np.array([row.temperature for row in rows], float)
        for curve, values in ((self._real, [row.real_words for row in rows]), (self._copied, [row.copied for row in rows])):
            v = np.array([np.nan if x is None else 100 * x for x in values], float)
            ok = np.isfinite(v)
            curve.setData(t[ok], v[ok])
        if len(t):
            self.plot.setXRange(0.0, float(t.max()) + 0.2, padding=0)

    def clear(self) -> None:
        self.set_rows(())

    def _on_table_cell_double_clicked(self, row: int, _column: int) -> None:
        if 0 <= row < len(self.rows):
            self.row_activated.emit(row)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"
