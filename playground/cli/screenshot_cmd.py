"""``python -m playground screenshot OUTDIR``: render every tab offscreen to PNG files."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

from playground.cli import Commands, UserError


def register(commands: Commands) -> None:
    subparsers = commands.top
    parser = subparsers.add_parser("screenshot", help="render every tab offscreen and write one PNG per tab")
    parser.add_argument("outdir", help="folder for the PNG files")
    parser.add_argument("--size", default="1280x800", help="window size, WxH (default 1280x800)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for each tab's work")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="only these pictures, by file name without .png (e.g. train-text generate-image)")
    parser.set_defaults(func=run)


def wait_until(app, condition: Callable[[], bool], timeout_s: float) -> bool:
    """Process events until ``condition()`` holds or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    from PySide6.QtCore import QCoreApplication, QEvent

    while time.monotonic() < deadline:
        app.processEvents()
        # processEvents leaves deleteLater's events alone, which an app's exec() loop would handle
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        if condition():
            return True
        time.sleep(0.01)
    return False


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise UserError(f"--size must look like 1280x800, not {args.size!r}") from None
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtWidgets import QApplication

    from playground.app import build_main_window
    from playground.ui.screenshots import tab_scenes

    app = QApplication.instance() or QApplication([])
    window = build_main_window()
    window.resize(width, height)
    window.show()
    written = []
    try:
        for filename, scene in tab_scenes(window):
            if args.only and filename.removesuffix(".png") not in args.only:
                continue
            ready = scene()
            if not wait_until(app, ready, args.timeout):
                raise UserError(f"{filename}: the tab's work did not finish within {args.timeout:.0f} s")
            wait_until(app, lambda: False, 0.3)  # let timers redraw
            path = out / filename
            if not window.grab().save(str(path)):
                raise UserError(f"could not write {path}")
            written.append(str(path))
            print(path)
        window.runner.shutdown(timeout_s=2.0)  # a Train scene leaves its run going
    finally:
        window.close()
    if args.only and len(written) < len(set(args.only)):
        missing = sorted(set(args.only) - {Path(p).stem for p in written})
        raise UserError(f"no such picture, or skipped: {', '.join(missing)}")
    return 0 if written else 1
