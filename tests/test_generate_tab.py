"""The Generate tab's Text section with real widgets over a tiny GPT trained in the test: type, generate,
click a token, branch, save and verify, unknown characters, a damaged checkpoint, stop, the explorations."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from text_model import copy_run, train_tiny_gpt

WAIT_MS = 30_000


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return train_tiny_gpt(tmp_path_factory.mktemp("gpt") / "run")


@pytest.fixture
def section(qtbot, runner, run):
    from playground.ui.generate.text_section import TextSection

    widget = TextSection(runner)
    qtbot.addWidget(widget)
    widget.resize(1280, 760)
    widget.show()  # lists the (empty) runs folder
    widget.load_model(str(run))
    qtbot.waitUntil(lambda: widget.model() is not None, timeout=WAIT_MS)
    yield widget
    runner.shutdown(timeout_s=5.0)


def _idle(section) -> bool:
    return not section.is_busy()


def _click_token(qtbot, output, index: int) -> None:
    qtbot.mouseClick(output.viewport(), Qt.MouseButton.LeftButton, pos=output.token_rect(index).center())


def test_type_generate_and_click_a_token(qtbot, section):
    c = section.controls
    c.prompt.clear()
    qtbot.keyClicks(c.prompt, "JULIET: O Romeo")
    c.max_tokens.setValue(60)
    qtbot.mouseClick(c.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(section.history.entries) == 1 and _idle(section), timeout=WAIT_MS)
    generation = section.history.entries[0].generation
    assert generation.prompt == "JULIET: O Romeo" and section.output.token_count() == 60
    assert section.output.toPlainText() == generation.prompt + generation.text
    _click_token(qtbot, section.output, 12)
    assert section.output.selected() == 12
    chart = section.inspector.chart
    assert chart.candidate_count() > 0
    before, after = chart.heights()
    assert before.sum() > 0 and after.sum() > 0
    qtbot.waitUntil(lambda: section.inspector.attention_weights().size > 0, timeout=WAIT_MS)
    weights = section.inspector.attention_weights()
    assert len(weights) == generation.choices[12].context and abs(float(weights.sum()) - 1.0) < 1e-4
    section.inspector.head.setCurrentIndex(1)  # head 1 alone, not the mean
    assert section.inspector.attention_weights().shape == weights.shape


def test_a_branch_keeps_the_original_in_the_history(qtbot, section):
    section.controls.max_tokens.setValue(40)
    section.generate()
    qtbot.waitUntil(lambda: len(section.history.entries) == 1 and _idle(section), timeout=WAIT_MS)
    original = section.history.entries[0].generation
    text = original.text
    _click_token(qtbot, section.output, 5)
    inspector = section.inspector
    taken = original.choices[5].chosen_index
    row = 1 if taken == 0 else 0
    inspector.candidates.setCurrentRow(row)
    assert inspector.branch_button.isEnabled()
    qtbot.mouseClick(inspector.branch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(section.history.entries) == 2 and _idle(section), timeout=WAIT_MS)
    branch = section.history.entries[1].generation
    assert section.history.entries[0].generation is original and original.text == text
    assert branch.branch_at == 5 and branch.pieces[:5] == original.pieces[:5]
    assert branch.choices[5].token_id == original.choices[5].candidate_ids[row]
    assert section.output.toPlainText() == branch.prompt + branch.text
    section.history.list.setCurrentRow(1)  # the list is newest first: row 1 is the original
    section.history.list.itemClicked.emit(section.history.list.item(1))
    assert section.output.toPlainText() == original.prompt + original.text


def test_save_then_verify_says_identical(qtbot, section, tmp_path):
    section.controls.max_tokens.setValue(30)
    section.generate()
    qtbot.waitUntil(lambda: len(section.history.entries) == 1 and _idle(section), timeout=WAIT_MS)
    path = tmp_path / "out.txt"
    assert section.save_text(str(path))
    assert path.read_text(encoding="utf-8").startswith("# Generative AI Playground")
    section.verify(str(path))
    qtbot.waitUntil(lambda: section.last_verification is not None, timeout=WAIT_MS)
    assert section.last_verification.identical
    qtbot.waitUntil(lambda: _idle(section), timeout=WAIT_MS)


def test_unknown_characters_are_shown(qtbot, section):
    c = section.controls
    c.prompt.setPlainText("caf\u00e9 \u20ac")  # non-ASCII: typed with setPlainText, not key clicks
    assert "\u00e9" in c.unknown.text() and "\u20ac" in c.unknown.text()
    c.prompt.setPlainText("ROMEO:")
    assert c.unknown.text() == ""


def test_a_damaged_checkpoint_shows_a_message_and_no_model(qtbot, section, run, tmp_path):
    damaged = copy_run(run, tmp_path / "damaged")
    weights = damaged / "checkpoint" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:64])
    handle = section.load_model(str(damaged))
    with qtbot.waitSignal(handle.ended, timeout=WAIT_MS):
        pass
    assert section.model() is None
    assert "damaged" in section.controls.message.text()
    assert not section.controls.generate_button.isEnabled()
    other = copy_run(run, tmp_path / "other")
    meta_file = other / "checkpoint" / "meta.json"
    meta_file.write_text(json.dumps({**json.loads(meta_file.read_text()), "family": "gan"}))
    handle = section.load_model(str(other))
    with qtbot.waitSignal(handle.ended, timeout=WAIT_MS):
        pass
    assert section.model() is None and "GAN" in section.controls.message.text()


def test_stop_cancels_a_long_generation(qtbot, section):
    section.controls.max_tokens.setValue(5000)
    handle = section.generate()
    qtbot.waitUntil(lambda: section.output.token_count() > 0, timeout=WAIT_MS)
    with qtbot.waitSignal(handle.cancelled, timeout=WAIT_MS):
        qtbot.mouseClick(section.controls.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _idle(section), timeout=WAIT_MS)
    assert not section.history.entries and section.output.token_count() < 5000


def test_variants_time_travel_and_sweep(qtbot, section):
    c = section.controls
    c.max_tokens.setValue(20)
    c.seed.setValue(4)
    qtbot.mouseClick(c.variants_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(section.history.entries) == 3 and _idle(section), timeout=WAIT_MS)
    assert [e.generation.request.seed for e in section.history.entries] == [4, 5, 6]
    assert [o.token_count() for o in section.explorer.variants.outputs] == [20, 20, 20]
    _click_token(qtbot, section.explorer.variants.outputs[2], 3)
    assert section.inspector.chart.candidate_count() > 0
    qtbot.mouseClick(c.time_travel_button, Qt.MouseButton.LeftButton)
    steps = section.model().snapshots
    qtbot.waitUntil(lambda: _idle(section) and len(section.explorer.time_travel.outputs) == len(steps), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: all(o.token_count() == 20 for o in section.explorer.time_travel.outputs), timeout=WAIT_MS)
    assert [t.text() for t in section.explorer.time_travel.titles] == [f"<b>step {s:,}</b>" for s in steps]
    qtbot.mouseClick(c.sweep_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _idle(section) and section.explorer.sweep.table.rowCount() == 6, timeout=WAIT_MS)
    assert [r.temperature for r in section.explorer.sweep.rows] == [0.2, 0.5, 0.8, 1.0, 1.3, 1.8]


def test_variants_stream_into_their_columns_and_stop(qtbot, section):
    section.controls.max_tokens.setValue(3000)
    qtbot.mouseClick(section.controls.variants_button, Qt.MouseButton.LeftButton)
    columns = section.explorer.variants.outputs
    qtbot.waitUntil(lambda: columns[0].token_count() > 0 and section.is_busy(), timeout=WAIT_MS)  # mid-run
    qtbot.mouseClick(section.controls.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _idle(section), timeout=WAIT_MS)
    assert not section.history.entries and not section.explorer.variants.generations


def test_the_tab_lists_the_app_runs_and_loads_the_newest(qtbot, runner, run, tmp_path, no_bundled_models):
    from playground.core.paths import runs_dir
    from playground.ui.generate.text_section import TextSection
    from playground.ui.tabs.generate_tab import GenerateTab

    copy_run(run, runs_dir() / "gpt-bard-1")
    tab = GenerateTab(runner)
    qtbot.addWidget(tab)
    section = tab.section(TextSection)
    tab.show()
    qtbot.waitUntil(lambda: section.model() is not None, timeout=WAIT_MS)
    assert section.controls.model.count() == 1 and section.model().ref == str(runs_dir() / "gpt-bard-1")
    assert "bard" in section.controls.card.text()
    qtbot.waitUntil(lambda: _idle(section), timeout=WAIT_MS)


def test_the_card_shows_a_calibrated_model_with_its_temperature_and_the_figure_before(qtbot, section, run, tmp_path):
    from playground.core.generators.text_calibration import calibrate_text

    assert "calibrated" not in section.controls.card.text()
    folder = copy_run(run, tmp_path / "calibrated")
    result = calibrate_text(folder)
    section.load_model(str(folder))
    qtbot.waitUntil(lambda: section.model() is not None and section.model().ref == str(folder), timeout=WAIT_MS)
    card = section.controls.card.text()
    assert f"{result.after:.3f} nats per character, calibrated: logits divided by {result.temperature:.2f}" in card
    assert f"({result.before:.3f} before;" in card
    assert section.controls.temperature.value() == pytest.approx(result.sample_temperature[1])  # its own
    assert result.sample_temperature[1] != pytest.approx(0.8)


def test_calibrate_a_copy_saves_it_among_the_runs_loads_it_and_leaves_the_model_as_it_was(qtbot, section, run):
    from playground.core.paths import runs_dir
    from playground.core.runs.checkpoint import load_checkpoint

    before = load_checkpoint(run, with_optim=False)
    qtbot.mouseClick(section.controls.calibrate_button, Qt.MouseButton.LeftButton)
    assert not section.controls.calibrate_button.isEnabled()  # one calibration at a time
    copy = runs_dir() / f"{run.name}-calibrated"
    qtbot.waitUntil(lambda: section.model() is not None and section.model().ref == str(copy) and _idle(section),
                    timeout=WAIT_MS)
    message = section.controls.message.text()
    assert message.startswith(f"Saved a calibrated copy as {copy.name}: logits divided by")
    assert "calibrated: logits divided by" in section.controls.card.text()
    assert section.controls.model.currentText() == f"{copy.name} (calibrated)"
    assert section.model().snapshots  # the run's snapshots came along: time travel still works
    after = load_checkpoint(run, with_optim=False)
    assert after.weights_sha256 == before.weights_sha256 and "calibration" not in after.extra
    qtbot.mouseClick(section.controls.calibrate_button, Qt.MouseButton.LeftButton)  # the copy, copied again
    second = str(runs_dir() / f"{copy.name}-calibrated")
    qtbot.waitUntil(lambda: section.model() is not None and section.model().ref == second and _idle(section),
                    timeout=WAIT_MS)
