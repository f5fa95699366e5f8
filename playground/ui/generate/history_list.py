"""Every output a Generate section made, with its settings: one click shows it again, "Run again" repeats it.

Each section says how one entry reads (``line``: text, tooltip, an optional
icon); the list, its order (newest at the top) and its signals are shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget


@dataclass(frozen=True, eq=False)
class HistoryEntry:
    number: int  # 1, 2, ... in the order made
    generation: Any  # the section's record of one output
    parent: "HistoryEntry | None" = None  # the output a branch was made from
    label: str = ""  # how it was made ("seed 3", "branch of #2 at token 17")


class GenerationHistory(QWidget):
    entry_selected = Signal(object)  # the HistoryEntry clicked
    rerun_requested = Signal(object)  # the HistoryEntry to make again

    def __init__(self, parent: QWidget | None = None, heading: str = "every output, with its settings",
                 rerun_tip: str = "Make the selected output again with its settings", icon_size: int = 0):
        super().__init__(parent)
        self.list = QListWidget()
        if icon_size:
            self.list.setIconSize(QSize(icon_size, icon_size))
        self.rerun_button = QPushButton("Run again")
        self.rerun_button.setToolTip(rerun_tip)
        self.rerun_button.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(QLabel(f"<b>History</b>: {heading}"), 1)
        row.addWidget(self.rerun_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.list, 1)
        self.entries: list[HistoryEntry] = []
        self.list.currentRowChanged.connect(self._on_list_current_row_changed)
        self.list.itemClicked.connect(self._on_list_item_clicked)
        self.rerun_button.clicked.connect(self._on_rerun_clicked)

    def line(self, entry: HistoryEntry) -> tuple[str, str, QIcon | None]:
        """(text, tooltip, icon) of an entry's row: sections override it."""
        return f"#{entry.number}" + (f" · {entry.label}" if entry.label else ""), "", None

    def add(self, generation: Any, parent: HistoryEntry | None = None, label: str = "") -> HistoryEntry:
        """Append an output (the newest is at the top) and select it without a signal."""
        entry = HistoryEntry(len(self.entries) + 1, generation, parent, label)
        self.entries.append(entry)
        text, tip, icon = self.line(entry)
        item = QListWidgetItem(text)
        item.setToolTip(tip)
        if icon is not None:
            item.setIcon(icon)
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
