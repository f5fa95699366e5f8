"""The real main window under a few hundred seeded random actions, with hostile files in every dialog.

CI runs a short fixed-seed run. A longer run with another seed, on demand::

    PLAYGROUND_MONKEY_SEED=7 PLAYGROUND_MONKEY_ACTIONS=1000 python -m pytest -q tests/test_monkey.py

A failure prints the seed and the last actions, so it can be replayed (the
run is the same up to the timing of background jobs).
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from gui_monkey import DialogAnswers, Monkey, Trouble, Watchdog
from hostile_files import make_hostile_paths, make_writable

SEED = int(os.environ.get("PLAYGROUND_MONKEY_SEED", "1"))
ACTIONS = int(os.environ.get("PLAYGROUND_MONKEY_ACTIONS", "300"))
LOG = os.environ.get("PLAYGROUND_MONKEY_LOG", "")  # a file for the whole action log, written at the end
# Exceptions a job may end with on bad input: shown to the user as a message. Anything
# else escaping a job (TypeError, KeyError, IndexError, ...) is a bug the monkey reports.
EXPECTED_JOB_ERRORS = (ValueError, OSError, MemoryError)
# Crashes the monkey found in core code, reported to its owner and not fixed yet:
# (exception type, a line of its traceback). Delete an entry once its fix lands.
KNOWN_JOB_BUGS: tuple[tuple[str, str], ...] = ()
ACTION_LIMIT_S = 60.0  # an action that keeps the GUI thread longer ends the run with every thread's stack


def _problem(trouble: Trouble, qtlog, seen_logs: int) -> str:  # noqa: ANN001
    if trouble.exceptions:
        return "unhandled exception:\n" + trouble.exceptions[0]
    for exc, tb in trouble.job_errors:
        known = any(type(exc).__name__ == kind and where in tb for kind, where in KNOWN_JOB_BUGS)
        if not isinstance(exc, EXPECTED_JOB_ERRORS) and not known:
            return f"a job crashed with {type(exc).__name__} (a bug, not bad input):\n{tb}"
    for record in qtlog.records[seen_logs:]:
        if record.matches_level("WARNING") and not record.ignored:
            return f"Qt {record.log_type_name}: {record.message}"
    return ""


def _write_log(monkey: Monkey) -> None:
    if LOG:
        slowest = [f"{seconds:8.3f} s {line}" for seconds, line in monkey.slowest]
        Path(LOG).write_text("\n".join(monkey.log + ["", "slowest actions:"] + slowest) + "\n")


def _report(monkey: Monkey) -> str:
    _write_log(monkey)
    actions = "\n".join(monkey.last(30))
    return (f"seed {SEED}, after {monkey.count} of {ACTIONS} actions; the last ones:\n{actions}\n\n"
            f"replay: PLAYGROUND_MONKEY_SEED={SEED} PLAYGROUND_MONKEY_ACTIONS={monkey.count} "
            f"python -m pytest -q tests/test_monkey.py")


def _fail(problem: str, monkey: Monkey) -> None:
    pytest.fail(f"{problem}\n\n{_report(monkey)}", pytrace=False)


def test_random_actions_raise_nothing_and_leave_no_job_running(qtbot, qtlog, tmp_path, monkeypatch, request):
    from playground.app import build_main_window
    from playground.ui import job_runner

    hostile_root = tmp_path / "hostile"
    request.addfinalizer(lambda: make_writable(hostile_root))
    hostile = make_hostile_paths(hostile_root)
    from playground.core.paths import runs_dir

    for run, name in (("gpt-run", "gpt-bard-1"), ("digits-run", "diffusion-digits-1"), ("notes-run", "diffusion-notes-1")):
        shutil.copytree(hostile_root / "runs" / run, runs_dir() / name)  # the Generate tab's sections load them
    trouble = Trouble()
    monkeypatch.setattr(job_runner, "describe_error", trouble.describe_error_spy(job_runner.describe_error))
    rng = random.Random(SEED)

    window = build_main_window()
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    monkey = Monkey(window, qtbot, rng, drops=hostile.everything(), root=str(hostile_root), jobs=window.runner.active_jobs)
    DialogAnswers(rng, hostile.folders + hostile.checkpoints, hostile.files, hostile.saves, monkey.note).install(monkeypatch)
    seen_logs = len(qtlog.records)
    with trouble.watching(), Watchdog(ACTION_LIMIT_S, lambda: _report(monkey)) as watchdog:
        window.datasets_tab.select_default("image")  # as the app starts
        while monkey.count < ACTIONS:
            watchdog.arm()
            monkey.step()
            watchdog.disarm()
            problem = _problem(trouble, qtlog, seen_logs)
            if problem:
                _fail(problem, monkey)
        running = window.runner.active_jobs()
        monkey.log.append(f"close the window (jobs running: {', '.join(running) or 'none'})")
        window.close()
        try:
            qtbot.waitUntil(lambda: not window.runner.active_jobs(), timeout=60_000)
        except qtbot.TimeoutError:
            _fail(f"jobs still running a minute after the window closed: {window.runner.active_jobs()}", monkey)
        problem = _problem(trouble, qtlog, seen_logs)
        _write_log(monkey)
        if problem:
            _fail(problem, monkey)
