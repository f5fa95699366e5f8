"""A histogram of values (pixels, token lengths, amplitudes): one curve, created once, ``setData`` after."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

BINS = 48
EMPTY = 0.5  # what an empty bin is drawn as (below 1, the smallest real count)
EMPTY_LOG = float(np.log10(EMPTY))


def histogram(values: np.ndarray, bins: int = BINS, integer: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(edges, counts): how many ``values`` fall in each bin, edges one longer.

    ``integer`` gives one bin per whole number (token lengths).
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.zeros(0), np.zeros(0)
    lo, hi = float(values.min()), float(values.max())
    if integer:
        edges = np.arange(np.floor(lo) - 0.5, np.ceil(hi) + 1.0, 1.0)
    else:
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, bins + 1)
    counts, edges = np.histogram(values, bins=edges)
    return edges, counts


class ValueHistogram(pg.PlotWidget):
    """Values per bin as a filled step curve on a log scale, so a spike (MNIST's black
    background, audio's silence) does not flatten everything else."""

    def __init__(self, title: str = "", colour: tuple[int, int, int] = (70, 130, 180), parent: QWidget | None = None):
        super().__init__(parent, background="w")
        self._title = title
        self.setTitle(title, color="k", size="9pt")
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setMenuEnabled(False)
        self.getPlotItem().showGrid(y=True, alpha=0.3)
        self.setLabel("left", "count")
        self.setLogMode(y=True)
        self._curve = pg.PlotDataItem([0.0, 1.0], [1.0], stepMode="center", fillLevel=EMPTY_LOG,
                                      pen=pg.mkPen(*colour), brush=pg.mkBrush(*colour, 120))
        self._curve.setData([], [])
        self.addItem(self._curve)
        self.summary = ""
        self.setMinimumHeight(120)
        self.values_shown = 0  # how many values the curve summarises (0: empty)

    def set_values(self, values: np.ndarray | None, *, integer: bool = False, title: str | None = None) -> None:
        values = np.zeros(0) if values is None else np.asarray(values)
        edges, counts = histogram(values, integer=integer)
        self.summary = ""
        if counts.size:
            v = values.astype(np.float64, copy=False)
            self.summary = f"{v.min():.3g} to {v.max():.3g}, mean {v.mean():.3g}, std {v.std():.3g}"
        if title is not None:
            self._title = title
        summary = f"<br><span style='color:#666'>{self.summary}</span>" if self.summary else ""
        self.setTitle(self._title + summary, color="k", size="9pt")
        if counts.size == 0:
            self._curve.setData([], [])
            self.values_shown = 0
            return
        self._curve.setData(edges, np.maximum(counts, EMPTY).astype(np.float64))
        self.values_shown = int(values.size)
        self.setXRange(float(edges[0]), float(edges[-1]), padding=0.02)
        self.setYRange(EMPTY_LOG, float(np.log10(counts.max())) + 0.2, padding=0)

    def shown(self) -> tuple[np.ndarray, np.ndarray]:
        """The (edges, counts) now drawn (for tests; empty bins read as 0.5)."""
        x, y = self._curve.xData, self._curve.yData
        return (np.zeros(0) if x is None else np.asarray(x)), (np.zeros(0) if y is None else np.asarray(y))
