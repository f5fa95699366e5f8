"""The Preprocess tab with real widgets, real bundled data and the real job runner."""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from playground.core import audio_out
from playground.core.data.bundled import load_bundled
from playground.core.data.dataset import TextDataset
from playground.core.preprocess.prepared import PreparedImages
from playground.core.preprocess import Pipeline, PreparedPoints, PreparedText, make_step, prepare
from playground.ui.dataset_store import DatasetStore
from playground.ui.tabs.preprocess_tab import PreprocessTab
from playground.ui.widgets.pipeline_editor import PipelineEditor

TIMEOUT = 20_000


@cache
def _dataset(name: str):
    return load_bundled(name)  # datasets are never changed by the tab, so tests can share them


@pytest.fixture
def tab(qtbot, runner):
    widget = PreprocessTab(DatasetStore(), runner)
    qtbot.addWidget(widget)
    widget.resize(1280, 800)
    widget.show()
    yield widget
    qtbot.waitUntil(lambda: not runner.active_jobs(), timeout=TIMEOUT)


def _use(qtbot, tab: PreprocessTab, name: str):
    dataset = _dataset(name)
    tab._store.add(dataset)
    tab._store.set_current(dataset)
    qtbot.waitUntil(tab.screenshot_ready, timeout=TIMEOUT)
    return dataset


def _names(tab: PreprocessTab) -> list[str]:
    return [s.name for s in tab.pipeline().steps]


def _select(tab: PreprocessTab, name: str) -> None:
    tab.editor.select_step(_names(tab).index(name))


def _choose(combo, value) -> None:
    combo.setCurrentIndex(combo.findText(str(value)))


def _after_shape(tab: PreprocessTab) -> tuple[int, ...]:
    return tab.last_preview.after[0].shape


def _wait_preview(qtbot, tab: PreprocessTab, condition) -> None:
    qtbot.waitUntil(lambda: tab.screenshot_ready() and condition(), timeout=TIMEOUT)


def _add(tab: PreprocessTab, title: str) -> None:
    tab.editor.palette.setCurrentIndex(tab.editor.palette.findText(title))
    tab.editor.add_button.click()


# Images -------------------------------------------------------------------

def test_mnist_shows_default_pipeline_thumbnails_and_histograms(qtbot, tab, tmp_path):
    _use(qtbot, tab, "mnist-5k")
    assert _names(tab) == ["colour", "resize", "normalise"]
    assert [tab.editor.palette.itemData(i) for i in range(3)] == ["keep_labels", "cap_per_label", "skew_labels"]
    result = tab.last_preview
    assert len(result.before) == len(result.after) == 8
    assert _after_shape(tab) == (28, 28, 1)
    assert all(not cell.pixmap().isNull() for cell in tab.image_preview.after_cells)
    assert tab.image_preview.after_cells[0].pixmap().width() == 56  # 28 px scaled up 2x, pixelated
    assert tab.before_histogram.values_shown == 8 * 28 * 28
    edges, _ = tab.after_histogram.shown()
    assert edges[0] == pytest.approx(-1.0) and edges[-1] == pytest.approx(1.0)  # normalised to [-1, 1]
    assert tab.grab().save(str(tmp_path / "image.png"))


def test_resize_combo_and_disabling_a_step_change_the_preview(qtbot, tab):
    _use(qtbot, tab, "mnist-5k")
    _select(tab, "resize")
    combo = tab.editor.form.widget("size")
    for size in (32, 64, 16):  # faster than the debounce: only the last one is drawn
        _choose(combo, size)
    _wait_preview(qtbot, tab, lambda: _after_shape(tab) == (16, 16, 1))
    assert tab.image_preview.after_cells[0].pixmap().width() == 64
    assert tab.last_preview.before[0].shape == (28, 28, 1)

    item = tab.editor.steps.item(_names(tab).index("resize"))
    item.setCheckState(Qt.CheckState.Unchecked)
    _wait_preview(qtbot, tab, lambda: _after_shape(tab) == (28, 28, 1))
    assert not tab.pipeline().steps[1].enabled


def test_add_move_and_remove_steps(qtbot, tab):
    _use(qtbot, tab, "mnist-5k")
    assert not tab.last_preview.variants
    _add(tab, "Augment")
    assert _names(tab) == ["colour", "resize", "normalise", "augment"]
    _wait_preview(qtbot, tab, lambda: len(tab.last_preview.variants) == 16)
    variants = np.stack(tab.last_preview.variants)
    assert variants.shape == (16, 28, 28, 1) and variants.std(axis=0).max() > 0  # they differ
    assert all(cell.isVisibleTo(tab) for cell in tab.image_preview.variant_cells)

    tab.editor.up_button.click()  # the new step is selected
    assert _names(tab) == ["colour", "resize", "augment", "normalise"]
    assert tab.editor.steps.currentRow() == 2
    tab.editor.remove_button.click()
    assert _names(tab) == ["colour", "resize", "normalise"]
    _wait_preview(qtbot, tab, lambda: not tab.last_preview.variants)


