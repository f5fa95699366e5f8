"""What the Train tab shows of a run, per model family: ``panel_for(name)`` picks the panel.

A family without a panel of its own gets ``ViewsPanel``, which shows every
kind of picture a run can send (sample grids, 2D views, text, sound), so a new
family trains in the app with no UI code.
"""

from __future__ import annotations

from playground.ui.family_panels.gan_panel import GANPanel
from playground.ui.family_panels.views_panel import ViewsPanel
from playground.ui.job_runner import JobRunner

PANELS: dict[str, type[ViewsPanel]] = {"gan": GANPanel}


def panel_for(family: str, runner: JobRunner) -> ViewsPanel:
    return PANELS.get(family, ViewsPanel)(runner)


__all__ = ["GANPanel", "PANELS", "ViewsPanel", "panel_for"]
