"""The candidates a language model weighed for one token: probability before and after sampling's filters.

Grey bars: the softmax of the raw scores. Blue bars: after temperature, top-k
and top-p (0 where a filter removed the candidate). The token the model took
carries a red frame (``KEY`` says so in words, for a label beside the chart).
Bar items are made once and updated with ``setOpts``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from playground.ui.widgets.visible_text import show_whitespace

KEY = ('<span style="color:#aaaaaa">■</span> before: the raw scores&nbsp; <span style="color:#1f5fbf">■</span> after '
       'temperature, top-k, top-p&nbsp; <span style="color:#d62728">□</span> taken')
WIDTH = 0.38  # each bar's width; a candidate's two bars sit side by side
MAX_LABEL = 8  # characters of a candidate's text under its bars


class CandidateChart(pg.PlotWidget):
    """``set_candidates(texts, before, after, taken)``; ``clear_candidates()``."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, background="w")
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setMenuEnabled(False)
        self.setLabel("left", "probability")
        self.getAxis("left").enableAutoSIPrefix(False)
        self.getPlotItem().showGrid(y=True, alpha=0.3)
        self._before = pg.BarGraphItem(x=[], height=[], width=WIDTH, brush=pg.mkBrush(170, 170, 170), pen=pg.mkPen(None))
        self._after = pg.BarGraphItem(x=[], height=[], width=WIDTH, brush=pg.mkBrush(31, 95, 191), pen=pg.mkPen(None))
        self._taken = pg.BarGraphItem(x=[], height=[], width=2 * WIDTH + 0.1, brush=pg.mkBrush(None),
                                      pen=pg.mkPen(214, 39, 40, width=2))
        for item in (self._before, self._after, self._taken):
            self.addItem(item)
        self.setYRange(0, 1, padding=0)
        self._count = 0
        self.setMinimumHeight(170)

    def set_candidates(self, texts: Sequence[str], before: Sequence[float], after: Sequence[float], taken: int) -> None:
        """Draw candidates most likely first; ``taken``: index of the one the model took."""
        n = len(texts)
        x = np.arange(n, dtype=float)
        self._before.setOpts(x=x - WIDTH / 2, height=np.asarray(before, float), width=WIDTH)
        self._after.setOpts(x=x + WIDTH / 2, height=np.asarray(after, float), width=WIDTH)
        top = max([*before, *after, 0.05])
        self._taken.setOpts(x=[float(taken)], height=[min(1.0, max(before[taken], after[taken]) + 0.02 * top)],
                            width=2 * WIDTH + 0.1)
        ticks = [(i, show_whitespace(t)[:MAX_LABEL] or "·") for i, t in enumerate(texts)]
        self.getAxis("bottom").setTicks([ticks])
        self.setXRange(-0.7, max(n, 1) - 0.3, padding=0)
        self.setYRange(0, min(1.0, top * 1.12), padding=0)
        self._count = n

    def clear_candidates(self) -> None:
        for item in (self._before, self._after, self._taken):
            item.setOpts(x=[], height=[])
        self.getAxis("bottom").setTicks([[]])
        self._count = 0

    def candidate_count(self) -> int:
        """How many candidates are drawn (0: empty)."""
        return self._count

    def heights(self) -> tuple[np.ndarray, np.ndarray]:
        """(before, after) bar heights as drawn."""
        return (np.asarray(self._before.opts["height"], float), np.asarray(self._after.opts["height"], float))