def test_a_filter_that_removes_everything_is_explained_in_place(qtbot, tab):
    _use(qtbot, tab, "mnist-5k")
    _add(tab, "Drop blank images")
    spin = tab.editor.form.widget("threshold")
    spin.setValue(0.5)
    _wait_preview(qtbot, tab, lambda: all(a is None for a in tab.last_preview.after))
    assert tab.warning.isVisibleTo(tab) and "filter" in tab.warning.text()
    assert tab.image_preview.after_cells[0].pixmap().isNull()
    with qtbot.waitSignal(tab.prepare_ended, timeout=TIMEOUT):
        tab.prepare_button.click()
    assert tab.editor.error_label.isVisibleTo(tab)
    assert "removed every image" in tab.editor.error()
    assert tab._store.prepared is None


def test_prepare_runs_the_real_job_and_hands_images_to_the_store(qtbot, tab):
    _use(qtbot, tab, "mnist-5k")
    _select(tab, "resize")
    _choose(tab.editor.form.widget("size"), 16)
    _wait_preview(qtbot, tab, lambda: _after_shape(tab) == (16, 16, 1))
    with qtbot.waitSignal(tab._store.prepared_changed, timeout=TIMEOUT) as blocker:
        tab.prepare_button.click()
    prepared = blocker.args[0]
    assert isinstance(prepared, PreparedImages)
    assert prepared.x.shape == (5000, 1, 16, 16) and prepared.source == "mnist-5k"
    assert prepared.x.min() >= -1.0 and prepared.x.max() <= 1.0
    assert tab.last_report.items_in == tab.last_report.items_out == 5000
    assert "5,000" in tab.report.toPlainText()
    qtbot.waitUntil(lambda: tab.prepare_button.isEnabled(), timeout=TIMEOUT)


def test_prepare_can_be_cancelled(qtbot, tab, monkeypatch):
    from playground.core.jobs import Progress
    from playground.ui.tabs import preprocess_tab

    def slow_prepare(dataset, pipeline):
        def job(control):
            yield Progress(1, 1000, "slowly")
            control.pause()
            control.checkpoint()  # waits here until Cancel wakes it
        return job

    monkeypatch.setattr(preprocess_tab, "safe_prepare_job", slow_prepare)
    _use(qtbot, tab, "mnist-5k")
    tab.prepare_button.click()
    assert tab.progress.isVisibleTo(tab) and not tab.prepare_button.isEnabled()
    with qtbot.waitSignal(tab.prepare_ended, timeout=TIMEOUT):
        tab.progress.cancel_button.click()
    assert "cancelled" in tab.report.toPlainText()
    assert tab.prepare_button.isEnabled() and tab._store.prepared is None


def test_remove_duplicates_shows_the_pairs_found(qtbot, tab):
    _use(qtbot, tab, "mnist-5k")
    _add(tab, "Remove duplicates")
    qtbot.waitUntil(tab.screenshot_ready, timeout=TIMEOUT)
    assert tab.image_preview.pairs_box.isVisibleTo(tab)
    shown = [kept for kept, _ in tab.image_preview.pair_cells if kept.isVisibleTo(tab)]
    assert shown and not shown[0].pixmap().isNull()
    assert "near duplicates" in tab.image_preview.pairs_note.text()


# Text ---------------------------------------------------------------------

def test_bpe_tokeniser_shows_coloured_tokens_with_ids(qtbot, tab):
    dataset = _use(qtbot, tab, "shakespeare")
    assert _names(tab)[-1] == "tokenise"
    assert tab.last_preview.tokens.kind == "char"
    _select(tab, "tokenise")
    _choose(tab.editor.form.widget("kind"), "bpe")
    tab.editor.form.widget("vocab_size").setValue(400)
    _wait_preview(qtbot, tab, lambda: tab.last_preview.tokens.kind == "bpe"
                  and tab.last_preview.tokens.vocab_size == 400)
    stats = tab.last_preview.tokens
    assert 1.5 < stats.chars_per_token < 4 and stats.top
    assert 0.1 * len(dataset.text) < stats.corpus_tokens < len(dataset.text)
    view = tab.text_preview.tokens
    assert 0 < view.span_count() < len(stats.text)  # merged pieces: fewer tokens than characters
    assert view.tooltip_at(0).startswith("id ")
    assert tab.text_preview.before.toPlainText().startswith(dataset.text[:50])
    assert tab.after_histogram.values_shown > 0 and tab.before_histogram.values_shown > 0


