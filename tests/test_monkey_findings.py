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

