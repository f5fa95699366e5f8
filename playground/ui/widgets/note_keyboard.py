"""A piano keyboard over a range of MIDI notes: click a key to ask for that note.

Keys the model never heard on the chosen instrument are hatched in amber and
their tooltip says why; every C is labelled so the octave is easy to find.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QHelpEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from playground.core.data.notes import note_name

BLACK = frozenset({1, 3, 6, 8, 10})  # pitch classes of the black keys
UNHEARD = QColor(215, 130, 20)


class NoteKeyboard(QWidget):
    note_clicked = Signal(int)  # the MIDI note of the key clicked

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._notes: tuple[int, ...] = ()
        self._unheard: frozenset[int] = frozenset()
        self._tip: Callable[[int], str] = note_name
        self.selected: int | None = None
        self.setMinimumHeight(56)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)

    def set_notes(self, notes: Iterable[int], unheard: Iterable[int] = (), tip: Callable[[int], str] | None = None) -> None:
        """Offer ``notes`` (consecutive MIDI numbers); mark ``unheard``; ``tip(midi)`` is a key's tooltip."""
        self._notes = tuple(int(n) for n in notes)
        self._unheard = frozenset(int(n) for n in unheard)
        self._tip = tip or note_name
        if self.selected not in self._notes:
            self.selected = None
        self.update()

    def notes(self) -> tuple[int, ...]:
        return self._notes

    def is_unheard(self, midi: int) -> bool:
        return midi in self._unheard

    def select(self, midi: int | None) -> None:
        self.selected = midi
        self.update()

    def _whites(self) -> list[int]:
        return [n for n in self._notes if n % 12 not in BLACK]

    def key_rect(self, midi: int) -> QRect:
        """Where key ``midi`` is drawn (an empty rect when it is not on the keyboard)."""
        whites = self._whites()
        if midi not in self._notes or not whites:
            return QRect()
        w = self.width() / len(whites)
        if midi % 12 not in BLACK:
            i = whites.index(midi)
            return QRect(round(i * w), 0, round((i + 1) * w) - round(i * w), self.height() - 1)
        left = sum(1 for n in whites if n < midi)  # the black key sits on the line after this many white keys
        return QRect(round(left * w - 0.3 * w), 0, round(0.6 * w), round(self.height() * 0.6))

    def note_at(self, pos: QPoint) -> int | None:
        blacks = [n for n in self._notes if n % 12 in BLACK]
        for midi in blacks + self._whites():
            if self.key_rect(midi).contains(pos):
                return midi
        return None

    def sizeHint(self) -> QSize:
        return QSize(600, 64)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        hatch = QBrush(UNHEARD, Qt.BrushStyle.BDiagPattern)
        font = painter.font()
        font.setPointSizeF(max(6.0, font.pointSizeF() - 2))
        painter.setFont(font)
        for black in (False, True):
            for midi in self._notes:
                if (midi % 12 in BLACK) != black:
                    continue
                rect = self.key_rect(midi)
                fill = QColor(30, 30, 30) if black else QColor(252, 252, 252)
                if midi == self.selected:
                    fill = QColor(70, 130, 210) if black else QColor(170, 205, 245)
                painter.fillRect(rect, fill)
                if midi in self._unheard:
                    painter.fillRect(rect, hatch)
                painter.setPen(QPen(QColor(90, 90, 90)))
                painter.drawRect(rect)
                if not black and midi % 12 == 0:
                    painter.setPen(QColor(60, 60, 60))
                    painter.drawText(rect.adjusted(0, 0, 0, -2), Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                                     note_name(midi))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        midi = self.note_at(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and midi is not None:
            self.select(midi)
            self.note_clicked.emit(midi)
        super().mousePressEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            midi = self.note_at(event.pos())
            if midi is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), self._tip(midi), self, self.key_rect(midi))
            return True
        return super().event(event)
