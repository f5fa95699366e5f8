"""The Generate tab's Images and Sound sections with real widgets over tiny models trained in the test:
prompt and draw, scrub the filmstrip, unknown words, save, open (or drop) and verify a PNG, a conditional
GAN, the keyboard strip, sounds with their waveform, spectrogram, filmstrip and nearest clip, and Play
with or without a sound card."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from media_models import train_tiny_cgan, train_tiny_digits, train_tiny_notes

WAIT_MS = 60_000


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("media-ui")
    return {"digits": train_tiny_digits(root / "digits"), "notes": train_tiny_notes(root / "notes"),
            "cgan": train_tiny_cgan(root / "cgan")}


def _section(qtbot, runner, kind, ref):
    widget = kind(runner)
    qtbot.addWidget(widget)
    widget.resize(1280, 760)
    widget.show()  # lists the (empty) runs folder
    widget.load_model(str(ref))
    qtbot.waitUntil(lambda: widget.model() is not None and not widget.is_busy(), timeout=WAIT_MS)
    return widget


@pytest.fixture
def images(qtbot, runner, runs):
    from playground.ui.generate.image_section import ImageSection

    yield _section(qtbot, runner, ImageSection, runs["digits"])
    runner.shutdown(timeout_s=5.0)


@pytest.fixture
def sounds(qtbot, runner, runs):
    from playground.ui.generate.sound_section import SoundSection

    yield _section(qtbot, runner, SoundSection, runs["notes"])
    runner.shutdown(timeout_s=5.0)


def _idle(section) -> bool:
    return not section.is_busy()


def test_prompt_draw_and_scrub_the_filmstrip(qtbot, images):
    c = images.controls
    assert "above 30% noise" in c.picker.card.text()  # the model card says where guidance stops
    c.prompt.prompt.clear()
    qtbot.keyClicks(c.prompt.prompt, "a handwritten 7")
    c.form.steps.setValue(6)
    c.form.count.setValue(3)
    qtbot.mouseClick(c.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(images.history.entries) == 1 and _idle(images), timeout=WAIT_MS)
    generation = images.current()
    assert generation.request.prompt == "a handwritten 7" and generation.images.shape[0] == 3
    film = images.result.filmstrip
    assert film.frame_count() == 6 and film.current() == 5  # full, at the finished drawing
    assert [t.text().split("\n")[0] for t in film.titles] == ["noisy input x_t", "its guess of the clean image"] * 2
    film.slider.setValue(2)
    assert np.array_equal(film.images[0].image(), generation.film[2][1])
    assert np.array_equal(film.images[1].image(), generation.film[2][2])
    assert np.array_equal(film.images[3].image(), generation.unguided[2][2])  # guidance 0 beside it
    qtbot.mouseClick(film.strip.viewport(), Qt.MouseButton.LeftButton,
                     pos=film.strip.visualItemRect(film.strip.item(4)).center())
    assert film.slider.value() == 4 and "Step <b>5</b> of 6" in film.heading.text()
    assert images.result.grid.grid_model.rowCount() == 3
    qtbot.waitUntil(lambda: images.copying.neighbours is not None, timeout=WAIT_MS)  # is it copying? for image 0
    assert np.array_equal(images.copying.neighbours.sample, generation.images[0])
    assert images.copying.tiles.count() == 4 and "typically" in images.copying.verdict.text()


def test_unknown_words_are_shown_not_dropped(qtbot, images):
    c = images.controls
    c.prompt.set_text("a zebra playing 7")
    assert "“zebra”" in c.prompt.unknown.text() and "“playing”" in c.prompt.unknown.text()
    c.prompt.set_text("a handwritten 7")
    assert c.prompt.unknown.text() == ""


def test_save_open_and_drop_restore_the_settings_and_verify_says_identical(qtbot, images, tmp_path):
    c = images.controls
    c.prompt.set_text("the digit three")
    c.form.steps.setValue(4)
    c.form.sampler.setCurrentIndex(c.form.sampler.findData("dpm++2m"))
    c.form.guidance.setValue(2.5)
    c.form.seed.setValue(41)
    c.form.count.setValue(2)
    images.generate()
    qtbot.waitUntil(lambda: len(images.history.entries) == 1 and _idle(images), timeout=WAIT_MS)
    path = tmp_path / "three.png"
    assert images.save_file(str(path))
    c.prompt.set_text("something else")
    c.form.seed.setValue(0)
    c.form.steps.setValue(20)
    with qtbot.waitSignal(images.open_file(str(path)).ended, timeout=WAIT_MS):
        pass
    request = c.read_request()
    assert (request.prompt, request.steps, request.sampler, request.guidance, request.seed, request.n) == \
        ("the digit three", 4, "dpm++2m", 2.5, 41, 2)
    c.prompt.set_text("something else")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    drop = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    images.dropEvent(drop)
    qtbot.waitUntil(lambda: c.prompt.text() == "the digit three" and _idle(images), timeout=WAIT_MS)
    images.verify(str(path))
    qtbot.waitUntil(lambda: images.last_verification is not None, timeout=WAIT_MS)
    assert images.last_verification.identical and c.message.text().startswith("✔ identical")
    qtbot.waitUntil(lambda: _idle(images), timeout=WAIT_MS)


def test_seeds_sweep_time_travel_and_the_forward_process(qtbot, images):
    from playground.core.models.classifier import CLASSIFIER_PRESETS

    c, e = images.controls, images.explorer
    e.judge_config = CLASSIFIER_PRESETS["tiny"]  # a judge in a second
    c.prompt.set_text("a handwritten 7")
    c.form.steps.setValue(2)
    c.seed_count.setValue(3)
    qtbot.mouseClick(c.seeds_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(images.history.entries) == 3 and _idle(images), timeout=WAIT_MS)
    assert [t.text() for t in e.seeds.titles] == ["seed 0", "seed 1", "seed 2"]
    e.seeds.tile_clicked.emit(2)
    assert images.current() is e.seed_runs[2] and images.result.filmstrip.frame_count() == 2
    qtbot.mouseClick(c.sweep_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: e.sweep.result is not None and _idle(images), timeout=WAIT_MS)
    assert [r.guidance for r in e.sweep.result.rows] == [0.0, 1.0, 2.0, 4.0, 7.0, 10.0]
    assert e.sweep.tiles.count() == 6 and "calls “7”" in e.sweep.note.text()
    assert all(a is not None for a in e.sweep.agreements())
    qtbot.mouseClick(c.time_travel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(e.snapshot_runs) == 2 and _idle(images), timeout=WAIT_MS)
    assert [t.text() for t in e.time_travel.titles] == ["step 3", "step 6"]
    grid = e.forward.training
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.visualRect(grid.model().index(4)).center())
    qtbot.waitUntil(lambda: e.forward.frames is not None, timeout=WAIT_MS)
    e.forward.slider.setValue(e.forward.slider.maximum())
    assert "only static is left" in e.forward.label.text()
    assert np.array_equal(e.forward.view.image(), e.forward.frames.frames[-1])


def test_a_conditional_gan_draws_its_label(qtbot, runner, runs):
    from playground.ui.generate.image_section import ImageSection

    section = _section(qtbot, runner, ImageSection, runs["cgan"])
    c = section.controls
    assert not c.sweep_button.isEnabled() and not c.form.guidance.isEnabled()
    assert c.prompt.suggestions.itemText(8) == "7"
    c.prompt.set_text("seven")
    assert c.prompt.unknown.text() == ""
    c.prompt.set_text("a zebra")
    assert "knows only its labels" in c.prompt.unknown.text()
    c.prompt.set_text("seven")
    qtbot.mouseClick(c.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(section.history.entries) == 1 and _idle(section), timeout=WAIT_MS)
    assert section.current().images.shape[0] == 4 and section.result.filmstrip.frame_count() == 0
    assert "one pass" in section.result.filmstrip.heading.text()
    runner.shutdown(timeout_s=5.0)


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # the tooltip popup, offscreen
def test_the_keyboard_strip_fills_the_prompt_and_marks_unheard_notes(qtbot, sounds):
    k = sounds.keyboard
    assert [k.instrument.itemText(i) for i in range(k.instrument.count())] == ["piano", "flute"]
    k.set_instrument("flute")
    keys = k.keys
    qtbot.mouseClick(keys, Qt.MouseButton.LeftButton, pos=keys.key_rect(69).center())  # A4
    assert sounds.controls.prompt.text() == "a flute playing A4"
    qtbot.mouseClick(keys, Qt.MouseButton.LeftButton, pos=keys.key_rect(70).center())  # a black key: A#4
    assert sounds.controls.prompt.text() == "a flute playing A#4"
    unheard = [m for m in keys.notes() if keys.is_unheard(m)]
    model_keys = sounds.model().keyboard
    assert unheard == [m for m in model_keys.notes("flute") if not model_keys.heard_note("flute", m)] and unheard
    assert "held out of its training" in k.tip("flute", unheard[0]) and "hatched" in k.legend.text()
    pos = keys.key_rect(unheard[0]).center()
    QApplication.sendEvent(keys, QHelpEvent(QEvent.Type.ToolTip, pos, keys.mapToGlobal(pos)))
    assert "never heard a flute play" in QToolTip.text()  # what a hover over the hatched key says
    pos = keys.key_rect(69).center()
    QApplication.sendEvent(keys, QHelpEvent(QEvent.Type.ToolTip, pos, keys.mapToGlobal(pos)))
    assert QToolTip.text() == "“a flute playing A4”"


def test_make_a_sound_see_it_and_play_it_with_or_without_a_sound_card(qtbot, sounds):
    c = sounds.controls
    assert "drawn for the model as a plain tone" in c.picker.card.text()  # the card says the note is a hint too
    c.prompt.set_text("a piano playing C4")
    c.form.steps.setValue(3)
    qtbot.mouseClick(c.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(sounds.history.entries) == 1 and _idle(sounds), timeout=WAIT_MS)
    generation = sounds.current()
    wave = sounds.result.wave
    x, y = wave._curve.getData()
    assert len(x) > 100 and np.allclose(y, generation.clips[0][:: max(1, 32000 // 4000)][: len(y)])
    assert wave._image.image is not None and wave._image.image.size > 0
    film = sounds.result.filmstrip
    assert film.frame_count() == 3
    film.set_index(1)
    assert film.images[1].image().shape[:2] == (96, 96)  # the guess at step 2, frames widened to be seen
    qtbot.waitUntil(lambda: sounds.nearest.found is not None, timeout=WAIT_MS)
    assert sounds.nearest.play_nearest.isEnabled() and "typically" in sounds.nearest.verdict.text()
    qtbot.mouseClick(sounds.result.play_button, Qt.MouseButton.LeftButton)
    assert np.array_equal(sounds.last_played, generation.clips[0])
    message = c.message.text()
    assert message.startswith("Playing sound 1") or "unavailable" in message  # no sound card in CI: a message
    qtbot.mouseClick(sounds.result.stop_button, Qt.MouseButton.LeftButton)
    sounds.last_played = None
    qtbot.mouseClick(sounds.result.play_step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sounds.last_played is not None and _idle(sounds), timeout=WAIT_MS)
    assert sounds.last_played.shape == (32000,) and not np.array_equal(sounds.last_played, generation.clips[0])
    sounds.nearest.play_nearest.click()
    assert sounds.last_played is sounds.nearest.found.clip


def test_a_saved_wav_restores_and_verifies(qtbot, sounds, tmp_path):
    c = sounds.controls
    c.prompt.set_text("a flute playing C5")
    c.form.steps.setValue(2)
    c.form.seed.setValue(5)
    sounds.generate()
    qtbot.waitUntil(lambda: len(sounds.history.entries) == 1 and _idle(sounds), timeout=WAIT_MS)
    path = tmp_path / "flute.wav"
    assert sounds.save_file(str(path))
    c.prompt.set_text("x")
    with qtbot.waitSignal(sounds.open_file(str(path)).ended, timeout=WAIT_MS):
        pass
    assert c.prompt.text() == "a flute playing C5" and c.form.seed.value() == 5
    sounds.verify(str(path))
    qtbot.waitUntil(lambda: sounds.last_verification is not None and _idle(sounds), timeout=WAIT_MS)
    assert sounds.last_verification.identical


def test_the_tab_has_three_sections_and_the_image_section_lists_the_app_runs(qtbot, runner, runs, no_bundled_models):
    import shutil

    from playground.core.paths import runs_dir
    from playground.ui.generate.image_section import ImageSection
    from playground.ui.generate.sound_section import SoundSection
    from playground.ui.tabs.generate_tab import GenerateTab

    shutil.copytree(runs["digits"], runs_dir() / "diffusion-digits-1")
    tab = GenerateTab(runner)
    qtbot.addWidget(tab)
    assert [tab.sections.tabText(i) for i in range(tab.sections.count())] == ["Text", "Images", "Sound"]
    tab.show()
    tab.sections.setCurrentWidget(tab.section(ImageSection))
    section = tab.section(ImageSection)
    qtbot.waitUntil(lambda: section.model() is not None and _idle(section), timeout=WAIT_MS)
    assert section.model().ref == str(runs_dir() / "diffusion-digits-1")
    tab.sections.setCurrentWidget(tab.section(SoundSection))
    sound = tab.section(SoundSection)
    qtbot.waitUntil(lambda: _idle(sound) and "No sound model yet" in sound.controls.message.text(), timeout=WAIT_MS)
    runner.shutdown(timeout_s=5.0)
