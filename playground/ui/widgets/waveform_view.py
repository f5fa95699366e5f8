"""Waveform and spectrogram of one audio clip (pyqtgraph, items created once)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from playground.core.data.stats import spectrogram


class WaveformView(QWidget):
    def __init__(self, parent: QWidget | None = None, title: str = ""):
        super().__init__(parent)
        self.wave_plot = pg.PlotWidget(background="w")
        self.wave_plot.setTitle(f"{title} waveform".strip(), color="k", size="10pt")
        self.wave_plot.setLabel("bottom", "time", units="s")
        self.wave_plot.setMouseEnabled(y=False)
        self.wave_plot.setYRange(-1, 1)
        self._curve = self.wave_plot.plot([], [], pen=pg.mkPen(30, 90, 160))
        self.spec_plot = pg.PlotWidget(background="w")
        self.spec_plot.setTitle(f"{title} spectrogram".strip(), color="k", size="10pt")
        self.spec_plot.setLabel("bottom", "time", units="s")
        self.spec_plot.setLabel("left", "frequency", units="Hz")
        self._image = pg.ImageItem()
        self._image.setColorMap(pg.colormap.get("viridis"))
        self.spec_plot.addItem(self._image)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.wave_plot, 1)
        layout.addWidget(self.spec_plot, 1)

    def set_clip(self, clip: np.ndarray | None, sample_rate: int = 16_000) -> None:
        if clip is None or len(clip) == 0:
            self._curve.setData([], [])
            self._image.clear()
            return
        mono = np.asarray(clip, dtype=np.float32)
        if mono.ndim == 2:
            mono = mono.mean(axis=1)
        step = max(1, len(mono) // 4000)  # plot at most ~4000 points
        t = np.arange(0, len(mono), step, dtype=np.float32) / sample_rate
        self._curve.setData(t, mono[::step])
        self.wave_plot.setXRange(0, len(mono) / sample_rate, padding=0)
        freqs, times, db = spectrogram(mono, sample_rate)
        self._image.setImage(db.T, autoLevels=False, levels=(float(db.max()) - 80.0, float(db.max())))
        duration = len(mono) / sample_rate
        self._image.setRect(0.0, 0.0, max(duration, 1e-3), float(sample_rate) / 2)
        self.spec_plot.setXRange(0, duration, padding=0)
        self.spec_plot.setYRange(0, sample_rate / 2, padding=0)
