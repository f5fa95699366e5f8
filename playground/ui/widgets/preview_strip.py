"""Before/after previews of a few samples, one widget per modality.

Each ``show_result`` takes a ``PreviewResult`` (see ``core/preprocess/preview_jobs``)
and only draws; labels are created once and get new pixmaps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
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
from playground.ui.widgets.qimage import to_pixmap
from playground.ui.widgets.token_view import TokenView
from playground.ui.widgets.visible_text import show_whitespace
from playground.ui.widgets.waveform_view import WaveformView

THUMB = 72  # preview thumbnails: the largest whole multiple of the image size that fits
SMALL = 56  # variants and duplicate pairs
MAX_PAIRS = 8
CELL_STYLE = "background: #f0f0f0; border: 1px solid #d0d0d0; color: #888;"


def pixelated(image: np.ndarray, target: int):  # -> QPixmap
    """``image`` scaled up by a whole factor (hard pixel edges) to at most ``target`` px."""
    side = max(image.shape[0], image.shape[1])
    return to_pixmap(image, max(1, target // side) * side if side <= target else target)


def _cell(size: int) -> QLabel:
    label = QLabel()
    label.setFixedSize(size + 4, size + 4)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setStyleSheet(CELL_STYLE)
    return label


def _shape(image: np.ndarray) -> str:
    h, w = image.shape[:2]
    c = image.shape[2] if image.ndim == 3 else 1
    return f"{w} x {h}, {'gray' if c == 1 else 'RGB' if c == 3 else f'{c} channels'}"


class ImagePreview(QWidget):
    """8 thumbnails before and after, augmented variants of one image, and duplicate pairs."""

    def __init__(self, parent: QWidget | None = None, count: int = 8, variants: int = 16):
        super().__init__(parent)
        self.before_cells = [_cell(THUMB) for _ in range(count)]
        self.after_cells = [_cell(THUMB) for _ in range(count)]
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        for row, (title, cells) in enumerate((("Before", self.before_cells), ("After", self.after_cells))):
            head = QLabel(f"<b>{title}</b>")
            grid.addWidget(head, row, 0)
            for col, cell in enumerate(cells):
                grid.addWidget(cell, row, col + 1)
        grid.setColumnStretch(count + 1, 1)
        self.shapes = QLabel()
        self.shapes.setStyleSheet("color: #555;")

        self.variant_cells = [_cell(SMALL) for _ in range(variants)]
        self.variants_note = QLabel()
        self.variants_note.setWordWrap(True)
        self.variants_box = QGroupBox("What the model sees: augmented variants of the first image")
        vbox = QVBoxLayout(self.variants_box)
        vbox.addWidget(self.variants_note)
        vgrid = QGridLayout()
        per_row = max(1, variants // 2)
        for k, cell in enumerate(self.variant_cells):
            vgrid.addWidget(cell, k // per_row, k % per_row)
        vgrid.setColumnStretch(per_row, 1)
        vbox.addLayout(vgrid)

        self.pair_cells = [(_cell(SMALL), _cell(SMALL)) for _ in range(MAX_PAIRS)]
        self.pairs_note = QLabel()
        self.pairs_note.setWordWrap(True)
        self.pairs_box = QGroupBox("Remove duplicates: pairs found (kept | removed)")
        pbox = QVBoxLayout(self.pairs_box)
        pbox.addWidget(self.pairs_note)
        pgrid = QGridLayout()
        for k, (kept, removed) in enumerate(self.pair_cells):
            pgrid.addWidget(kept, k // 4, (k % 4) * 3)
            pgrid.addWidget(removed, k // 4, (k % 4) * 3 + 1)
            pgrid.setColumnMinimumWidth((k % 4) * 3 + 2, 14)
        pgrid.setColumnStretch(12, 1)
        pbox.addLayout(pgrid)
        self.pairs_box.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid)
        layout.addWidget(self.shapes)
        layout.addWidget(self.variants_box)
        layout.addWidget(self.pairs_box)
        layout.addStretch(1)

    def show_result(self, before: Sequence[np.ndarray], after: Sequence[np.ndarray | None], tips: Sequence[str],
                    variants: Sequence[np.ndarray], variants_note: str) -> None:
        for k, cell in enumerate(self.before_cells):
            self._put(cell, before[k] if k < len(before) else None, tips[k] if k < len(tips) else "", THUMB)
        for k, cell in enumerate(self.after_cells):
            image = after[k] if k < len(after) else None
            removed = k < len(before) and image is None
            self._put(cell, image, (tips[k] if k < len(tips) else ""), THUMB, "removed" if removed else "")
        first_after = next((a for a in after if a is not None), None)
        parts = [f"before: {_shape(before[0])}" if len(before) else "",
                 f"after: {_shape(first_after)}" if first_after is not None else ""]
        dropped = sum(1 for a in after if a is None)
        if dropped:
            parts.append(f"{dropped} of {len(after)} removed by filters")
        self.shapes.setText("   ".join(p for p in parts if p))
        for k, cell in enumerate(self.variant_cells):
            self._put(cell, variants[k] if k < len(variants) else None, f"variant {k + 1}", SMALL)
            cell.setVisible(bool(variants))
        self.variants_note.setText(variants_note)
        self.variants_note.setVisible(bool(variants_note))

    def show_pairs(self, pairs: Sequence[tuple[np.ndarray, np.ndarray, str]] | None, note: str) -> None:
        """Show (kept image, removed image, tooltip) pairs; None hides the box."""
        self.pairs_box.setVisible(pairs is not None)
        for k, (kept, removed) in enumerate(self.pair_cells):
            pair = pairs[k] if pairs is not None and k < len(pairs) else None
            self._put(kept, pair[0] if pair else None, pair[2] if pair else "", SMALL)
            self._put(removed, pair[1] if pair else None, pair[2] if pair else "", SMALL)
            kept.setVisible(pair is not None)
            removed.setVisible(pair is not None)
        self.pairs_note.setText(note)

    @staticmethod
    def _put(cell: QLabel, image: np.ndarray | None, tip: str, size: int, empty: str = "") -> None:
        if image is None:
            cell.clear()
            cell.setText(empty)
        else:
            cell.setPixmap(pixelated(image, size))
        cell.setToolTip(tip)


class TextPreview(QWidget):
    """The raw chunk, the cleaned chunk as coloured tokens, and token statistics."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.before = QPlainTextEdit()
        self.before.setReadOnly(True)
        self.tokens = TokenView()
        self.stats = QLabel()
        self.stats.setWordWrap(True)
        self.stats.setTextFormat(Qt.TextFormat.RichText)
        self.top = QTableWidget(0, 2)
        self.top.setHorizontalHeaderLabels(["Token", "Count"])
        self.top.verticalHeader().setVisible(False)
        self.top.horizontalHeader().setStretchLastSection(True)
        self.top.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.top.setMaximumWidth(200)
        before_box, after_box = QWidget(), QWidget()
        for box, title, view in ((before_box, "<b>Before</b> (raw text)", self.before),
                                 (after_box, "<b>After</b>: cleaned text as tokens (hover a token for its id)",
                                  self.tokens)):
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(QLabel(title))
            column.addWidget(view, 1)
        split = QSplitter()
        split.addWidget(before_box)
        split.addWidget(after_box)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.stats)
        side_layout.addWidget(QLabel("Most frequent tokens"))
        side_layout.addWidget(self.top, 1)
        split.addWidget(side)
        split.setSizes([330, 420, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    def show_result(self, before: str, stats: Any) -> None:
        """``stats`` is a ``TokenStats`` (or None when the preview failed)."""
        self.before.setPlainText(before)
        if stats is None:
            self.tokens.clear_tokens()
            self.stats.setText("")
            self.top.setRowCount(0)
            return
        self.tokens.set_tokens(stats.text, stats.spans)
        rows = [("Tokeniser", stats.kind), ("Vocabulary size", f"{stats.vocab_size:,}"),
                ("Characters per token", f"{stats.chars_per_token:.2f}"),
                ("Corpus becomes", f"≈ {stats.corpus_tokens:,} tokens")]
        self.stats.setText("<table>" + "".join(f"<tr><td><b>{k}</b>&nbsp;</td><td>{v}</td></tr>" for k, v in rows)
                           + "</table>")
        self.top.setRowCount(len(stats.top))
        for r, (token, count) in enumerate(stats.top):
            self.top.setItem(r, 0, QTableWidgetItem(show_whitespace(token)))
            self.top.setItem(r, 1, QTableWidgetItem(f"{count:,}"))


class AudioPreview(QWidget):
    """One clip's waveform and spectrogram before and after, with Play for both."""

    clip_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.clips = QComboBox()
        self.clips.setToolTip("The clip shown large")
        self.before_view = WaveformView(title="Before")
        self.after_view = WaveformView(title="After")
        self.play_before = QPushButton("Play before")
        self.play_after = QPushButton("Play after")
        self.before_info, self.after_info = QLabel(), QLabel()
        self.sound_message = QLabel()
        self.sound_message.setWordWrap(True)
        self._clips: list[Any] = [None, None]  # the Clip objects shown (before, after)
        top = QHBoxLayout()
        top.addWidget(QLabel("Clip"))
        top.addWidget(self.clips, 1)
        columns = QHBoxLayout()
        for view, button, info in ((self.before_view, self.play_before, self.before_info),
                                   (self.after_view, self.play_after, self.after_info)):
            column = QVBoxLayout()
            column.addWidget(view, 1)
            row = QHBoxLayout()
            row.addWidget(button)
            row.addWidget(info, 1)
            column.addLayout(row)
            columns.addLayout(column, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(columns, 1)
        layout.addWidget(self.sound_message)
        self.clips.currentIndexChanged.connect(self._on_clips_current_index_changed)
        self.play_before.clicked.connect(lambda: self._play(0))
        self.play_after.clicked.connect(lambda: self._play(1))

    def set_clip_names(self, names: Sequence[str]) -> None:
        blocked = self.clips.blockSignals(True)
        self.clips.clear()
        self.clips.addItems(list(names))
        self.clips.blockSignals(blocked)

    def current_clip(self) -> int:
        return max(0, self.clips.currentIndex())

    def show_result(self, before: Any, after: Any) -> None:
        """``before``/``after`` are preview ``Clip`` objects (``after`` None when filtered out)."""
        self._clips = [before, after]
        self.sound_message.setText("")
        for clip, view, info, button in ((before, self.before_view, self.before_info, self.play_before),
                                         (after, self.after_view, self.after_info, self.play_after)):
            if clip is None:
                view.set_clip(None)
                info.setText("removed by a filter")
            else:
                view.set_clip(clip.samples, clip.sample_rate)
                channels = "mono" if np.asarray(clip.samples).ndim == 1 else f"{clip.samples.shape[1]} channels"
                info.setText(f"{clip.sample_rate:,} Hz, {len(clip.samples) / clip.sample_rate:.2f} s, {channels}")
            button.setEnabled(clip is not None)

    def _on_clips_current_index_changed(self, index: int) -> None:
        if index >= 0:
            self.clip_changed.emit(index)

    def _play(self, which: int) -> None:
        clip = self._clips[which]
        if clip is None:
            return
        try:
            seconds = audio_out.play(clip.samples, clip.sample_rate)
        except audio_out.AudioUnavailable as exc:
            self.sound_message.setText(str(exc))
        else:
            self.sound_message.setText(f"Playing the clip {'before' if which == 0 else 'after'} ({seconds:.1f} s)")
