"""The right-hand side of the Datasets tab: one view per modality."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.core import audio_out
from playground.core.data import notes
from playground.core.data.dataset import AudioDataset, ImageDataset, PointsDataset, TextDataset
from playground.core.data.overview import DatasetOverview
from playground.ui.widgets.image_grid import ImageGrid
from playground.ui.widgets.label_histogram import LabelHistogram
from playground.ui.widgets.qimage import to_pixmap
from playground.ui.widgets.waveform_view import WaveformView

TEXT_PREVIEW_CHARS = 200_000
LABEL_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                 (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def _table(headers: tuple[str, str]) -> QTableWidget:
    table = QTableWidget(0, 2)
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    return table


def _fill(table: QTableWidget, rows: list[tuple[str, object]]) -> None:
    table.setRowCount(len(rows))
    for r, (key, value) in enumerate(rows):
        table.setItem(r, 0, QTableWidgetItem(str(key)))
        table.setItem(r, 1, QTableWidgetItem(f"{value:,}" if isinstance(value, int) else str(value)))


def _stats_html(rows: list[tuple[str, object]]) -> str:
    cells = "".join(f"<tr><td><b>{html.escape(k)}</b>&nbsp;</td><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


class ImagesView(QWidget):
    """Thumbnail grid, the selected image large, a per-label histogram and stats."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.grid = ImageGrid(self)
        self.histogram = LabelHistogram(self)
        self.stats = QLabel()
        self.stats.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.selected_image = QLabel()
        self.selected_image.setFixedSize(128, 128)
        self.selected_image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.selected_caption = QLabel("Click an image to see it larger.")
        self.selected_caption.setWordWrap(True)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.histogram, 2)
        side_layout.addWidget(self.stats)
        row = QHBoxLayout()
        row.addWidget(self.selected_image)
        row.addWidget(self.selected_caption, 1)
        side_layout.addLayout(row)
        splitter = QSplitter(self)
        splitter.addWidget(self.grid)
        splitter.addWidget(side)
        splitter.setSizes([600, 360])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._dataset: ImageDataset | None = None
        self.grid.clicked.connect(self._on_grid_clicked)

    def show_overview(self, overview: DatasetOverview) -> None:
        dataset = overview.dataset
        assert isinstance(dataset, ImageDataset)
        self._dataset = dataset
        tips = [self._describe(i) for i in range(len(dataset))] if len(dataset) <= 100_000 else None
        self.grid.grid_model.set_images(overview.thumbnails, tips)
        self.histogram.set_counts(dataset.label_counts())
        s = overview.stats
        sizes = ", ".join(f"{z['width']}x{z['height']} ({z['count']:,})" for z in s.get("sizes", [])[:3])
        rows = [("Images", f"{len(dataset):,}"), ("Labels", f"{len(dataset.label_names):,}"), ("Sizes", sizes),
                ("Channels", s.get("channels", "")), ("Pixel mean", _fmt(s.get("mean"))), ("Pixel std", _fmt(s.get("std")))]
        self.stats.setText(_stats_html(rows))
        self.selected_image.clear()
        self.selected_caption.setText("Click an image to see it larger.")

    def _describe(self, index: int) -> str:
        assert self._dataset is not None
        ds = self._dataset
        label = int(ds.labels[index])
        text = f"#{index}  label: {ds.label_names[label] if label >= 0 else '(none)'}"
        if ds.captions:
            text += f"\n{ds.captions[index]}"
        return text

    def _on_grid_clicked(self, index) -> None:
        if self._dataset is None:
            return
        image = self._dataset.image(index.row())
        self.selected_image.setPixmap(to_pixmap(image, 128))
        self.selected_caption.setText(self._describe(index.row()))


def note_name(midi: int) -> str:
    """A MIDI note as a name and octave: 60 -> "C4 (60)"."""
    return f"{notes.note_name(midi)} ({midi})"


def _visible(ch: str) -> str:
    """Whitespace characters by name, so a table cell is never blank."""
    return {" ": "␠ space", "\n": "↵ newline", "\t": "⇥ tab"}.get(ch, repr(ch)[1:-1] if ch.isspace() else ch)


def _fmt(values) -> str:
    if values is None:
        return ""
    return ", ".join(f"{float(v):.3f}" for v in np.atleast_1d(values))