def test_bad_bpe_vocabulary_and_tokenise_order_get_a_message_not_an_exception(qtbot, tab):
    _use(qtbot, tab, "first-names")
    _select(tab, "tokenise")
    _choose(tab.editor.form.widget("kind"), "bpe")
    before = tab.pipeline()
    tab.editor.form.widget("vocab_size").setValue(100)
    assert tab.editor.error_label.isVisibleTo(tab)
    assert "alphabet" in tab.editor.error()
    assert tab.pipeline() is before and not tab.prepare_button.isEnabled()
    tab.editor.form.widget("vocab_size").setValue(300)
    assert not tab.editor.error_label.isVisibleTo(tab) and tab.prepare_button.isEnabled()

    tab.editor.up_button.click()  # the Tokenise step must stay last
    assert "last" in tab.editor.error()
    assert _names(tab)[-1] == "tokenise"
    qtbot.waitUntil(tab.screenshot_ready, timeout=TIMEOUT)


def test_text_prepare_reports_tokens_and_keeps_the_trained_tokenizer(qtbot, tab, tmp_path, monkeypatch):
    _use(qtbot, tab, "first-names")
    _select(tab, "tokenise")
    _choose(tab.editor.form.widget("kind"), "bpe")
    qtbot.waitUntil(tab.screenshot_ready, timeout=TIMEOUT)
    with qtbot.waitSignal(tab._store.prepared_changed, timeout=TIMEOUT) as blocker:
        tab.prepare_button.click()
    prepared = blocker.args[0]
    assert isinstance(prepared, PreparedText) and prepared.source == "first-names"
    assert tab.last_report.tokens == len(prepared.ids) and tab.last_report.vocab_size == 512
    assert "Tokens" in tab.report.toPlainText()
    assert tab.pipeline().tokenizer() == prepared.tokenizer
    assert tab.editor.steps.item(len(_names(tab)) - 1).text().endswith("trained)")
    path = tmp_path / "names.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    tab.editor.save_button.click()
    assert "trained" in json.loads(path.read_text())["steps"][-1]
    qtbot.waitUntil(tab.screenshot_ready, timeout=TIMEOUT)


def test_editor_marks_a_vocabulary_stale_when_the_cleaning_above_it_changes(qtbot):
    dataset = TextDataset("names-test", "Anna  Lee\n\n\nBob\nCarla\n" * 20)
    cleaning = make_step("text", "collapse_whitespace")
    prepared, _ = prepare(dataset, Pipeline("text", (cleaning, make_step("text", "tokenise", kind="char"))))
    editor = PipelineEditor()
    qtbot.addWidget(editor)
    editor.set_pipeline(Pipeline.from_dict(prepared.pipeline))

    def tokenise_item():
        return editor.steps.item(editor.steps.count() - 1)

    assert tokenise_item().text() == "Tokenise (char, 512, trained)"
    editor.select_step(0)
    editor.form.widget("max_blank_lines").setValue(3)  # edited in place: only the list texts update
    assert editor.pipeline().tokenizer_status() == "stale"
    assert tokenise_item().text() == "Tokenise (char, 512, stale: retrain)"
    assert "Prepare will train a new one" in tokenise_item().toolTip()
    editor.form.widget("max_blank_lines").setValue(1)  # the cleaning the vocabulary was trained after
    assert tokenise_item().text() == "Tokenise (char, 512, trained)"
    editor.palette.setCurrentIndex(editor.palette.findData("lowercase"))
    editor.add_button.click()
    assert [s.name for s in editor.pipeline().steps] == ["collapse_whitespace", "lowercase", "tokenise"]
    assert tokenise_item().text().endswith("stale: retrain)")
    item = editor.steps.item(1)
    item.setCheckState(Qt.CheckState.Unchecked)  # switched off, it no longer changes the text
    assert tokenise_item().text().endswith("trained)")


# Audio and points -----------------------------------------------------------

