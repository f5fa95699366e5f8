"""The Qt job runner: signals in order, cancel, pause, failures, slots and shutdown."""

from __future__ import annotations

import time


from playground.core.jobs import Metrics, Progress, Status


def counting_job(n: int, delay: float = 0.0):
    def job(control):
        for i in range(n):
            control.checkpoint()
            if delay:
                time.sleep(delay)
            yield Metrics(step=i, values={"i": float(i)})
        return n

    return job


def test_events_then_finished(qtbot, runner):
    handle = runner.start("test", counting_job(5))
    seen = []
    handle.event_emitted.connect(seen.append)
    with qtbot.waitSignal(handle.finished, timeout=5000) as blocker:
        pass
    assert blocker.args == [5]
    qtbot.waitUntil(lambda: not handle.is_running())
    assert [e.step for e in seen] == [0, 1, 2, 3, 4]


def test_cancel_emits_cancelled(qtbot, runner):
    handle = runner.start("test", counting_job(10_000, delay=0.002))
    with qtbot.waitSignal(handle.cancelled, timeout=5000):
        handle.cancel()
    qtbot.waitUntil(lambda: not handle.is_running())


def test_failure_reaches_the_gui_as_a_message(qtbot, runner):
    def bad(control):
        yield Status("about to fail")
        raise ValueError("the folder is empty")

    handle = runner.start("test", bad)
    with qtbot.waitSignal(handle.failed, timeout=5000) as blocker:
        pass
    assert blocker.args == ["the folder is empty"]
    qtbot.waitUntil(lambda: not handle.is_running())


def test_a_handled_failure_is_one_line_and_the_traceback_only_a_debug_record(qtbot, runner, caplog):
    import logging

    def bad(control):
        raise ValueError("that checkpoint was trained on (1, 8, 8) images")
        yield

    caplog.set_level(logging.DEBUG, logger="playground")
    handle = runner.start("test", bad)
    qtbot.waitUntil(lambda: not handle.is_running())
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in loud] == ["job test: that checkpoint was trained on (1, 8, 8) images"]
    assert all(r.exc_info is None and "Traceback" not in r.getMessage() for r in loud)
    assert any("Traceback" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)


def test_pause_stops_progress_and_resume_continues(qtbot, runner):
    handle = runner.start("test", counting_job(10_000, delay=0.001))
    seen = []
    handle.event_emitted.connect(seen.append)
    qtbot.waitUntil(lambda: len(seen) > 3)
    handle.pause()
    qtbot.wait(100)
    count = len(seen)
    qtbot.wait(200)
    assert len(seen) <= count + 1
    handle.resume()
    qtbot.waitUntil(lambda: len(seen) > count + 5)
    with qtbot.waitSignal(handle.cancelled, timeout=5000):
        handle.cancel()


def test_new_job_in_a_slot_cancels_the_previous_one(qtbot, runner):
    first = runner.start("load", counting_job(10_000, delay=0.002))
    with qtbot.waitSignal(first.cancelled, timeout=5000):
        second = runner.start("load", counting_job(3))
    qtbot.waitUntil(lambda: not first.is_running() and not second.is_running(), timeout=5000)
    assert first.control.cancelled and not second.control.cancelled


def test_progress_is_coalesced(qtbot, runner):
    def chatty(control):
        for i in range(20_000):
            yield Progress(i + 1, 20_000)

    handle = runner.start("test", chatty)
    seen = []
    handle.event_emitted.connect(seen.append)
    with qtbot.waitSignal(handle.ended, timeout=10_000):
        pass
    assert seen[-1].done == 20_000
    assert len(seen) < 2_000


def test_device_lock_serialises_device_jobs(qtbot, runner):
    spans = {}

    def timed(name):
        def job(control):
            t0 = time.monotonic()
            for _ in range(20):
                control.checkpoint()
                time.sleep(0.002)
                yield Progress(0, 0)
            spans[name] = (t0, time.monotonic())

        return job

    runner.start("train", timed("a"), uses_device=True)
    runner.start("generate", timed("b"), uses_device=True)
    qtbot.waitUntil(lambda: len(spans) == 2 and not runner.active_jobs(), timeout=5000)
    (a0, a1), (b0, b1) = spans["a"], spans["b"]
    assert a1 <= b0 or b1 <= a0, "device jobs overlapped"


def test_shutdown_joins_running_jobs(qtbot):
    from playground.ui.job_runner import JobRunner

    job_runner = JobRunner()
    handle = job_runner.start("long", counting_job(1_000_000, delay=0.001))
    qtbot.wait(50)
    t0 = time.monotonic()
    assert job_runner.shutdown(timeout_s=2.0)
    assert time.monotonic() - t0 < 2.0
    assert handle.control.cancelled
