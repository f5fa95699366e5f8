"""Quality, measured: class shares (data vs samples), Fréchet distance and coverage over training."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from playground.core.runs.history import MetricHistory
from playground.ui.widgets.loss_plot import LossPlot


class ClassShareChart(pg.PlotWidget):
    """Side-by-side bars: each class's share of the data and of the generated samples."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, background="w")
        self.setTitle("Share per class: data (grey), samples (blue)", color="k", size="9pt")
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self._data = pg.BarGraphItem(x=[], height=[], width=0.4, brush=pg.mkBrush(170, 170, 170))
        self._samples = pg.BarGraphItem(x=[], height=[], width=0.4, brush=pg.mkBrush(31, 119, 180))
        self.addItem(self._data)
        self.addItem(self._samples)

    def set_shares(self, names: list[str], data_share: np.ndarray, sample_share: np.ndarray) -> None:
        x = np.arange(len(names), dtype=float)
        self._data.setOpts(x=x - 0.2, height=np.asarray(data_share, dtype=float), width=0.4)
        self._samples.setOpts(x=x + 0.2, height=np.asarray(sample_share, dtype=float), width=0.4)
        step = max(1, len(names) // 15)
        self.getAxis("bottom").setTicks([[(i, names[i][:8]) for i in range(0, len(names), step)]])
        top = float(max(np.max(data_share, initial=0.0), np.max(sample_share, initial=0.0), 0.1))
        self.setYRange(0, top * 1.15, padding=0)
        self.setXRange(-0.7, len(names) - 0.3, padding=0)


class QualityPanel(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.shares = ClassShareChart()
        self.fid_plot = LossPlot("Fréchet distance to the data (classifier features; lower is closer)", [("fid", "FD")])
        self.coverage_plot = LossPlot("Coverage and confidence", [("coverage", "classes covered"), ("confident", "confident samples")], y_range=(0, 1))
        self.summary = QLabel("The classifier's verdicts appear once training starts.")
        self.summary.setWordWrap(True)
        self.pages = QTabWidget()
        self.pages.addTab(self.shares, "Classes")
        self.pages.addTab(self.fid_plot, "Fréchet distance")
        self.pages.addTab(self.coverage_plot, "Coverage")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.pages, 1)

    def refresh(self, history: MetricHistory) -> None:
        self.fid_plot.refresh(history)
        self.coverage_plot.refresh(history)

    def set_shares(self, names: list[str], data_share: np.ndarray, sample_share: np.ndarray) -> None:
        self.shares.set_shares(names, data_share, sample_share)
        top = int(np.argmax(sample_share)) if len(sample_share) else 0
        low = int(np.argmin(sample_share)) if len(sample_share) else 0
        self.summary.setText(
            f"The classifier (a discriminative model trained on the same data) says the samples are most often "
            f"'{names[top]}' ({float(sample_share[top]):.0%}; {float(data_share[top]):.0%} of the data) and least often "
            f"'{names[low]}' ({float(sample_share[low]):.0%}; {float(data_share[low]):.0%} of the data).")

    def clear(self, points: bool = False) -> None:
        """Forget the last run; in 2D mode there is no classifier, so say how to judge instead."""
        self.fid_plot.clear_curves()
        self.coverage_plot.clear_curves()
        self.shares.set_shares([], np.zeros(0), np.zeros(0))
        self.pages.setVisible(not points)
        self.summary.setText(
            "2D mode: compare the purple (generated) and green (real) points. Every cluster the generator "
            "misses is a mode it dropped; the arrows show where G is pushed next." if points else
            "The classifier's verdicts appear once training starts.")
