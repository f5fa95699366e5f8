"""The Datasets tab, clicked through with real widgets on real bundled and user data."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from playground.core.jobs import JobControl, Progress
from playground.ui.dataset_store import DatasetStore
from playground.ui.settings import AppSettings
from playground.ui.tabs.datasets_tab import DatasetsTab
from tests.make_bad_files import invalid_apng_bytes, png_bytes, write_bad_images, write_good_images


@pytest.fixture
def tab(qtbot, runner):
    widget = DatasetsTab(DatasetStore(), runner, AppSettings())
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    yield widget
    qtbot.waitUntil(lambda: not runner.active_jobs(), timeout=30_000)


def _wait_shown(qtbot, tab, modality: str, name: str | None = None) -> None:
    def shown() -> bool:
        overview = tab.shown_overview()
        return (not tab.is_loading() and overview is not None and overview.dataset.modality == modality
                and (name is None or overview.dataset.name == name))

    qtbot.waitUntil(shown, timeout=30_000)


def _row(tab, name):
    return tab._find_row(name)


def test_lists_every_bundled_dataset(tab):
    names = {tab.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) for i in range(tab.tree.topLevelItemCount())}
    assert {"mnist-5k", "font-letters", "emoji-32", "shakespeare", "first-names", "instrument-notes", "toy-ring"} <= names


def test_clicking_mnist_shows_thumbnails_histogram_and_a_larger_image(qtbot, tab):
    tab.tree.setCurrentItem(_row(tab, "mnist-5k"))
    _wait_shown(qtbot, tab, "image", "mnist-5k")
    model = tab.image_view.grid.grid_model
    assert model.rowCount() == 5000
    pixmap = model.data(model.index(42), Qt.ItemDataRole.DecorationRole)
    assert not pixmap.isNull()
    heights = tab.image_view.histogram._bars.opts["height"]
    assert list(heights) == [500] * 10
    grid = tab.image_view.grid
    rect = grid.visualRect(model.index(3))
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert tab.image_view.selected_image.pixmap() is not None
    assert "#3" in tab.image_view.selected_caption.text()
    assert tab._store.current.name == "mnist-5k"


def test_emoji_grid_has_captions(qtbot, tab):
    tab.select("emoji-32")
    _wait_shown(qtbot, tab, "image", "emoji-32")
    model = tab.image_view.grid.grid_model
    tip = model.data(model.index(0), Qt.ItemDataRole.ToolTipRole)
    assert tip and "\n" in tip  # label line, then the emoji's name


def test_text_view_shows_stats_and_preview(qtbot, tab):
    tab.select("shakespeare")
    _wait_shown(qtbot, tab, "text")
    assert tab.text_view.words.rowCount() == 20
    assert tab.text_view.words.item(0, 0).text() == "the"
    assert "ROMEO" in tab._store.current.text.upper()
    assert tab.text_view.preview.toPlainText().startswith(tab._store.current.text[:100])


def test_audio_view_draws_the_clip_and_play_never_crashes(qtbot, tab):
    tab.select("instrument-notes")
    _wait_shown(qtbot, tab, "audio")
    view = tab.audio_view
    assert view.table.rowCount() == len(tab._store.current)
    assert view.table.horizontalHeaderItem(3).text() == "Pitch" and view.table.item(0, 3).text() == "C2 (36)"
    x, y = view.waveform._curve.getData()
    assert len(x) > 100 and np.abs(y).max() > 0.5 * np.abs(tab._store.current.clips[0]).max() > 0.01
    view.table.selectRow(20)
    qtbot.mouseClick(view.play_button, Qt.MouseButton.LeftButton)
    # With a sound device the clip plays; without one the tab says so in words.
    assert view.sound_message.text().startswith(("Playing", "Sound is unavailable"))


def test_points_view_scatters_every_point(qtbot, tab):
    tab.select("toy-spiral")
    _wait_shown(qtbot, tab, "points")
    x, _y = tab.points_view.scatter.getData()
    assert len(x) == len(tab._store.current.points)


def test_user_folder_loads_good_images_and_lists_bad_ones(qtbot, tab, tmp_path):
    write_good_images(tmp_path / "pets")
    bad = write_bad_images(tmp_path / "pets" / "cats")
    tab.open_path(str(tmp_path / "pets"))
    _wait_shown(qtbot, tab, "image", "pets")
    assert tab.image_view.grid.grid_model.rowCount() == 10
    tree = tab.skipped.tree
    files = [tree.topLevelItem(g).child(r) for g in range(tree.topLevelItemCount())
             for r in range(tree.topLevelItem(g).childCount())]
    assert {row.text(0).split("/")[-1] for row in files} == set(bad)
    assert all(row.text(0).startswith("cats/") for row in files)  # relative to the opened folder
    assert tab._find_row("pets") is not None


def test_skipped_files_are_grouped_damaged_first_with_counts(qtbot, tab, tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    for i in range(60):
        (root / f"a{i:02}.doc").write_text("not ours\n")
    (root / "good.png").write_bytes(png_bytes(8, 8))
    (root / "zz_cut.png").write_bytes(png_bytes(32, 32)[:60])
    (root / "pipe.png").symlink_to("/dev/null")
    tab.open_path(str(root))
    _wait_shown(qtbot, tab, "image", "photos")
    tree = tab.skipped.tree
    heads = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    assert [h.text(0) for h in heads] == ["Damaged, truncated or empty (1)",
                                         "Not a regular file (pipe, device, socket) (1)",
                                         "Not a file type read here (60)"]
    assert heads[0].child(0).text(0) == "zz_cut.png" and "truncated" in heads[0].child(0).text(1)
    assert heads[0].isExpanded() and not heads[2].isExpanded()  # the long tail starts folded
    assert heads[2].childCount() == 60
    assert tab.skipped.title.text() == "Skipped files: 62 — 1 damaged; 1 pipe or device; 60 files of other types"


def test_empty_folder_gets_a_clear_message(qtbot, tab, tmp_path):
    (tmp_path / "nothing").mkdir()
    tab.open_path(str(tmp_path / "nothing"))
    qtbot.waitUntil(lambda: tab.message.isVisible(), timeout=10_000)
    assert "nothing" in tab.message.text() or "empty" in tab.message.text()
    qtbot.waitUntil(lambda: not tab.is_loading())


def test_cancel_button_stops_a_long_load(qtbot, tab):
    def slow(control: JobControl) -> Generator[Any, None, Any]:
        for i in range(1_000_000):
            control.checkpoint()
            yield Progress(i, 1_000_000, "scanning")
            control._running.wait(0.001)

    tab._start_loading("slow", slow, "Opening a huge folder")
    qtbot.waitUntil(lambda: tab.progress.isVisible() and tab.progress.bar.maximum() == 1_000_000, timeout=5000)
    qtbot.mouseClick(tab.progress.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.is_loading(), timeout=5000)
    assert "cancelled" in tab.message.text()
    assert not tab.progress.isVisible()


def test_notes_under_the_title_are_escaped_and_capped(qtbot, tab, tmp_path):
    root = tmp_path / "warned"
    root.mkdir()
    for i in range(7):  # each read with a Pillow warning, so each gets a note naming the file
        (root / f"<b>{i}.png").write_bytes(invalid_apng_bytes(seed=i))
    tab.open_path(str(root))
    _wait_shown(qtbot, tab, "image", "warned")
    text = tab.title.text()
    assert "&lt;b&gt;0.png: Invalid APNG" in text and "<b>0.png" not in text
    assert "… and 2 more notes" in text
    assert len(tab.title.toolTip().splitlines()) == 7
