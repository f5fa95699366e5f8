"""Live curves from a ``MetricHistory``: plot items made once, ``setData`` on each redraw."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from playground.core.runs.history import MetricHistory

PALETTE = [(214, 39, 40), (31, 119, 180), (44, 160, 44), (255, 127, 14), (148, 103, 189)]


class LossPlot(pg.PlotWidget):
    """One curve per metric key; ``refresh(history)`` redraws them all. The legend
    lists only the series that have data."""

    def __init__(self, title: str, series: list[tuple[str, str]], parent: QWidget | None = None,
                 y_range: tuple[float, float] | None = None):
        super().__init__(parent, background="w")
        self.setTitle(title, color="k", size="10pt")
        self.setLabel("bottom", "step")
        self.showGrid(x=True, y=True, alpha=0.25)
        self._legend = self.addLegend(offset=(-10, 10), labelTextColor="k")
        self._curves, self._labels, self._listed = {}, dict(series), set()
        self._span = 0  # x axis fixed to 0.._span steps (0: automatic)
        for i, (key, _label) in enumerate(series):
            pen = pg.mkPen(PALETTE[i % len(PALETTE)], width=2)
            self._curves[key] = self.plot([], [], pen=pen)
        if y_range is not None:
            self.setYRange(*y_range, padding=0.02)
            self.setMouseEnabled(y=False)

    def set_span(self, steps: int) -> None:
        """Fix the x axis to 0..steps for a run, so the axis is not re-laid out at every
        redraw (its painting was most of the GUI thread's work while training)."""
        self._span = max(1, int(steps))
        self.enableAutoRange(x=False)
        self.setXRange(0, self._span, padding=0.01)

    def refresh(self, history: MetricHistory) -> None:
        last = history.last_step()
        if self._span and last > self._span:  # a resumed run goes past the first span: grow it
            self.set_span(int(last * 1.5))
        for key, curve in self._curves.items():
            steps, values = history.steps(key), history.values(key)
            finite = np.isfinite(values)
            curve.setData(steps[finite], values[finite])
            self._list(key, bool(finite.any()))

    def clear_curves(self) -> None:
        for key, curve in self._curves.items():
            curve.setData([], [])
            self._list(key, False)

    def listed(self) -> list[str]:
        """Labels in the legend: the series that have data."""
        return [self._labels[k] for k in self._curves if k in self._listed]

    def _list(self, key: str, has_data: bool) -> None:
        """A series is in the legend only while it has data (an InfoGAN loss only when there is a code)."""
        if has_data and key not in self._listed:
            self._legend.addItem(self._curves[key], self._labels[key])
            self._listed.add(key)
        elif not has_data and key in self._listed:
            self._legend.removeItem(self._curves[key])
            self._listed.discard(key)
