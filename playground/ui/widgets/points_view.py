"""GAN Lab's view of a 2D GAN: the discriminator's belief as a heatmap, real and fake
points, and the generator's gradient arrows on the fakes."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from playground.core.events import PointsView


class PointsGANView(pg.PlotWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, background="w")
        self.setAspectLocked(True)
        self.setTitle("Real (green), generated (purple), D's belief 'real' (heatmap)", color="k", size="10pt")
        self.surface = pg.ImageItem()
        # D's belief: purple where it says "fake" (0), green where it says "real" (1).
        self.surface.setColorMap(pg.ColorMap([0.0, 0.5, 1.0], [(150, 80, 190), (250, 250, 250), (60, 170, 90)]))
        self.surface.setOpacity(0.55)
        self.addItem(self.surface)
        self.real = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(20, 140, 60, 150))
        self.fake = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(120, 40, 170, 200))
        self.arrows = pg.PlotDataItem(pen=pg.mkPen(60, 60, 60, 160), connect="pairs")
        for item in (self.real, self.fake, self.arrows):
            self.addItem(item)
        self._ranged = False

    def show_frame(self, view: PointsView, arrow_scale: float = 0.15) -> None:
        real, fake = np.asarray(view.real), np.asarray(view.fake)
        gx, gy = np.asarray(view.grid_x), np.asarray(view.grid_y)
        surface = np.asarray(view.d_surface)  # H x W, rows follow grid_y
        self.surface.setImage(surface.T, levels=(0.0, 1.0))
        self.surface.setRect(float(gx[0]), float(gy[0]), float(gx[-1] - gx[0]), float(gy[-1] - gy[0]))
        self.real.setData(real[:, 0], real[:, 1])
        self.fake.setData(fake[:, 0], fake[:, 1])
        grad = np.asarray(view.grad)
        norm = np.linalg.norm(grad, axis=1, keepdims=True)
        scale = arrow_scale / max(float(np.percentile(norm, 95)) if len(norm) else 1.0, 1e-8)
        ends = fake + grad * scale
        segments = np.empty((2 * len(fake), 2), dtype=np.float32)
        segments[0::2], segments[1::2] = fake, ends
        self.arrows.setData(segments[:, 0], segments[:, 1])
        if not self._ranged:
            self.setXRange(float(gx[0]), float(gx[-1]), padding=0)
            self.setYRange(float(gy[0]), float(gy[-1]), padding=0)
            self._ranged = True

    def reset(self) -> None:
        self._ranged = False
        for item in (self.real, self.fake, self.arrows):
            item.setData([], [])
        self.surface.clear()
