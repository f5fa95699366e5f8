"""Sounds a model made: each as its spectrogram with its caption, played with a click.

Spectrograms come as the model draws them (float bands x frames in [-1, 1],
-1 is silence) and are shown low frequencies at the bottom, in a perceptual
colour map. Playback goes through PortAudio (``playground.core.audio_out``);
without a device the widget says so in words and everything else still works.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from playground.core.audio_out import AudioUnavailable, play, stop
from playground.ui.widgets.qimage import to_pixmap

# A short perceptual ramp (dark violet -> orange -> pale yellow, like "magma"), interpolated to 256 levels.
_STOPS = np.array([[0, 0, 4], [59, 15, 112], [140, 41, 129], [222, 73, 104], [254, 159, 109], [252, 253, 191]], float)
_LUT = np.stack([np.interp(np.linspace(0, 1, 256), np.linspace(0, 1, len(_STOPS)), _STOPS[:, c]) for c in range(3)],
                axis=1).astype(np.uint8)


def spectrogram_image(spec: np.ndarray) -> np.ndarray:
    """uint8 bands x frames x 3 of a model-scale spectrogram (float bands x frames in [-1, 1]), low bands at the bottom."""
    level = np.clip((np.asarray(spec, dtype=np.float32) + 1.0) * 127.5, 0, 255).astype(np.uint8)
    return _LUT[level[::-1]]


class ClipList(QWidget):
    """A list of (spectrogram, caption) rows; Play plays the selected one (or a double-clicked one)."""

    def __init__(self, parent: QWidget | None = None, icon_size: int = 72):
        super().__init__(parent)
        self._clips: list[np.ndarray] = []
        self._rate = 16_000
        self.list = QListWidget()
        self.list.setIconSize(QSize(icon_size * 2, icon_size))
        self.play_button, self.stop_button = QPushButton("Play"), QPushButton("Stop")
        self.message = QLabel()
        self.message.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.play_button)
        row.addWidget(self.stop_button)
        row.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        self.play_button.clicked.connect(self._on_play_clicked)
        self.stop_button.clicked.connect(self._on_stop_clicked)
        self.list.itemDoubleClicked.connect(self._on_list_item_double_clicked)

    def set_clips(self, clips: np.ndarray, sample_rate: int, spectrograms: np.ndarray | None, captions: list[str],
                  heading: str = "") -> None:
        """Show float32 N x L ``clips`` with their spectrograms (N x bands x frames) and captions."""
        self._clips, self._rate = [np.asarray(c, dtype=np.float32) for c in clips], int(sample_rate)
        self.list.clear()
        for i, clip in enumerate(self._clips):
            text = captions[i] if i < len(captions) else f"clip {i + 1}"
            item = QListWidgetItem(f"{heading}{text}  ({len(clip) / self._rate:.1f} s)")
            if spectrograms is not None:
                item.setIcon(QIcon(to_pixmap(spectrogram_image(spectrograms[i]))))
            self.list.addItem(item)
        if self._clips and self.list.currentRow() < 0:
            self.list.setCurrentRow(0)

    def clips(self) -> list[np.ndarray]:
        return list(self._clips)

    def play_row(self, row: int) -> bool:
        """Play clip ``row``; False (and a message in words) when there is no sound output."""
        if not 0 <= row < len(self._clips):
            return False
        try:
            seconds = play(self._clips[row], self._rate)
        except AudioUnavailable as exc:
            self.message.setText(str(exc))
            return False
        self.message.setText(f"Playing {seconds:.1f} s")
        return True

    def _on_play_clicked(self) -> None:
        self.play_row(max(0, self.list.currentRow()))

    def _on_stop_clicked(self) -> None:
        stop()
        self.message.clear()

    def _on_list_item_double_clicked(self, item: QListWidgetItem) -> None:
        self.play_row(self.list.row(item))


__all__ = ["ClipList", "spectrogram_image"]
