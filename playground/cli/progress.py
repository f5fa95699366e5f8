"""Progress of long commands on stderr: a bar redrawn in place on a terminal, plain lines otherwise.

Standard output stays for results (tables, ``--json`` objects), so a command's
output can be piped while a user still sees it is alive. On a terminal the bar
is redrawn at most 10 times a second; into a file or pipe a plain line is
written at most once every few seconds (and always at the end).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 100  # characters of one progress line


class ProgressReporter:
    """Writes ``update(done, total, message)`` calls to ``stream`` (stderr), throttled."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool = True,
                 interval_tty_s: float = 0.1, interval_plain_s: float = 5.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        try:
            self.tty = bool(self.stream.isatty())
        except (AttributeError, ValueError):  # no isatty, or a closed stream
            self.tty = False
        self.interval = interval_tty_s if self.tty else interval_plain_s
        self._last = -1e9
        self._open = False  # a bar is drawn on the current terminal line

    def update(self, done: int | float, total: int | float = 0, message: str = "") -> None:
        """Report ``done`` of ``total`` (0: unknown) with a short message."""
        if not self.enabled:
            return
        now = time.monotonic()
        final = bool(total) and done >= total
        if not final and now - self._last < self.interval:
            return
        self._last = now
        if total:
            share = max(0.0, min(1.0, done / total))
            head = f"{_bar(share)} {share:4.0%} " if self.tty else f"[{share:4.0%}] "
        else:
            head = ""
        text = f"{head}{message}"[:WIDTH]
        if self.tty:
            self._write("\r" + text.ljust(WIDTH))
            self._open = True
        else:
            self._write(text + "\n")

    def line(self, text: str) -> None:
        """A line that stays (a status message), written below any bar."""
        if not self.enabled:
            return
        self._end_bar()
        self._write(text + "\n")

    def close(self) -> None:
        """End the bar's line, so later output starts on a fresh one."""
        self._end_bar()

    def __enter__(self) -> ProgressReporter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _end_bar(self) -> None:
        if self._open:
            self._write("\n")
            self._open = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (BrokenPipeError, ValueError):  # stderr closed under us: progress is optional
            self.enabled = False


def _bar(share: float, width: int = 24) -> str:
    full = int(share * width)
    return "[" + "#" * full + "-" * (width - full) + "]"
