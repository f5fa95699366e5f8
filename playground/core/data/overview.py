"""Everything the Datasets tab shows about a dataset, computed in one job."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from playground.core.data import stats
from playground.core.data.dataset import AnyDataset, AudioDataset, ImageDataset, TextDataset
from playground.core.data.thumbnails import thumbnails_job
from playground.core.jobs import Job, JobControl, Status


@dataclass(eq=False)
class DatasetOverview:
    """A loaded dataset with its statistics and, for images, its thumbnails."""

    dataset: AnyDataset
    stats: dict = field(default_factory=dict)
    thumbnails: np.ndarray | list[np.ndarray] | None = None


def overview_job(load: Job) -> Job:
    """Job: run ``load`` (a job returning a dataset), then add stats and thumbnails."""

    def job(control: JobControl) -> Generator[Any, None, DatasetOverview]:
        dataset = yield from load(control)
        control.checkpoint()
        yield Status(f"Loaded {dataset.name}: computing statistics")
        overview = DatasetOverview(dataset)
        if isinstance(dataset, ImageDataset):
            overview.stats = stats.image_stats(dataset)
            overview.thumbnails = yield from thumbnails_job(dataset)(control)
        elif isinstance(dataset, TextDataset):
            overview.stats = stats.text_stats(dataset)
        elif isinstance(dataset, AudioDataset):
            overview.stats = stats.audio_stats(dataset)
        return overview

    return job
