"""What the Images section shows: a drawing with its filmstrip, the forward process, the guidance sweep,
and "is it copying?" for one image.

Each view takes finished records (``playground.core.generate.image``) and
draws them; none starts a job.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QLabel, QSlider, QWidget

from playground.ui.generate.layouts import column, split
from playground.ui.widgets.filmstrip import Filmstrip
from playground.ui.widgets.image_grid import ImageGrid
from playground.ui.widgets.image_tiles import ImageTiles
from playground.ui.widgets.pixel_image import PixelImage

FILM_EMPTY = "The filmstrip: press Generate to watch noise become a picture, step by step."


def film_frames(generation: Any) -> tuple[list[str], list[tuple[int, list[np.ndarray]]]]:
    """Column titles and frames of a drawing's filmstrip: the noisy image and the clean guess at each step,
    and beside them the same seed without guidance when it was drawn."""
    g = generation.request.guidance
    titles = [f"noisy input x_t\nguidance {g:g}", f"its guess of the clean image\nguidance {g:g}"]
    if generation.unguided:
        titles += ["noisy input x_t\nguidance 0 (prompt ignored)", "its guess of the clean image\nguidance 0"]
    frames = []
    for k, (t, x_t, x0) in enumerate(generation.film):
        images = [x_t, x0]
        if generation.unguided and k < len(generation.unguided):
            images += [generation.unguided[k][1], generation.unguided[k][2]]
        frames.append((int(t), images))
    return titles, frames


class ResultPage(QWidget):
    """The images of one drawing (click one: is it copying?) over the filmstrip of the first."""

    image_clicked = Signal(int)  # index of the image clicked

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.grid = ImageGrid(cell=66)
        self.grid.setToolTip("Click an image to see its nearest training images")
        self.summary = QLabel("Nothing drawn yet.")
        self.summary.setWordWrap(True)
        self.filmstrip = Filmstrip(empty=FILM_EMPTY)
        column(split(Qt.Orientation.Vertical, [150, 330], column(self.summary, (self.grid, 1)), self.filmstrip),
               into=self)
        self.grid.clicked.connect(self._on_grid_clicked)

    def begin(self, message: str) -> None:
        self.summary.setText(message)

    def show_generation(self, generation: Any) -> None:
        r = generation.request
        self.grid.grid_model.set_images(generation.images, [f"image {i + 1}" for i in range(len(generation.images))])
        snapshot = f" by the snapshot at step {generation.snapshot:,}" if generation.snapshot is not None else ""
        self.summary.setText(f"“{r.prompt}”{snapshot}: {len(generation.images)} image(s), seed {r.seed}"
                             + (f", {r.steps} {r.sampler} steps, guidance {r.guidance:g}" if generation.film else ""))
        if generation.film:
            titles, frames = film_frames(generation)
            self.filmstrip.set_frames(titles, frames)
        else:
            self.filmstrip.clear("A GAN draws in one pass, so there are no denoising steps to show.")
        self.grid.setCurrentIndex(self.grid.grid_model.index(0))

    def _on_grid_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.image_clicked.emit(index.row())


class ForwardPage(QWidget):
    """Pick a training image and drag the slider: noise is added step by step until only static is left."""

    image_picked = Signal(int)  # the training image clicked

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.frames: Any = None  # the ForwardFrames shown
        self.training = ImageGrid(cell=40)
        self.training.setToolTip("The model's training images: click one")
        self.view = PixelImage(minimum=96, placeholder="Click a training image above")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setEnabled(False)
        self.slider.setToolTip("Drag right to add noise, as training does (the forward process)")
        self.label = QLabel("The forward process: training teaches the model to undo exactly this.")
        self.label.setWordWrap(True)
        column(split(Qt.Orientation.Vertical, [170, 330], self.training,
                     column((self.view, 1), self.slider, self.label)), into=self)
        self.training.clicked.connect(self._on_training_clicked)
        self.slider.valueChanged.connect(self._on_slider_value_changed)

    def set_training(self, images: np.ndarray | None, captions: tuple[str, ...] = ()) -> None:
        self.training.grid_model.set_images(images, list(captions))
        self.frames = None
        self.view.set_image(None)
        self.slider.setEnabled(False)

    def show_frames(self, frames: Any) -> None:
        self.frames = frames
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(frames.timesteps) - 1)
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(True)
        self._on_slider_value_changed(0)

    def _on_training_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.image_picked.emit(index.row())

    def _on_slider_value_changed(self, k: int) -> None:
        if self.frames is None:
            return
        f = self.frames
        self.view.set_image(f.frames[k])
        kept = f.signal[k]
        self.label.setText(f"“{f.caption}” at timestep <b>t = {f.timesteps[k]}</b> of {f.timesteps[-1]}: "
                           f"the image is scaled by {kept:.2f} and noise by {np.sqrt(max(0.0, 1 - kept ** 2)):.2f}"
                           + (" — only static is left" if kept < 0.05 else ""))


class SweepPage(QWidget):
    """The guidance sweep: agreement and diversity against the scale, and the first image at each."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.result: Any = None
        self.note = QLabel("Guidance sweep: the same prompt and seed at guidance 0 to 10, measured.")
        self.note.setWordWrap(True)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setTitle("Obeying the prompt versus variety", color="k", size="9pt")
        self.plot.setLabel("bottom", "guidance scale")
        self.plot.setLabel("left", "agreement (%) / diversity (% of the data's)")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.addLegend(offset=(-8, -8), labelTextColor="k")  # bottom right: the curves rarely go there
        self._agreement = self.plot.plot([], [], pen=pg.mkPen((44, 120, 200), width=2), symbol="o",
                                         symbolBrush=(44, 120, 200), name="agreement with the prompt")
        self._diversity = self.plot.plot([], [], pen=pg.mkPen((230, 140, 0), width=2), symbol="s",
                                         symbolBrush=(230, 140, 0), name="diversity of the images")
        self.tiles = ImageTiles(per_row=6, minimum=56)
        column(self.note, (self.plot, 1), (self.tiles, 1), into=self)

    def begin(self, scales: tuple[float, ...]) -> None:
        self.result = None
        self._agreement.setData([], [])
        self._diversity.setData([], [])
        self.tiles.set_tiles([(f"guidance {g:g}", None, "…") for g in scales])

    def show_result(self, result: Any) -> None:
        self.result = result
        g = np.array([r.guidance for r in result.rows])
        diversity = np.array([100 * r.diversity for r in result.rows])
        self._diversity.setData(g, diversity)
        if result.target is not None:
            self._agreement.setData(g, np.array([100 * (r.agreement or 0.0) for r in result.rows]))
        else:
            self._agreement.setData([], [])
        self.plot.setXRange(-0.3, float(g.max()) + 0.3, padding=0)
        self.plot.setYRange(-4, max(104.0, float(np.nanmax(diversity)) + 4), padding=0)
        self.tiles.set_tiles([(f"guidance {r.guidance:g}", r.images[0],
                               (f"agree {100 * r.agreement:.0f}% · " if r.agreement is not None else "")
                               + f"diversity {100 * r.diversity:.0f}%") for r in result.rows])
        self.note.setText(f"“{result.request.prompt}”, seed {result.request.seed}, {len(result.rows[0].images)} "
                          f"images per scale. <b>Agreement</b>: {result.note}. <b>Diversity</b>: the mean distance "
                          "between two of the images, as a share of that between two training images.")

    def agreements(self) -> list[float | None]:
        return [r.agreement for r in self.result.rows] if self.result is not None else []


