"""Plain-language alerts from a run's metric history: pure functions, easy to test.

Each check reads a ``MetricHistory`` and returns an ``Alert`` or None. A
family's trainer lists the checks that apply (``Trainer.alerts``); the loop
turns a newly raised alert into a ``Status`` event.

Series the checks read (all logged by the GAN loop):
    d_real, d_fake   D's mean belief "real" on real and fake batches, in [0, 1]
    g_loss           the generator's loss
    diversity        spread of the fixed-noise samples over the spread of real data
                     (about 1 when healthy, near 0 when every sample looks the same)
    coverage         share of classes the classifier finds among the samples, in [0, 1]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # any object with ``values(key) -> np.ndarray`` will do
    from playground.core.runs.history import MetricHistory


@dataclass(frozen=True)
class Alert:
    kind: str  # "mode_collapse" or "d_overpowering"
    level: str  # "warning" or "error", as in jobs.Status
    message: str


def mode_collapse_alert(history: MetricHistory, *, min_points: int = 3, floor: float = 0.3, drop: float = 0.5) -> Alert | None:
    """Warn when samples lose their variety or classes go missing.

    Raised when ``diversity`` had reached ``floor`` and its latest value fell below
    ``drop`` times its best so far, or when ``coverage`` fell to at most 70% of its
    best. (A fresh G starts with little variety; that alone is no collapse.)
    """
    div = history.values("diversity")
    if len(div) >= min_points and np.isfinite(div[-1]):
        best = float(np.nanmax(div[:-1]))
        if best >= floor and div[-1] < drop * best:
            return Alert(
                "mode_collapse",
                "warning",
                f"mode collapse suspected: the samples look alike (variety {div[-1]:.2f}, best {best:.2f}). "
                "Try a lower generator learning rate, the hinge loss with spectral norm, or restart from a checkpoint.",
            )
    cov = history.values("coverage")
    if len(cov) >= min_points and np.isfinite(cov[-1]):
        best = float(np.nanmax(cov[:-1]))
        if best > 0 and cov[-1] <= 0.7 * best:
            return Alert(
                "mode_collapse",
                "warning",
                f"mode collapse suspected: the classifier finds only {cov[-1]:.0%} of the classes in the samples "
                f"(it found {best:.0%} before). Try a lower generator learning rate or more discriminator steps.",
            )
    return None


def d_overpowering_alert(history: MetricHistory, *, window: int = 10, fake_below: float = 0.05) -> Alert | None:
    """Warn when D rejects nearly every fake while G's loss keeps rising.

    Over the last ``window`` logged points: mean D(G(z)) below ``fake_below`` and
    a rising ``g_loss`` (positive least-squares slope).
    """
    fake, g_loss = history.values("d_fake"), history.values("g_loss")
    if len(fake) < window or len(g_loss) < window:
        return None
    recent_fake, recent_g = fake[-window:], g_loss[-window:]
    if not (np.all(np.isfinite(recent_g)) and np.nanmean(recent_fake) < fake_below):
        return None
    slope = float(np.polyfit(np.arange(window, dtype=np.float64), recent_g, 1)[0])
    if slope <= 0:
        return None
    return Alert(
        "d_overpowering",
        "warning",
        f"the discriminator is overpowering the generator: it calls {np.nanmean(recent_fake):.0%} of fakes real "
        "and the generator's loss keeps rising. Lower D's learning rate, use one D step per G step, "
        "or add label smoothing.",
    )


def check_alerts(history: MetricHistory) -> list[Alert]:
    """Every alert that holds for the history as it stands."""
    found = [mode_collapse_alert(history), d_overpowering_alert(history)]
    return [a for a in found if a is not None]
