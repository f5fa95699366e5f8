"""Nearest training image for generated samples: "is it copying?".

A GAN that memorised its data produces samples whose nearest training image
is much closer than two different training images usually are. Distances are
L2 in pixel space over the prepared (normalised) arrays.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.core.jobs import Job, JobControl


def _flat(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x.reshape(len(x), -1)


def nearest_neighbours(samples: np.ndarray, train: np.ndarray, *, batch: int = 256, exclude_self: bool = False,
                       groups: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Index and L2 distance of the nearest ``train`` item for each sample.

    Args:
        samples: float N x ... (for example N x C x H x W in [-1, 1]).
        train: float M x ... with the same item shape.
        batch: samples compared at once (memory is batch x M floats).
        exclude_self: skip the train item at the sample's own index (``samples is train``).
        groups: (N sample groups, M train groups): skip the train items in the sample's own group (a training
            image's moved copies, when the samples are training images).
    Returns:
        (indices int64 (N,), distances float32 (N,)).
    """
    a, b = _flat(samples), _flat(train)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"samples have {a.shape[1]} values each but training items have {b.shape[1]}")
    if exclude_self:
        groups = (np.arange(len(a)), np.arange(len(b)))
    b_sq = (b * b).sum(axis=1)
    idx = np.empty(len(a), dtype=np.int64)
    dist = np.empty(len(a), dtype=np.float32)
    for start in range(0, len(a), batch):
        chunk = a[start : start + batch]
        d2 = (chunk * chunk).sum(axis=1, keepdims=True) + b_sq[None, :] - 2.0 * chunk @ b.T  # batch x M
        if groups is not None:
            d2[groups[0][start : start + len(chunk), None] == groups[1][None, :]] = np.inf
        best = d2.argmin(axis=1)
        idx[start : start + len(chunk)] = best
        dist[start : start + len(chunk)] = np.sqrt(np.clip(d2[np.arange(len(chunk)), best], 0.0, None))
    return idx, dist


def typical_neighbour_distance(train: np.ndarray, n: int = 256, seed: int = 0) -> float:
    """Median distance from a training item to its nearest *other* training item.

    A generated sample much closer than this to a training image is likely a copy.
    """
    data = _flat(train)
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(data), size=min(n, len(data)), replace=False)
    order = np.concatenate([pick, np.setdiff1d(np.arange(len(data)), pick)])
    _, dist = nearest_neighbours(data[order[: len(pick)]], data[order], exclude_self=True)
    return float(np.median(dist))


def copy_ratio(distances: np.ndarray, typical: float) -> np.ndarray:
    """Sample-to-nearest distance over the typical neighbour distance (< 0.5: suspicious)."""
    return np.asarray(distances, dtype=np.float32) / max(float(typical), 1e-8)


def copying_report(made: np.ndarray, train: np.ndarray, n: int = 500, seed: int = 0) -> dict[str, float]:
    """New samples or copies, in two medians: generated item to its nearest training item, and training
    item to its nearest other one (a model that copies puts the first far below the second).

    Args:
        made: N x ... generated items, in the same units as ``train`` (e.g. pixels in [0, 1]).
        train: M x ... training items.
        n: at most this many of each are measured (a seeded choice).
    """
    pick = np.random.default_rng(seed).choice(len(made), size=min(n, len(made)), replace=False)
    _, to_train = nearest_neighbours(made[pick], train)
    return {"generated_to_nearest_training_median": round(float(np.median(to_train)), 3),
            "training_to_nearest_other_median": round(typical_neighbour_distance(train, n=n, seed=seed), 3)}


@dataclass(frozen=True)
class NearestResult:
    sample: np.ndarray  # uint8 H x W x C, the sample asked about
    nearest: np.ndarray  # uint8 H x W x C, its nearest training image
    index: int  # that image's index in the training data
    distance: float  # L2 distance in [0, 1] pixel units
    typical: float  # typical distance between a training image and its nearest neighbour

    @property
    def looks_copied(self) -> bool:
        """Closer to a training image than training images are to each other, by half."""
        return self.distance < 0.5 * self.typical


def nearest_job(sample: np.ndarray, train: np.ndarray) -> Job:
    """Job: the training image (uint8 N x H x W x C) nearest to ``sample`` (uint8 H x W x C)."""

    def job(control: JobControl) -> Generator[Any, None, NearestResult]:
        control.checkpoint()
        if train.shape[1:] != sample.shape:
            raise ValueError(f"the sample is {sample.shape} but the training images are {train.shape[1:]}")
        s = sample.astype(np.float32)[None] / 255.0
        t = train.astype(np.float32) / 255.0
        index, dist = nearest_neighbours(s, t)
        control.checkpoint()
        typical = typical_neighbour_distance(t)
        i = int(index[0])
        return NearestResult(sample, train[i], i, float(dist[0]), float(typical))
        yield  # no events: a few milliseconds

    return job
