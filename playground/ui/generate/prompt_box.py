"""The prompt the Images and Sound sections share: one line to type, the prompts the model learned to pick
from, and the words it never saw, named (never silently dropped)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QComboBox, QGroupBox, QLabel, QLineEdit, QVBoxLayout, QWidget

PICK = "Prompts it learned…"


class PromptBox(QGroupBox):
    def __init__(self, placeholder: str, parent: QWidget | None = None):
        super().__init__("Prompt", parent)
        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText(placeholder)
        self.prompt.setClearButtonEnabled(True)
        self.suggestions = QComboBox()
        self.suggestions.setToolTip("Prompts the model saw while training (its training grid's rows)")
        self.unknown = QLabel()
        self.unknown.setWordWrap(True)
        self.unknown.setStyleSheet("color: #8a5a00;")
        box = QVBoxLayout(self)
        box.addWidget(self.prompt)
        box.addWidget(self.suggestions)
        box.addWidget(self.unknown)
        self.suggestions.activated.connect(self._on_suggestions_activated)

    def text(self) -> str:
        return self.prompt.text()

    def set_text(self, text: str) -> None:
        self.prompt.setText(text)

    def set_suggestions(self, prompts: Sequence[str]) -> None:
        self.suggestions.clear()
        self.suggestions.addItem(PICK, None)
        for prompt in prompts:
            self.suggestions.addItem(prompt, prompt)
        self.suggestions.setEnabled(bool(prompts))

    def show_unknown(self, message: str) -> None:
        """Explain the words the model cannot use ("" when every word is known)."""
        self.unknown.setText(f"⚠ {message}" if message else "")

    def _on_suggestions_activated(self, index: int) -> None:
        prompt = self.suggestions.itemData(index)
        if isinstance(prompt, str):
            self.prompt.setText(prompt)
        self.suggestions.setCurrentIndex(0)
