"""A whole GAN session as one job: prepare the data, train the judge, train the GAN.

The Train tab and the CLI both start here, so a run in the app and a run from
the command line go through the same steps.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

from playground.core.data.dataset import AnyDataset, ImageDataset, PointsDataset, PreparedImages
from playground.core.jobs import Job, JobControl, Status, until_stopped, without_metrics
from playground.core.models.classifier import Classifier, train_classifier_job
from playground.core.preprocess import default_pipeline, prepare_job, with_labels
from playground.core.training.gan_config import GANConfig
from playground.core.training.gan_loop import GANTrainResult, train_gan_job


def gan_session_job(dataset: AnyDataset, config: GANConfig, *, prepared: PreparedImages | None = None,
                    labels: list[str] | None = None, out_dir: str | Path | None = None,
                    resume_from: str | Path | None = None, judge: bool = True) -> Job:
    """Job: train a GAN on ``dataset`` and return a ``GANTrainResult``.

    Args:
        dataset: an ImageDataset (trained through ``prepared``, or through its
            default pipeline) or a PointsDataset (the MLP GAN).
        prepared: data already prepared by the Preprocess tab; None prepares
            ``dataset`` with its default pipeline (keeping ``labels`` if given).
        judge: train the small classifier first, for the quality measures.

    Raises:
        ValueError: a dataset a GAN cannot train on (text, audio), or a label
            filter that keeps nothing.
    """

    def job(control: JobControl) -> Generator[Any, None, GANTrainResult]:
        data: Any = prepared
        if isinstance(dataset, PointsDataset):
            data = dataset
        elif data is None:
            if not isinstance(dataset, ImageDataset):
                raise ValueError(f"a GAN here trains on images or 2D points; {dataset.name} is {dataset.modality}")
            pipeline = default_pipeline(dataset)
            if labels:
                pipeline = with_labels(pipeline, labels)
            yield Status(f"preparing {dataset.name} with its default pipeline")
            stopped, prepared_pair = yield from until_stopped(prepare_job(dataset, pipeline)(control), control)
            if stopped:
                return (yield from _stopped_early("while preparing the data"))
            data, _report = prepared_pair
        classifier: Classifier | None = None
        if judge and isinstance(data, PreparedImages) and len({int(v) for v in data.labels if v >= 0}) >= 2:
            yield Status("training the classifier that judges the samples (the discriminative model)")
            stopped, result = yield from until_stopped(without_metrics(train_classifier_job(data)(control)), control)
            if stopped:
                return (yield from _stopped_early("while training the judging classifier"))
            classifier = result.classifier
            yield Status(f"classifier ready: {result.holdout_accuracy:.1%} correct on held-out images")
        return (yield from train_gan_job(data, config, out_dir=out_dir, resume_from=resume_from,
                                         classifier=classifier)(control))

    def _stopped_early(phase: str) -> Generator[Any, None, GANTrainResult]:
        yield Status(f"stopped {phase}, before the first training step: no checkpoint written", "warning")
        return GANTrainResult(0, {}, None, 0.0, True)

    return job

