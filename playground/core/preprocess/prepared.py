"""Prepared text, audio and points: what the trainers consume.

(Prepared images live in ``playground.core.data.dataset.PreparedImages``.)
Each records the pipeline it went through as saved JSON, so a checkpoint can
store it and a generator can encode prompts exactly as in training.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.core.preprocess.tokenizer import Tokenizer


@dataclass(eq=False)
class PreparedText:
    """A corpus as token ids (int64, length T) with its tokenizer and cleaned text."""

    ids: np.ndarray
    tokenizer: Tokenizer
    text: str
    pipeline: dict[str, Any]
    source: str = ""

    def __post_init__(self) -> None:
        self.ids = np.ascontiguousarray(self.ids, dtype=np.int64)
        if self.ids.ndim != 1:
            raise ValueError(f"token ids must be one sequence, got shape {self.ids.shape}")

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.vocab_size


@dataclass(eq=False)
class PreparedAudio:
    """Clips ready for a model: float32 N x L in [-1, 1], all at ``sample_rate`` Hz."""

    x: np.ndarray
    sample_rate: int
    labels: np.ndarray
    label_names: list[str]
    pipeline: dict[str, Any]
    captions: list[str] | None = None
    source: str = ""

    def __post_init__(self) -> None:
        self.x = np.ascontiguousarray(self.x, dtype=np.float32)
        self.labels = np.asarray(self.labels, dtype=np.int64)
        if self.x.ndim != 2:
            raise ValueError(f"prepared audio must be N x L, got {self.x.shape}")
        if len(self.labels) != len(self.x):
            raise ValueError("labels and clips differ in length")

    def __len__(self) -> int:
        return len(self.x)

    @property
    def seconds(self) -> float:
        """Length of each clip in seconds."""
        return self.x.shape[1] / float(self.sample_rate)


@dataclass(eq=False)
class PreparedPoints:
    """2D points as float32 N x 2 (``np.asarray(prepared)`` gives them too)."""

    x: np.ndarray
    labels: np.ndarray
    label_names: list[str]
    pipeline: dict[str, Any]
    source: str = ""

    def __post_init__(self) -> None:
        self.x = np.ascontiguousarray(self.x, dtype=np.float32)
        self.labels = np.asarray(self.labels, dtype=np.int64)

    @property
    def points(self) -> np.ndarray:
        return self.x

    def __len__(self) -> int:
        return len(self.x)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.x if dtype is None else self.x.astype(dtype)
