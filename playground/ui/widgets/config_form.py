"""A form generated from a frozen config dataclass: one widget per field, read back as a dict.

Any model family's config plugs in: ints become spin boxes, floats spin boxes
(learning rates get a log-friendly text field), bools check boxes, fields with
choices combo boxes and pairs of floats two spin boxes. The tab validates by
building the config from ``values()`` and shows the ``ValueError`` in place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


class ConfigForm(QWidget):
    """Widgets for ``fields`` of a config dataclass; ``values()`` returns a dict."""

    changed = Signal()

    def __init__(self, config: Any, fields: Iterable[str], *, choices: Mapping[str, Iterable[str]] | None = None,
                 labels: Mapping[str, str] | None = None, ranges: Mapping[str, tuple[float, float]] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._widgets: dict[str, QWidget] = {}
        self._choices = {k: list(v) for k, v in (choices or {}).items()}
        ranges = dict(ranges or {})
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        docs = _field_comments(type(config))
        for name in fields:
            widget = self._make_widget(name, getattr(config, name), ranges.get(name))
            widget.setToolTip(docs.get(name, ""))
            self._widgets[name] = widget
            layout.addRow((labels or {}).get(name, _label(name)), widget)
        self.set_values(config)

    def widget(self, name: str) -> QWidget:
        return self._widgets[name]

    def _make_widget(self, name: str, value: Any, span: tuple[float, float] | None) -> QWidget:
        if name in self._choices:
            combo = QComboBox()
            combo.addItems(self._choices[name])
            combo.currentIndexChanged.connect(self.changed)
            return combo
        if isinstance(value, bool):
            box = QCheckBox()
            box.toggled.connect(self.changed)
            return box
        if isinstance(value, int):
            spin = QSpinBox()
            lo, hi = span or (0, 1_000_000)
            spin.setRange(int(lo), int(hi))
            spin.valueChanged.connect(self.changed)
            return spin
        if isinstance(value, float) and name.startswith("lr"):
            edit = QLineEdit()
            edit.setValidator(QDoubleValidator(0.0, 1.0, 8))
            edit.editingFinished.connect(self.changed)
            return edit
        if isinstance(value, float):
            spin = QDoubleSpinBox()
            spin.setDecimals(4)
            lo, hi = span or (0.0, 1.0)
            spin.setRange(lo, hi)
            spin.setSingleStep((hi - lo) / 100)
            spin.valueChanged.connect(self.changed)
            return spin
        if isinstance(value, tuple) and len(value) == 2:
            pair = QWidget()
            row = QHBoxLayout(pair)
            row.setContentsMargins(0, 0, 0, 0)
            for _ in range(2):
                spin = QDoubleSpinBox()
                spin.setDecimals(3)
                spin.setRange(0.0, 0.999)
                spin.setSingleStep(0.05)
                spin.valueChanged.connect(self.changed)
                row.addWidget(spin)
            return pair
        edit = QLineEdit()
        edit.editingFinished.connect(self.changed)
        return edit

    def set_values(self, config: Any) -> None:
        for name, widget in self._widgets.items():
            value = getattr(config, name)
            widget.blockSignals(True)
            if isinstance(widget, QComboBox):
                widget.setCurrentIndex(max(0, self._choices[name].index(str(value)) if str(value) in self._choices[name] else 0))
            elif isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, (QSpinBox, QDoubleSpinBox)):
                widget.setValue(value)
            elif isinstance(widget, QLineEdit):
                widget.setText(f"{value:g}" if isinstance(value, float) else str(value))
            else:
                for spin, v in zip(widget.findChildren(QDoubleSpinBox), value):
                    spin.setValue(float(v))
            widget.blockSignals(False)

    def values(self) -> dict[str, Any]:
        """The form as a dict of field values (a text field that is not a number raises ValueError)."""
        out: dict[str, Any] = {}
        for name, widget in self._widgets.items():
            if isinstance(widget, QComboBox):
                out[name] = widget.currentText()
            elif isinstance(widget, QCheckBox):
                out[name] = widget.isChecked()
            elif isinstance(widget, (QSpinBox, QDoubleSpinBox)):
                out[name] = widget.value()
            elif isinstance(widget, QLineEdit):
                text = widget.text().strip()
                try:
                    out[name] = float(text)
                except ValueError:
                    raise ValueError(f"{_label(name)}: {text!r} is not a number") from None
            else:
                out[name] = tuple(spin.value() for spin in widget.findChildren(QDoubleSpinBox))
        return out


def _field_comments(cls: type) -> dict[str, str]:
    """The one-line comment after each field in the dataclass source (tooltips)."""
    import inspect

    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    names = {f.name for f in dataclasses.fields(cls)}
    out = {}
    for line in source.splitlines():
        head, _, comment = line.partition("#")
        name = head.strip().split(":")[0]
        if name in names and comment:
            out[name] = comment.strip()
    return out
