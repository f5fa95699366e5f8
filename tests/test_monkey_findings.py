"""Bugs the GUI monkey (tests/test_monkey.py) found, each pinned by a focused test."""

from __future__ import annotations

import os
import threading

from PySide6.QtWidgets import QFileDialog

from playground.core.data.bundled import load_bundled
from playground.core.preprocess import default_pipeline
from playground.ui.widgets.pipeline_editor import PipelineEditor


def _unblock_later(fifo: str, seconds: float) -> threading.Timer:
    """Opens the pipe for writing after ``seconds``: a reader stuck on it sees the end, so a
    regression fails this test instead of hanging it."""

    def write_end() -> None:
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:  # nobody is reading: nothing to unblock
            pass

    timer = threading.Timer(seconds, write_end)
    timer.start()
    return timer


def test_loading_a_named_pipe_as_a_pipeline_says_so_instead_of_freezing_the_window(qtbot, tmp_path, monkeypatch):
    fifo = str(tmp_path / "pipeline.json")
    os.mkfifo(fifo)
    editor = PipelineEditor()
    qtbot.addWidget(editor)
    editor.set_pipeline(default_pipeline(load_bundled("mnist-5k")))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (fifo, ""))
    timer = _unblock_later(fifo, 5.0)
    try:
        editor.load_button.click()  # read on the GUI thread: a pipe with no writer blocked it for good
    finally:
        timer.cancel()
        timer.join()
    assert "not a regular file" in editor.error()


def test_the_points_view_shares_one_brush_per_colour(qtbot):
    # A brush per point made pyqtgraph render every symbol on its own: the GUI froze for
    # 0.3-1.8 s each time a 2D dataset was picked (the monkey's slowest action).
    from playground.core.data.overview import DatasetOverview
    from playground.ui.tabs.dataset_views import LABEL_COLOURS, PointsView

    view = PointsView()
    qtbot.addWidget(view)
    dataset = load_bundled("toy-grid")
    view.show_overview(DatasetOverview(dataset=dataset))
    brushes = view.scatter.data["brush"]
    assert len(brushes) == len(dataset) and len({id(b) for b in brushes}) <= len(LABEL_COLOURS)
    colours = {b.color().getRgb() for b in brushes}
    assert len(colours) == min(len(dataset.label_names), len(LABEL_COLOURS))
