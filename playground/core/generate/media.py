"""What the Images and Sound sections share: the models they list, a run's snapshots and training set,
nearest training items ("is it copying?"), and denoising progress as job events.

    entries = media_models("audio")                       # diffusion models that learned sound
    index, dist = k_nearest(sample, training, k=4)        # L2 in [0, 1] pixel units, nearest first
    result = yield from stream_steps(lambda on_step, cancel: gen.generate(r, on_step=on_step, cancel=cancel),
                                     control, "denoising")  # Progress events while it runs
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from playground.core.events import Progress
from playground.core.generate.streaming import stream_call
from playground.core.jobs import Job, JobControl
from playground.core.metrics.nearest import typical_neighbour_distance
from playground.core.runs.bundled_models import resolve_model
from playground.core.runs.catalog import ModelEntry, list_models
from playground.core.runs.snapshots import list_snapshots

R = TypeVar("R")
MEDIA_FAMILIES = ("diffusion", "gan")  # families whose checkpoints draw pictures or sounds


def model_kind(ref: str) -> tuple[str, str, bool]:
    """(family, kind, conditional) of a checkpoint from its small files only: kind is "image", "audio" or
    "points"; conditional is True for a diffusion model and for a GAN trained with labels.

    Raises:
        CheckpointError, ValueError: no readable checkpoint at ``ref``.
    """
    from playground.core.runs.checkpoint import find_checkpoint, read_meta

    meta = read_meta(resolve_model(ref))
    family, kind = str(meta["family"]), str(meta.get("data", {}).get("kind", "image"))
    conditional = family == "diffusion"
    if family == "gan":
        try:
            config = json.loads((find_checkpoint(resolve_model(ref)) / "config.json").read_text(encoding="utf-8"))
            conditional = bool(config["model"]["conditional"])
        except (OSError, ValueError, KeyError, TypeError):
            conditional = False
    return family, kind, conditional


def media_models(kind: str, root: Any = None) -> list[ModelEntry]:
    """The models a section offers: for "image", diffusion models of images and conditional image GANs;
    for "audio", diffusion models of sound. Bundled ones first, then runs, newest first."""
    out = []
    for family in MEDIA_FAMILIES:
        for entry in list_models(family, root):
            try:
                found_family, found_kind, conditional = model_kind(entry.ref)
            except (OSError, ValueError):  # CheckpointError is a ValueError: left out, as list_models does
                continue
            if found_kind == kind and conditional and found_family == family:
                out.append(entry)
    return out


def media_models_job(kind: str, root: Any = None) -> Job:
    """Job: ``media_models(kind, root)`` off the GUI thread (reading meta files imports torch)."""

    def job(control: JobControl) -> Generator[Any, None, list[ModelEntry]]:
        control.checkpoint()
        return media_models(kind, root)
        yield  # no events

    return job


def snapshot_steps(generator: Any) -> tuple[int, ...]:
    """Steps of the weight snapshots the run kept (time travel), oldest first."""
    path = generator.checkpoint.path
    return tuple(step for step, _file in list_snapshots(path)) if path is not None else ()


@dataclass(frozen=True, eq=False)
class TrainingSet:
    """The items a diffusion model learned, as its checkpoint kept them."""

    images: np.ndarray  # uint8 N x H x W x C (a sound model's: spectrograms, low bands first)
    captions: tuple[str, ...]  # one per item
    index: np.ndarray  # int64 (N,): each item's position in the prepared data it was trained from
    typical: float  # median distance from a training item to its nearest other one, pixels in [0, 1]


def training_set(generator: Any) -> TrainingSet | None:
    """The training items a diffusion checkpoint kept (None when it kept none)."""
    blob = generator.checkpoint.files.get("training.npz")
    if blob is None:
        return None
    with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
        images = np.asarray(npz["images"], dtype=np.uint8)
        captions = tuple(str(c) for c in npz["captions"])
        index = np.asarray(npz["index"], dtype=np.int64) if "index" in npz.files else np.arange(len(images))
    if len(images) < 2:
        return TrainingSet(images, captions, index, float("nan"))
    return TrainingSet(images, captions, index, typical_neighbour_distance(images.astype(np.float32) / 255.0))


def k_nearest(sample: np.ndarray, train: np.ndarray, k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` training items nearest to ``sample`` and their distances, nearest first.

    Args:
        sample: uint8 H x W x C.
        train: uint8 N x H x W x C.
    Returns:
        (indices int64 (k,), L2 distances float32 (k,) with pixels scaled to [0, 1]).
    Raises:
        ValueError: ``sample`` and the training items differ in shape.
    """
    if train.shape[1:] != sample.shape:
        raise ValueError(f"the sample is {sample.shape} but the training items are {train.shape[1:]}")
    a = sample.astype(np.float32).reshape(1, -1) / 255.0
    b = train.astype(np.float32).reshape(len(train), -1) / 255.0
    d = np.sqrt(np.clip((b * b).sum(1) - 2.0 * (b @ a[0]) + (a * a).sum(), 0.0, None))
    order = np.argsort(d, kind="stable")[: max(1, k)]
    return order.astype(np.int64), d[order].astype(np.float32)


def mean_pairwise_distance(items: np.ndarray, limit: int = 200, seed: int = 0) -> float:
    """Mean L2 distance between two different items (uint8 N x ...; pixels scaled to [0, 1]); at most
    ``limit`` items, a seeded random subset, are compared. NaN for fewer than two items."""
    x = np.asarray(items, dtype=np.float32).reshape(len(items), -1) / 255.0
    if len(x) < 2:
        return float("nan")
    if len(x) > limit:
        x = x[np.random.default_rng(seed).choice(len(x), limit, replace=False)]
    sq = (x * x).sum(1)
    d = np.sqrt(np.clip(sq[:, None] + sq[None, :] - 2.0 * x @ x.T, 0.0, None))
    n = len(x)
    return float(d[~np.eye(n, dtype=bool)].mean())


def stream_steps(call: Callable[[Callable[[int, int], None], Callable[[], bool]], R], control: JobControl,
                 what: str, offset: int = 0, total: int = 0) -> Generator[Any, None, R]:
    """Run ``call(on_step, cancel)`` (a generator's blocking draw) and yield ``Progress`` as it steps.

    ``offset`` and ``total`` place these steps in a longer job (a second pass, a sweep); without
    ``total`` the call's own count is used.
    """

    def work(emit: Callable[[tuple[int, int]], None], cancelled: Callable[[], bool]) -> R:
        return call(lambda done, steps: emit((done, steps)), cancelled)

    def batch(items: list[tuple[int, int]]) -> Progress:
        done, steps = items[-1]
        return Progress(offset + done, total or steps, f"{what}: step {done} of {steps}")

    return (yield from stream_call(work, control, batch, interval_s=0.1))
