"""The GAN's panel: the generic views plus a latent walk, and the measured quality beside them.

Right column: the judging classifier's verdicts (class shares of data and
samples, Fréchet distance, coverage) and "is it copying?" (click a sample: its
nearest training image). Under the grid: a walk through latent space between
two seeds, from the last checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtWidgets import QGroupBox, QVBoxLayout, QWidget

from playground.core.events import ImageGrid, View
from playground.core.runs.history import MetricHistory
from playground.ui.family_panels.views_panel import ViewsPanel
from playground.ui.job_runner import JobRunner
from playground.ui.widgets.quality_panel import QualityPanel
from playground.ui.widgets.run_inspector import LatentStrip, NearestPanel


class GANPanel(ViewsPanel):
    def __init__(self, runner: JobRunner, parent: QWidget | None = None):
        super().__init__(runner, parent)
        self._training_images: Callable[[], np.ndarray | None] = lambda: None
        self.latent = LatentStrip(runner)
        self.body.addWidget(self.latent)
        self.quality = QualityPanel()
        self.nearest = NearestPanel(runner)
        self._side = QGroupBox("Quality, measured")
        side = QVBoxLayout(self._side)
        side.addWidget(self.quality, 1)
        side.addWidget(self.nearest)
        self.timeline.sample_clicked.connect(self._on_timeline_sample_clicked)

    def side_widget(self) -> QWidget | None:
        return self._side

    def set_training_images(self, images: Callable[[], np.ndarray | None]) -> None:
        """Where "is it copying?" finds the training images (uint8 N x H x W x C at the samples' size)."""
        self._training_images = images

    def reset(self, kinds: frozenset[str]) -> None:
        super().reset(kinds)
        points = "points" in kinds
        self.quality.clear(points)
        self.nearest.clear()
        self.nearest.setVisible(not points)
        self.latent.setVisible(not points)
        self.latent.set_checkpoint(None)
        for button in (self.export_png_button, self.export_gif_button):
            button.setVisible(not points)

    def show_view(self, view: View) -> None:
        super().show_view(view)
        if isinstance(view, ImageGrid) and view.class_share is not None and view.data_share is not None:
            self.quality.set_shares(list(view.label_names), np.asarray(view.data_share), np.asarray(view.class_share))

    def refresh(self, history: MetricHistory) -> None:
        super().refresh(history)
        self.quality.refresh(history)

    def set_checkpoint(self, path: str | None) -> None:
        self.latent.set_checkpoint(path)

    def _on_timeline_sample_clicked(self, sample: np.ndarray) -> None:
        self.nearest.find(sample, self._training_images())
