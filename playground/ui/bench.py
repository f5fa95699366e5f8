"""The app side of ``bench gan``: the same training steps through the job runner with
the Train tab open and redrawing, and how late the GUI thread runs meanwhile."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QElapsedTimer, QEventLoop, QObject, QTimer
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
        if isinstance(event, Metrics) and event.step >= self.warmup_steps:
            self.arrivals.append((time.perf_counter(), event.step))


def app_steps_per_s(app: QApplication, window, settings, timeout_s: float = 600.0, warmup_steps: int = 20) -> AppBenchResult:
    """Train ``settings.run.steps`` steps on the window's current dataset through its Train tab."""
    from playground.ui.tabs.train_tab import TrainTab

    tab = window.tab(TrainTab)
    assert isinstance(tab, TrainTab)
    window.tabs.setCurrentWidget(tab)
    probe = _Probe(warmup_steps)
    handle = tab.start(settings, extras=False)
    if handle is None:
        raise RuntimeError(tab.controls.config_error.text() or "the Train tab did not start")
    handle.event_emitted.connect(probe.on_event)
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
    (t0, s0), (t1, s1) = probe.arrivals[0], probe.arrivals[-1]
    rate = (s1 - s0) / (t1 - t0) if t1 > t0 else float("nan")
    return AppBenchResult(rate, np.asarray(probe.lateness), s1 - s0, gui_cpu)
