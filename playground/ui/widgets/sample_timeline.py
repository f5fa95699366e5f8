"""Sample grids over training: the latest one, or any earlier one through a timeline slider.

Click a cell and ``sample_clicked`` carries that sample; the grid exports as a
PNG (with the run's settings in its text fields) and the timeline as a GIF.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSizePolicy, QSlider, QVBoxLayout, QWidget

from playground.core.export import save_gif, save_png
from playground.core.runs.history import tile
from playground.ui.widgets.qimage import to_pixmap

PAD = 1  # pixels between tiles (history.tile's default)


class _GridLabel(QLabel):
    clicked_at = Signal(float, float)  # position as a fraction of the shown pixmap, in [0, 1]

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pixmap = self.pixmap()
        if pixmap is None or pixmap.isNull():
            return
        ox, oy = (self.width() - pixmap.width()) / 2, (self.height() - pixmap.height()) / 2
        fx = (event.position().x() - ox) / pixmap.width()
        fy = (event.position().y() - oy) / pixmap.height()
        if 0 <= fx < 1 and 0 <= fy < 1:
            self.clicked_at.emit(fx, fy)


class SampleTimeline(QWidget):
    """Shows one grid at a time; the slider scrubs back through the saved ones."""

    sample_clicked = Signal(object)  # uint8 H x W x C

    def __init__(self, parent: QWidget | None = None, display_size: int = 360):
        super().__init__(parent)
        self.display_size = display_size
        self.image = _GridLabel("Samples appear here once training starts.")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(display_size, display_size)
        self.image.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.follow = QCheckBox("Follow latest")
        self.follow.setChecked(True)
        self.caption = QLabel()
        self.caption.setWordWrap(True)  # a prompt list as long as the digits' would widen the whole window
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
        self._samples: list[np.ndarray] = []
        self._grids: list[np.ndarray] = []
        self._cols: list[int] = []
        self._layout = ""
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.image.clicked_at.connect(self._on_image_clicked_at)

    def clear(self) -> None:
        self._steps, self._samples, self._grids, self._cols = [], [], [], []
        self.slider.setRange(0, 0)
        self.image.clear()
        self.caption.clear()

    def add(self, step: int, samples: np.ndarray, cols: int, layout: str = "") -> None:
        """Add the samples (uint8 N x H x W x C) of one step, shown ``cols`` to a row;
        ``layout`` says what the rows are (shown under the grid)."""
        self._layout = layout
        self._steps.append(step)
        self._samples.append(samples)
        self._cols.append(cols)
        self._grids.append(tile(samples, cols, pad=PAD))
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(self._grids) - 1)
        self.slider.blockSignals(False)
        if self.follow.isChecked():
            self.slider.setValue(len(self._grids) - 1)
            self._show(len(self._grids) - 1)

    def frames(self) -> list[np.ndarray]:
        return list(self._grids)

    def current(self) -> tuple[int, np.ndarray] | None:
        """(step, grid image) of the grid shown, or None before the first."""
        if not self._grids:
            return None
        index = self.slider.value()
        return self._steps[index], self._grids[index]

    def export_png(self, path: str, metadata: Mapping[str, Any]) -> None:
        current = self.current()
        if current is None:
            raise ValueError("there is no sample grid to export yet: train for a few steps first")
        save_png(path, current[1], dict(metadata) | {"playground.step": str(current[0])}, scale=4)

    def export_gif(self, path: str) -> None:
        save_gif(path, self.frames(), scale=3)

    def _on_slider_value_changed(self, index: int) -> None:
        if self._grids:
            self.follow.setChecked(index == len(self._grids) - 1)
            self._show(index)

    def _on_image_clicked_at(self, fx: float, fy: float) -> None:
        if not self._grids:
            return
        index = self.slider.value()
        samples, cols, grid = self._samples[index], self._cols[index], self._grids[index]
        h, w = samples.shape[1:3]
        col = int(fx * grid.shape[1]) // (w + PAD)
        row = int(fy * grid.shape[0]) // (h + PAD)
        cell = row * cols + col
        if 0 <= col < cols and 0 <= cell < len(samples):
            self.sample_clicked.emit(samples[cell])

    def _show(self, index: int) -> None:
        self.image.setPixmap(to_pixmap(self._grids[index], self.display_size))
        text = f"step {self._steps[index]:,} ({index + 1} of {len(self._grids)} saved grids)"
        self.caption.setText(f"{text}; {self._layout}" if self._layout else text)
