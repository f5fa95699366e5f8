"""The Train tab's left column: the data, the model family, its preset and settings, and the run buttons.

The form is built from the family's ``FormSpec``, so a new family needs no
widget code of its own; ``read_settings()`` is the one place a run's settings
are made, and a bad value's message is shown in place.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from playground.core.families import Family
from playground.core.training.settings import Settings
from playground.ui.widgets.config_form import ConfigForm


class RunControls(QWidget):
    """Builds validated ``Settings`` for the chosen family; Start, Pause, Step once, Stop, Resume."""

    family_changed = Signal(str)  # the family picked (its registry name)
    settings_changed = Signal(object)  # valid Settings, after each edit
    slow_motion_changed = Signal(float)  # seconds to wait after each frame

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._families: list[Family] = []
        self._kinds: frozenset[str] = frozenset()
        self.data_label = QLabel()
        self.data_label.setWordWrap(True)
        self.family = QComboBox()
        self.family.setToolTip("The kind of generative model: the list holds those that train on this data")
        self.preset = QComboBox()
        self.form: ConfigForm | None = None
        self._form_slot = QVBoxLayout()
        self._form_slot.setContentsMargins(0, 0, 0, 0)
        self.config_error = QLabel()
        self.config_error.setWordWrap(True)
        self.config_error.setStyleSheet("color: #b00020;")
        self.start_button, self.pause_button = QPushButton("Start"), QPushButton("Pause")
        self.step_button, self.stop_button = QPushButton("Step once"), QPushButton("Stop")
        self.step_part = QComboBox()
        self.step_part.setToolTip("What Step once trains (a GAN: both players, only D, or only G)")
        self.resume_button = QPushButton("Resume from checkpoint…")
        self.slow_motion = QSlider(Qt.Orientation.Horizontal)
        self.slow_motion.setRange(0, 500)
        self.slow_label = QLabel("Slow motion: off")
        buttons = QGridLayout()
        buttons.addWidget(self.start_button, 0, 0)
        buttons.addWidget(self.pause_button, 0, 1)
        buttons.addWidget(self.stop_button, 0, 2)
        buttons.addWidget(self.step_button, 1, 0)
        buttons.addWidget(self.step_part, 1, 1, 1, 2)
        buttons.addWidget(self.resume_button, 2, 0, 1, 3)
        top = QGridLayout()
        top.addWidget(QLabel("Model"), 0, 0)
        top.addWidget(self.family, 0, 1)
        top.addWidget(QLabel("Preset"), 1, 0)
        top.addWidget(self.preset, 1, 1)
        top.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.data_label)
        layout.addLayout(top)
        layout.addLayout(self._form_slot)
        layout.addWidget(self.config_error)
        layout.addLayout(buttons)
        layout.addWidget(self.slow_label)
        layout.addWidget(self.slow_motion)
        layout.addStretch(1)
        self.family.currentIndexChanged.connect(self._on_family_current_index_changed)
        self.preset.currentTextChanged.connect(self._on_preset_current_text_changed)
        self.slow_motion.valueChanged.connect(self._on_slow_motion_value_changed)
        self.set_running(False, False)

    # -- what the tab calls -----------------------------------------------------
    def set_families(self, families: list[Family], kinds: frozenset[str]) -> None:
        """Offer ``families`` (those that train on data of ``kinds``), keeping the current one if it is there."""
        current, old_kinds = self.current_family(), self._kinds
        self._families, self._kinds = list(families), kinds
        self.family.blockSignals(True)
        self.family.clear()
        for f in self._families:
            self.family.addItem(f.title, f.name)
        names = [f.name for f in self._families]
        self.family.setCurrentIndex(names.index(current.name) if current is not None and current.name in names else 0)
        self.family.blockSignals(False)
        self.family.setEnabled(bool(self._families))
        # The user's preset and edits stay unless the data calls for another preset (2D points, say).
        same = current is not None and self.current_family() is current and self.form is not None
        if same and current.default_preset(old_kinds) == current.default_preset(kinds):
            self._apply_kinds()
        else:
            self._build_form()

    def current_family(self) -> Family | None:
        index = self.family.currentIndex()
        return self._families[index] if 0 <= index < len(self._families) else None

    def read_settings(self) -> Settings:
        """The form as validated ``Settings`` (ValueError with a readable message)."""
        family = self.current_family()
        if family is None or self.form is None:
            raise ValueError("pick a dataset that a model here can train on")
        return family.preset(self.preset.currentText()).replace(**self.form.values())

    def show_error(self, message: str) -> None:
        self.config_error.setText(message)

    def set_running(self, running: bool, paused: bool) -> None:
        self.start_button.setEnabled(not running and self.current_family() is not None)
        self.resume_button.setEnabled(not running)
        self.family.setEnabled(not running and bool(self._families))
        self.preset.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.step_button.setEnabled(running)
        self.step_part.setEnabled(running)
        self.stop_button.setEnabled(running)

    # -- building ----------------------------------------------------------------
    def _build_form(self) -> None:
        family = self.current_family()
        if self.form is not None:
            self.form.changed.disconnect(self._on_form_changed)
            self._form_slot.removeWidget(self.form)
            self.form.hide()  # out of the layout it would stay drawn where it was until deleted
            self.form.deleteLater()
            self.form = None
        self.preset.blockSignals(True)
        self.preset.clear()
        self.step_part.clear()
        if family is not None:
            self.preset.addItems(list(family.presets))
            chosen = family.default_preset(self._kinds)
            self.preset.setCurrentText(chosen)
            spec = family.form
            self.form = ConfigForm(family.presets[chosen], spec.fields, choices=spec.choices, labels=spec.labels,
                                   ranges=spec.ranges)
            self._apply_kinds()
            self.form.changed.connect(self._on_form_changed)
            self._form_slot.addWidget(self.form)
            self.step_part.addItems(list(family.parts))
        self.preset.blockSignals(False)
        self.config_error.clear()
        self.set_running(False, False)

    def _apply_kinds(self) -> None:
        """Grey out the settings the family ignores for this kind of data."""
        family = self.current_family()
        if family is None or self.form is None:
            return
        for name, kinds in family.form.only_for.items():
            if name in self.form.names():
                widget = self.form.widget(name)
                widget.setEnabled(bool(kinds & self._kinds))
                widget.setStatusTip("" if widget.isEnabled() else "not used for this data")

    # -- slots ---------------------------------------------------------------------
    def _on_family_current_index_changed(self, _index: int) -> None:
        self._build_form()
        family = self.current_family()
        if family is not None:
            self.family_changed.emit(family.name)

    def _on_preset_current_text_changed(self, name: str) -> None:
        family = self.current_family()
        if family is not None and self.form is not None and name in family.presets:
            self.form.set_values(family.presets[name])
            self.config_error.clear()

    def _on_form_changed(self) -> None:
        try:
            settings = self.read_settings()
        except ValueError as exc:
            self.config_error.setText(str(exc))
            return
        self.config_error.clear()
        self.settings_changed.emit(settings)

    def _on_slow_motion_value_changed(self, ms: int) -> None:
        self.slow_label.setText(f"Slow motion: {ms} ms per frame" if ms else "Slow motion: off")
        self.slow_motion_changed.emit(ms / 1000.0)

    def settings_or_none(self) -> Any:
        try:
            return self.read_settings()
        except ValueError:
            return None
