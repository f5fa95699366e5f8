"""The Train tab's left column: preset, settings form, run buttons and slow motion."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from playground.core.device import DEVICE_CHOICES
from playground.core.training.gan_config import AUGMENTS, GAN_PRESETS, LOSSES, GANConfig
from playground.ui.widgets.config_form import ConfigForm

FORM_FIELDS = ("steps", "batch_size", "latent_dim", "lr_g", "lr_d", "betas_g", "betas_d", "d_steps", "loss",
               "label_smoothing", "spectral_norm", "ema_decay", "info_codes", "augment", "conditional", "seed", "device",
               "mixed_precision", "cpu_threads")
IMAGE_ONLY_FIELDS = ("info_codes", "augment")  # the 2D points' MLP GAN ignores these
FORM_LABELS = {"lr_g": "Learning rate G", "lr_d": "Learning rate D", "betas_g": "Adam betas G", "betas_d": "Adam betas D",
               "d_steps": "D steps per G step", "ema_decay": "EMA of G (decay)", "cpu_threads": "CPU threads (0: auto)",
               "latent_dim": "Latent size", "info_codes": "InfoGAN codes (0: off)",
               "augment": "Augment D's input"}
FORM_RANGES = {"steps": (1, 10_000_000), "batch_size": (1, 4096), "latent_dim": (1, 1024), "d_steps": (1, 10),
               "label_smoothing": (0.0, 0.45), "ema_decay": (0.0, 0.9999), "seed": (0, 2**31 - 1), "cpu_threads": (0, 256),
               "info_codes": (0, 64)}


class GANSettings(QWidget):
    """Builds a validated ``GANConfig`` in one place; shows a bad value's message in place."""

    config_changed = Signal(object)  # a valid GANConfig, after each edit
    slow_motion_changed = Signal(float)  # seconds to wait after each frame

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.data_label = QLabel()
        self.data_label.setWordWrap(True)
        self.preset = QComboBox()
        self.preset.addItems(list(GAN_PRESETS))
        self.preset.setCurrentText("default")
        self.form = ConfigForm(GAN_PRESETS["default"], FORM_FIELDS, choices={"loss": LOSSES, "device": DEVICE_CHOICES, "augment": AUGMENTS},
                               labels=FORM_LABELS, ranges=FORM_RANGES)
        self.config_error = QLabel()
        self.config_error.setWordWrap(True)
        self.config_error.setStyleSheet("color: #b00020;")
        self.start_button, self.pause_button = QPushButton("Start"), QPushButton("Pause")
        self.step_button, self.stop_button = QPushButton("Step once"), QPushButton("Stop")
        self.step_which = QComboBox()
        self.step_which.addItems(["both", "d", "g"])
        self.step_which.setToolTip("Step once trains D and G, only D, or only G (watch the 2D view)")
        self.resume_button = QPushButton("Resume from checkpoint…")
        self.export_png_button, self.export_gif_button = QPushButton("Export grid PNG…"), QPushButton("Export timeline GIF…")
        self.slow_motion = QSlider(Qt.Orientation.Horizontal)
        self.slow_motion.setRange(0, 500)
        self.slow_label = QLabel("Slow motion: off")
        buttons = QGridLayout()
        buttons.addWidget(self.start_button, 0, 0)
        buttons.addWidget(self.pause_button, 0, 1)
        buttons.addWidget(self.stop_button, 0, 2)
        buttons.addWidget(self.step_button, 1, 0)
        buttons.addWidget(self.step_which, 1, 1)
        buttons.addWidget(self.resume_button, 2, 0, 1, 3)
        buttons.addWidget(self.export_png_button, 3, 0, 1, 3)
        buttons.addWidget(self.export_gif_button, 4, 0, 1, 3)
        preset_row = QHBoxLayout()
        preset_row.addWidget(QLabel("Preset"))
        preset_row.addWidget(self.preset, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.data_label)
        layout.addLayout(preset_row)
        layout.addWidget(self.form)
        layout.addWidget(self.config_error)
        layout.addLayout(buttons)
        layout.addWidget(self.slow_label)
        layout.addWidget(self.slow_motion)
        layout.addStretch(1)
        self.preset.currentTextChanged.connect(self._on_preset_text_changed)
        self.form.changed.connect(self._on_form_changed)
        self.slow_motion.valueChanged.connect(self._on_slow_motion_value_changed)

    def set_points_mode(self, points: bool) -> None:
        """Grey out the settings the MLP GAN for 2D points does not use."""
        for name in IMAGE_ONLY_FIELDS:
            widget = self.form.widget(name)
            widget.setEnabled(not points)
            widget.setStatusTip("used for images only" if points else "")

    def read_config(self) -> GANConfig:
        """The form as a validated ``GANConfig`` (raises ValueError with a readable message)."""
        return GANConfig.preset(self.preset.currentText()).replace(**self.form.values())

    def show_error(self, message: str) -> None:
        self.config_error.setText(message)

    def set_running(self, running: bool, paused: bool) -> None:
        self.start_button.setEnabled(not running)
        self.resume_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.step_button.setEnabled(running)
        self.stop_button.setEnabled(running)

    def _on_preset_text_changed(self, name: str) -> None:
        self.form.set_values(GAN_PRESETS[name])
        self.config_error.clear()

    def _on_form_changed(self) -> None:
        try:
            config = self.read_config()
        except ValueError as exc:
            self.config_error.setText(str(exc))
            return
        self.config_error.clear()
        self.config_changed.emit(config)

    def _on_slow_motion_value_changed(self, ms: int) -> None:
        self.slow_label.setText(f"Slow motion: {ms} ms per frame" if ms else "Slow motion: off")
        self.slow_motion_changed.emit(ms / 1000.0)
