"""The denoising filmstrip: at each step of sampling, what the model saw and what it guessed, scrubbable.

A row of columns (say: the noisy image and the clean guess, with and without
guidance) shows one step; the slider, or a click on the strip of small frames
below it, picks the step. Frames are handed over whole when a drawing is done,
so scrubbing never waits on a job.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QGridLayout, QLabel, QListView, QListWidget, QListWidgetItem, QSlider, QVBoxLayout, QWidget

from playground.ui.widgets.pixel_image import PixelImage
from playground.ui.widgets.qimage import to_pixmap

THUMB = 32  # px of each small frame in the strip

Frame = tuple[int, Sequence[np.ndarray | None]]  # (timestep, one uint8 image per column)


class Filmstrip(QWidget):
    frame_changed = Signal(int)  # the step shown (0: the first, pure noise)

    def __init__(self, parent: QWidget | None = None, empty: str = "", thumb_column: int = 1):
        super().__init__(parent)
        self.thumb_column = thumb_column
        self._frames: list[Frame] = []
        self.heading = QLabel(empty)
        self.heading.setWordWrap(True)
        self.columns = QGridLayout()
        self.columns.setSpacing(6)
        self.titles: list[QLabel] = []
        self.images: list[PixelImage] = []
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setEnabled(False)
        self.slider.setToolTip("Drag to scrub through the denoising steps")
        self.strip = QListWidget()
        self.strip.setViewMode(QListView.ViewMode.IconMode)
        self.strip.setFlow(QListView.Flow.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setMovement(QListView.Movement.Static)
        self.strip.setIconSize(QSize(THUMB, THUMB))
        self.strip.setGridSize(QSize(THUMB + 4, THUMB + 6))
        self.strip.setFixedHeight(THUMB + 28)
        self.strip.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addLayout(self.columns, 1)
        layout.addWidget(self.slider)
        layout.addWidget(self.strip)
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.strip.currentRowChanged.connect(self._on_strip_current_row_changed)

    def set_frames(self, titles: Sequence[str], frames: Sequence[Frame], select: int = -1) -> None:
        """Show ``frames`` (each (timestep, one image per column)) under column ``titles``; step ``select``
        first (-1: the last, the finished drawing)."""
        self._frames = list(frames)
        self._columns(titles)
        self.strip.blockSignals(True)
        self.strip.clear()
        for k, (t, images) in enumerate(self._frames):
            item = QListWidgetItem()
            image = images[self.thumb_column] if self.thumb_column < len(images) else images[0]
            if image is not None:
                item.setIcon(QIcon(to_pixmap(image, THUMB)))
            item.setToolTip(f"step {k + 1} of {len(self._frames)} (t = {t})")
            self.strip.addItem(item)
        self.strip.blockSignals(False)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(self._frames) - 1))
        self.slider.setEnabled(len(self._frames) > 1)
        self.slider.blockSignals(False)
        if self._frames:
            self.set_index(len(self._frames) - 1 if select < 0 else min(select, len(self._frames) - 1))
        else:
            self.clear()

    def clear(self, message: str = "") -> None:
        self._frames = []
        self.strip.clear()
        self.slider.setEnabled(False)
        for image in self.images:
            image.set_image(None)
        self.heading.setText(message)

    def frame_count(self) -> int:
        return len(self._frames)

    def current(self) -> int:
        return self.slider.value() if self._frames else -1

    def frame(self, k: int) -> Frame:
        return self._frames[k]

    def set_index(self, k: int) -> None:
        """Show step ``k`` (emits ``frame_changed``)."""
        if not self._frames:
            return
        k = max(0, min(k, len(self._frames) - 1))
        if self.slider.value() != k:
            self.slider.setValue(k)  # comes back through _on_slider_value_changed
        else:
            self._show(k)

    def _columns(self, titles: Sequence[str]) -> None:
        while len(self.images) < len(titles):
            i = len(self.images)
            title, image = QLabel(), PixelImage(minimum=64)
            title.setAlignment(Qt.AlignmentFlag.AlignCenter)
            title.setWordWrap(True)
            self.columns.addWidget(title, 0, i)
            self.columns.addWidget(image, 1, i)
            self.columns.setColumnStretch(i, 1)
            self.titles.append(title)
            self.images.append(image)
        for i, (title, image) in enumerate(zip(self.titles, self.images, strict=True)):
            title.setVisible(i < len(titles))
            image.setVisible(i < len(titles))
            title.setText(titles[i] if i < len(titles) else "")

    def _show(self, k: int) -> None:
        t, images = self._frames[k]
        for image, pixels in zip(self.images, images, strict=False):
            image.set_image(pixels)
        self.heading.setText(f"Step <b>{k + 1}</b> of {len(self._frames)}: timestep t = {t}"
                             + (" (pure noise going in)" if k == 0 else " (the finished drawing)" if k == len(self._frames) - 1
                                else ""))
        self.strip.blockSignals(True)
        self.strip.setCurrentRow(k)
        self.strip.blockSignals(False)
        self.strip.scrollToItem(self.strip.item(k), QListWidget.ScrollHint.PositionAtCenter)
        self.frame_changed.emit(k)

    def _on_slider_value_changed(self, value: int) -> None:
        if self._frames:
            self._show(value)

    def _on_strip_current_row_changed(self, row: int) -> None:
        if row >= 0:
            self.set_index(row)
