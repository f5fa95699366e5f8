"""The Images section's left column: the model and its card, the prompt, the settings, the buttons."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from playground.ui.generate.media_controls import MediaControls


class ImageControls(MediaControls):
    MODELS_TIP = ("The bundled image models, every diffusion model trained in the app on images, and every "
                  "conditional GAN (its label is the prompt)")
    NO_MODEL = ("No model loaded. Pick one above, or open a diffusion run (or a conditional GAN) trained on the "
                "Train tab.")
    PROMPT_HINT = "what to draw, in the words of the captions (e.g. a handwritten 7)"
    FILE = "PNG"
    SAVE_TIP = "The images as one PNG, with the settings and a receipt in its text fields"
    OPEN_TIP = "Put the settings of a saved PNG back (or drop the PNG on this section)"
    VERIFY_TIP = "Draw a saved PNG again from its receipt and check it is identical, bit for bit"
    SEEDS_TIP = "One image each for the seed above and the next ones"
    SEED_COUNT = (2, 12, 6)
    SEED_COUNT_TIP = "How many seeds side by side"
    EXTRA = (("Guidance sweep", "The same prompt and seed at guidance 0, 1, 2, 4, 7 and 10: how well the images "
                                "obey the prompt, and how varied they are"),
             ("Time travel", "The same prompt and seed drawn by each snapshot the run kept as it learned"))

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.sweep_button, self.time_travel_button = self.extra_buttons

    def _card_rows(self, card: dict[str, Any], snapshots: int, training: int | None,
                   rate: int) -> list[tuple[str, str]]:
        rows = [("What", str(card.get("what", card.get("family", "")))), *self._trained_rows(card)]
        rows.append(("Size", f"{int(card.get('parameters', 0)) / 1e6:.2f} M parameters, images "
                             f"{card.get('image', '?')}"))
        rows.append(("Snapshots", f"{snapshots} (time travel)" if snapshots else "none kept"))
        rows.append(("Training images", f"{training:,} kept (is it copying?)" if training else
                     "not kept: copied-or-new is not measured"))
        return rows

    def set_state(self, loaded: bool, busy: bool, result: bool, *, guided: bool = False,
                  snapshots: bool = False) -> None:
        """Buttons for what is possible now; the sweep needs a guided model, time travel its snapshots."""
        super().set_state(loaded, busy, result)
        self.sweep_button.setEnabled(loaded and guided)
        self.time_travel_button.setEnabled(loaded and snapshots)
        self.form.set_guided(guided or not loaded)
