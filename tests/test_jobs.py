"""The Qt-free job contract: results, cancel, pause, relaying and slow motion."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from playground.core.events import ImageGrid, SetLearningRate, StepOnce
from playground.core.jobs import (
    JobCancelled,
    JobControl,
    Metrics,
    Progress,
    collect,
    paced,
    run_to_end,
    until_stopped,
    without_metrics,
)


def steps(n: int):
    def job(control):
        for i in range(n):
            control.checkpoint()
            yield Metrics(i, {"x": float(i)})
            if i % 2:
                yield ImageGrid(i, np.zeros((1, 2, 2, 1), np.uint8), cols=1, rows=1)
        return "done"

    return job


def test_collect_returns_result_and_events_in_order():
    result, events = collect(steps(4))
    assert result == "done"
    assert [type(e).__name__ for e in events] == ["Metrics", "Metrics", "ImageGrid", "Metrics", "Metrics", "ImageGrid"]


def test_cancel_raises_at_the_next_checkpoint():
    control = JobControl()
    gen = steps(100)(control)
    next(gen)
    control.cancel()
    with pytest.raises(JobCancelled):
        next(gen)


def test_pause_blocks_until_resume_and_commands_arrive_in_order():
    control = JobControl()
    control.pause()
    control.send(SetLearningRate("g", 1e-3))
    control.send(StepOnce("d"))
    done = threading.Event()

    def worker():
        control.checkpoint()
        done.set()

    threading.Thread(target=worker).start()
    assert not done.wait(0.2)
    control.resume()
    assert done.wait(2)
    assert control.drain() == [SetLearningRate("g", 1e-3), StepOnce("d")] and control.drain() == []


def test_without_metrics_keeps_the_result_and_drops_only_metrics():
    def sub(control):
        yield Progress(1, 2)
        yield Metrics(1, {"loss": 1.0})
        return 42

    def outer(control):
        value = yield from without_metrics(sub(control))
        return value

    result, events = collect(outer)
    assert result == 42 and [type(e) for e in events] == [Progress]


def test_paced_waits_after_each_frame_and_cancel_cuts_the_wait():
    delay = [0.05]
    t0 = time.monotonic()
    assert run_to_end(paced(steps(6), lambda: delay[0])) == "done"
    assert time.monotonic() - t0 >= 3 * 0.05  # three picture frames
    control = JobControl()
    delay[0] = 30.0
    gen = paced(steps(6), lambda: delay[0])(control)
    next(gen), next(gen), next(gen)  # Metrics, Metrics, ImageGrid
    threading.Timer(0.1, control.cancel).start()
    t0 = time.monotonic()
    with pytest.raises(JobCancelled):
        next(gen)
    assert time.monotonic() - t0 < 5


def test_sleep_ends_early_on_pause_or_cancel():
    for stop in ("pause", "cancel"):
        control = JobControl()
        timer = threading.Timer(0.1, getattr(control, stop))
        timer.start()
        t0 = time.monotonic()
        control.sleep(5.0)
        assert time.monotonic() - t0 < 1.0, stop
        timer.join()
    t0 = time.monotonic()
    JobControl().sleep(0.12)
    assert time.monotonic() - t0 >= 0.1


def test_until_stopped_closes_a_phase_at_its_next_event_and_says_so():
    closed = []

    def phase(control):
        try:
            for i in range(100):
                yield Progress(i, 100)
            return "all done"
        finally:
            closed.append(True)

    control = JobControl()
    relay_gen = until_stopped(phase(control), control)
    assert next(relay_gen) == Progress(0, 100)
    control.stop()
    with pytest.raises(StopIteration) as end:
        next(relay_gen)
    assert end.value.value == (True, None) and closed == [True]
    result, events = collect(lambda c: until_stopped(phase(c), c))
    assert result == (False, "all done") and len(events) == 100
