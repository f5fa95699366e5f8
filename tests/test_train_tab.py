"""The Train tab (a shell with one panel per model family) runs real tiny GAN training through the real
runner, driven by its buttons."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

from playground.core.data.bundled import load_bundled
from playground.core.data.dataset import ImageDataset
from playground.core.events import ImageGrid, SaveCheckpoint
from playground.ui.dataset_store import DatasetStore
from playground.ui.tabs.train_tab import TrainTab


def small_mnist(n: int = 64) -> ImageDataset:
    full = load_bundled("mnist-5k")
    pick = np.concatenate([np.flatnonzero(full.labels == k)[: n // 10 + 1] for k in range(10)])[:n]
    return ImageDataset("mnist-small", full.images[pick], full.labels[pick], full.label_names)


@pytest.fixture
def tab(qtbot, runner):
    store = DatasetStore()
    widget = TrainTab(store, runner)
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    widget.show()
    yield widget
    for handle in list(runner._all):
        handle.cancel()
    qtbot.waitUntil(lambda: not runner.active_jobs(), timeout=30_000)


def _use(tab, dataset) -> None:
    tab._store.add(dataset)
    tab._store.set_current(dataset)


def test_tiny_run_draws_curves_and_sample_grids(qtbot, tab):
    _use(tab, small_mnist())
    tab.controls.preset.setCurrentText("tiny")
    tab.controls.form.widget("steps").setValue(8)
    tab.controls.form.widget("info_codes").setValue(3)
    qtbot.mouseClick(tab.controls.start_button, Qt.MouseButton.LeftButton)
    assert tab.is_running() and not tab.controls.start_button.isEnabled()
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=120_000)
    assert tab.history().last_step() == 8
    qtbot.waitUntil(lambda: tab.plots[0]._curves["d_loss"].getData()[0] is not None
                    and len(tab.plots[0]._curves["d_loss"].getData()[0]) >= 8, timeout=5000)
    assert np.isfinite(tab.plots[0]._curves["g_loss"].getData()[1]).all()
    assert tab.plots[0].listed() == ["D loss", "G loss", "code loss (InfoGAN)"]
    x_min, x_max = tab.plots[0].viewRange()[0]  # fixed to the run's steps, not re-laid out per redraw
    assert x_min <= 0 and 8 <= x_max <= 8.5
    assert len(tab.panel.timeline.frames()) >= 3
    assert tab.panel.timeline.image.pixmap() is not None and not tab.panel.timeline.image.pixmap().isNull()
    assert "one row per InfoGAN code" in tab.panel.timeline.caption.text()
    assert not tab.panel.export_png_button.isHidden() and not tab.panel.export_gif_button.isHidden()
    assert tab.controls.start_button.isEnabled()
    assert any("checkpoint" in tab.alerts.item(i).text() for i in range(tab.alerts.count()))


def test_pause_step_once_resume_and_stop(qtbot, tab):
    # One label: no judging classifier, so no slow quality step can log late after Pause.
    mnist = small_mnist()
    zeros = mnist.labels == 0
    _use(tab, ImageDataset("zeros", mnist.images[zeros], mnist.labels[zeros], mnist.label_names))
    tab.controls.preset.setCurrentText("tiny")
    tab.controls.form.widget("steps").setValue(100_000)
    tab.controls.start_button.click()
    qtbot.waitUntil(lambda: tab.history().last_step() >= 2, timeout=120_000)
    tab.controls.pause_button.click()
    assert tab.controls.pause_button.text() == "Resume"
    # The step under way when Pause was clicked still finishes (and may log late).
    seen = [-1, tab.history().last_step()]

    def settled() -> bool:
        qtbot.wait(400)
        seen.append(tab.history().last_step())
        return seen[-1] == seen[-2]

    qtbot.waitUntil(settled, timeout=20_000)
    paused_at = seen[-1]
    qtbot.wait(400)
    assert tab.history().last_step() == paused_at
    tab.controls.step_button.click()
    qtbot.waitUntil(lambda: tab.history().last_step() == paused_at + 1, timeout=10_000)
    tab.controls.pause_button.click()
    qtbot.waitUntil(lambda: tab.history().last_step() > paused_at + 3, timeout=10_000)
    tab.controls.stop_button.click()
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=30_000)
    assert tab._checkpoint is not None


def test_points_mode_draws_the_gan_lab_view(qtbot, tab):
    assert tab.controls.form is None and not tab.controls.start_button.isEnabled()  # no data yet
    _use(tab, small_mnist())
    assert tab.controls.form.widget("info_codes").isEnabled()
    _use(tab, load_bundled("toy-ring"))
    assert not tab.controls.form.widget("info_codes").isEnabled() and not tab.controls.form.widget("augment").isEnabled()
    assert tab.controls.preset.currentText() == "points"
    tab.controls.form.widget("steps").setValue(60)
    tab.controls.start_button.click()
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=120_000)
    qtbot.waitUntil(lambda: len(tab.panel.points_view.fake.getData()[0]) > 0, timeout=5000)
    assert tab.panel.visual.currentWidget() is tab.panel.points_view
    assert tab.panel.points_view.surface.image is not None


def test_bad_setting_is_shown_in_place(qtbot, tab):
    _use(tab, small_mnist())
    tab.controls.form.widget("lr_g").setText("0")
    tab.controls.form.widget("lr_g").editingFinished.emit()
    assert "lr_g" in tab.controls.config_error.text()
    tab.controls.start_button.click()
    assert not tab.is_running()


def test_text_dataset_is_refused_with_a_message(qtbot, tab):
    from playground.core import families

    if any("tokens" in f.accepts for f in families.all_families()):
        pytest.skip("a family that trains on text is registered")
    _use(tab, load_bundled("first-names"))
    assert not tab.controls.start_button.isEnabled() and "no model here trains on it" in tab.controls.data_label.text()
    tab.start()
    assert not tab.is_running()
    assert "Pick a dataset" in tab.alerts.item(tab.alerts.count() - 1).text()


def test_closing_the_window_mid_training_exits_fast_and_keeps_the_checkpoint(qtbot, tmp_path):
    from playground.app import build_main_window

    window = build_main_window()
    qtbot.addWidget(window)
    window.show()
    tab = window.tab(TrainTab)
    _use(tab, small_mnist())
    tab.controls.preset.setCurrentText("tiny")
    tab.controls.form.widget("steps").setValue(100_000)
    tab.controls.start_button.click()
    qtbot.waitUntil(lambda: tab.history().last_step() >= 3, timeout=120_000)
    tab._handle.send(SaveCheckpoint())
    qtbot.waitUntil(lambda: any("checkpoint saved" in tab.alerts.item(i).text() for i in range(tab.alerts.count())), timeout=30_000)
    t0 = time.monotonic()
    window.close()
    assert time.monotonic() - t0 < 2.0
    assert not window.runner.active_jobs() or all(not h.is_running() for h in window.runner._all)
    from playground.core.runs.checkpoint import load_checkpoint

    ckpt = load_checkpoint(tab._run_dir)
    assert ckpt.step >= 3


def test_after_a_run_the_grid_answers_is_it_copying_and_walks_latent_space(qtbot, tab, tmp_path):
    from PIL import Image

    _use(tab, small_mnist())
    tab.controls.preset.setCurrentText("tiny")
    tab.controls.start_button.click()
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=120_000)
    assert tab.panel.latent.button.isEnabled() and "Pick two seeds" in tab.panel.latent.strip.text()
    tab.panel.latent.button.click()
    qtbot.waitUntil(lambda: tab.panel.latent.strip.pixmap() is not None and not tab.panel.latent.strip.pixmap().isNull(), timeout=30_000)
    assert tab.panel.latent.strip.pixmap().width() > 5 * tab.panel.latent.strip.pixmap().height()  # ten frames side by side
    label = tab.panel.timeline.image
    qtbot.mouseClick(label, Qt.MouseButton.LeftButton, pos=label.rect().center())
    qtbot.waitUntil(lambda: "training image #" in tab.panel.nearest.text.text(), timeout=30_000)
    assert tab.panel.nearest.nearest_image.pixmap() is not None
    path = tmp_path / "grid.png"
    tab.panel.export_png(str(path))
    with Image.open(path) as png:
        assert png.text["playground.dataset"] == "mnist-small" and png.text["playground.family"] == "gan"
        assert '"loss"' in png.text["playground.config"]


def test_learning_rate_changes_reach_the_running_loop(qtbot, tab):
    _use(tab, small_mnist())
    tab.controls.preset.setCurrentText("tiny")
    tab.controls.form.widget("steps").setValue(100_000)
    tab.controls.start_button.click()
    qtbot.waitUntil(lambda: tab.history().last_step() >= 2, timeout=120_000)
    tab.controls.form.widget("lr_g").setText("0.0005")
    tab.controls.form.widget("lr_g").editingFinished.emit()
    qtbot.waitUntil(lambda: tab.history().last("lr_g") == pytest.approx(5e-4), timeout=20_000)
    tab.controls.stop_button.click()
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=30_000)


def test_resume_continues_the_curves_where_they_stopped(qtbot, tab, tmp_path):
    _use(tab, small_mnist())
    tab.controls.preset.setCurrentText("tiny")
    tab.controls.start_button.click()
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=120_000)
    first_steps = tab.history().last_step()
    run_dir = str(tab._run_dir)
    gif = tmp_path / "timeline.gif"
    tab.panel.timeline.export_gif(str(gif))
    from PIL import Image

    with Image.open(gif) as im:
        assert im.n_frames == len(tab.panel.timeline.frames()) >= 3
    tab.start(resume_from=run_dir)
    assert tab.history().steps("d_loss")[0] == 1  # the earlier curve is back before any new step
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=120_000)
    assert tab.history().last_step() == first_steps + 6
    steps = tab.history().steps("d_loss")
    assert steps[0] == 1 and np.all(np.diff(steps) > 0)


def test_a_damaged_checkpoint_fails_with_a_message_not_a_crash(qtbot, tab, tmp_path):
    _use(tab, small_mnist())
    bad = tmp_path / "bad-run"
    (bad / "checkpoint").mkdir(parents=True)
    (bad / "checkpoint" / "meta.json").write_text("{not json")
    tab.controls.preset.setCurrentText("tiny")
    tab.start(resume_from=str(bad))
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=60_000)
    last = tab.alerts.item(tab.alerts.count() - 1).text()
    assert "⛔" in last and "checkpoint" in last.lower()


def test_trains_on_the_data_the_preprocess_tab_prepared(qtbot, tab):
    from playground.core.preprocess import default_pipeline, prepare, with_labels

    dataset = small_mnist(100)
    prepared, _report = prepare(dataset, with_labels(default_pipeline(dataset), ["0", "1"]))
    _use(tab, dataset)
    tab._store.set_prepared(prepared, dataset)
    assert "prepared on the Preprocess tab" in tab.controls.data_label.text()
    tab.controls.preset.setCurrentText("tiny")
    seen = []
    handle = tab.start()
    handle.event_emitted.connect(seen.append)
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=120_000)
    shares = [e.data_share for e in seen if isinstance(e, ImageGrid) and e.data_share is not None]
    assert shares, "the judge ran on the prepared data"
    assert np.count_nonzero(shares[-1]) == 2  # the data diet reached training: only 0s and 1s


def test_switching_data_leaves_one_family_panel_on_screen(qtbot, tab):
    # The GAN's "Quality, measured" column once outlived its panel: each switch left another one drawn.
    from PySide6.QtWidgets import QGroupBox

    for dataset in (small_mnist(), load_bundled("toy-ring"), small_mnist(), load_bundled("toy-ring"), small_mnist()):
        _use(tab, dataset)
    qtbot.wait(50)  # deleteLater runs
    shown = [g for g in tab.findChildren(QGroupBox) if g.title() == "Quality, measured" and g.isVisible()]
    assert len(shown) == 1
    assert len([p for p in tab.findChildren(type(tab.panel)) if p.isVisible()]) == 1


def test_a_long_grid_caption_wraps_instead_of_widening_the_window(qtbot):
    # The digits' ten prompts in one line made the window 2,178 px wide.
    from playground.ui.widgets.sample_timeline import SampleTimeline

    timeline = SampleTimeline(display_size=280)
    qtbot.addWidget(timeline)
    timeline.caption.setText(" | ".join(f"a handwritten {k}" for k in range(10)) * 3)
    assert timeline.minimumSizeHint().width() < 700


def test_focus_words_and_augmentation_are_fields_read_back_as_set(qtbot, tab):
    _use(tab, load_bundled("emoji-32"))
    tab.controls.family.setCurrentText(next(tab.controls.family.itemText(i) for i in range(tab.controls.family.count())
                                            if "iffusion" in tab.controls.family.itemText(i)))
    tab.controls.preset.setCurrentText("emoji")
    words = tab.controls.form.widget("focus_words")
    assert words.text() == "heart,circle,square,diamond" and tab.controls.form.widget("focus_times").value() == 8
    words.setText(" star, moon ")
    words.editingFinished.emit()
    shift, zoom = tab.controls.form.widget("augment_shift"), tab.controls.form.widget("augment_zoom")
    assert shift.value() == 2 and zoom.value() == pytest.approx(0.1)  # the emoji recipe moves and shrinks its images
    shift.setValue(3)
    zoom.setValue(0.25)
    model = tab.controls.read_settings().model
    assert model.focus_words == "star, moon" and model.focus == frozenset({"star", "moon"})
    assert (model.augment_shift, model.augment_zoom) == (3, pytest.approx(0.25))


def test_the_device_row_shows_the_thread_count_the_run_uses(qtbot, tab, monkeypatch):
    from playground.core.device import THREADS_ENV

    monkeypatch.delenv(THREADS_ENV, raising=False)
    tab.set_device_description("CPU, 2 training threads of 2 cores")
    assert tab.device_text() == "CPU, 2 training threads of 2 cores"  # no run yet: the app's default
    _use(tab, small_mnist())
    tab.controls.preset.setCurrentText("tiny")
    tab.start(tab.controls.read_settings().replace(cpu_threads=1, steps=2))
    assert tab.device_text().startswith("CPU, 1 training thread of ")
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=30_000)


def test_the_settings_column_is_as_wide_as_the_diffusion_form(qtbot, tab):
    # The diffusion form's long labels made it wider than the column: values were cut behind a sideways scroll bar.
    _use(tab, load_bundled("emoji-32"))
    controls = tab.controls
    controls.family.setCurrentIndex(controls.family.findData("diffusion"))
    qtbot.waitUntil(lambda: "focus_words" in controls.form.names())
    qtbot.waitUntil(lambda: tab.controls_scroll.viewport().width() >= controls.minimumSizeHint().width())
    field = controls.form.widget("guidance")
    qtbot.waitUntil(field.isVisible)
    qtbot.wait(50)  # the new form is laid out
    right = field.mapTo(tab.controls_scroll.viewport(), field.rect().topRight()).x()
    assert right < tab.controls_scroll.viewport().width()
