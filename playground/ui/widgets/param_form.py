"""Widgets generated from a step's typed parameters (``Param`` specs).

int and float become spin boxes (with a slider when the range is small enough
to slide through), bool a check box, choice a combo box, str a line edit (a
label picker for a label name), labels a list of check boxes. Help and range
become tooltips. Each change is reported as ``value_changed(name, value)``.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from playground.core.preprocess import Param, Step

MAX_SLIDER_STEPS = 2000
INT_LIMIT = 2**31 - 1


def _num(value: float) -> str:
    return f"{value:g}"


def _tooltip(param: Param) -> str:
    tip = param.help
    if param.low is not None or param.high is not None:
        lo = _num(param.low) if param.low is not None else "…"
        hi = _num(param.high) if param.high is not None else "…"
        tip += f" ({lo} to {hi})"
    return tip.strip()


def _decimals(param: Param) -> int:
    if param.increment:
        return max(1, min(6, -math.floor(math.log10(param.increment))))
    return 3


class ParamForm(QWidget):
    """One row per parameter of the current step."""

    value_changed = Signal(str, object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._body: QWidget | None = None
        self._widgets: dict[str, QWidget] = {}
        self._sliders: dict[str, QSlider] = {}
        self._step: Step | None = None

    def set_step(self, step: Step | None, label_names: list[str]) -> None:
        """Rebuild the rows for ``step`` (None: empty)."""
        if self._body is not None:
            self._layout.removeWidget(self._body)
            self._body.hide()  # deleteLater waits for the event loop; meanwhile it must not show
            self._body.deleteLater()
        self._widgets, self._sliders = {}, {}
        self._step = step
        self._body = QWidget(self)
        form = QFormLayout(self._body)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        if step is not None and not step.params:
            form.addRow(QLabel("This step has no settings."))
        for param in step.params if step is not None else ():
            row = self._make_row(param, step[param.name], label_names)
            row.setToolTip(_tooltip(param))
            label = QLabel(param.title)
            label.setToolTip(_tooltip(param))
            form.addRow(label, row)
        self._layout.addWidget(self._body)

    def widget(self, name: str) -> QWidget:
        """The input widget of parameter ``name`` (a spin box, combo box, check box...)."""
        return self._widgets[name]

    def slider(self, name: str) -> QSlider | None:
        return self._sliders.get(name)

    def names(self) -> list[str]:
        return list(self._widgets)

    # -- rows ---------------------------------------------------------------
    def _make_row(self, param: Param, value: Any, label_names: list[str]) -> QWidget:
        if param.kind in ("int", "float"):
            return self._number(param, value)
        if param.kind == "bool":
            box = QCheckBox()
            box.setChecked(bool(value))
            box.toggled.connect(lambda checked, n=param.name: self.value_changed.emit(n, bool(checked)))
            self._widgets[param.name] = box
            return box
        if param.kind == "choice":
            combo = QComboBox()
            for choice in param.choices:
                combo.addItem(str(choice))
            combo.setCurrentIndex(param.choices.index(value) if value in param.choices else 0)
            combo.currentIndexChanged.connect(
                lambda k, p=param: self.value_changed.emit(p.name, p.choices[k]) if 0 <= k < len(p.choices) else None)
            self._widgets[param.name] = combo
            return combo
        if param.kind == "labels":
            return self._labels(param, value, label_names)
        if param.name == "label" and label_names:
            combo = QComboBox()
            combo.setEditable(True)
            combo.addItems(label_names)
            combo.setCurrentText(str(value))
            combo.currentTextChanged.connect(lambda text, n=param.name: self.value_changed.emit(n, text))
            self._widgets[param.name] = combo
            return combo
        edit = QLineEdit(str(value))
        edit.textEdited.connect(lambda text, n=param.name: self.value_changed.emit(n, text))
        self._widgets[param.name] = edit
        return edit

    def _number(self, param: Param, value: Any) -> QWidget:
        is_int = param.kind == "int"
        lo = param.low if param.low is not None else (-INT_LIMIT if is_int else -1e9)
        hi = param.high if param.high is not None else (INT_LIMIT if is_int else 1e9)
        step = param.increment or 1
        spin: QSpinBox | QDoubleSpinBox
        if is_int:
            spin = QSpinBox()
            spin.setRange(int(max(lo, -INT_LIMIT)), int(min(hi, INT_LIMIT)))
            spin.setSingleStep(int(step))
        else:
            spin = QDoubleSpinBox()
            spin.setDecimals(_decimals(param))
            spin.setRange(lo, hi)
            spin.setSingleStep(step)
        spin.setValue(value)
        spin.setKeyboardTracking(False)  # typing "512" is one change, not three
        self._widgets[param.name] = spin
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        steps = int(round((hi - lo) / step)) if param.low is not None and param.high is not None else 0
        if 0 < steps <= MAX_SLIDER_STEPS:
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, steps)
            slider.setValue(int(round((value - lo) / step)))
            slider.setToolTip(_tooltip(param))
            self._sliders[param.name] = slider
            layout.addWidget(slider, 1)

            def on_slide(k: int, spin=spin) -> None:
                spin.setValue(lo + k * step)

            def on_spin(v: float, slider=slider) -> None:
                blocked = slider.blockSignals(True)
                slider.setValue(int(round((v - lo) / step)))
                slider.blockSignals(blocked)

            slider.valueChanged.connect(on_slide)
            spin.valueChanged.connect(on_spin)
        if is_int:
            spin.valueChanged.connect(lambda v, n=param.name: self.value_changed.emit(n, int(v)))
        else:
            digits = _decimals(param)
            spin.valueChanged.connect(lambda v, n=param.name: self.value_changed.emit(n, round(float(v), digits)))
        layout.addWidget(spin)
        return row

    def _labels(self, param: Param, value: Any, label_names: list[str]) -> QWidget:
        chosen = [str(v) for v in value]
        names = list(label_names) + [n for n in chosen if n not in label_names]
        box = QListWidget()
        box.setMaximumHeight(130)
        for name in names:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
            box.addItem(item)

        def on_item_changed(_item: QListWidgetItem, n=param.name) -> None:
            ticked = tuple(box.item(i).text() for i in range(box.count())
                           if box.item(i).checkState() == Qt.CheckState.Checked)
            self.value_changed.emit(n, ticked)

        box.itemChanged.connect(on_item_changed)
        self._widgets[param.name] = box
        return box