class CopyingPanel(QWidget):
    """One generated image beside its nearest training images: new, or a copy?"""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.neighbours: Any = None
        title = QLabel("<b>Is it copying?</b> Click a generated image: its nearest training images, by pixel "
                       "distance.")
        title.setWordWrap(True)
        self.sample = PixelImage(minimum=96, placeholder="Click an image")
        self.tiles = ImageTiles(per_row=2, minimum=64)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        column(title, (self.sample, 1), (self.tiles, 2), self.verdict, into=self)

    def clear(self, message: str = "") -> None:
        self.neighbours = None
        self.sample.set_image(None)
        self.tiles.set_tiles([])
        self.verdict.setText(message)

    def begin(self, image: np.ndarray) -> None:
        self.sample.set_image(image)
        self.verdict.setText("Looking through the training images…")

    def show_neighbours(self, found: Any) -> None:
        self.neighbours = found
        self.sample.set_image(found.sample)
        self.tiles.set_tiles([(f"distance {d:.2f}", image, caption) for d, image, caption in
                              zip(found.distances, found.images, found.captions, strict=True)])
        ratio = found.ratio
        verdict = ("<b style='color:#b00020'>looks copied</b>: far closer to a training image than training images "
                   "are to each other" if ratio < 0.5 else
                   "<b>close to a training image</b>, but no closer than training images are to each other"
                   if ratio < 1.0 else "<b style='color:#2c7a2c'>new</b>: no training image is this close")
        self.verdict.setText(f"Nearest: {found.distances[0]:.2f}; two training images are typically "
                             f"{found.typical:.2f} apart (ratio {ratio:.2f}). {verdict}.")
