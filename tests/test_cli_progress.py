"""The CLI's progress reporter: plain lines into a pipe, a bar on a terminal, never on stdout."""

from __future__ import annotations

import io

from playground.cli.progress import ProgressReporter


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_are_throttled_but_the_end_is_always_written():
    out = io.StringIO()
    progress = ProgressReporter(out, interval_plain_s=60)
    for done in range(1, 11):
        progress.update(done, 10, f"step {done}")
    lines = out.getvalue().splitlines()
    assert lines == ["[ 10%] step 1", "[100%] step 10"]


def test_a_terminal_gets_one_bar_redrawn_in_place_and_lines_below_it():
    term = FakeTerminal()
    progress = ProgressReporter(term, interval_tty_s=0)
    progress.update(1, 4, "a")
    progress.update(2, 4, "b")
    progress.line("saved")
    progress.close()
    text = term.getvalue()
    assert text.count("\r") == 2 and "[############------------]  50% b" in text
    assert text.endswith("\nsaved\n")


def test_disabled_or_closed_streams_write_nothing_and_never_raise():
    out = io.StringIO()
    ProgressReporter(out, enabled=False).update(1, 1, "x")
    assert out.getvalue() == ""
    closed = io.StringIO()
    closed.close()
    progress = ProgressReporter(closed)
    progress.update(1, 1, "x")
    progress.line("y")
    assert not progress.enabled
