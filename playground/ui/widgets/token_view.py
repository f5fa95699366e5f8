"""Text as coloured token spans: alternating backgrounds, the token id on hover."""

from __future__ import annotations

import bisect
import html
from collections.abc import Sequence

from PySide6.QtCore import QEvent
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QTextEdit, QToolTip, QWidget

from playground.ui.widgets.visible_text import show_whitespace

# Pastel backgrounds, alternated span by span so neighbouring tokens differ.
COLOURS = ("#cfe3ff", "#ffe0b8", "#d4f5d0", "#f7d0e6", "#e6dcff")

# (start, end, ids, token text): ``ids`` has several entries when BPE byte
# pieces of one character share its span.
TokenSpan = tuple[int, int, tuple[int, ...], str]


def merge_spans(spans: Sequence[tuple[int, int, int, str]]) -> list[TokenSpan]:
    """Join consecutive tokens that cover the same characters (BPE byte pieces)."""
    out: list[TokenSpan] = []
    for start, end, token_id, text in spans:
        if out and out[-1][0] == start and out[-1][1] == end:
            s, e, ids, t = out[-1]
            out[-1] = (s, e, (*ids, int(token_id)), t)
        else:
            out.append((int(start), int(end), (int(token_id),), text))
    return out


def _escape(text: str) -> str:
    # One document character per text character: a newline becomes one line break.
    return html.escape(text, quote=False).replace("\n", "<br>")


class TokenView(QTextEdit):
    """Read-only text whose every token span has its own background and tooltip.

    Document positions equal text positions (every character is one document
    character, a newline one paragraph break), so a hover maps straight to a span.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self._spans: list[TokenSpan] = []
        self._starts: list[int] = []
        self._text = ""

    def set_tokens(self, text: str, spans: Sequence[tuple[int, int, int, str]]) -> None:
        """Show ``text`` with ``spans`` ((start, end, id, token text), in order) coloured."""
        self._text = text
        self._spans = merge_spans(spans)
        self._starts = [s for s, _, _, _ in self._spans]
        parts: list[str] = []
        at = 0
        for k, (start, end, _ids, _t) in enumerate(self._spans):
            if start < at:  # overlapping spans: colour only the new part
                start = at
            if start > at:
                parts.append(_escape(text[at:start]))
            if end > start:
                colour = COLOURS[k % len(COLOURS)]
                parts.append(f'<span style="background-color:{colour}">{_escape(text[start:end])}</span>')
            at = max(at, end)
        parts.append(_escape(text[at:]))
        self.setHtml(f'<div style="white-space: pre-wrap; font-family: monospace;">{"".join(parts)}</div>')

    def clear_tokens(self) -> None:
        self.set_tokens("", [])

    def span_count(self) -> int:
        return len(self._spans)

    def span_at(self, position: int) -> TokenSpan | None:
        """The token covering character ``position`` of the text, or None."""
        k = bisect.bisect_right(self._starts, position) - 1
        if k < 0:
            return None
        start, end, ids, text = self._spans[k]
        return self._spans[k] if start <= position < end else None

    def tooltip_at(self, position: int) -> str:
        span = self.span_at(position)
        if span is None:
            return ""
        _, _, ids, text = span
        id_text = ", ".join(str(i) for i in ids)
        return f"{'ids' if len(ids) > 1 else 'id'} {id_text}: “{show_whitespace(text)}” ({len(text)} chars)"

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            point = self.viewport().mapFromGlobal(event.globalPos())
            cursor = self.cursorForPosition(point)
            position = cursor.position()
            if point.x() < self.cursorRect(cursor).x():  # the nearest gap is after the character hovered
                position -= 1
            tip = self.tooltip_at(position)
            if tip:
                QToolTip.showText(event.globalPos(), tip, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)
