"""Live curves from a ``MetricHistory``: plot items made once, ``setData`` on each redraw."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from playground.core.training.history import MetricHistory

PALETTE = [(214, 39, 40), (31, 119, 180), (44, 160, 44), (255, 127, 14), (148, 103, 189)]


class LossPlot(pg.PlotWidget):
    """One curve per metric key; ``refresh(history)`` redraws them all."""

    def __init__(self, title: str, series: list[tuple[str, str]], parent: QWidget | None = None,
                 y_range: tuple[float, float] | None = None):
        super().__init__(parent, background="w")
        self.setTitle(title, color="k", size="10pt")
        self.setLabel("bottom", "step")
        self.showGrid(x=True, y=True, alpha=0.25)
        self.addLegend(offset=(-10, 10), labelTextColor="k")
        self._curves = {}
        for i, (key, label) in enumerate(series):
            pen = pg.mkPen(PALETTE[i % len(PALETTE)], width=2)
            self._curves[key] = self.plot([], [], pen=pen, name=label)
        if y_range is not None:
            self.setYRange(*y_range, padding=0.02)
            self.setMouseEnabled(y=False)

    def refresh(self, history: MetricHistory) -> None:
        for key, curve in self._curves.items():
            steps, values = history.steps(key), history.values(key)
            finite = np.isfinite(values)
            curve.setData(steps[finite], values[finite])

    def clear_curves(self) -> None:
        for curve in self._curves.values():
            curve.setData([], [])
