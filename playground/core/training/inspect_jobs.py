"""Small jobs that look inside a GAN run: nearest training image, latent interpolation."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from playground.core.jobs import Job, JobControl


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
        from playground.core.metrics.nearest import nearest_neighbours, typical_neighbour_distance

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


def interpolation_job(checkpoint: str | Path, seed_a: int, seed_b: int, steps: int = 10,
                      label: int | None = None, device: str = "cpu") -> Job:
    """Job: samples along the line between two seeds' noise, uint8 steps x H x W x C."""

    def job(control: JobControl) -> Generator[Any, None, np.ndarray]:
        from playground.core.generators.gan_generator import load

        control.checkpoint()
        generator = load(checkpoint, device)
        control.checkpoint()
        return generator.interpolate(seed_a, seed_b, steps, label)
        yield  # no events

    return job
