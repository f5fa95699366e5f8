"""Every output the Text section made, with its settings; one click shows it again, "Run again" repeats it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

EXCERPT = 40  # characters of the output in its history line


@dataclass(frozen=True, eq=False)
class HistoryEntry:
    number: int  # 1, 2, ... in the order made
    generation: Any  # the TextGeneration
    parent: "HistoryEntry | None" = None  # the output a branch was made from
    label: str = ""  # how it was made ("seed 3", "branch of #2 at token 17")


def describe(generation: Any) -> str:
    """The settings of an output in a few words."""
    r = generation.request
    return (f"seed {r.seed}, T {r.temperature:g}, top-k {r.top_k or 'off'}, top-p {r.top_p:g}, "
            f"{len(generation.choices)} tokens")


class GenerationHistory(QWidget):
    entry_selected = Signal(object)  # the HistoryEntry clicked
    rerun_requested = Signal(object)  # the HistoryEntry to make again

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.list = QListWidget()
        self.rerun_button = QPushButton("Run again")
        self.rerun_button.setToolTip("Make the selected output again with its settings (a branch: from the same token)")
        self.rerun_button.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(QLabel("<b>History</b>: every output, with its settings"), 1)
        row.addWidget(self.rerun_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.list, 1)
        self.entries: list[HistoryEntry] = []
        self.list.currentRowChanged.connect(self._on_list_current_row_changed)
        self.list.itemClicked.connect(self._on_list_item_clicked)
        self.rerun_button.clicked.connect(self._on_rerun_clicked)

    def add(self, generation: Any, parent: HistoryEntry | None = None, label: str = "") -> HistoryEntry:
        """Append an output (the newest is at the top) and select it without a signal."""
        entry = HistoryEntry(len(self.entries) + 1, generation, parent, label)
        self.entries.append(entry)
        excerpt = generation.text[:EXCERPT].replace("\n", " ↵ ")
        how = f" · {label}" if label else ""
        item = QListWidgetItem(f"#{entry.number}{how} · {describe(generation)} · “{excerpt}…”")
        item.setToolTip(f"{generation.model}\n{generation.prompt}{generation.text[:300]}")
        item.setData(Qt.ItemDataRole.UserRole, entry.number)
        self.list.blockSignals(True)
        self.list.insertItem(0, item)
        self.list.setCurrentRow(0)
        self.list.blockSignals(False)
        self.rerun_button.setEnabled(True)
        return entry

    def find(self, generation: Any) -> HistoryEntry | None:
        return next((e for e in self.entries if e.generation is generation), None)

    def current(self) -> HistoryEntry | None:
        item = self.list.currentItem()
        return self.entries[int(item.data(Qt.ItemDataRole.UserRole)) - 1] if item is not None else None

    def _on_list_current_row_changed(self, row: int) -> None:
        self.rerun_button.setEnabled(row >= 0)

    def _on_list_item_clicked(self, item: QListWidgetItem) -> None:
        self.entry_selected.emit(self.entries[int(item.data(Qt.ItemDataRole.UserRole)) - 1])

    def _on_rerun_clicked(self) -> None:
        entry = self.current()
        if entry is not None:
            self.rerun_requested.emit(entry)
