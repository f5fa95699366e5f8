"""The list of files a loader skipped, each with its reason."""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from playground.core.data.dataset import SkippedFile


class SkippedPanel(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel()
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["File", "Why it was skipped"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.table)
        self.set_skipped([])

    def set_skipped(self, skipped: list[SkippedFile]) -> None:
        self.table.setRowCount(len(skipped))
        for row, item in enumerate(skipped):
            self.table.setItem(row, 0, QTableWidgetItem(item.path))
            self.table.setItem(row, 1, QTableWidgetItem(item.reason))
        self.table.resizeColumnToContents(0)
        self.title.setText(f"Skipped files: {len(skipped)}" if skipped else "No files were skipped.")
        self.table.setVisible(bool(skipped))
