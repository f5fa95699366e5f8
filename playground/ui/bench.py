"""The app side of ``bench gan`` and ``bench soak``: training through the job runner with
the Train tab open and redrawing, how late the GUI thread runs meanwhile, and whether
the process's memory keeps growing over a long run."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QElapsedTimer, QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication

from playground.core.jobs import Metrics

TICK_MS = 5


@dataclass(frozen=True)
class AppBenchResult:
    steps_per_s: float  # training steps per second, as seen by the GUI thread
    lateness_ms: np.ndarray  # how late each 5 ms timer tick fired, in ms
    steps: int  # steps timed (after the warm-up)
    gui_cpu_share: float  # CPU time the GUI thread used per second of the run (0.05: 5% of a core)


class _Probe(QObject):
    """Lives in the GUI thread: records Metrics arrivals and timer lateness."""

    step_reached = Signal(int)  # the step of each Metrics event

    def __init__(self, warmup_steps: int):
        super().__init__()
        self.warmup_steps = warmup_steps
        self.arrivals: list[tuple[float, int]] = []
        self.lateness: list[float] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._last = 0.0

    def start(self) -> None:
        self._clock.start()
        self._last = self._clock.nsecsElapsed() / 1e6
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _on_timer_timeout(self) -> None:
        now = self._clock.nsecsElapsed() / 1e6
        if self.arrivals and self.arrivals[0][1] >= self.warmup_steps:
            self.lateness.append(max(0.0, now - self._last - TICK_MS))
        self._last = now

    def on_event(self, event: object) -> None:
        if isinstance(event, Metrics):
            self.step_reached.emit(event.step)
            if event.step >= self.warmup_steps:
                self.arrivals.append((time.perf_counter(), event.step))


def app_steps_per_s(app: QApplication, window, settings, timeout_s: float = 600.0, warmup_steps: int = 20,
                    on_step: Callable[[int], None] | None = None, timed_until: int | None = None) -> AppBenchResult:
    """Train ``settings.run.steps`` steps on the window's current dataset through its Train tab.

    The rate is timed from the first metrics at or after ``warmup_steps`` to the last at or before
    ``timed_until`` (default: the end). Stopping short of the end leaves out what a run does once
    when it finishes (a last sample and validation), which a long run does not pay every few hundred
    steps. ``on_step(step)`` is called on the GUI thread with each step the metrics report (progress).
    """
    from playground.ui.tabs.train_tab import TrainTab

    tab = window.tab(TrainTab)
    assert isinstance(tab, TrainTab)
    window.tabs.setCurrentWidget(tab)
    probe = _Probe(warmup_steps)
    handle = tab.start(settings, extras=False)
    if handle is None:
        raise RuntimeError(tab.controls.config_error.text() or "the Train tab did not start")
    handle.event_emitted.connect(probe.on_event)
    if on_step is not None:
        probe.step_reached.connect(on_step)
    loop = QEventLoop()
    handle.ended.connect(loop.quit)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    probe.start()
    cpu0, wall0 = time.thread_time(), time.perf_counter()
    loop.exec()  # the real event loop, as in the app
    gui_cpu = (time.thread_time() - cpu0) / max(1e-9, time.perf_counter() - wall0)
    probe.stop()
    if tab.is_running():
        handle.cancel()
        raise RuntimeError(f"training did not finish within {timeout_s:.0f} s")
    timed = [a for a in probe.arrivals if timed_until is None or a[1] <= timed_until]
    if len(timed) < 2:
        raise RuntimeError(tab.controls.config_error.text() or "the app's run reported too few steps to time "
                           f"(past the first {warmup_steps}): add --steps")
    (t0, s0), (t1, s1) = timed[0], timed[-1]
    rate = (s1 - s0) / (t1 - t0) if t1 > t0 else float("nan")
    return AppBenchResult(rate, np.asarray(probe.lateness), s1 - s0, gui_cpu)


@dataclass(frozen=True)
class SoakResult:
    seconds: list[float]  # when each RSS sample was taken, from the start of training
    rss_mb: list[float]  # the process's resident memory at each sample, in MB (10^6 bytes)
    steps: int  # the last training step the metrics reported
    running_at_end: bool  # training was still going when the soak ended (it should be)


def rss_mb() -> float:
    """This process's resident set size in MB, from /proc/self/statm (Linux)."""
    with open("/proc/self/statm", "rb") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def growth_after(seconds: list[float], rss: list[float], from_s: float) -> float | None:
    """RSS at the last sample minus RSS at the first sample taken at or after ``from_s``
    (None if no sample is that late): how much memory a run keeps gaining once warmed up."""
    later = [i for i, t in enumerate(seconds) if t >= from_s]
    return rss[-1] - rss[later[0]] if later else None


class _Sampler(QObject):
    """Lives in the GUI thread: samples RSS on a timer and follows the training step."""

    sampled = Signal(float, float, int)  # seconds, RSS in MB, last step

    def __init__(self, interval_s: float):
        super().__init__()
        self.seconds: list[float] = []
        self.rss: list[float] = []
        self.step = 0
        self._t0 = time.monotonic()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse timer may fire early: the 2-minute sample at 119.5 s
        self._timer.setInterval(max(1, int(interval_s * 1000)))
        self._timer.timeout.connect(self.sample)

    def start(self) -> None:
        self._t0 = time.monotonic()
        self.sample()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def sample(self) -> None:
        self.seconds.append(round(time.monotonic() - self._t0, 2))
        self.rss.append(round(rss_mb(), 1))
        self.sampled.emit(self.seconds[-1], self.rss[-1], self.step)

    def on_event(self, event: object) -> None:
        if isinstance(event, Metrics):
            self.step = max(self.step, event.step)


def soak(app: QApplication, window, settings, minutes: float, interval_s: float,
         on_sample: Callable[[float, float, int], None] | None = None) -> SoakResult:
    """Train ``settings`` on the window's current dataset through its Train tab for ``minutes``,
    sampling RSS every ``interval_s`` (and once at the start and once at the end).

    ``on_sample(seconds, rss_mb, step)`` is called on the GUI thread after each sample.
    """
    from playground.ui.tabs.train_tab import TrainTab

    tab = window.tab(TrainTab)
    assert isinstance(tab, TrainTab)
    window.tabs.setCurrentWidget(tab)
    handle = tab.start(settings)
    if handle is None:
        raise RuntimeError(tab.controls.config_error.text() or "the Train tab did not start")
    sampler = _Sampler(interval_s)
    handle.event_emitted.connect(sampler.on_event)
    if on_sample is not None:
        sampler.sampled.connect(on_sample)
    loop = QEventLoop()
    QTimer.singleShot(int(minutes * 60_000), loop.quit)
    sampler.start()
    loop.exec()  # the real event loop, as in the app
    sampler.stop()
    if sampler.seconds[-1] < minutes * 60 - 0.5:
        sampler.sample()  # the end, unless a timer sample just took it
    running = tab.is_running()
    handle.cancel()
    ended = QEventLoop()
    handle.ended.connect(ended.quit)
    QTimer.singleShot(30_000, ended.quit)
    if handle.is_running():
        ended.exec()
    return SoakResult(sampler.seconds, sampler.rss, sampler.step, running)
