"""Edit a preprocessing pipeline: the ordered steps, each step's typed parameters, save and load.

The editor holds an immutable ``Pipeline`` and replaces it on every edit; an
edit the core refuses (``ValueError``) is shown in the red label below the
list and leaves the last good pipeline in place.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.preprocess import Pipeline, Step, make_step, step_palette
from playground.ui.widgets.param_form import ParamForm

JSON_FILTER = "Pipeline (*.json);;All files (*)"
ERROR_STYLE = "color: #b00020; font-weight: bold;"
DISABLED_COLOUR = QColor(140, 140, 140)
TOKENIZER_NOTES = {  # the Tokenise tooltip's last paragraph, by Pipeline.tokenizer_status()
    "current": "\n\nUses the vocabulary trained by Prepare (saved with the pipeline); "
               "change a setting to train a new one.",
    "stale": "\n\nThe cleaning steps above changed since this vocabulary was trained, so Prepare will "
             "train a new one; the preview already shows tokens learned from the text as now cleaned.",
    "unknown": "\n\nUses the vocabulary saved with the pipeline. This file does not say which cleaning it "
               "was trained after; Prepare records the current steps, so later changes retrain it.",
}


def _fmt(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def summary(step: Step, tokenizer_status: str = "") -> str:
    """A short line for the step list: its title and the values worth seeing.

    ``tokenizer_status`` is the pipeline's (``Pipeline.tokenizer_status``), for a Tokenise step.
    """
    values = step.values
    params = step.params if len(step.params) <= 2 else [p for p in step.params if values[p.name] != p.default]
    text = ", ".join(f"{_fmt(values[p.name])}" if len(step.params) <= 2 else f"{p.title.lower()} {_fmt(values[p.name])}"
                     for p in params)
    if len(text) > 38:
        text = text[:37] + "…"
    if tokenizer_status == "stale":
        text += ", stale: retrain"  # the cleaning above changed since the vocabulary was trained
    elif getattr(step, "trained", None) is not None:
        text += ", trained"  # a saved vocabulary: the same ids every time until a setting changes
    return f"{step.title} ({text.lstrip(', ')})" if text else step.title


class PipelineEditor(QWidget):
    """The step list with its buttons, the selected step's parameters, Save and Load."""

    pipeline_changed = Signal(object)
    error_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._pipeline: Pipeline | None = None
        self._label_names: list[str] = []
        self._edit_error = ""
        self._problem = ""

        self.steps = QListWidget()
        self.steps.setMinimumHeight(120)
        self.up_button = QPushButton("Up")
        self.down_button = QPushButton("Down")
        self.remove_button = QPushButton("Remove")
        for button, tip in ((self.up_button, "Move the selected step earlier"),
                            (self.down_button, "Move the selected step later"),
                            (self.remove_button, "Remove the selected step")):
            button.setToolTip(tip)
        self.palette = QComboBox()
        self.palette.setToolTip("Steps for this kind of data")
        self.add_button = QPushButton("Add step")
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setVisible(False)
        self.help_label = QLabel()
        self.help_label.setWordWrap(True)
        self.help_label.setStyleSheet("color: #555;")
        self.form = ParamForm()
        self.save_button = QPushButton("Save pipeline…")
        self.load_button = QPushButton("Load pipeline…")

        move = QHBoxLayout()
        for button in (self.up_button, self.down_button, self.remove_button):
            move.addWidget(button)
        add = QHBoxLayout()
        add.addWidget(self.palette, 1)
        add.addWidget(self.add_button)
        self.settings_box = QGroupBox("Step settings")
        box = QVBoxLayout(self.settings_box)
        box.addWidget(self.help_label)
        box.addWidget(self.form)
        files = QGridLayout()
        files.addWidget(self.save_button, 0, 0)
        files.addWidget(self.load_button, 0, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.steps, 1)
        layout.addLayout(move)
        layout.addLayout(add)
        layout.addWidget(self.error_label)
        layout.addWidget(self.settings_box)
        layout.addLayout(files)

        self.steps.currentRowChanged.connect(self._on_steps_current_row_changed)
        self.steps.itemChanged.connect(self._on_steps_item_changed)
        self.up_button.clicked.connect(self._on_up_clicked)
        self.down_button.clicked.connect(self._on_down_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.add_button.clicked.connect(self._on_add_clicked)
        self.form.value_changed.connect(self._on_form_value_changed)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.load_button.clicked.connect(self._on_load_clicked)
        self._update_buttons()

    # -- public -------------------------------------------------------------
    def pipeline(self) -> Pipeline | None:
        return self._pipeline

    def set_pipeline(self, pipeline: Pipeline | None, label_names: list[str] | None = None, *,
                     select: int = 0, emit: bool = False) -> None:
        """Show ``pipeline`` (the palette follows its modality)."""
        modality_changed = (pipeline is None) != (self._pipeline is None) or (
            pipeline is not None and self._pipeline is not None and pipeline.modality != self._pipeline.modality)
        if label_names is not None:
            self._label_names = list(label_names)
        self._pipeline = pipeline
        self._edit_error = ""
        if modality_changed or label_names is not None:
            self.palette.clear()
            for cls in step_palette(pipeline.modality) if pipeline is not None else []:
                self.palette.addItem(cls.title, cls.name)
                self.palette.setItemData(self.palette.count() - 1, cls.help, Qt.ItemDataRole.ToolTipRole)
        self._fill_list(select)
        self._show_error()
        if emit and pipeline is not None:
            self.pipeline_changed.emit(pipeline)

    def set_problem(self, text: str) -> None:
        """Show a problem found while running the pipeline (the preview), or clear it with ''."""
        self._problem = text
        self._show_error()

    def error(self) -> str:
        """The message now shown in the red label ('' when none)."""
        return self._edit_error or self._problem

    def has_edit_error(self) -> bool:
        return bool(self._edit_error)

    def select_step(self, row: int) -> None:
        self.steps.setCurrentRow(row)

    # -- slots --------------------------------------------------------------
    def _on_steps_current_row_changed(self, row: int) -> None:
        step = self._step(row)
        self._edit_error = ""
        self._show_error()
        self.form.set_step(step, self._label_names)
        self.help_label.setText(step.help if step is not None else "")
        self.settings_box.setTitle(f"{step.title} settings" if step is not None else "Step settings")
        self.settings_box.setVisible(step is not None)
        self._update_buttons()

    def _on_steps_item_changed(self, item: QListWidgetItem) -> None:
        row = self.steps.row(item)
        step = self._step(row)
        if step is None:
            return
        enabled = item.checkState() == Qt.CheckState.Checked
        if enabled != step.enabled:
            self._edit(lambda p: p.replaced(row, step.replace(enabled=enabled)), select=row)

    def _on_up_clicked(self) -> None:
        row = self.steps.currentRow()
        if row > 0:
            self._edit(lambda p: p.moved(row, row - 1), select=row - 1)

    def _on_down_clicked(self) -> None:
        row = self.steps.currentRow()
        if 0 <= row < self.steps.count() - 1:
            self._edit(lambda p: p.moved(row, row + 1), select=row + 1)

    def _on_remove_clicked(self) -> None:
        row = self.steps.currentRow()
        if row >= 0:
            self._edit(lambda p: p.without(row), select=min(row, self.steps.count() - 2))

    def _on_add_clicked(self) -> None:
        if self._pipeline is None or self.palette.currentIndex() < 0:
            return
        name = self.palette.currentData()
        modality = self._pipeline.modality
        params: dict[str, Any] = {}
        if name == "keep_labels" and self._label_names:
            params["labels"] = list(self._label_names)  # start from everything; untick to leave out
        elif name == "skew_labels" and self._label_names:
            params["label"] = self._label_names[0]
        try:
            step = make_step(modality, name, **params)
            pipeline = self._pipeline.with_step(step)
        except ValueError as exc:
            self._fail(str(exc))
            return
        self._accept(pipeline, select=pipeline.steps.index(step))

    def _on_form_value_changed(self, name: str, value: Any) -> None:
        row = self.steps.currentRow()
        step = self._step(row)
        if step is None:
            return
        try:
            pipeline = self._pipeline.replaced(row, step.replace(**{name: value}))  # type: ignore[union-attr]
        except ValueError as exc:
            self._fail(str(exc))
            return
        self._accept(pipeline, select=row, rebuild_form=False)

    def _on_save_clicked(self) -> None:
        if self._pipeline is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save the pipeline", "pipeline.json", JSON_FILTER)
        if not path:
            return
        try:
            self._pipeline.save(path)
        except OSError as exc:
            self._fail(f"Could not save the pipeline: {exc}")

    def _on_load_clicked(self) -> None:
        if self._pipeline is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Load a pipeline", "", JSON_FILTER)
        if not path:
            return
        if os.path.exists(path) and not os.path.isfile(path):  # reading a named pipe would block the GUI for good
            self._fail(f"Could not load the pipeline: {path} is not a regular file")
            return
        try:
            pipeline = Pipeline.load(path)
        except ValueError as exc:
            self._fail(f"Could not load the pipeline: {exc}")
            return
        if pipeline.modality != self._pipeline.modality:
            self._fail(f"Could not load the pipeline: it is for {pipeline.modality} data, but this dataset "
                       f"is {self._pipeline.modality}; load a {self._pipeline.modality} pipeline")
            return
        self._accept(pipeline, select=0)

    # -- helpers ------------------------------------------------------------
    def _step(self, row: int) -> Step | None:
        if self._pipeline is None or not 0 <= row < len(self._pipeline.steps):
            return None
        return self._pipeline.steps[row]

    def _edit(self, change, select: int) -> None:  # type: ignore[no-untyped-def]
        if self._pipeline is None:
            return
        try:
            pipeline = change(self._pipeline)
        except ValueError as exc:
            self._fill_list(self.steps.currentRow())  # put a refused checkbox back
            self._fail(str(exc))
            return
        self._accept(pipeline, select=select)

    def _accept(self, pipeline: Pipeline, select: int, rebuild_form: bool = True) -> None:
        self._pipeline = pipeline
        self._edit_error = ""
        if rebuild_form:
            self._fill_list(select)
        else:
            for row, step in enumerate(pipeline.steps):  # a cleaning value can make Tokenise's vocabulary stale
                self._set_item(self.steps.item(row), step)
        self._show_error()
        self.pipeline_changed.emit(pipeline)

    def _fail(self, message: str) -> None:
        self._edit_error = message
        self._show_error()

    def _show_error(self) -> None:
        text = self.error()
        if text != self.error_label.text():
            self.error_label.setText(text)
            self.error_label.setVisible(bool(text))
            self.error_changed.emit(text)

    def _fill_list(self, select: int) -> None:
        self.steps.blockSignals(True)
        self.steps.clear()
        for step in self._pipeline.steps if self._pipeline is not None else ():
            item = QListWidgetItem()
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            self.steps.addItem(item)
            self._set_item(item, step)
        count = self.steps.count()
        self.steps.setCurrentRow(min(max(select, 0), count - 1) if count else -1)
        self.steps.blockSignals(False)
        self._on_steps_current_row_changed(self.steps.currentRow())

    def _set_item(self, item: QListWidgetItem | None, step: Step) -> None:
        if item is None:
            return
        blocked = self.steps.blockSignals(True)
        status = self._pipeline.tokenizer_status() if step.kind == "tokenise" and self._pipeline is not None else ""
        item.setText(summary(step, status))
        item.setToolTip(step.help + TOKENIZER_NOTES.get(status, ""))
        item.setCheckState(Qt.CheckState.Checked if step.enabled else Qt.CheckState.Unchecked)
        item.setForeground(self.steps.palette().text().color() if step.enabled else DISABLED_COLOUR)
        self.steps.blockSignals(blocked)

    def _update_buttons(self) -> None:
        row, count = self.steps.currentRow(), self.steps.count()
        has = self._pipeline is not None
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < count - 1)
        self.remove_button.setEnabled(row >= 0)
        self.add_button.setEnabled(has and self.palette.count() > 0)
        self.save_button.setEnabled(has)
        self.load_button.setEnabled(has)
