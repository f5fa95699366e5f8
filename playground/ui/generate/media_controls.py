"""The left column the Images and Sound sections share: the model and its card, the prompt, the sampling
settings, and the buttons (Generate, Stop, seeds side by side, save, open and verify a file).

A kind subclasses ``MediaControls`` and fills in its words (class attributes),
its card's rows (``_card_rows``) and, if it needs one, its own form
(``_make_form``) and buttons (``EXTRA``).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from PySide6.QtWidgets import QGridLayout, QPushButton, QSpinBox, QVBoxLayout, QWidget

from playground.ui.generate.diffusion_form import DiffusionForm
from playground.ui.generate.model_picker import MessageLine, ModelPicker, trained_for
from playground.ui.generate.prompt_box import PromptBox


class MediaControls(QWidget):
    """Widgets only: the section reads them and wires their signals."""

    MODELS_TIP: ClassVar[str]  # the model list's tooltip: which models it offers
    NO_MODEL: ClassVar[str]  # the card while no model is loaded
    PROMPT_HINT: ClassVar[str]  # the prompt's placeholder
    FILE: ClassVar[str]  # the file type outputs are saved as ("PNG", "WAV"), named on the buttons
    SAVE_TIP: ClassVar[str]  # what "Save as …" writes
    OPEN_TIP: ClassVar[str]  # what "Open …" puts back
    VERIFY_TIP: ClassVar[str]  # what "Verify …" checks
    SEEDS_TIP: ClassVar[str]  # what "Seeds side by side" makes
    SEED_COUNT: ClassVar[tuple[int, int, int]]  # (fewest, most, default) seeds side by side
    SEED_COUNT_TIP: ClassVar[str] = ""  # the seed count's tooltip ("": none)
    EXTRA: ClassVar[tuple[tuple[str, str], ...]] = ()  # (text, tooltip) of the kind's own buttons, two a row

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.picker = ModelPicker(self.MODELS_TIP, self.NO_MODEL)
        self.prompt = PromptBox(self.PROMPT_HINT)
        self.form = self._make_form()
        self.generate_button, self.stop_button = QPushButton("Generate"), QPushButton("Stop")
        self.generate_button.setDefault(True)
        self.seeds_button = QPushButton("Seeds side by side")
        self.seeds_button.setToolTip(self.SEEDS_TIP)
        self.seed_count = QSpinBox()
        fewest, most, default = self.SEED_COUNT
        self.seed_count.setRange(fewest, most)
        self.seed_count.setValue(default)
        if self.SEED_COUNT_TIP:
            self.seed_count.setToolTip(self.SEED_COUNT_TIP)
        self.extra_buttons = tuple(self._button(text, tip) for text, tip in self.EXTRA)
        self.save_button = self._button(f"Save as {self.FILE}…", self.SAVE_TIP)
        self.open_button = self._button(f"Open {self.FILE}…", self.OPEN_TIP)
        self.verify_button = self._button(f"Verify {self.FILE}…", self.VERIFY_TIP)
        self.message = MessageLine()
        buttons = QGridLayout()
        extra = zip(self.extra_buttons[::2], self.extra_buttons[1::2], strict=True)
        pairs: list[tuple[QWidget, QWidget]] = [(self.generate_button, self.stop_button),
                                                (self.seeds_button, self.seed_count), *extra,
                                                (self.save_button, self.open_button)]
        for row, (left, right) in enumerate(pairs):
            buttons.addWidget(left, row, 0)
            buttons.addWidget(right, row, 1)
        buttons.addWidget(self.verify_button, len(pairs), 0, 1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.picker, self.prompt, self.form):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addStretch(1)

    @staticmethod
    def _button(text: str, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        return button

    def _make_form(self) -> DiffusionForm:
        return DiffusionForm()

    def _card_rows(self, card: dict[str, Any], snapshots: int, training: int | None,
                   rate: int) -> list[tuple[str, str]]:
        """The card's rows; ``_trained_rows`` gives those every kind shows."""
        raise NotImplementedError

    @staticmethod
    def _trained_rows(card: dict[str, Any]) -> list[tuple[str, str]]:
        """What the model was trained on and for, and its last loss when it is known."""
        loss = float(card["loss"]) if card.get("loss") is not None else math.nan
        rows = [("Trained on", str(card.get("source") or "unknown data")), ("For", trained_for(card))]
        if math.isfinite(loss):
            rows.append(("Last loss", f"{loss:.4f}"))
        until = float(card.get("guidance_until") or 0)
        if until > 0:
            rows.append(("Guidance", f"on the steps above {until:.0%} noise; "
                                     "the last ones follow the prompt unguided, each at half the cost"))
        return rows

    def read_request(self, n: int | None = None) -> Any:
        """The ``ImageRequest`` the widgets describe; ValueError with the reason otherwise."""
        return self.form.read(self.prompt.text(), n)

    def set_request(self, request: Any) -> None:
        self.prompt.set_text(request.prompt)
        self.form.set_request(request)

    def show_card(self, card: dict[str, Any] | None, snapshots: int = 0, training: int | None = None,
                  rate: int = 0) -> None:
        """The loaded model's card (None: no model); ``training``: its training outputs kept, ``rate``: Hz."""
        self.picker.show_card(None if card is None else self._card_rows(card, snapshots, training, rate))

    def set_state(self, loaded: bool, busy: bool, result: bool) -> None:
        """Buttons for what is possible now."""
        for button in (self.generate_button, self.seeds_button):
            button.setEnabled(loaded)
        self.save_button.setEnabled(result)
        self.stop_button.setEnabled(busy)

    def say(self, message: str, level: str = "info") -> None:
        self.message.say(message, level)
