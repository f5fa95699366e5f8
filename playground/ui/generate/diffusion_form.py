"""The sampling settings the Images and Sound sections share: steps, sampler, guidance, seed and how many.

``read(prompt)`` is the one place an ``ImageRequest`` is made from these widgets;
a bad value's message comes back as ValueError for the section to show.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QSpinBox, QWidget

from playground.core.models.diffusion_config import SAMPLERS

SAMPLER_TIPS = {"ddim": "DDIM: deterministic, good in 20-50 steps",
                "ddpm": "DDPM: the original, adds fresh noise each step (needs more steps)",
                "dpm++2m": "DPM-Solver++(2M): a second-order solver, good in 10-20 steps"}


class DiffusionForm(QWidget):
    def __init__(self, parent: QWidget | None = None, count_label: str = "Batch size",
                 count_tip: str = "How many to draw at once (different start noise each)"):
        super().__init__(parent)
        self.steps = QSpinBox()
        self.steps.setRange(1, 1000)
        self.steps.setValue(20)
        self.steps.setToolTip("Denoising steps: each is one pass of the network")
        self.sampler = QComboBox()
        for name in SAMPLERS:
            self.sampler.addItem(name, name)
            self.sampler.setItemData(self.sampler.count() - 1, SAMPLER_TIPS.get(name, name), Qt.ItemDataRole.ToolTipRole)
        self.guidance = QDoubleSpinBox()
        self.guidance.setRange(0.0, 30.0)
        self.guidance.setSingleStep(0.5)
        self.guidance.setValue(4.0)
        self.guidance.setToolTip("Classifier-free guidance: 0 ignores the prompt, 1 follows it as learned, "
                                 "higher obeys it harder (and varies less)")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("The same seed and settings make the same output, bit for bit")
        self.count = QSpinBox()
        self.count.setRange(1, 64)
        self.count.setValue(4)
        self.count.setToolTip(count_tip)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Steps", self.steps)
        form.addRow("Sampler", self.sampler)
        form.addRow("Guidance scale", self.guidance)
        form.addRow("Seed", self.seed)
        form.addRow(count_label, self.count)

    def read(self, prompt: str, n: int | None = None) -> Any:
        """The ``ImageRequest`` for ``prompt`` (``n``: instead of the count box); ValueError with the reason."""
        from playground.core.generators.diffusion_generator import ImageRequest  # imports torch: not at start-up

        return ImageRequest(prompt.strip(), self.count.value() if n is None else n, self.steps.value(),
                            str(self.sampler.currentData()), round(self.guidance.value(), 4), self.seed.value())

    def set_request(self, request: Any, with_count: bool = True) -> None:
        """Put a request's settings back (re-running from the history, opening a saved file)."""
        self.steps.setValue(int(request.steps))
        found = self.sampler.findData(request.sampler)
        if found >= 0:
            self.sampler.setCurrentIndex(found)
        self.guidance.setValue(float(request.guidance))
        self.seed.setValue(int(request.seed))
        if with_count:
            self.count.setValue(min(int(request.n), self.count.maximum()))

    def set_defaults(self, sampler: str, steps: int, guidance: float) -> None:
        """A newly loaded model's own defaults (what its training grid was drawn with)."""
        self.steps.setValue(int(steps))
        found = self.sampler.findData(sampler)
        if found >= 0:
            self.sampler.setCurrentIndex(found)
        self.guidance.setValue(float(guidance))

    def set_guided(self, guided: bool) -> None:
        """Steps, sampler and guidance mean something only to a diffusion model (a GAN draws in one pass)."""
        for widget in (self.steps, self.sampler, self.guidance):
            widget.setEnabled(guided)
