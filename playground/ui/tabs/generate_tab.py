"""The Generate tab: a shell with one section per modality ("Text | Images | Sound").

Each section is its own widget taking the job runner; the shell only lays
them out and forwards "the list of trained models changed" (after a training
run ends) to those that list models.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from playground.ui.generate.image_section import ImageSection
from playground.ui.generate.sound_section import SoundSection
from playground.ui.generate.text_section import TextSection
from playground.ui.job_runner import JobRunner

SectionFactory = Callable[[JobRunner], QWidget]
SECTIONS: tuple[tuple[str, SectionFactory], ...] = (("Text", TextSection), ("Images", ImageSection),
                                                      ("Sound", SoundSection))


class GenerateTab(QWidget):
    def __init__(self, runner: JobRunner, parent: QWidget | None = None,
                 sections: tuple[tuple[str, SectionFactory], ...] = SECTIONS):
        super().__init__(parent)
        self.sections = QTabWidget()
        self.sections.setDocumentMode(True)
        for title, make in sections:
            self.sections.addTab(make(runner), title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.sections)

    def section(self, kind: type[QWidget]) -> QWidget:
        """The section of class ``kind`` (LookupError if there is none)."""
        for i in range(self.sections.count()):
            if isinstance(self.sections.widget(i), kind):
                return self.sections.widget(i)
        raise LookupError(f"no {kind.__name__} section")

    def refresh_models(self) -> None:
        """A run ended or a model was saved: sections that list models list them again."""
        for i in range(self.sections.count()):
            refresh = getattr(self.sections.widget(i), "refresh_models", None)
            if callable(refresh):
                refresh()
