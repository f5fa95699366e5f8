"""A virtualised thumbnail grid: a list model over a dataset, thumbnails made on demand.

Only the visible cells ask for a thumbnail (``data(DecorationRole)``), each made
once from a pre-scaled uint8 thumbnail (computed off the GUI thread by a job)
and kept in a bounded cache, so scrolling 60,000 items stays smooth.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QListView, QWidget

from playground.ui.widgets.qimage import to_pixmap

_ModelIndex = QModelIndex | QPersistentModelIndex
CACHE_SIZE = 2_000


class ImageGridModel(QAbstractListModel):
    """Rows are images; DecorationRole gives a thumbnail, ToolTipRole the label/caption."""

    def __init__(self, parent: QWidget | None = None, cell: int = 48):
        super().__init__(parent)
        self._thumbs: np.ndarray | list[np.ndarray] | None = None
        self._tips: list[str] = []
        self._cache: OrderedDict[int, QPixmap] = OrderedDict()
        self.cell = cell

    def set_images(self, thumbs: np.ndarray | list[np.ndarray] | None, tips: list[str] | None = None) -> None:
        """Show ``thumbs`` (uint8 N x h x w x C, or a list of such images)."""
        self.beginResetModel()
        self._thumbs = thumbs
        self._tips = tips or []
        self._cache.clear()
        self.endResetModel()

    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        if parent.isValid() or self._thumbs is None:
            return 0
        return len(self._thumbs)

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self._thumbs is None:
            return None
        row = index.row()
        if role == Qt.ItemDataRole.DecorationRole:
            return self._pixmap(row)
        if role == Qt.ItemDataRole.ToolTipRole and row < len(self._tips):
            return self._tips[row]
        return None

    def _pixmap(self, row: int) -> QPixmap:
        pixmap = self._cache.get(row)
        if pixmap is None:
            assert self._thumbs is not None
            pixmap = to_pixmap(np.asarray(self._thumbs[row]), self.cell)
            self._cache[row] = pixmap
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(row)
        return pixmap


class ImageGrid(QListView):
    """The grid view: icon mode, uniform cells, batched layout."""

    def __init__(self, parent: QWidget | None = None, cell: int = 48):
        super().__init__(parent)
        self.grid_model = ImageGridModel(self, cell)
        self.setModel(self.grid_model)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(500)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setIconSize(QSize(cell, cell))
        self.setGridSize(QSize(cell + 6, cell + 6))
        self.setSpacing(0)
        self.setSelectionMode(QListView.SelectionMode.SingleSelection)
