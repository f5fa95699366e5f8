"""What the Sound section shows: a sound's waveform and spectrogram with Play, the filmstrip of its
spectrogram being denoised (with Play at any step), and its nearest training sound."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from playground.ui.generate.history_list import GenerationHistory, HistoryEntry
from playground.ui.generate.layouts import column, split
from playground.ui.widgets.clip_list import spectrogram_image
from playground.ui.widgets.filmstrip import Filmstrip
from playground.ui.widgets.pixel_image import PixelImage
from playground.ui.widgets.waveform_view import WaveformView

FILM_EMPTY = "The filmstrip: press Generate to watch noise become a spectrogram, step by step (low notes at the bottom)."


def square_spectrogram(spectrogram: np.ndarray) -> np.ndarray:
    """uint8 colour image of a model-scale spectrogram (bands x frames in [-1, 1]), its frames repeated so it
    is about as wide as it is tall (a sound model draws few frames: time-pooled)."""
    image = spectrogram_image(spectrogram)
    return np.repeat(image, max(1, round(image.shape[0] / image.shape[1])), axis=1)


def spectrogram_frames(film: Any) -> list[tuple[int, list[np.ndarray]]]:
    """Filmstrip frames of a sound: the noisy spectrogram and the clean guess at each step, in colour."""
    return [(int(t), [square_spectrogram(x_t), square_spectrogram(x0)]) for t, x_t, x0 in film]


class SoundResultPage(QWidget):
    """The result's waveform and spectrogram with Play and Stop, over the filmstrip with Play this step."""

    play_clicked = Signal(int)  # the clip to play
    stop_clicked = Signal()
    play_step_clicked = Signal(int)  # the filmstrip step to hear

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = QLabel("Nothing made yet.")
        self.summary.setWordWrap(True)
        self.wave = WaveformView(title="result")
        self.clip = QComboBox()
        self.clip.setToolTip("Which of the sounds made at once")
        self.play_button, self.stop_button = QPushButton("▶ Play"), QPushButton("■ Stop")
        self.filmstrip = Filmstrip(empty=FILM_EMPTY)
        self.play_step_button = QPushButton("▶ Play this step")
        self.play_step_button.setToolTip("Hear the model's guess at the step shown (Griffin-Lim turns it into sound)")
        self.play_step_button.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.summary, 1)
        row.addWidget(self.clip)
        row.addWidget(self.play_button)
        row.addWidget(self.stop_button)
        heard_drawn = split(Qt.Orientation.Horizontal, [330, 300], self.wave,  # the sound as heard | how it was drawn
                            column((self.filmstrip, 1), self.play_step_button))
        column(row, (heard_drawn, 1), into=self)
        self.play_button.clicked.connect(self._on_play_clicked)
        self.stop_button.clicked.connect(self.stop_clicked)
        self.play_step_button.clicked.connect(self._on_play_step_clicked)
        self.clip.currentIndexChanged.connect(self._on_clip_current_index_changed)
        self._generation: Any = None

    def begin(self, message: str) -> None:
        self.summary.setText(message)

    def show_generation(self, generation: Any) -> None:
        self._generation = generation
        r = generation.request
        self.summary.setText(f"“{r.prompt}”: seed {r.seed}, {r.steps} {r.sampler} steps, guidance {r.guidance:g}")
        self.clip.blockSignals(True)
        self.clip.clear()
        for i in range(len(generation.clips)):
            self.clip.addItem(f"sound {i + 1} of {len(generation.clips)}")
        self.clip.blockSignals(False)
        self.clip.setEnabled(len(generation.clips) > 1)
        self._on_clip_current_index_changed(0)
        if generation.film:
            self.filmstrip.set_frames(["noisy input x_t", "its guess of the clean spectrogram"],
                                      spectrogram_frames(generation.film))
        else:
            self.filmstrip.clear("This sound has no filmstrip (only the first of a run keeps one).")
        self.play_step_button.setEnabled(bool(generation.film))

    def current_clip(self) -> int:
        return max(0, self.clip.currentIndex())

    def _on_clip_current_index_changed(self, index: int) -> None:
        g = self._generation
        if g is not None and 0 <= index < len(g.clips):
            self.wave.set_clip(g.clips[index], g.result.sample_rate)

    def _on_play_clicked(self) -> None:
        self.play_clicked.emit(self.current_clip())

    def _on_play_step_clicked(self) -> None:
        if self.filmstrip.current() >= 0:
            self.play_step_clicked.emit(self.filmstrip.current())


