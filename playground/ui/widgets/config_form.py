"""A form generated from a family's flat settings: one widget per field, read back as a dict.

Any model family's settings plug in (``playground.core.training.settings.Settings``:
``get(name)``, ``kinds()``, ``docs()``): ints become spin boxes, floats spin
boxes (learning rates get a log-friendly text field), bools check boxes, fields
with choices combo boxes, pairs of floats two spin boxes and words a text field. The tab validates
by building settings from ``values()`` and shows the ``ValueError`` in place.
"""

from __future__ import annotations

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

    def __init__(self, settings: Any, fields: Iterable[str], *, choices: Mapping[str, Iterable[str]] | None = None,
                 labels: Mapping[str, str] | None = None, ranges: Mapping[str, tuple[float, float]] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._widgets: dict[str, QWidget] = {}
        self._texts: set[str] = set()  # fields whose value is text, read back as typed
        self._choices = {k: list(v) for k, v in (choices or {}).items()}
        ranges = dict(ranges or {})
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        docs = settings.docs()
        for name in fields:
            widget = self._make_widget(name, settings.get(name), ranges.get(name))
            widget.setToolTip(docs.get(name, ""))
            self._widgets[name] = widget
            layout.addRow((labels or {}).get(name, _label(name)), widget)
        self.set_values(settings)

    def names(self) -> list[str]:
        return list(self._widgets)

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
        if isinstance(value, str):
            self._texts.add(name)
        return edit

    def set_values(self, settings: Any) -> None:
        for name, widget in self._widgets.items():
            value = settings.get(name)
            widget.blockSignals(True)
            if isinstance(widget, QComboBox):
                widget.setCurrentIndex(max(0, self._choices[name].index(str(value)) if str(value) in self._choices[name] else 0))
            elif isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, (QSpinBox, QDoubleSpinBox)):
                widget.setValue(value)
            elif isinstance(widget, QLineEdit):
                widget.setText(f"{value:g}" if isinstance(value, float) else str(value))
                widget.setCursorPosition(0)  # a narrow field shows a long value's start ("heart,circle,...")
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
            elif isinstance(widget, QLineEdit) and name in self._texts:
                out[name] = widget.text().strip()
            elif isinstance(widget, QLineEdit):
                text = widget.text().strip()
                try:
                    out[name] = float(text)
                except ValueError:
                    raise ValueError(f"{_label(name)}: {text!r} is not a number") from None
            else:
                out[name] = tuple(spin.value() for spin in widget.findChildren(QDoubleSpinBox))
        return out
