"""Prepared images, text, audio and points: what the trainers consume.

Each records the pipeline it went through as saved JSON, so a checkpoint can
store it and a generator can encode prompts exactly as in training.
``data_kinds`` says what kinds of data an object is, which is how a model
family says what it trains on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.core.preprocess.tokenizer import Tokenizer


@dataclass(eq=False)
class PreparedImages:
    """Images ready for a model: float32 N x C x H x W.

    ``norm`` records how pixels were scaled so samples can be shown again:
    ``{"kind": "minus1_1"}`` (pixels in [-1, 1], what GANs expect) or
    ``{"kind": "meanstd", "mean": [...], "std": [...]}`` (one entry per channel).
    ``pipeline`` is the preprocessing pipeline as saved JSON (a dict).
    """

    x: np.ndarray
    labels: np.ndarray
    label_names: list[str]
    norm: dict
    pipeline: dict
    source: str = ""
    captions: list[str] | None = None  # one caption per image (text-conditioned models), or None

    def __post_init__(self) -> None:
        self.x = np.ascontiguousarray(self.x, dtype=np.float32)
        self.labels = np.asarray(self.labels, dtype=np.int64)
        if self.captions is not None and len(self.captions) != len(self.x):
            raise ValueError(f"{len(self.x)} images but {len(self.captions)} captions")
        if self.x.ndim != 4:
            raise ValueError(f"prepared images must be N x C x H x W, got {self.x.shape}")
        if len(self.labels) != len(self.x):
            raise ValueError("labels and images differ in length")

    def __len__(self) -> int:
        return len(self.x)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(C, H, W)."""
        c, h, w = self.x.shape[1:]
        return int(c), int(h), int(w)

    def to_uint8(self, x: np.ndarray | None = None) -> np.ndarray:
        """Undo the normalisation: N x C x H x W float -> uint8 N x H x W x C."""
        x = self.x if x is None else np.asarray(x, dtype=np.float32)
        return denormalise(x, self.norm)


def denormalise(x: np.ndarray, norm: dict) -> np.ndarray:
    """float32 N x C x H x W under ``norm`` -> uint8 N x H x W x C."""
    x = np.asarray(x, dtype=np.float32)
    if norm.get("kind") == "meanstd":
        mean = np.asarray(norm["mean"], dtype=np.float32).reshape(1, -1, 1, 1)
        std = np.asarray(norm["std"], dtype=np.float32).reshape(1, -1, 1, 1)
        unit = x * std + mean
    else:
        unit = (x + 1.0) / 2.0
    return (np.clip(unit, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8).transpose(0, 2, 3, 1)


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
    pitches: np.ndarray | None = None  # int64 (N,) MIDI note of each clip, when known
    heldout: np.ndarray | None = None  # bool (N,): kept out of training on purpose (models must not learn them)

    def __post_init__(self) -> None:
        self.x = np.ascontiguousarray(self.x, dtype=np.float32)
        self.labels = np.asarray(self.labels, dtype=np.int64)
        for name, dtype in (("pitches", np.int64), ("heldout", bool)):
            value = getattr(self, name)
            if value is not None:
                value = np.asarray(value, dtype=dtype)
                if value.shape != (len(self.x),):
                    raise ValueError(f"{name} must have one entry per clip")
                setattr(self, name, value)
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


def points_of(data: Any) -> np.ndarray | None:
    """float32 N x 2 for a PointsDataset or PreparedPoints; None for anything else."""
    pts = getattr(data, "points", None)
    if pts is None:
        x = getattr(data, "x", None)
        pts = x if x is not None and getattr(x, "ndim", 0) == 2 and x.shape[1] == 2 and not hasattr(data, "sample_rate") else None
    return None if pts is None else np.asarray(pts, dtype=np.float32)


def normalise_points(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Points (N x 2) centred with unit spread: (normalised points, centre (2,), scale)."""
    center = pts.mean(axis=0)
    scale = float(pts.std(axis=0).max()) or 1.0
    return (pts - center) / scale, center, scale


DATA_KINDS = ("images", "labelled_images", "captioned_images", "points", "tokens", "audio", "captioned_audio")
KIND_WORDS = {"images": "images", "labelled_images": "labelled images", "captioned_images": "captioned images",
              "points": "2D points", "tokens": "text", "audio": "audio", "captioned_audio": "captioned audio"}
MODALITY_KINDS = {  # what a dataset of each modality can become once prepared
    "image": frozenset({"images", "labelled_images", "captioned_images"}),
    "points": frozenset({"points"}),
    "text": frozenset({"tokens"}),
    "audio": frozenset({"audio", "captioned_audio"}),
}


def kinds_in_words(kinds: frozenset[str] | set[str]) -> str:
    """"images or 2D points" for {"images", "points"}."""
    words = [KIND_WORDS.get(k, k) for k in DATA_KINDS if k in kinds]
    return " or ".join(words) if len(words) < 3 else ", ".join(words[:-1]) + " or " + words[-1]


def data_kinds(data: Any) -> frozenset[str]:
    """What kinds of data ``data`` is (a subset of ``DATA_KINDS``): model families accept kinds."""
    kinds: set[str] = set()
    if isinstance(data, PreparedImages):
        kinds.add("images")
        if len({int(v) for v in data.labels if v >= 0}) >= 2:
            kinds.add("labelled_images")
        if getattr(data, "captions", None):
            kinds.add("captioned_images")
    elif isinstance(data, PreparedText):
        kinds.add("tokens")
    elif isinstance(data, PreparedAudio):
        kinds.add("audio")
        if data.captions:
            kinds.add("captioned_audio")
    elif points_of(data) is not None:
        kinds.add("points")
    return frozenset(kinds)


def fingerprint(data: Any) -> str:
    """SHA-256 of prepared data and its pipeline: the same data and preprocessing give the same hex digest."""
    digest = hashlib.sha256()
    for name in ("x", "ids", "labels", "points"):
        array = getattr(data, name, None)
        if isinstance(array, np.ndarray):
            digest.update(name.encode() + str(array.dtype).encode() + str(array.shape).encode())
            digest.update(np.ascontiguousarray(array).tobytes())
    for name in ("captions", "label_names"):
        value = getattr(data, name, None)
        if value is not None:
            digest.update(json.dumps(list(value), ensure_ascii=False).encode())
    digest.update(json.dumps(getattr(data, "pipeline", {}) or {}, sort_keys=True, default=str).encode())
    return digest.hexdigest()
