"""Which earlier text a token attended to: the context as a heat strip, darker where the weight is larger.

Each context token's characters get a background from white (no attention)
to deep orange (the largest weight shown); the token being explained follows
in a blue frame. Weights come per token (one layer and head, or their mean).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
from PySide6.QtWidgets import QTextEdit, QWidget

from playground.ui.widgets.visible_text import show_whitespace

HOT = np.array([230, 85, 13], float)  # the colour of the largest weight
COLD = np.array([255, 255, 255], float)
TOP = 3  # how many of the most attended tokens the caption names


def _escape(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "↵<br>")


def heat_colour(weight: float) -> str:
    """Hex colour for a weight in [0, 1] (relative to the largest)."""
    r, g, b = (COLD + (HOT - COLD) * float(np.clip(weight, 0.0, 1.0))).round().astype(int)
    return f"#{r:02x}{g:02x}{b:02x}"


class AttentionStrip(QTextEdit):
    """``set_attention(text, spans, weights, next_piece)``; ``clear_attention()``."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMinimumHeight(90)
        self._weights = np.zeros(0, np.float32)
        self.setPlaceholderText("Click a generated token: its attention over the text before it shows here.")

    def set_attention(self, text: str, spans: Sequence[tuple[int, int]], weights: np.ndarray, next_piece: str,
                      caption: str = "") -> None:
        """Colour each context token of ``text`` (``spans[i]`` = its characters) by ``weights[i]``.

        Args:
            text: the prompt and generated text the spans index.
            spans: (start, end) of each context token, in order.
            weights: float (T,), one per span, summing to about 1.
            next_piece: the text of the token being explained (drawn after the context).
            caption: a line above the strip (which layer and head).
        """
        w = np.asarray(weights, np.float32)
        if len(w) != len(spans):
            raise ValueError(f"{len(w)} weights for {len(spans)} tokens")
        self._weights = w
        peak = float(w.max()) if len(w) else 1.0
        parts = []
        for (start, end), weight in zip(spans, w):
            colour = heat_colour(weight / peak if peak > 0 else 0.0)
            parts.append(f'<span style="background-color:{colour}">{_escape(text[start:end])}</span>')
        parts.append(f'<span style="background-color:#1f5fbf; color:white">{_escape(next_piece) or "·"}</span>')
        order = np.argsort(-w)[:TOP]
        top = ", ".join(f"“{show_whitespace(text[spans[k][0]:spans[k][1]])}” {100 * w[k]:.0f}%" for k in order)
        head = f"<b>{html.escape(caption)}</b> " if caption else ""
        self.setHtml(f'<div style="font-size:small">{head}most attended: {html.escape(top)}</div>'
                     f'<div style="white-space: pre-wrap; font-family: monospace;">{"".join(parts)}</div>')

    def clear_attention(self, note: str = "") -> None:
        self._weights = np.zeros(0, np.float32)
        self.setPlainText(note)

    def weights(self) -> np.ndarray:
        """The weights drawn, one per context token (empty when cleared)."""
        return self._weights.copy()
