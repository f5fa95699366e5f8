"""The files a loader skipped, grouped by kind of problem (damaged first), each with its reason."""

from __future__ import annotations

import os
from collections.abc import Sequence

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from playground.core.data.file_scan import shown_path
from playground.core.data.skipped import OTHER_TYPE, SkippedFile, group_skipped, summary

MAX_ROWS = 500  # files listed per group; a folder of 60,000 other files would make the tree slow to build
OPEN_UP_TO = 50  # a group of files we do not read starts folded when larger than this


class SkippedPanel(QWidget):
    """A title with the counts, and a tree: one row per kind of problem, the files under it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["File", "Why it was skipped"])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.tree.header().setStretchLastSection(True)
        self.tree.setUniformRowHeights(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.tree)
        self.set_skipped([])

    def set_skipped(self, skipped: Sequence[SkippedFile], root: str | None = None) -> None:
        """Show ``skipped``; paths are shown relative to the folder ``root`` (default: their common folder)."""
        self.tree.clear()
        groups = group_skipped(skipped)
        if root is None:
            root = _common_folder([s.path for s in skipped])
        bold = QFont()
        bold.setBold(True)
        for group in groups:
            head = QTreeWidgetItem([f"{group.title} ({group.count:,})"])
            head.setFont(0, bold)
            self.tree.addTopLevelItem(head)
            head.setFirstColumnSpanned(True)
            for item in group.files[:MAX_ROWS]:
                row = QTreeWidgetItem([shown_path(item.path, root), item.reason])
                row.setToolTip(0, item.path)
                row.setToolTip(1, item.reason)
                head.addChild(row)
            if group.count > MAX_ROWS:
                more = QTreeWidgetItem([f"… and {group.count - MAX_ROWS:,} more "
                                        "(python -m playground datasets inspect --json lists all)"])
                head.addChild(more)
                more.setFirstColumnSpanned(True)
            head.setExpanded(group.kind != OTHER_TYPE or group.count <= OPEN_UP_TO)
        self.tree.resizeColumnToContents(0)
        self.tree.setColumnWidth(0, min(self.tree.columnWidth(0), 420))
        if skipped:
            self.title.setText(f"Skipped files: {len(skipped):,} — {summary(groups)}")
        else:
            self.title.setText("No files were skipped.")
        self.tree.setVisible(bool(skipped))


def _common_folder(paths: list[str]) -> str:
    try:
        return os.path.commonpath([os.path.dirname(p) for p in paths]) if paths else ""
    except ValueError:  # paths on different drives (Windows), or relative mixed with absolute
        return ""
