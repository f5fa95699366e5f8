"""Sample grids over training: the latest one, or any earlier one through a timeline slider."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSizePolicy, QSlider, QVBoxLayout, QWidget

from playground.ui.widgets.qimage import to_pixmap


class SampleTimeline(QWidget):
    """Shows one grid (uint8 H x W x C) at a time; the slider scrubs back through the saved ones."""

    clicked_cell = Signal(int, int)  # (x, y) pixel position in the grid image

    def __init__(self, parent: QWidget | None = None, display_size: int = 360):
        super().__init__(parent)
        self.display_size = display_size
        self.image = QLabel("Samples appear here once training starts.")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(display_size, display_size)
        self.image.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.follow = QCheckBox("Follow latest")
        self.follow.setChecked(True)
        self.caption = QLabel()
        row = QHBoxLayout()
        row.addWidget(QLabel("Timeline"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.follow)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.image, 1)
        layout.addLayout(row)
        layout.addWidget(self.caption)
        self._steps: list[int] = []
        self._grids: list[np.ndarray] = []
        self.slider.valueChanged.connect(self._on_slider_value_changed)

    def clear(self) -> None:
        self._steps, self._grids = [], []
        self.slider.setRange(0, 0)
        self.image.clear()
        self.caption.clear()

    def add(self, step: int, grid: np.ndarray) -> None:
        self._steps.append(step)
        self._grids.append(grid)
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(self._grids) - 1)
        self.slider.blockSignals(False)
        if self.follow.isChecked():
            self.slider.setValue(len(self._grids) - 1)
            self._show(len(self._grids) - 1)

    def frames(self) -> list[np.ndarray]:
        return list(self._grids)

    def current(self) -> tuple[int, np.ndarray] | None:
        if not self._grids:
            return None
        index = self.slider.value()
        return self._steps[index], self._grids[index]

    def _on_slider_value_changed(self, index: int) -> None:
        if self._grids:
            self.follow.setChecked(index == len(self._grids) - 1)
            self._show(index)

    def _show(self, index: int) -> None:
        grid = self._grids[index]
        self.image.setPixmap(to_pixmap(grid, self.display_size))
        self.caption.setText(f"step {self._steps[index]:,} ({index + 1} of {len(self._grids)} saved grids)")