class TextView(QWidget):
    """Corpus statistics, the most frequent words and characters, and a preview."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.stats = QLabel()
        self.words = _table(("Word", "Count"))
        self.chars = _table(("Character", "Count"))
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        tables = QHBoxLayout()
        tables.addWidget(self.words)
        tables.addWidget(self.chars)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.stats)
        side_layout.addLayout(tables, 1)
        splitter = QSplitter(self)
        splitter.addWidget(self.preview)
        splitter.addWidget(side)
        splitter.setSizes([560, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def show_overview(self, overview: DatasetOverview) -> None:
        dataset = overview.dataset
        assert isinstance(dataset, TextDataset)
        s = overview.stats
        rows = [("Characters", f"{s.get('characters', dataset.items):,}"), ("Lines", f"{s.get('lines', 0):,}"),
                ("Words", f"{s.get('words', 0):,}"), ("Distinct characters", f"{s.get('distinct_characters', 0):,}")]
        self.stats.setText(_stats_html(rows))
        _fill(self.words, [(w, c) for w, c in s.get("top_words", [])])
        _fill(self.chars, [(_visible(ch), c) for ch, c in s.get("top_characters", [])])
        text = dataset.text[:TEXT_PREVIEW_CHARS]
        if len(dataset.text) > TEXT_PREVIEW_CHARS:
            text += f"\n\n[... preview ends here; {len(dataset.text) - TEXT_PREVIEW_CHARS:,} more characters ...]"
        self.preview.setPlainText(text)


class AudioView(QWidget):
    """A table of clips, the selected clip's waveform and spectrogram, and Play."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Label", "Duration (s)", "Sample rate", "Pitch", "Caption"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.waveform = WaveformView(self)
        self.play_button = QPushButton("Play")
        self.sound_message = QLabel()
        self.sound_message.setWordWrap(True)
        self.stats = QLabel()
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.waveform, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.play_button)
        buttons.addWidget(self.sound_message, 1)
        side_layout.addLayout(buttons)
        side_layout.addWidget(self.stats)
        splitter = QSplitter(self)
        splitter.addWidget(self.table)
        splitter.addWidget(side)
        splitter.setSizes([420, 540])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._dataset: AudioDataset | None = None
        self.table.currentCellChanged.connect(self._on_table_current_changed)
        self.play_button.clicked.connect(self._on_play_clicked)

    def show_overview(self, overview: DatasetOverview) -> None:
        dataset = overview.dataset
        assert isinstance(dataset, AudioDataset)
        self._dataset = dataset
        self.table.setRowCount(len(dataset))
        for row in range(len(dataset)):
            label = int(dataset.labels[row])
            pitch = note_name(int(dataset.pitches[row])) if dataset.pitches is not None else ""
            cells = [dataset.label_names[label] if label >= 0 else "(none)", f"{dataset.duration(row):.2f}",
                     f"{int(dataset.sample_rates[row]):,} Hz", pitch, dataset.captions[row] if dataset.captions else ""]
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
        s = overview.stats
        self.stats.setText(_stats_html([(k.replace("_", " ").capitalize().replace("db", "dB"), v) for k, v in s.items() if not isinstance(v, (dict, list))]))
        if len(dataset):
            self.table.selectRow(0)
            self._show_clip(0)

    def selected_row(self) -> int:
        return max(0, self.table.currentRow())

    def _on_table_current_changed(self, row: int, _col: int, _prev_row: int, _prev_col: int) -> None:
        if row >= 0:
            self._show_clip(row)

    def _show_clip(self, row: int) -> None:
        assert self._dataset is not None
        self.waveform.set_clip(self._dataset.clips[row], int(self._dataset.sample_rates[row]))

    def _on_play_clicked(self) -> None:
        if self._dataset is None or not len(self._dataset):
            return
        row = self.selected_row()
        try:
            seconds = audio_out.play(self._dataset.clips[row], int(self._dataset.sample_rates[row]))
        except audio_out.AudioUnavailable as exc:
            self.sound_message.setText(str(exc))
        else:
            self.sound_message.setText(f"Playing clip {row} ({seconds:.1f} s)")


class PointsView(QWidget):
    """A scatter plot of 2D points coloured by label."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setAspectLocked(True)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.scatter = pg.ScatterPlotItem(size=5, pen=None)
        self.plot.addItem(self.scatter)
        self.stats = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.stats)

    def show_overview(self, overview: DatasetOverview) -> None:
        dataset = overview.dataset
        assert isinstance(dataset, PointsDataset)
        # One brush per colour, shared by its points: a brush per point made pyqtgraph
        # draw each symbol anew (0.3 s on the GUI thread for 2,000 points instead of 0.02 s).
        palette = [pg.mkBrush(*colour, 160) for colour in LABEL_COLOURS]
        brushes = [palette[int(label) % len(palette)] for label in dataset.labels]
        self.scatter.setData(x=dataset.points[:, 0], y=dataset.points[:, 1], brush=brushes)
        self.plot.setTitle(f"{dataset.name}: {len(dataset):,} points", color="k")
        lo, hi = dataset.points.min(axis=0), dataset.points.max(axis=0)
        self.stats.setText(f"{len(dataset):,} points, {len(dataset.label_names)} components; x in [{lo[0]:.2f}, {hi[0]:.2f}], y in [{lo[1]:.2f}, {hi[1]:.2f}]")