class NearestClipPanel(QWidget):
    """A generated sound beside the training sound nearest to it, both playable: new, or a copy?"""

    play_result_clicked = Signal()
    play_nearest_clicked = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.found: Any = None
        title = QLabel("<b>New, or a copy?</b> The training sound whose spectrogram is nearest to the result.")
        title.setWordWrap(True)
        self.result_view = PixelImage(minimum=72, placeholder="the result")
        self.nearest_view = PixelImage(minimum=72, placeholder="its nearest training sound")
        self.result_caption, self.nearest_caption = QLabel("result"), QLabel("nearest training sound")
        self.play_result, self.play_nearest = QPushButton("▶ Play result"), QPushButton("▶ Play nearest")
        self.play_nearest.setEnabled(False)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        grid = QGridLayout()
        for col, (view, caption, button) in enumerate(((self.result_view, self.result_caption, self.play_result),
                                                       (self.nearest_view, self.nearest_caption, self.play_nearest))):
            caption.setWordWrap(True)
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(caption, 0, col)
            grid.addWidget(view, 1, col)
            grid.addWidget(button, 2, col)
            grid.setColumnStretch(col, 1)
        grid.setRowStretch(1, 1)
        column(title, (grid, 1), self.verdict, into=self)
        self.play_result.clicked.connect(self.play_result_clicked)
        self.play_nearest.clicked.connect(self.play_nearest_clicked)

    def clear(self, message: str = "") -> None:
        self.found = None
        self.result_view.set_image(None)
        self.nearest_view.set_image(None)
        self.play_nearest.setEnabled(False)
        self.verdict.setText(message)

    def begin(self, spectrogram: np.ndarray, caption: str) -> None:
        self.found = None
        self.result_view.set_image(square_spectrogram(spectrogram))
        self.result_caption.setText(caption)
        self.nearest_view.set_image(None)
        self.play_nearest.setEnabled(False)
        self.verdict.setText("Looking through the training sounds…")

    def show_nearest(self, found: Any) -> None:
        self.found = found
        self.nearest_view.set_image(square_spectrogram(found.spectrogram))
        self.nearest_caption.setText(f"“{found.caption}”" + ("" if found.real else " (rebuilt from its spectrogram)"))
        self.play_nearest.setEnabled(True)
        ratio = found.ratio
        verdict = ("<b style='color:#b00020'>sounds copied</b>: far closer to a training sound than training sounds "
                   "are to each other" if ratio < 0.5 else
                   "<b>close to a training sound</b>, but no closer than they are to each other" if ratio < 1.0 else
                   "<b style='color:#2c7a2c'>new</b>: no training sound is this close")
        self.verdict.setText(f"Spectrogram distance {found.distance:.2f}; two training sounds are typically "
                             f"{found.typical:.2f} apart (ratio {ratio:.2f}). {verdict}.")


class SoundHistory(GenerationHistory):
    """The Sound section's history: each sound as its prompt and settings."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, "every sound, with its settings", "Make the selected sound again with its settings")

    def line(self, entry: HistoryEntry) -> tuple[str, str, None]:
        g, how = entry.generation, f" · {entry.label}" if entry.label else ""
        r = g.request
        return (f"#{entry.number}{how} · “{r.prompt}” · seed {r.seed}, {len(g.clips)} sound(s), {r.steps} "
                f"{r.sampler} steps, guidance {r.guidance:g}", g.model, None)
