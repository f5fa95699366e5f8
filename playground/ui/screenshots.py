"""What each screenshot shows: every tab with its default data loaded (used by the CLI).

A scene sets a tab up and returns a ready-check; the CLI pumps the event loop
until it holds, then grabs the window. The Train scenes grab mid-run. The
Generate scenes write with a GPT (``PLAYGROUND_SCREENSHOT_GPT``, a run folder,
or else the bundled one) and open one token's candidates and attention; draw
with a diffusion model of images (``PLAYGROUND_SCREENSHOT_DIFFUSION``, else the
bundled "digits") and stop the filmstrip mid-way; and make a note with a
diffusion model of sound (``PLAYGROUND_SCREENSHOT_SOUND``, else the bundled
"instruments") from the keyboard strip. A scene without its model is skipped
with a note.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from playground.core.runs.bundled_models import bundled_models
from playground.ui.generate.image_section import ImageSection
from playground.ui.generate.sound_section import SoundSection
from playground.ui.generate.text_section import TextSection
from playground.ui.main_window import MainWindow
from playground.ui.tabs.generate_tab import GenerateTab
from playground.ui.tabs.preprocess_tab import PreprocessTab
from playground.ui.tabs.train_tab import TrainTab

Scene = Callable[[], Callable[[], bool]]
TRAIN_STEPS_SHOWN = {"gan": 600, "points": 1500, "text": 520, "diffusion": 260}  # grab once training got this far
# ... or after this long, once a quarter of those steps are done: on a slow or busy machine (the GAN at 5 steps/s
# beside a build) the full count did not come within the command's 300 s for each picture.
TRAIN_SECONDS_SHOWN = 180.0
GPT_ENV = "PLAYGROUND_SCREENSHOT_GPT"  # a GPT run folder for the Generate scene
PROMPT, TOKENS, SEED = "ROMEO:\n", 320, 7  # the Generate scene's request
TOKEN_FROM = 30  # the token explained: the first from here on that sampling took over a likelier one
MEDIA_ENV = {"image": "PLAYGROUND_SCREENSHOT_DIFFUSION", "audio": "PLAYGROUND_SCREENSHOT_SOUND"}  # run folders
MEDIA_BUNDLED = {"image": "digits", "audio": "instruments"}  # the bundled models the scenes draw with otherwise
IMAGE_PROMPT, IMAGE_COUNT, IMAGE_SEED = "a handwritten 7", 8, 3  # the Images scene's request (or the model's 1st prompt)
SOUND_NOTE, SOUND_INSTRUMENT, SOUND_SEED = 69, "flute", 1  # the Sound scene's key: A4 on the flute, if it has one
FILM_AT = 0.4  # where the filmstrip is stopped, as a share of the steps: noise and guess both visible


def screenshot_gpt() -> str | None:
    """The GPT the Generate scene writes with: $PLAYGROUND_SCREENSHOT_GPT, else the bundled Shakespeare
    model (the scene's prompt is a speaker's name), else the first bundled one."""
    chosen = os.environ.get(GPT_ENV)
    if chosen:
        return chosen
    found = sorted(bundled_models("gpt"), key=lambda m: m.name != "shakespeare")
    return found[0].name if found else None


def generate_text_scene(window: MainWindow, ref: str) -> Scene:
    generate = window.tab(GenerateTab)
    assert isinstance(generate, GenerateTab)
    section = generate.section(TextSection)
    assert isinstance(section, TextSection)

    def scene() -> Callable[[], bool]:
        window.tabs.setCurrentWidget(generate)
        section.controls.add_model(ref, ref)  # loads it
        state: dict[str, Any] = {"asked": False}

        def ready() -> bool:
            model = section.model()
            if model is None or model.ref != ref or section.is_busy() and not state["asked"]:
                return False
            if not state["asked"]:
                c = section.controls
                c.prompt.setPlainText(PROMPT)
                c.max_tokens.setValue(TOKENS)
                c.seed.setValue(SEED)
                state["asked"] = section.generate() is not None
                return False
            if section.is_busy() or not section.history.entries:
                return False
            if "token" not in state:
                generation = section.history.entries[-1].generation
                state["token"] = next((k for k, c in enumerate(generation.choices) if k >= TOKEN_FROM and
                                       c.chosen_index > 0), len(generation.choices) - 1)
                section.output.select(state["token"])
                section.select_token(generation, state["token"])
                return False
            return not section.is_busy() and section.inspector.attention_weights().size > 0

        return ready

    return scene


def screenshot_media_model(kind: str) -> str | None:
    """The model a media scene uses: the run folder in its variable, else the bundled one, else None."""
    chosen = os.environ.get(MEDIA_ENV[kind])
    if chosen:
        return chosen
    found = [m.name for m in bundled_models("diffusion") if m.name == MEDIA_BUNDLED[kind]]
    return found[0] if found else None


def _stop_filmstrip(filmstrip: Any) -> None:
    filmstrip.set_index(int(FILM_AT * max(0, filmstrip.frame_count() - 1)))


def _media_scene(window: MainWindow, kind: type, ref: str, ask: Callable[[Any, Any], None],
                 shown: Callable[[Any], bool]) -> Scene:
    """Load ``ref`` into the Generate section of type ``kind``, ``ask`` for a result, stop its
    filmstrip part-way and wait until ``shown`` (the nearest training items found)."""
    generate = window.tab(GenerateTab)
    assert isinstance(generate, GenerateTab)
    section = generate.section(kind)
    assert isinstance(section, kind)

    def scene() -> Callable[[], bool]:
        window.tabs.setCurrentWidget(generate)
        generate.sections.setCurrentWidget(section)
        section.controls.picker.add_model(ref, ref)  # loads it
        state: dict[str, Any] = {"asked": False}

        def ready() -> bool:
            model = section.model()
            if model is None or model.ref != ref or section.is_busy() and not state["asked"]:
                return False
            if not state["asked"]:
                ask(section, model)
                state["asked"] = section.generate() is not None
                return False
            if section.is_busy() or section.current() is None:
                return False
            if "film" not in state:
                state["film"] = True
                _stop_filmstrip(section.result.filmstrip)
                return False
            return shown(section)

        return ready

    return scene


def generate_image_scene(window: MainWindow, ref: str) -> Scene:
    def ask(section: ImageSection, model: Any) -> None:
        c = section.controls
        prompts = model.drawer.suggestions()
        c.prompt.set_text(IMAGE_PROMPT if IMAGE_PROMPT in prompts or not prompts else prompts[0])
        c.form.count.setValue(IMAGE_COUNT)
        c.form.seed.setValue(IMAGE_SEED)

    return _media_scene(window, ImageSection, ref, ask, lambda section: section.copying.neighbours is not None)


def generate_sound_scene(window: MainWindow, ref: str) -> Scene:
    def ask(section: SoundSection, _model: Any) -> None:
        strip = section.keyboard
        strip.set_instrument(SOUND_INSTRUMENT)
        notes = strip.keys.notes()
        heard = [n for n in notes if not strip.keys.is_unheard(n)] or list(notes)
        note = SOUND_NOTE if SOUND_NOTE in heard else heard[len(heard) // 2]
        strip.keys.select(note)
        strip.keys.note_clicked.emit(note)  # as a click on the key: fills the prompt
        section.controls.form.seed.setValue(SOUND_SEED)

    return _media_scene(window, SoundSection, ref, ask, lambda section: section.nearest.found is not None)


def train_ready(step: int, wanted: int, seconds: float, running: bool) -> bool:
    """Whether a Train scene is worth grabbing: ``wanted`` steps done, or a quarter of them after
    ``TRAIN_SECONDS_SHOWN``, or the run ended."""
    return step >= wanted or (seconds >= TRAIN_SECONDS_SHOWN and step >= wanted // 4) or not running


def tab_scenes(window: MainWindow) -> Iterator[tuple[str, Scene]]:
    """Yield ``(filename, scene)`` for every tab and modality worth showing."""
    datasets = window.datasets_tab
    preprocess = window.tab(PreprocessTab)
    train = window.tab(TrainTab)
    assert isinstance(preprocess, PreprocessTab) and isinstance(train, TrainTab)

    def loaded(modality: str) -> bool:
        shown = datasets.shown_overview()
        probed = not window.device_label.text().endswith("detecting…")
        return probed and not datasets.is_loading() and shown is not None and shown.dataset.modality == modality

    def datasets_scene(modality: str) -> Scene:
        def scene() -> Callable[[], bool]:
            window.tabs.setCurrentWidget(datasets)
            datasets.select_default(modality)
            return lambda: loaded(modality)

        return scene

    def preprocess_scene(modality: str) -> Scene:
        def scene() -> Callable[[], bool]:
            datasets.select_default(modality)
            window.tabs.setCurrentWidget(preprocess)
            return lambda: loaded(modality) and preprocess.screenshot_ready()

        return scene

    def train_scene(modality: str, family: str = "") -> Scene:
        """The default dataset of ``modality`` training mid-run, with ``family`` where the data offers several."""
        def scene() -> Callable[[], bool]:
            window.tabs.setCurrentWidget(train)
            if train.is_running():  # the last scene's run: stop it as a user would, before picking other data
                train.controls.stop_button.click()
            state: dict[str, Any] = {"started": False, "picked": False, "since": 0.0}

            def ready() -> bool:
                if not state["picked"]:
                    if train.is_running():
                        return False
                    datasets.select_default(modality)
                    state["picked"] = True
                if not loaded(modality):
                    return False
                if not state["started"]:
                    if family:
                        combo = train.controls.family
                        if combo.findData(family) < 0:
                            return False  # the tab has not offered this data's families yet
                        combo.setCurrentIndex(combo.findData(family))
                    state["started"], state["since"] = train.start() is not None, time.monotonic()
                    return False
                return train_ready(train.history().last_step(), TRAIN_STEPS_SHOWN[family or modality],
                                   time.monotonic() - state["since"], train.is_running())

            return ready

        return scene

    for modality in ("image", "text", "audio", "points"):
        yield f"datasets-{modality}.png", datasets_scene(modality)
    for modality in ("image", "text", "audio"):
        yield f"preprocess-{modality}.png", preprocess_scene(modality)
    # The digits are captioned, so their Train tab offers the GAN and diffusion: name the GAN, or the picture
    # shows whichever family the tab lists first.
    yield "train-image.png", train_scene("image", "gan")
    for modality in ("points", "text"):
        yield f"train-{modality}.png", train_scene(modality)
    yield "train-diffusion.png", train_scene("image", "diffusion")
    ref = screenshot_gpt()
    if ref is None:
        print(f"generate-text.png: skipped, there is no GPT model to write with (set {GPT_ENV} to a run folder "
              "trained with 'train text')", file=sys.stderr)
    else:
        yield "generate-text.png", generate_text_scene(window, ref)
    for kind, filename, make in (("image", "generate-image.png", generate_image_scene),
                                 ("audio", "generate-audio.png", generate_sound_scene)):
        model = screenshot_media_model(kind)
        if model is None:
            print(f"{filename}: skipped, there is no {'image' if kind == 'image' else 'sound'} model to use (set "
                  f"{MEDIA_ENV[kind]} to a run folder trained with 'train diffusion')", file=sys.stderr)
        else:
            yield filename, make(window, model)
