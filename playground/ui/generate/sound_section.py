"""The Generate tab's Sound section: ask for a note, hear it, watch its spectrogram emerge from noise.

Left: the model and its card, the prompt, the settings, the buttons. Middle:
the keyboard strip (click a note to ask for it), the result's waveform and
spectrogram with Play, the filmstrip of its spectrogram being denoised (hear
any step), seeds side by side, and the history. Right: the nearest training
sound, playable beside it. Every load, sound and measurement is a job
(``playground.core.generate.audio``); playback goes through PortAudio, and
without an output device the section says so and everything else works.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtWidgets import QListWidgetItem, QTabWidget, QWidget

from playground.core.audio_out import AudioUnavailable, play, stop
from playground.ui.generate.keyboard_strip import KeyboardStrip
from playground.ui.generate.media_section import MediaSection
from playground.ui.generate.receipt_files import ReceiptFiles
from playground.ui.generate.sound_controls import SoundControls
from playground.ui.generate.sound_views import NearestClipPanel, SoundHistory, SoundResultPage
from playground.ui.job_runner import JobHandle, JobRunner
from playground.ui.widgets.clip_list import ClipList

MAKE, NEAR, STEP = "sound-make", "sound-nearest", "sound-step"  # job slots of work on the loaded model


class SoundSection(MediaSection):
    KIND = "audio"
    LOADER = ("playground.core.generate.audio", "load_sound_model_job")
    LIST, LOAD, WORK = "sound-models", "sound-load", (MAKE, NEAR, STEP)
    FAMILIES = ("diffusion",)
    NO_MODELS = ("No sound model yet: train a diffusion model on the Train tab with the instrument notes, or open a "
                 "run folder.")
    OPEN_TITLE = "Open a diffusion run trained on sounds"
    MAKE_JOB = ("playground.core.generate.audio", "generate_sound_job")
    BEGIN, MAKING = "Making “{prompt}”…", "Denoising the spectrogram…"
    NOT_SAVABLE = "Make (or pick from the history) a sound of the loaded model first."

    def __init__(self, runner: JobRunner, parent: QWidget | None = None):
        super().__init__(runner, parent)
        self._seed_runs: tuple[Any, ...] = ()
        self.last_played: np.ndarray | None = None  # the clip Play last sent to the output (or tried to)
        self.controls = SoundControls()
        self.keyboard = KeyboardStrip()
        self.result = SoundResultPage()
        self.seeds = ClipList(icon_size=48)
        self.files = ReceiptFiles(self._jobs, "WAV", ".wav", "sound", self)
        self.views = QTabWidget()
        self.views.addTab(self.result, "Sound")
        self.views.addTab(self.seeds, "Seeds side by side")
        self.history = SoundHistory()
        self.nearest = NearestClipPanel()
        self._lay_out((self.keyboard, self.views, self.history), [80, 520, 90], self.nearest, [300, 680, 260])
        self.keyboard.prompt_chosen.connect(self._on_keyboard_prompt_chosen)
        self.result.play_clicked.connect(self._on_result_play_clicked)
        self.result.stop_clicked.connect(self._on_result_stop_clicked)
        self.result.play_step_clicked.connect(self.play_step)
        self.nearest.play_result_clicked.connect(self._on_nearest_play_result_clicked)
        self.nearest.play_nearest_clicked.connect(self._on_nearest_play_nearest_clicked)
        self.seeds.list.itemClicked.connect(self._on_seeds_item_clicked)
        self._connect_shared()

    # -- the model ------------------------------------------------------------------------------
    def load_model(self, ref: str) -> JobHandle:
        self.keyboard.set_keyboard(None)
        return super().load_model(ref)

    def _loaded(self, model: Any) -> None:
        gen, training = model.generator, model.training
        self.controls.show_card(gen.card(), len(model.snapshots), len(training.images) if training else None,
                                model.sample_rate)
        self.controls.prompt.set_suggestions(gen.prompts)
        self.controls.form.set_defaults(gen.config.sampler, gen.config.sample_steps, gen.config.guidance)
        if not self.controls.prompt.text().strip() and gen.prompts:
            self.controls.prompt.set_text(gen.prompts[0])
        self.keyboard.set_keyboard(model.keyboard)
        self.nearest.clear("" if training else "This model did not keep its training sounds: new-or-copy is not "
                                               "measured.")
        self.controls.say(f"Loaded {Path(model.ref).name}. Click a note on the keyboard, or write a prompt, and "
                          "press Generate.")

    def _unknown_message(self, prompt: str) -> str:
        words = self._model.unknown(prompt)
        if not words:
            return ""
        quoted = ", ".join(f"“{w}”" for w in words[:12])
        return (f"This model never saw {quoted} in its captions: it plays as if "
                f"{'that word was' if len(words) == 1 else 'those words were'} not there.")

    def _on_keyboard_prompt_chosen(self, prompt: str) -> None:
        self.controls.prompt.set_text(prompt)
        self.controls.say(f"Prompt set to “{prompt}”: press Generate.")

    # -- making sounds ------------------------------------------------------------------------------
    def _done_message(self, generation: Any) -> str:
        return "Done: press Play. Drag the filmstrip to watch the spectrogram denoise, and play any step."

    def find_nearest(self, index: int) -> JobHandle | None:
        """Find the training sound nearest to sound ``index`` of the one shown (in a job)."""
        if self._current is None or self._model is None or self._model.training is None:
            return None
        if self._current.model != self._model.ref:
            self.nearest.clear("This sound is not from the loaded model: load its model to compare it.")
            return None
        from playground.core.generate.audio import nearest_clip_job

        spectrogram = self._current.spectrograms[index]
        self.nearest.begin(spectrogram, f"result: “{self._current.request.prompt}”")
        return self._jobs.start(NEAR, nearest_clip_job(self._model, spectrogram), finished=self.nearest.show_nearest)

    def _on_seeds_clicked(self) -> None:
        request = self._request(1)
        if request is None:
            return
        from playground.core.generate.audio import variants_job

        seeds = [request.seed + k for k in range(self.controls.seed_count.value())]
        self.views.setCurrentWidget(self.seeds)
        self._jobs.start(MAKE, variants_job(self._model, request, seeds), event=self._on_job_status,
                         finished=self._on_seeds_finished)

    def _on_seeds_finished(self, generations: object) -> None:
        self._seed_runs = g = tuple(generations)
        self.seeds.set_clips(np.concatenate([x.clips for x in g]), g[0].result.sample_rate,
                             np.concatenate([x.spectrograms for x in g]), [f"seed {x.request.seed}" for x in g],
                             f"“{g[0].request.prompt}”, ")
        for x in g:
            self.history.add(x, label=f"seed {x.request.seed}")
        self.controls.say("Seeds done: select one and press Play; click one to see its filmstrip on the Sound page.")

    def _on_seeds_item_clicked(self, item: QListWidgetItem) -> None:
        row = self.seeds.list.row(item)
        if 0 <= row < len(self._seed_runs):
            self._current = self._seed_runs[row]  # shown on the Sound page, without leaving the list
            self.result.show_generation(self._current)
            self._update_state()
            self.find_nearest(0)

    # -- playback ---------------------------------------------------------------------------------
    def play(self, clip: np.ndarray, what: str) -> bool:
        """Play ``clip`` at the model's rate; False (and a message in words) when there is no sound output."""
        self.last_played = clip
        rate = self._model.sample_rate if self._model is not None else 16_000
        try:
            seconds = play(clip, rate)
        except AudioUnavailable as exc:
            self.controls.say(f"{str(exc).rstrip('.')}. Everything else works: the waveform and spectrogram show the "
                              "sound.", "warning")
            return False
        self.controls.say(f"Playing {what} ({seconds:.1f} s).")
        return True

    def _on_result_play_clicked(self, index: int) -> None:
        if self._current is not None and 0 <= index < len(self._current.clips):
            self.play(self._current.clips[index], f"sound {index + 1}")

    def _on_result_stop_clicked(self) -> None:
        stop()

    def play_step(self, step: int) -> JobHandle | None:
        """Turn the clean guess at filmstrip ``step`` into sound (in a job) and play it."""
        if self._current is None or self._model is None or not 0 <= step < len(self._current.film):
            return None
        from playground.core.generate.audio import frame_audio_job

        self.controls.say(f"Turning the guess at step {step + 1} into sound…")
        return self._jobs.start(STEP, frame_audio_job(self._model, self._current.film[step][2]),
                                finished=lambda clip, step=step: self.play(clip, f"the guess at step {step + 1}"))

    def _on_nearest_play_result_clicked(self) -> None:
        self._on_result_play_clicked(0)

    def _on_nearest_play_nearest_clicked(self) -> None:
        found = self.nearest.found
        if found is not None:
            self.play(found.clip, f"the training sound “{found.caption}”" + ("" if found.real else
                                                                             " (rebuilt from its spectrogram)"))

    # -- save -------------------------------------------------------------------------------------------
    def _file_bytes(self, model: Any, generation: Any) -> Callable[[], bytes]:
        """The sound picked on the result page, as a WAV with its receipt."""
        from playground.core.generate.audio import saved_wav

        index = self.result.current_clip()
        return lambda: saved_wav(model, generation, index)

    # -- jobs ---------------------------------------------------------------------------------------
    def _on_jobs_failed(self, slot: str, message: str) -> None:
        if slot == NEAR:
            self.nearest.clear(message)
        super()._on_jobs_failed(slot, message)

    def _update_state(self) -> None:
        self.controls.set_state(self._model is not None, self._jobs.running(MAKE), self._current is not None)
