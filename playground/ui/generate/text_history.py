"""The Text section's history: each output as its settings and the start of its text."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QWidget

from playground.ui.generate.history_list import GenerationHistory, HistoryEntry

EXCERPT = 40  # characters of the output in its history line

def describe(generation: Any) -> str:
    """The settings of an output in a few words."""
    r = generation.request
    return (f"seed {r.seed}, T {r.temperature:g}, top-k {r.top_k or 'off'}, top-p {r.top_p:g}, "
            f"{len(generation.choices)} tokens")


class TextHistory(GenerationHistory):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, rerun_tip="Make the selected output again with its settings (a branch: from the "
                                           "same token)")

    def line(self, entry: HistoryEntry) -> tuple[str, str, QIcon | None]:
        generation = entry.generation
        excerpt = generation.text[:EXCERPT].replace("\n", " ↵ ")
        how = f" · {entry.label}" if entry.label else ""
        return (f"#{entry.number}{how} · {describe(generation)} · “{excerpt}…”",
                f"{generation.model}\n{generation.prompt}{generation.text[:300]}", None)
