"""Whitespace drawn as visible marks in token text (Qt-free, shared by the token views)."""

from __future__ import annotations

VISIBLE = {"\n": "↵", " ": "␣", "\t": "⇥"}  # ␣, not ␠: DejaVu, the usual Linux font, has no ␠


def show_whitespace(text: str) -> str:
    """``text`` with newlines, spaces and tabs replaced by ↵, ␣ and ⇥."""
    return "".join(VISIBLE.get(ch, ch) for ch in text)
