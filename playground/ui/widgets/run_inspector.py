"""Under the sample grid: is a sample a copy (its nearest training image) and a walk
through latent space between two seeds, both computed in jobs."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from playground.core.metrics.nearest import NearestResult, nearest_job
from playground.ui.job_runner import JobRunner
from playground.ui.widgets.qimage import to_pixmap

NO_CHECKPOINT = "A latent walk needs a saved checkpoint: it appears once the run saves one."


class LatentStrip(QWidget):
    """Seed A -> seed B: ten samples along a straight line in the generator's input space."""

    def __init__(self, runner: JobRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self._runner = runner
        self._checkpoint: str | None = None
        self.seed_a, self.seed_b = QSpinBox(), QSpinBox()
        for spin, value in ((self.seed_a, 1), (self.seed_b, 2)):
            spin.setRange(0, 2**31 - 1)
            spin.setValue(value)
        self.button = QPushButton("Walk from seed A to seed B")
        self.strip = QLabel(NO_CHECKPOINT)
        self.strip.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.strip.setMinimumHeight(48)
        row = QHBoxLayout()
        row.addWidget(QLabel("Seed A"))
        row.addWidget(self.seed_a)
        row.addWidget(QLabel("Seed B"))
        row.addWidget(self.seed_b)
        row.addWidget(self.button, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.strip)
        self.button.setEnabled(False)
        self.button.clicked.connect(self._on_button_clicked)

    def set_checkpoint(self, path: str | None) -> None:
        had = self._checkpoint is not None
        self._checkpoint = path
        self.button.setEnabled(path is not None)
        if path is None:
            self.strip.setText(NO_CHECKPOINT)
        elif not had:
            self.strip.setText("Pick two seeds and walk from A to B through the saved checkpoint's latent space.")

    def _on_button_clicked(self) -> None:
        if self._checkpoint is None:
            return
        from playground.core.families.generators import interpolation_job  # imports torch: not at start-up

        handle = self._runner.start("interpolate", interpolation_job(self._checkpoint, self.seed_a.value(), self.seed_b.value()))
        handle.finished.connect(self._on_job_finished)
        handle.failed.connect(self.strip.setText)

    def _on_job_finished(self, images: object) -> None:
        frames = np.asarray(images)
        strip = np.concatenate(list(frames), axis=1)  # steps side by side
        self.strip.setPixmap(to_pixmap(strip, None).scaledToHeight(56, Qt.TransformationMode.FastTransformation))


class NearestPanel(QWidget):
    """A sample beside its nearest training image, and what the distance says."""

    def __init__(self, runner: JobRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self._runner = runner
        self.sample_image, self.nearest_image = QLabel(), QLabel()
        for label in (self.sample_image, self.nearest_image):
            label.setFixedSize(84, 84)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setStyleSheet("background: #222;")
        self.text = QLabel("Click a sample in the grid to find its nearest training image: is it copying?")
        self.text.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.sample_image)
        layout.addWidget(self.nearest_image)
        layout.addWidget(self.text, 1)

    def find(self, sample: np.ndarray, train: np.ndarray | None) -> None:
        if train is None or train.shape[1:] != sample.shape:
            self.text.setText("Nearest images need the training data at the samples' size: prepare it on the Preprocess tab.")
            return
        self.text.setText("Searching the training images…")
        handle = self._runner.start("nearest", nearest_job(sample, train))
        handle.finished.connect(self._on_job_finished)
        handle.failed.connect(self.text.setText)

    def _on_job_finished(self, result: object) -> None:
        assert isinstance(result, NearestResult)
        self.sample_image.setPixmap(to_pixmap(result.sample, 84))
        self.nearest_image.setPixmap(to_pixmap(result.nearest, 84))
        verdict = ("closer than training images are to each other: it may be a near copy" if result.looks_copied
                   else "a new image, not a copy")
        self.text.setText(f"Left: the sample. Right: training image #{result.index}, distance {result.distance:.2f} "
                          f"(training images are typically {result.typical:.2f} from their nearest neighbour): {verdict}.")

    def clear(self) -> None:
        self.sample_image.clear()
        self.nearest_image.clear()