def test_audio_shows_both_waveforms_and_play_never_raises(qtbot, tab, monkeypatch):
    _use(qtbot, tab, "instrument-notes")
    audio = tab.audio_preview
    for view in (audio.before_view, audio.after_view):
        assert view._curve.xData is not None and len(view._curve.xData) > 0
    assert len(tab.last_preview.after[0].samples) == 32000
    _select(tab, "pad_crop")
    tab.editor.form.widget("seconds").setValue(0.5)
    _wait_preview(qtbot, tab, lambda: len(tab.last_preview.after[0].samples) == 8000)
    assert tab.after_histogram.values_shown > 0

    audio.clips.setCurrentIndex(5)
    _wait_preview(qtbot, tab, lambda: tab.last_preview.indices[0] == 5)

    def no_sound(clip, rate):
        raise audio_out.AudioUnavailable("Sound is unavailable: no audio output device was found.")

    monkeypatch.setattr(audio_out, "play", no_sound)
    audio.play_after.click()
    assert "unavailable" in audio.sound_message.text()


def test_points_need_no_preprocessing_but_can_be_prepared(qtbot, tab):
    _use(qtbot, tab, "toy-ring")
    assert tab.points_note.isVisibleTo(tab) and not tab.histograms.isVisibleTo(tab)
    assert _names(tab) == []
    with qtbot.waitSignal(tab._store.prepared_changed, timeout=TIMEOUT) as blocker:
        tab.prepare_button.click()
    assert isinstance(blocker.args[0], PreparedPoints) and len(blocker.args[0]) == 2000


# Files and switching -----------------------------------------------------------

def test_save_and_load_round_trip_through_the_buttons(qtbot, tab, tmp_path, monkeypatch):
    _use(qtbot, tab, "mnist-5k")
    _add(tab, "Augment")
    saved = tab.pipeline()
    path = tmp_path / "pipeline.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    tab.editor.save_button.click()
    assert Pipeline.load(path) == saved

    tab.editor.remove_button.click()
    tab.editor.remove_button.click()
    assert tab.pipeline() != saved
    tab.editor.load_button.click()
    assert tab.pipeline() == saved and not tab.editor.error()

    path.write_text("{not json")
    tab.editor.load_button.click()
    assert "Could not load" in tab.editor.error() and tab.editor.error_label.isVisibleTo(tab)
    assert tab.pipeline() == saved
    qtbot.waitUntil(tab.screenshot_ready, timeout=TIMEOUT)


def test_each_dataset_keeps_its_edited_pipeline(qtbot, tab):
    _use(qtbot, tab, "mnist-5k")
    _add(tab, "Augment")
    edited = tab.pipeline()
    _use(qtbot, tab, "shakespeare")
    assert tab.pipeline().modality == "text"
    assert tab.editor.palette.itemData(tab.editor.palette.count() - 1) == "tokenise"
    _use(qtbot, tab, "mnist-5k")
    assert tab.pipeline() == edited


def test_hovering_a_token_shows_its_id(qtbot, tab, monkeypatch):
    from PySide6.QtCore import QEvent, QPoint
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    shown: list[str] = []
    # A real tooltip window makes offscreen Qt warn ("does not support raise()"): record it instead.
    monkeypatch.setattr(QToolTip, "showText", lambda _pos, text, *_a: shown.append(text))
    _use(qtbot, tab, "first-names")
    view = tab.text_preview.tokens
    rect = view.cursorRect(view.textCursor())  # the start of the text
    point = QPoint(rect.x() + 3, rect.center().y())
    QApplication.sendEvent(view.viewport(), QHelpEvent(QEvent.Type.ToolTip, point, view.viewport().mapToGlobal(point)))
    assert shown and shown[0] == view.tooltip_at(0) and shown[0].startswith("id ")


def test_other_samples_shows_other_items(qtbot, tab):
    _use(qtbot, tab, "mnist-5k")
    first = list(tab.last_preview.indices)
    tab.other_button.click()
    _wait_preview(qtbot, tab, lambda: tab.last_preview.indices != first)
    assert len(tab.last_preview.indices) == 8


def test_no_dataset_means_nothing_to_do(qtbot, tab):
    assert tab._store.current is None and not tab.screenshot_ready()
    assert not tab.prepare_button.isEnabled()
    _use(qtbot, tab, "toy-ring")
    tab._store.set_current(None)
    assert tab.pipeline() is None and tab.pages.currentWidget() is tab.empty_page


def test_switching_datasets_mid_preview_never_draws_the_old_one(qtbot, tab):
    _use(qtbot, tab, "mnist-5k")
    tab.other_button.click()
    tab._timer.stop()
    tab._on_timer_timeout()  # a mnist preview is now running...
    emoji = _dataset("emoji-32")
    tab._store.add(emoji)
    tab._store.set_current(emoji)  # ...and is cancelled or ignored
    qtbot.waitUntil(tab.screenshot_ready, timeout=TIMEOUT)
    assert tab.last_preview.before[0].shape == (32, 32, 3)
    assert max(tab.last_preview.indices) < len(emoji)
