"""The Images section's history: each drawing as a thumbnail with its prompt and settings."""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QWidget

from playground.ui.generate.history_list import GenerationHistory, HistoryEntry
from playground.ui.widgets.qimage import to_pixmap

ICON = 40  # px of each drawing's thumbnail


def describe(generation: object) -> str:
    """A drawing's settings in a few words."""
    r = generation.request
    steps = f", {r.steps} {r.sampler} steps, guidance {r.guidance:g}" if generation.film else ""
    snapshot = f", snapshot at step {generation.snapshot:,}" if generation.snapshot is not None else ""
    return f"“{r.prompt}” · seed {r.seed}, {len(generation.images)} image(s){steps}{snapshot}"


class ImageHistory(GenerationHistory):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, "every drawing, with its settings", "Draw the selected one again with its settings",
                         icon_size=ICON)

    def line(self, entry: HistoryEntry) -> tuple[str, str, QIcon | None]:
        generation = entry.generation
        how = f" · {entry.label}" if entry.label else ""
        return (f"#{entry.number}{how} · {describe(generation)}", generation.model,
                QIcon(to_pixmap(generation.images[0], ICON)))
