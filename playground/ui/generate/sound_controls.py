"""The Sound section's left column: the model and its card, the prompt, the settings, the buttons."""

from __future__ import annotations

from typing import Any

from playground.ui.generate.diffusion_form import DiffusionForm
from playground.ui.generate.media_controls import MediaControls


class SoundControls(MediaControls):
    MODELS_TIP = "The bundled sound models and every diffusion model trained in the app on sounds"
    NO_MODEL = "No model loaded. Pick one above, or open a diffusion run trained on sounds on the Train tab."
    PROMPT_HINT = "what to play, like the captions (e.g. a flute playing A4)"
    FILE = "WAV"
    SAVE_TIP = "The sound as a 16-bit WAV, with the settings and a receipt in its metadata"
    OPEN_TIP = "Put the settings of a saved WAV back (or drop the WAV on this section)"
    VERIFY_TIP = "Make a saved WAV again from its receipt and check it is identical"
    SEEDS_TIP = "One sound each for the seed above and the next ones"
    SEED_COUNT = (2, 8, 4)

    def _make_form(self) -> DiffusionForm:
        form = DiffusionForm(count_label="Sounds at once",
                             count_tip="How many sounds to make at once (different start noise each)")
        form.count.setValue(1)
        form.count.setMaximum(16)
        return form

    def _card_rows(self, card: dict[str, Any], snapshots: int, training: int | None,
                   rate: int) -> list[tuple[str, str]]:
        rows = self._trained_rows(card)
        bands, frames = str(card.get("image", "1x?x?")).split("x")[1:3] if "x" in str(card.get("image")) else ("?", "?")
        rows.append(("Size", f"{int(card.get('parameters', 0)) / 1e6:.2f} M parameters; draws {bands} mel bands x "
                             f"{frames} frames, played at {rate:,} Hz"))
        if card.get("pitch_hint"):
            rows.append(("Pitch", "a note named in the prompt (A4, C#3) is also drawn for the model as a plain "
                                  "tone's spectrum, which it fills in with the instrument's sound"))
        rows.append(("Training sounds", f"{training:,} kept (new, or a copy?)" if training else
                     "not kept: new-or-copy is not measured"))
        return rows
