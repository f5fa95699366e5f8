"""Generated text as clickable tokens: the prompt in grey, each token on its own tint, copied stretches in amber.

Text streams in with ``append_pieces`` (one cursor insert per batch, no
re-layout of what is there); ``set_tokens`` draws a finished output with its
copied stretches; a click on a generated token emits ``token_clicked(index)``
and ``select`` highlights one. Document positions are UTF-16 code units, so
every token's place is kept in those units: an emoji is one character in
Python and two in Qt.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextEdit, QWidget

from playground.ui.widgets.visible_text import show_whitespace

NEW = ("#e8f0fe", "#f3f6fb")  # alternating tints of tokens the model wrote
COPIED = ("#ffd978", "#ffe9a8")  # the same, inside a stretch found verbatim in the training text
PROMPT = "#707070"  # the prompt's text colour
SELECTED = "#1f5fbf"  # the clicked token's background (white text)


def _units(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (Qt's document positions)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class TokenOutput(QTextEdit):
    """Read-only prompt + generated tokens; generated ones are clickable."""

    token_clicked = Signal(int)  # index of the generated token clicked

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.TypeWriter)
        self.document().setDefaultFont(font)
        self.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
        self._starts: list[int] = []  # document position where each generated token starts
        self._ends: list[int] = []
        self._copied: list[bool] = []
        self._pieces: list[str] = []
        self._selected = -1

    # -- content ------------------------------------------------------------------------
    def set_prompt(self, prompt: str) -> None:
        """Start over with ``prompt`` and no generated tokens."""
        self.clear()
        self._starts, self._ends, self._copied, self._pieces, self._selected = [], [], [], [], -1
        fmt = QTextCharFormat()
        fmt.setForeground(QColor(PROMPT))
        self.textCursor().insertText(prompt, fmt)

    def append_pieces(self, pieces: Sequence[str], copied: Sequence[bool] | None = None) -> None:
        """Add generated tokens at the end (streaming); ``copied[i]``: token i lies in a copied stretch."""
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        at = cursor.position()
        cursor.beginEditBlock()  # one layout pass for the whole batch
        for k, piece in enumerate(pieces):
            flag = bool(copied[k]) if copied is not None else False
            index = len(self._pieces)
            self._pieces.append(piece)
            self._copied.append(flag)
            self._starts.append(at)
            at += _units(piece)
            self._ends.append(at)
            cursor.insertText(piece, self._format(index, flag, False))
        cursor.endEditBlock()
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())  # follow the text as it streams in

    def set_tokens(self, prompt: str, pieces: Sequence[str], copied: Sequence[bool] | None = None,
                   selected: int = -1) -> None:
        """Show a finished output: ``prompt`` then ``pieces``, copied tokens marked, token ``selected`` highlighted."""
        self.set_prompt(prompt)
        self.append_pieces(pieces, copied)
        self.select(selected)
        self.verticalScrollBar().setValue(0)

    def select(self, index: int) -> None:
        """Highlight generated token ``index`` (-1: none)."""
        old, self._selected = self._selected, index if 0 <= index < len(self._pieces) else -1
        for k in {old, self._selected} - {-1}:
            if 0 <= k < len(self._pieces):
                cursor = QTextCursor(self.document())
                cursor.setPosition(self._starts[k])
                cursor.setPosition(self._ends[k], QTextCursor.MoveMode.KeepAnchor)
                cursor.setCharFormat(self._format(k, self._copied[k], k == self._selected))

    # -- queries ------------------------------------------------------------------------
    def token_count(self) -> int:
        return len(self._pieces)

    def selected(self) -> int:
        return self._selected

    def copied_flags(self) -> list[bool]:
        return list(self._copied)

    def token_at(self, position: int) -> int:
        """The generated token at document ``position``, or -1 (the prompt, or past the end)."""
        k = bisect.bisect_right(self._starts, position) - 1
        return k if k >= 0 and position < self._ends[k] else -1

    def token_rect(self, index: int) -> QRect:
        """Where generated token ``index`` is drawn, in viewport coordinates (its first character)."""
        cursor = QTextCursor(self.document())
        cursor.setPosition(self._starts[index])
        left = self.cursorRect(cursor)
        cursor.setPosition(min(self._starts[index] + 1, self._ends[index]))
        right = self.cursorRect(cursor)
        width = max(2, right.x() - left.x()) if right.y() == left.y() else 4
        return QRect(left.x(), left.y(), width, left.height())

    def tooltip_for(self, index: int) -> str:
        piece = self._pieces[index]
        return f"token {index + 1}: “{show_whitespace(piece)}”" + (" (in a copied stretch)" if self._copied[index] else "")

    # -- drawing --------------------------------------------------------------------------
    def _format(self, index: int, copied: bool, selected: bool) -> QTextCharFormat:
        fmt = QTextCharFormat()
        if selected:
            fmt.setBackground(QColor(SELECTED))
            fmt.setForeground(QColor("white"))
        else:
            fmt.setBackground(QColor((COPIED if copied else NEW)[index % 2]))
            fmt.setForeground(QColor("black"))
        fmt.setToolTip(self.tooltip_for(index))
        return fmt

    # -- Qt overrides ---------------------------------------------------------------------
    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and not self.textCursor().hasSelection():
            point = event.position().toPoint()
            cursor = self.cursorForPosition(point)
            position = cursor.position()
            if point.x() < self.cursorRect(cursor).x():  # the nearest gap is after the character clicked
                position -= 1
            index = self.token_at(position)
            if index >= 0:
                self.select(index)
                self.token_clicked.emit(index)
        super().mouseReleaseEvent(event)
