"""Typed messages both ways between a long job and whoever runs it.

Events (job -> runner) are small frozen dataclasses carrying floats and numpy
arrays, never GPU tensors: ``Progress``, ``Status`` and ``Metrics`` for every
job, and one class per kind of picture a training run shows (``ImageGrid``,
``PointsView``, ``TextSample``, ``AudioClips``) plus ``CheckpointSaved``, and
``TokensGenerated`` for text streaming in as a model writes it.
Commands (runner -> job) go through ``JobControl.send``: ``SetLearningRate``,
``StepOnce`` and ``SaveCheckpoint``. Stop, pause and cancel are methods of the
control itself, because every phase of a job must see them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Progress:
    """How far a job has got; ``total`` is 0 when unknown."""

    done: int
    total: int
    message: str = ""


@dataclass(frozen=True)
class Status:
    """A line for the user; ``level`` is "info", "warning" or "error"."""

    message: str
    level: str = "info"


@dataclass(frozen=True)
class Metrics:
    """Scalar measurements at one training step."""

    step: int
    values: Mapping[str, float]


@dataclass(frozen=True, eq=False)
class ImageGrid:
    """Sample images at one step, as a grid of ``rows`` x ``cols``.

    Attributes:
        images: uint8 N x H x W x C (C is 1 or 3), in grid order.
        labels: int64 (N,) classes asked for (conditional), or None.
        label_names: the data's class names.
        layout: what the rows are, in words ("one row per InfoGAN code", ...).
        captions: the prompt of each row (text-conditioned models), or None.
        class_share, data_share: float64 (K,), a judging classifier's share of
            samples per class and each class's share of the data, or None.
        ema: the samples come from a moving average of the weights.
    """

    step: int
    images: np.ndarray
    cols: int
    rows: int
    labels: np.ndarray | None = None
    label_names: tuple[str, ...] = ()
    layout: str = ""
    captions: tuple[str, ...] | None = None
    class_share: np.ndarray | None = None
    data_share: np.ndarray | None = None
    ema: bool = False


@dataclass(frozen=True, eq=False)
class PointsView:
    """A 2D GAN at one step, in data coordinates (GAN Lab's view).

    Attributes:
        real: float32 R x 2, a fixed subset of the data.
        fake: float32 M x 2, G's output for fixed noise.
        grid_x, grid_y: float32 (W,), (H,), the heatmap's axes.
        d_surface: float32 H x W, D's belief "real" in [0, 1] at (grid_y[i], grid_x[j]).
        grad: float32 M x 2, the direction G is pushed to move each fake point.
        real_labels, fake_labels: int64 (R,), (M,) for a conditional model, else None.
    """

    step: int
    real: np.ndarray
    fake: np.ndarray
    grid_x: np.ndarray
    grid_y: np.ndarray
    d_surface: np.ndarray
    grad: np.ndarray
    real_labels: np.ndarray | None = None
    fake_labels: np.ndarray | None = None


@dataclass(frozen=True)
class TextSample:
    """Text a language model wrote at one step, from ``prompt``."""

    step: int
    prompt: str
    text: str


@dataclass(frozen=True, eq=False)
class AudioClips:
    """Sounds a model made at one step: float32 N x L in [-1, 1] at ``sample_rate`` Hz.

    ``spectrograms`` is float32 N x M x T (what the model drew, before inversion) or None.
    """

    step: int
    clips: np.ndarray
    sample_rate: int
    captions: tuple[str, ...] = ()
    spectrograms: np.ndarray | None = None


@dataclass(frozen=True)
class TokensGenerated:
    """Tokens a language model just wrote (streaming), batched so a fast model sends at most ~20 events a second.

    ``choices[i]`` is the ``TokenChoice`` (``playground.core.models.gpt_sampling``) of token
    ``start + i``: the candidates it was picked from, with their probabilities.
    """

    stream: int  # which output they belong to (a variant's or snapshot's index; 0 for a single one)
    start: int  # index of the first of them among the output's generated tokens
    pieces: tuple[str, ...]  # each token's text
    choices: tuple[Any, ...]  # each token's TokenChoice


@dataclass(frozen=True)
class CheckpointSaved:
    """A checkpoint was written (atomically) at ``path`` after ``step`` steps."""

    step: int
    path: str


View = ImageGrid | PointsView | TextSample | AudioClips  # what a run shows at its sample cadence
Event = Progress | Status | Metrics | ImageGrid | PointsView | TextSample | AudioClips | TokensGenerated | CheckpointSaved


@dataclass(frozen=True)
class SetLearningRate:
    """Change the learning rate of one optimiser (``"g"``, ``"d"``, ``"model"``, ...) mid-run."""

    name: str
    value: float


@dataclass(frozen=True)
class StepOnce:
    """While paused, train one step of ``part`` (one of the trainer's parts; "" is a full step)."""

    part: str = ""


@dataclass(frozen=True)
class SaveCheckpoint:
    """Write a checkpoint now, between steps."""


Command = SetLearningRate | StepOnce | SaveCheckpoint
