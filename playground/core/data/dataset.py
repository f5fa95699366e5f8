"""In-memory dataset types shared by the loaders, the preprocess pipeline and the UI.

Every dataset has a ``name``, a ``modality`` ("image", "text", "audio" or
"points"), an item count ``items``, a ``licence`` line, and the list of files
that were ``skipped`` while loading it, each with a reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from playground.core.data.skipped import SkippedFile

MODALITIES = ("image", "text", "audio", "points")


def _label_counts(labels: np.ndarray, label_names: list[str]) -> dict[str, int]:
    counts = Counter(int(v) for v in np.asarray(labels).ravel())
    out: dict[str, int] = {}
    for index, name in enumerate(label_names):
        out[name] = counts.get(index, 0)
    if counts.get(-1):
        out["(unlabelled)"] = counts[-1]
    return out


@dataclass(eq=False)
class ImageDataset:
    """Images as uint8 arrays H x W x C (C is 1 or 3), with integer labels.

    ``images`` is one N x H x W x C array when all images share a shape
    (bundled sets), or a list of arrays (user folders, mixed sizes).
    ``labels[i]`` indexes ``label_names``; -1 means unlabelled.
    """

    modality: ClassVar[str] = "image"
    name: str
    images: np.ndarray | list[np.ndarray]
    labels: np.ndarray
    label_names: list[str]
    captions: list[str] | None = None
    licence: str = "your own data"
    source: str = ""
    skipped: list[SkippedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.labels = np.asarray(self.labels, dtype=np.int64)
        if len(self.labels) != len(self.images):
            raise ValueError(f"{len(self.images)} images but {len(self.labels)} labels")
        if self.captions is not None and len(self.captions) != len(self.images):
            raise ValueError(f"{len(self.images)} images but {len(self.captions)} captions")

    def __len__(self) -> int:
        return len(self.images)

    @property
    def items(self) -> int:
        return len(self.images)

    def image(self, index: int) -> np.ndarray:
        """Image ``index`` as uint8 H x W x C."""
        return np.asarray(self.images[index])

    def label_counts(self) -> dict[str, int]:
        return _label_counts(self.labels, self.label_names)


@dataclass(eq=False)
class TextDataset:
    """A text corpus; ``items`` counts characters."""

    modality: ClassVar[str] = "text"
    name: str
    text: str
    files: list[str] = field(default_factory=list)
    licence: str = "your own data"
    source: str = ""
    skipped: list[SkippedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def items(self) -> int:
        return len(self.text)

    def label_counts(self) -> dict[str, int]:
        return {}


@dataclass(eq=False)
class AudioDataset:
    """Audio clips as float32 arrays in [-1, 1]: L (mono) or L x channels.

    ``sample_rates[i]`` is clip i's rate in Hz; ``items`` counts clips.
    """

    modality: ClassVar[str] = "audio"
    name: str
    clips: list[np.ndarray]
    sample_rates: np.ndarray
    labels: np.ndarray
    label_names: list[str]
    captions: list[str] | None = None
    licence: str = "your own data"
    source: str = ""
    skipped: list[SkippedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pitches: np.ndarray | None = None  # int64 (N,) MIDI note of each clip (60 = middle C), when known
    velocities: np.ndarray | None = None  # int64 (N,) MIDI velocity 1-127 each note was played at, when known
    heldout: np.ndarray | None = None  # bool (N,) True: kept out of training on purpose (see the dataset's notes)

    def __post_init__(self) -> None:
        self.labels = np.asarray(self.labels, dtype=np.int64)
        self.sample_rates = np.asarray(self.sample_rates, dtype=np.int64)
        if not (len(self.clips) == len(self.labels) == len(self.sample_rates)):
            raise ValueError("clips, labels and sample_rates must have the same length")
        if self.pitches is not None:
            self.pitches = np.asarray(self.pitches, dtype=np.int64)
            if len(self.pitches) != len(self.clips) or not np.all((self.pitches >= 0) & (self.pitches <= 127)):
                raise ValueError("pitches must be one MIDI note (0-127) per clip")
        if self.velocities is not None:
            self.velocities = np.asarray(self.velocities, dtype=np.int64)
            if len(self.velocities) != len(self.clips) or not np.all((self.velocities >= 1) & (self.velocities <= 127)):
                raise ValueError("velocities must be one MIDI velocity (1-127) per clip")
        if self.heldout is not None:
            self.heldout = np.asarray(self.heldout)
            if self.heldout.dtype != np.bool_ or self.heldout.shape != (len(self.clips),):
                raise ValueError("heldout must be one True/False per clip")

    def __len__(self) -> int:
        return len(self.clips)

    @property
    def items(self) -> int:
        return len(self.clips)

    def duration(self, index: int) -> float:
        """Length of clip ``index`` in seconds."""
        return len(self.clips[index]) / float(self.sample_rates[index])

    def label_counts(self) -> dict[str, int]:
        return _label_counts(self.labels, self.label_names)


@dataclass(eq=False)
class PointsDataset:
    """2D points, float32 N x 2, with integer labels (the mixture component)."""

    modality: ClassVar[str] = "points"
    name: str
    points: np.ndarray
    labels: np.ndarray
    label_names: list[str]
    licence: str = "generated in code (no licence needed)"
    source: str = ""
    skipped: list[SkippedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.points = np.asarray(self.points, dtype=np.float32)
        self.labels = np.asarray(self.labels, dtype=np.int64)
        if self.points.ndim != 2 or self.points.shape[1] != 2:
            raise ValueError(f"points must be N x 2, got {self.points.shape}")

    def __len__(self) -> int:
        return len(self.points)

    @property
    def items(self) -> int:
        return len(self.points)

    def label_counts(self) -> dict[str, int]:
        return _label_counts(self.labels, self.label_names)


AnyDataset = ImageDataset | TextDataset | AudioDataset | PointsDataset
