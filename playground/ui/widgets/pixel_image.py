"""One small image drawn as large as its widget allows, pixels kept sharp (nearest neighbour).

Generated images are 28 or 32 pixels; scaled smoothly they turn to mush, so
they are drawn as blocks, centred, aspect kept, on a neutral background.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from playground.ui.widgets.qimage import to_qimage


class PixelImage(QWidget):
    clicked = Signal()  # the image was clicked

    def __init__(self, parent: QWidget | None = None, minimum: int = 48, placeholder: str = ""):
        super().__init__(parent)
        self._image: QImage | None = None
        self._array: np.ndarray | None = None
        self.placeholder = placeholder
        self.setMinimumSize(minimum, minimum)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.highlighted = False

    def set_image(self, image: np.ndarray | None) -> None:
        """Show uint8 H x W (x C) pixels (None: empty)."""
        self._array = None if image is None else np.asarray(image)
        self._image = None if image is None else to_qimage(self._array)
        self.update()

    def image(self) -> np.ndarray | None:
        return self._array

    def set_highlighted(self, on: bool) -> None:
        self.highlighted = on
        self.update()

    def image_rect(self) -> QRect:
        """Where the pixels are drawn, centred: the largest whole multiple of the image that fits, unless that
        wastes over a quarter of the room (then the exact fit: a 96-pixel image in 140 pixels)."""
        if self._image is None:
            return QRect()
        w, h = self._image.width(), self._image.height()
        scale = min(self.width() / w, self.height() / h)
        if int(scale) >= 0.75 * scale:
            scale = int(scale)
        dw, dh = int(w * scale), int(h * scale)
        return QRect((self.width() - dw) // 2, (self.height() - dh) // 2, dw, dh)

    def sizeHint(self) -> QSize:
        return QSize(128, 128)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(236, 236, 236))
        if self._image is None:
            if self.placeholder:
                painter.setPen(QColor(120, 120, 120))
                painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        target = self.image_rect()
        painter.drawImage(target, self._image)
        if self.highlighted:
            painter.setPen(QColor(230, 120, 0))
            painter.drawRect(target.adjusted(-2, -2, 1, 1))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mousePressEvent(event)
