"""The Sound section's keyboard strip: pick an instrument, click a note, and the prompt asks for it.

Built from the loaded model's captions (``playground.core.generate.keyboard``):
the instruments it learned and, for each, the notes from its lowest to its
highest; notes it never heard on that instrument (held out of training) are
hatched, with a tooltip saying why.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground.ui.widgets.note_keyboard import NoteKeyboard


class KeyboardStrip(QWidget):
    prompt_chosen = Signal(str)  # the prompt a key asks for ("a flute playing A4")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._keyboard: Any = None  # the loaded model's Keyboard
        self.instrument = QComboBox()
        self.instrument.setToolTip("The instruments the model learned")
        self.keys = NoteKeyboard()
        self.legend = QLabel("Load a sound model: its instruments and notes appear here.")
        self.legend.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("<b>Keyboard</b>"))
        row.addWidget(self.instrument)
        row.addWidget(self.legend, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.keys)
        self.instrument.currentIndexChanged.connect(self._on_instrument_current_index_changed)
        self.keys.note_clicked.connect(self._on_keys_note_clicked)

    def set_keyboard(self, keyboard: Any) -> None:
        """Offer a model's ``Keyboard`` (None: empty)."""
        self._keyboard = keyboard
        self.instrument.blockSignals(True)
        self.instrument.clear()
        for name in keyboard.instruments if keyboard is not None else ():
            self.instrument.addItem(name)
        self.instrument.blockSignals(False)
        self._on_instrument_current_index_changed(0)

    def set_instrument(self, name: str) -> None:
        found = self.instrument.findText(name)
        if found >= 0:
            self.instrument.setCurrentIndex(found)

    def current_instrument(self) -> str:
        return self.instrument.currentText()

    def _on_instrument_current_index_changed(self, _index: int) -> None:
        k, name = self._keyboard, self.current_instrument()
        if k is None or not name:
            self.keys.set_notes(())
            return
        notes = k.notes(name)
        unheard = [n for n in notes if not k.heard_note(name, n)]
        self.keys.set_notes(notes, unheard, lambda midi: self.tip(name, midi))
        self.legend.setText(f"Click a note to ask for it. {len(unheard)} hatched key(s): notes the model never "
                            f"heard on the {name} (held out of training)." if unheard else
                            "Click a note to ask for it." + ("" if k.from_captions else
                                                             " (Its captions name no notes: every key is offered.)"))

    def tip(self, instrument: str, midi: int) -> str:
        """A key's tooltip: the prompt it writes, and why the model never heard it, if it did not."""
        k = self._keyboard
        prompt = k.prompt(instrument, midi)
        return f"“{prompt}”" if k.heard_note(instrument, midi) else f"“{prompt}”\n{k.why_unheard(instrument, midi)}"

    def _on_keys_note_clicked(self, midi: int) -> None:
        if self._keyboard is not None and self.current_instrument():
            self.prompt_chosen.emit(self._keyboard.prompt(self.current_instrument(), midi))
