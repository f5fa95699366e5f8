"""Images side by side, each under a title with a caption below: seeds, snapshots, guidance scales,
nearest neighbours. Click one to pick it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from playground.ui.widgets.pixel_image import PixelImage


class ImageTiles(QWidget):
    tile_clicked = Signal(int)  # index of the tile clicked

    def __init__(self, parent: QWidget | None = None, per_row: int = 4, minimum: int = 64):
        super().__init__(parent)
        self.per_row, self.minimum = per_row, minimum
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(6)
        self.images: list[PixelImage] = []
        self.titles: list[QLabel] = []
        self.captions: list[QLabel] = []
        self._cells: list[QWidget] = []

    def set_tiles(self, tiles: Sequence[tuple[str, np.ndarray | None, str]]) -> None:
        """Show (title, uint8 image or None while it is made, caption) tiles, ``per_row`` to a row."""
        self._resize(len(tiles))
        for i, (title, image, caption) in enumerate(tiles):
            self.titles[i].setText(title)
            self.images[i].set_image(image)
            self.captions[i].setText(caption)

    def set_tile(self, i: int, image: np.ndarray | None, caption: str | None = None) -> None:
        self.images[i].set_image(image)
        if caption is not None:
            self.captions[i].setText(caption)

    def count(self) -> int:
        return len(self.images)

    def select(self, index: int) -> None:
        """Outline tile ``index`` (-1: none)."""
        for i, image in enumerate(self.images):
            image.set_highlighted(i == index)

    def _resize(self, n: int) -> None:
        while len(self.images) > n:
            self.titles.pop(), self.images.pop(), self.captions.pop()
            cell = self._cells.pop()
            self.grid.removeWidget(cell)
            cell.deleteLater()
        while len(self.images) < n:
            i = len(self.images)
            cell = QWidget()
            box = QVBoxLayout(cell)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(2)
            title, image, caption = QLabel(), PixelImage(minimum=self.minimum), QLabel()
            for label in (title, caption):
                label.setAlignment(Qt.AlignmentFlag.AlignCenter)
                label.setWordWrap(True)
            image.clicked.connect(lambda i=i: self.tile_clicked.emit(i))
            box.addWidget(title)
            box.addWidget(image, 1)
            box.addWidget(caption)
            self.grid.addWidget(cell, i // self.per_row, i % self.per_row)
            self._cells.append(cell)
            self.titles.append(title)
            self.images.append(image)
            self.captions.append(caption)
