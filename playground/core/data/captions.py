"""One caption per image, for text-conditioned models.

A text-to-image model learns which words go with which pictures, so the
captions must name what is in each image. Datasets that carry their own
captions keep them (emoji-32 stores each emoji's Unicode name: "red heart",
"grinning face", "flag: Japan"; font-letters "the letter A in <font>").
Digits are captioned from their labels in several phrasings ("a handwritten 7",
"the digit seven", "seven", ...), chosen at random per image but fixed by a
seed, so the model learns the digit and not one sentence. Other labelled images
are captioned with their label's name; unlabelled ones with the empty caption,
which a text-conditioned model reads as "no caption" (they still teach it images).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# {d}: the numeral, {w}: the word
DIGIT_PHRASINGS = (
    "{d}",
    "{w}",
    "a {d}",
    "the digit {d}",
    "the digit {w}",
    "a handwritten {d}",
    "a handwritten {w}",
    "number {w}",
    "the number {d}",
    "handwritten digit {w}",
)


def digit_phrasings(digit: int) -> list[str]:
    """Every caption used for ``digit`` (0-9): "7", "seven", "a 7", "the digit 7", ..."""
    if not 0 <= digit <= 9:
        raise ValueError(f"a digit is 0 to 9, got {digit}")
    return [p.format(d=digit, w=DIGIT_WORDS[digit]) for p in DIGIT_PHRASINGS]


def _is_digits(label_names: Sequence[str]) -> bool:
    return len(label_names) > 0 and all(name.strip() in "0123456789" and len(name.strip()) == 1 for name in label_names)


def label_captions(labels: np.ndarray | Sequence[int], label_names: Sequence[str], seed: int = 0) -> list[str]:
    """One caption per image from its label.

    Args:
        labels: int (N,), indices into ``label_names``; -1 is unlabelled.
        label_names: class names; "0".."9" get digit phrasings, others their name.
        seed: which phrasing each digit gets (same seed, same captions).

    Returns:
        N captions; "" (the empty caption) for unlabelled images.
    """
    labels = np.asarray(labels, dtype=np.int64)
    if labels.ndim != 1:
        raise ValueError(f"labels must be one per image, got shape {labels.shape}")
    if len(labels) and (labels.max() >= len(label_names) or labels.min() < -1):
        raise ValueError(f"labels run from {labels.min()} to {labels.max()} but there are {len(label_names)} "
                         "class names (and -1 for unlabelled)")
    if _is_digits(label_names):
        digits = [int(name) for name in label_names]
        table = [digit_phrasings(d) for d in digits]
        choice = np.random.default_rng(seed).integers(0, len(DIGIT_PHRASINGS), size=len(labels))
        return [table[k][c] if k >= 0 else "" for k, c in zip(labels.tolist(), choice.tolist())]
    names = [name.strip() for name in label_names]
    return [names[k] if k >= 0 else "" for k in labels.tolist()]


def image_captions(dataset: Any, seed: int = 0) -> list[str]:
    """One caption per image of an ``ImageDataset``: its own captions if it has them, else from labels."""
    if getattr(dataset, "captions", None) is not None:
        return [str(c) for c in dataset.captions]
    return label_captions(dataset.labels, dataset.label_names, seed)
