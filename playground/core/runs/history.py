"""Metric and sample history in growable numpy buffers (Qt-free).

``MetricHistory`` keeps one (steps, values) series per metric name, each in a
buffer that doubles when full (pyqtgraph's scrolling-plot idiom), so a plot can
``setData(h.steps(k), h.values(k))`` on views without copying. ``SampleHistory``
keeps the sample grids for the timeline slider, thinning old ones past a cap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np


class _Series:
    __slots__ = ("steps", "values", "size")

    def __init__(self, capacity: int = 256) -> None:
        self.steps = np.zeros(capacity, dtype=np.int64)
        self.values = np.zeros(capacity, dtype=np.float64)
        self.size = 0

    def append(self, step: int, value: float) -> None:
        if self.size == len(self.steps):
            self.steps = np.concatenate([self.steps, np.zeros_like(self.steps)])
            self.values = np.concatenate([self.values, np.zeros_like(self.values)])
        self.steps[self.size] = step
        self.values[self.size] = value
        self.size += 1


class MetricHistory:
    """Per-metric series of (step, value); metrics may be logged at different cadences."""

    def __init__(self) -> None:
        self._series: dict[str, _Series] = {}

    def append(self, step: int, values: Mapping[str, float]) -> None:
        for key, value in values.items():
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = _Series()
            series.append(int(step), float(value))

    def keys(self) -> list[str]:
        return list(self._series)

    def __contains__(self, key: str) -> bool:
        return key in self._series

    def __len__(self) -> int:
        """Number of logged points of the longest series."""
        return max((s.size for s in self._series.values()), default=0)

    def steps(self, key: str) -> np.ndarray:
        """int64 steps of ``key`` (a view; empty if never logged)."""
        s = self._series.get(key)
        return s.steps[: s.size] if s else np.zeros(0, dtype=np.int64)

    def values(self, key: str) -> np.ndarray:
        """float64 values of ``key`` (a view; empty if never logged)."""
        s = self._series.get(key)
        return s.values[: s.size] if s else np.zeros(0, dtype=np.float64)

    def last(self, key: str, default: float = float("nan")) -> float:
        s = self._series.get(key)
        return float(s.values[s.size - 1]) if s and s.size else default

    def last_step(self) -> int:
        return max((int(s.steps[s.size - 1]) for s in self._series.values() if s.size), default=0)

    def to_json(self) -> dict[str, Any]:
        """{"key": {"steps": [...], "values": [...]}}; NaN and inf become None."""
        def clean(v: np.ndarray) -> list[float | None]:
            return [float(x) if np.isfinite(x) else None for x in v]

        return {k: {"steps": self.steps(k).tolist(), "values": clean(self.values(k))} for k in self._series}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MetricHistory:
        """Inverse of ``to_json``; raises ValueError on a malformed document."""
        out = cls()
        if not isinstance(data, Mapping):
            raise ValueError("metric history must be a JSON object")
        for key, series in data.items():
            steps, values = series.get("steps"), series.get("values")
            if not isinstance(steps, list) or not isinstance(values, list) or len(steps) != len(values):
                raise ValueError(f"metric history for {key!r} is malformed")
            s = out._series[str(key)] = _Series(max(256, len(steps)))
            for st, v in zip(steps, values, strict=True):
                s.append(int(st), float("nan") if v is None else float(v))
        return out


class SampleHistory:
    """Sample sets (uint8 N x H x W x C) by step, for replaying training.

    Past ``cap`` entries, every other older entry is dropped, so the timeline
    always spans the whole run at a coarser and coarser pace.
    """

    def __init__(self, cap: int = 200) -> None:
        self.cap = max(4, int(cap))
        self._steps: list[int] = []
        self._images: list[np.ndarray] = []

    def append(self, step: int, images: np.ndarray) -> None:
        images = np.asarray(images, dtype=np.uint8)
        if self._images and images.shape != self._images[0].shape:
            return  # a different grid (for example a step-once preview); keep the timeline uniform
        self._steps.append(int(step))
        self._images.append(images)
        if len(self._steps) > self.cap:
            keep = list(range(0, len(self._steps) - 1, 2)) + [len(self._steps) - 1]
            self._steps = [self._steps[i] for i in keep]
            self._images = [self._images[i] for i in keep]

    def __len__(self) -> int:
        return len(self._steps)

    @property
    def steps(self) -> list[int]:
        return list(self._steps)

    def at(self, index: int) -> tuple[int, np.ndarray]:
        return self._steps[index], self._images[index]

    def arrays(self) -> dict[str, np.ndarray]:
        """{"steps": int64 (K,), "images": uint8 K x N x H x W x C} for ``np.savez``."""
        if not self._images:
            return {"steps": np.zeros(0, dtype=np.int64), "images": np.zeros((0, 0, 1, 1, 1), dtype=np.uint8)}
        return {"steps": np.asarray(self._steps, dtype=np.int64), "images": np.stack(self._images)}

    @classmethod
    def from_arrays(cls, steps: Iterable[int], images: np.ndarray, cap: int = 200) -> SampleHistory:
        out = cls(cap)
        for step, grid in zip(steps, images, strict=True):
            out.append(int(step), grid)
        return out


def tile(images: np.ndarray, cols: int, pad: int = 1, fill: int = 0) -> np.ndarray:
    """Lay out uint8 N x H x W x C samples as one uint8 grid image (rows x cols)."""
    images = np.asarray(images, dtype=np.uint8)
    n, h, w, c = images.shape
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c), fill, dtype=np.uint8)
    for i in range(n):
        r, q = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + q * (w + pad)
        grid[y : y + h, x : x + w] = images[i]
    return grid
