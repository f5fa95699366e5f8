"""Edge-to-edge layouts the Images and Sound views are built from: a column of widgets, and panes with a
draggable handle between them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLayout, QSplitter, QVBoxLayout, QWidget

Item = QWidget | QLayout | tuple[QWidget | QLayout, int]  # a widget or layout, or one with its stretch


def column(*items: Item, into: QWidget | None = None) -> QWidget:
    """``items`` top to bottom without margins, in ``into`` (or a new widget), which it returns; an
    ``(item, stretch)`` pair shares the spare height by its stretch."""
    widget = QWidget() if into is None else into
    box = QVBoxLayout(widget)
    box.setContentsMargins(0, 0, 0, 0)
    for item in items:
        part, stretch = item if isinstance(item, tuple) else (item, 0)
        if isinstance(part, QLayout):
            box.addLayout(part, stretch)
        else:
            box.addWidget(part, stretch)
    return widget


def split(orientation: Qt.Orientation, sizes: list[int], *widgets: QWidget) -> QSplitter:
    """``widgets`` side by side (``Horizontal``) or stacked (``Vertical``), ``sizes`` pixels to start with."""
    splitter = QSplitter(orientation)
    for widget in widgets:
        splitter.addWidget(widget)
    splitter.setSizes(sizes)
    return splitter
