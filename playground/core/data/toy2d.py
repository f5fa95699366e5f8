"""Toy 2D point sets, generated in code: the classic test beds for GANs and diffusion.

Each generator is deterministic for a given ``seed`` (numpy only) and returns a
``PointsDataset`` with float32 points N x 2, roughly inside [-2, 2] on both axes,
and labels naming the mixture component (or moon, or spiral arm) of each point.
Points come shuffled, so any prefix holds every component.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from playground.core.data.dataset import PointsDataset

DEFAULT_POINTS = 2000


def _finish(
    name: str,
    points: np.ndarray,
    labels: np.ndarray,
    label_names: list[str],
    rng: np.random.Generator,
    source: str,
) -> PointsDataset:
    order = rng.permutation(len(points))
    return PointsDataset(
        name=name,
        points=points[order].astype(np.float32),
        labels=labels[order],
        label_names=label_names,
        source=source,
    )


def _split(n: int, parts: int) -> np.ndarray:
    """Component index per point, ``n`` points over ``parts`` components as evenly as possible."""
    return np.arange(n) % parts


def ring(n: int = DEFAULT_POINTS, seed: int = 0) -> PointsDataset:
    """8 Gaussians (std 0.1) evenly spaced on a circle of radius 1.5."""
    rng = np.random.default_rng(seed)
    labels = _split(n, 8)
    angles = labels * (2 * np.pi / 8)
    centres = 1.5 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    points = centres + 0.1 * rng.standard_normal((n, 2))
    names = [f"{45 * k}°" for k in range(8)]
    return _finish("toy-ring", points, labels, names, rng, "generated: 8 Gaussians on a ring")


def spiral(n: int = DEFAULT_POINTS, seed: int = 0) -> PointsDataset:
    """Two interleaved spiral arms, 1.5 turns each, radius up to 1.8, noise std 0.05."""
    rng = np.random.default_rng(seed)
    labels = _split(n, 2)
    t = np.sqrt(rng.uniform(0.02, 1.0, n))  # sqrt: even density along the arm
    theta = 3 * np.pi * t + np.pi * labels
    radius = 1.8 * t
    points = np.stack([radius * np.cos(theta), radius * np.sin(theta)], axis=1)
    points += 0.05 * rng.standard_normal((n, 2))
    return _finish(
        "toy-spiral", points, labels, ["arm 1", "arm 2"], rng, "generated: two-arm spiral"
    )


def moons(n: int = DEFAULT_POINTS, seed: int = 0) -> PointsDataset:
    """Two interleaving half circles (scikit-learn's make_moons), scaled to about [-1.8, 1.8]."""
    rng = np.random.default_rng(seed)
    labels = _split(n, 2)
    t = rng.uniform(0.0, np.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    points = np.where(labels[:, None] == 0, upper, lower)
    points = (points - np.array([0.5, 0.25])) * 1.2 + 0.06 * rng.standard_normal((n, 2))
    return _finish(
        "toy-moons", points, labels, ["upper moon", "lower moon"], rng, "generated: two moons"
    )


def grid(n: int = DEFAULT_POINTS, seed: int = 0) -> PointsDataset:
    """25 Gaussians (std 0.05) on a 5 x 5 grid from -1.5 to 1.5."""
    rng = np.random.default_rng(seed)
    labels = _split(n, 25)
    ticks = np.linspace(-1.5, 1.5, 5)
    centres = np.stack([ticks[labels % 5], ticks[labels // 5]], axis=1)
    points = centres + 0.05 * rng.standard_normal((n, 2))
    names = [f"({ticks[k % 5]:g}, {ticks[k // 5]:g})" for k in range(25)]
    return _finish("toy-grid", points, labels, names, rng, "generated: 5 x 5 grid of Gaussians")


@dataclass(frozen=True)
class ToySet:
    """A named toy generator and how the dataset list shows it."""

    make: Callable[..., PointsDataset]
    title: str
    description: str


TOY_SETS: dict[str, ToySet] = {
    "toy-ring": ToySet(
        ring,
        "Ring of 8 Gaussians (2D)",
        "2,000 points from 8 Gaussian blobs on a circle; the classic mode-collapse test.",
    ),
    "toy-spiral": ToySet(
        spiral, "Two-arm spiral (2D)", "2,000 points along two interleaved spiral arms."
    ),
    "toy-moons": ToySet(moons, "Two moons (2D)", "2,000 points on two interleaving half circles."),
    "toy-grid": ToySet(
        grid, "Grid of 25 Gaussians (2D)", "2,000 points from a 5 x 5 grid of tight Gaussian blobs."
    ),
}
