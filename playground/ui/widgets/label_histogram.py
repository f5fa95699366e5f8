"""A bar chart of items per label, so imbalance is visible at a glance."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget


class LabelHistogram(pg.PlotWidget):
    def __init__(self, parent: QWidget | None = None, title: str = "Items per label"):
        super().__init__(parent, background="w")
        self.setTitle(title, color="k", size="10pt")
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setMenuEnabled(False)
        self.getPlotItem().showGrid(y=True, alpha=0.3)
        self._bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=pg.mkBrush(70, 130, 180))
        self.addItem(self._bars)
        self.setMinimumHeight(140)

    def set_counts(self, counts: dict[str, int]) -> None:
        names = list(counts)
        heights = [counts[n] for n in names]
        self._bars.setOpts(x=list(range(len(names))), height=heights, width=0.8)
        step = max(1, len(names) // 20)  # at most ~20 tick labels
        ticks = [(i, names[i][:12]) for i in range(0, len(names), step)]
        self.getAxis("bottom").setTicks([ticks])
        if names:
            self.setXRange(-0.6, len(names) - 0.4, padding=0)
            self.setYRange(0, max(heights + [1]) * 1.1, padding=0)
