"""A whole training session as one job: prepare the data, the family's extra phase, then the loop.

The Train tab and the CLI both start here, so a run in the app and a run from
the command line go through the same steps, for every family. Stop is
honoured in every phase: a phase that knows nothing of it (preparing data,
training a judge) is closed at its next event, and nothing is saved before the
first training step.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

from playground.core.events import Status
from playground.core.families.base import Family
from playground.core.jobs import Job, JobControl, until_stopped
from playground.core.preprocess import Pipeline, default_pipeline, prepare_job, with_labels
from playground.core.preprocess.prepared import MODALITY_KINDS, data_kinds, fingerprint, kinds_in_words
from playground.core.runs.checkpoint import CheckpointError, load_checkpoint
from playground.core.training.loop import TrainResult, train_job
from playground.core.training.settings import Settings


def session_job(family: Family, dataset: Any, settings: Settings, *, prepared: Any = None,
                labels: list[str] | None = None, pipeline: Pipeline | None = None, out_dir: str | Path | None = None,
                resume_from: str | Path | None = None, extras: bool = True) -> Job:
    """Job: train a model of ``family`` on ``dataset`` and return a ``TrainResult``.

    Args:
        dataset: a dataset (prepared here with ``pipeline`` or its default pipeline,
            keeping only ``labels`` if given), unless ``prepared`` is given.
        prepared: data already prepared by the Preprocess tab.
        settings: the family's settings and the run settings (fitted to the data here).
        out_dir: run folder for checkpoints (None: nothing written).
        resume_from: a checkpoint or run folder to continue; its network settings,
            weights, optimiser and RNG states, step count and history carry on.
        extras: run the family's extra phase (the GAN's judging classifier).

    Raises:
        ValueError: data the family cannot train on, a label filter that keeps
            nothing, or a checkpoint of another family or other data.
    """

    def refuse(what: str) -> ValueError:
        name = getattr(dataset, "name", "this data")
        return ValueError(f"a {family.name.upper()} here trains on {kinds_in_words(family.accepts)}; {name} is {what}")

    def job(control: JobControl) -> Generator[Any, None, TrainResult]:
        data = prepared
        modality = getattr(dataset, "modality", None)
        if data is None and not family.accepts & MODALITY_KINDS.get(modality, frozenset()):
            raise refuse(str(modality))  # before spending time on preparing it
        if data is None:
            steps = pipeline or default_pipeline(dataset)
            if labels:
                steps = with_labels(steps, labels)
            yield Status(f"preparing {dataset.name} with {'its default' if pipeline is None else 'the given'} pipeline")
            stopped, pair = yield from until_stopped(prepare_job(dataset, steps)(control), control)
            if stopped:
                return (yield from _stopped_early("while preparing the data"))
            data, _report = pair
        kinds = data_kinds(data)
        if not family.accepts & kinds:
            raise refuse(kinds_in_words(kinds) or "empty")
        checkpoint = None
        if resume_from is not None:
            checkpoint = load_checkpoint(resume_from)
            if checkpoint.family != family.name:
                raise CheckpointError(f"that checkpoint holds a {checkpoint.family} model, not a {family.name}")
            family.check_resume(checkpoint, data)
            settings_now = family.resume_settings(family.checkpoint_settings(checkpoint), settings)
        else:
            settings_now = settings
        fitted = family.fit(settings_now, data)
        found: dict[str, Any] = {}
        if extras and family.extras is not None:
            stopped, found = yield from until_stopped(family.extras(data, fitted, control), control)
            if stopped or control.stop_requested:
                return (yield from _stopped_early("before training began"))

        def make(device: Any) -> Any:
            return family.make_trainer(fitted, data, device, found or {})

        return (yield from train_job(make, fitted.run, family=family.name, model_config=fitted.model.to_dict(),
                                     out_dir=out_dir, resume=checkpoint, pipeline=dict(getattr(data, "pipeline", {}) or {}),
                                     source=getattr(data, "source", "") or getattr(dataset, "name", ""),
                                     fingerprint=fingerprint(data))(control))

    return job


def _stopped_early(phase: str) -> Generator[Any, None, TrainResult]:
    yield Status(f"stopped {phase}, before the first training step: no checkpoint written", "warning")
    return TrainResult(0, {}, None, 0.0, True)
