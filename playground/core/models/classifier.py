"""A small CNN classifier: "the discriminative model" that judges generated samples.

Trained on the same prepared images as the GAN (through the one training loop:
``playground.core.training.classifier_trainer``), it says which class a sample
looks like ("the classifier says this is a 7") and how sure it is, and its
penultimate layer gives the features for the Fréchet distance.

Reference: LeCun et al. 1998, "Gradient-Based Learning Applied to Document
Recognition" (LeNet): conv, pool, conv, pool, fully connected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn



@dataclass(frozen=True)
class ClassifierConfig:
    width: int = 16  # channels of the first conv layer (then 2x and 4x)
    feature_dim: int = 128  # size of the penultimate layer (the Fréchet features)
    epochs: int = 3  # passes over the training split
    batch_size: int = 64  # images per step
    lr: float = 2e-3  # Adam learning rate (15% warm-up, then cosine decay)
    shift: int = 0  # random shift augmentation, in pixels (0: none)
    holdout: float = 0.1  # share of the data held out to measure accuracy (0: none)
    seed: int = 0  # weights, split and batch order
    device: str = "auto"  # "auto", "cpu" or "cuda"
    cpu_threads: int = 0  # torch threads; 0 keeps the default

    def __post_init__(self) -> None:
        if self.width < 1 or self.feature_dim < 1 or self.epochs < 1 or self.batch_size < 1:
            raise ValueError("width, feature size, epochs and batch size must be at least 1")
        if not (0.0 < self.lr <= 1.0):
            raise ValueError(f"learning rate must be in (0, 1], got {self.lr}")
        if not (0.0 <= self.holdout < 0.9):
            raise ValueError(f"holdout must be in [0, 0.9), got {self.holdout}")
        if self.shift < 0:
            raise ValueError("shift must be 0 or more pixels")


CLASSIFIER_PRESETS: dict[str, ClassifierConfig] = {
    "tiny": ClassifierConfig(width=4, feature_dim=16, epochs=1, batch_size=8, holdout=0.0),
    "default": ClassifierConfig(),
    # The independent judge of scripts/judge_gan.py: wider, augmented, another seed.
    "judge": ClassifierConfig(width=32, feature_dim=256, epochs=8, shift=2, seed=1234),
}


class SmallCNN(nn.Module):
    """images float N x C x H x W -> logits N x num_classes (features: N x feature_dim)."""

    def __init__(self, channels: int, num_classes: int, config: ClassifierConfig) -> None:
        super().__init__()
        w = config.width
        self.body = nn.Sequential(
            nn.Conv2d(channels, w, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),  # H/2
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),  # H/4
            nn.Conv2d(2 * w, 4 * w, 3, padding=1), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(3),  # N x 4w x 3 x 3 whatever the image size
            nn.Flatten(),
            nn.Linear(4 * w * 9, config.feature_dim), nn.ReLU(inplace=True),
        )
        self.head = nn.Linear(config.feature_dim, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class Classifier:
    """A trained ``SmallCNN`` with its class names, for inference on numpy arrays."""

    def __init__(self, model: SmallCNN, label_names: list[str], device: torch.device) -> None:
        self.model = model.eval()
        self.label_names = list(label_names)
        self.device = device

    @torch.no_grad()
    def _run(self, x: np.ndarray | torch.Tensor, fn: Any, batch: int = 512) -> np.ndarray:
        t = torch.as_tensor(np.asarray(x, dtype=np.float32) if not torch.is_tensor(x) else x)
        outs = [fn(t[i : i + batch].to(self.device, torch.float32)).float().cpu() for i in range(0, len(t), batch)]
        return torch.cat(outs).numpy() if outs else np.zeros((0, 0), dtype=np.float32)

    def predict_proba(self, x: np.ndarray | torch.Tensor) -> np.ndarray:
        """Class probabilities float32 N x K for images N x C x H x W (same scaling as training)."""
        return self._run(x, lambda b: F.softmax(self.model(b), dim=1))

    def features(self, x: np.ndarray | torch.Tensor) -> np.ndarray:
        """Penultimate-layer features float32 N x feature_dim."""
        return self._run(x, self.model.features)


@dataclass(frozen=True)
class ClassifierResult:
    classifier: Classifier
    train_accuracy: float  # on the training split, in [0, 1]
    holdout_accuracy: float  # on the held-out split (NaN with holdout 0)
    seconds: float


def class_shares(probs: np.ndarray, min_confidence: float = 0.0) -> np.ndarray:
    """Share of samples (float64 (K,), sums to <= 1) whose top class is k with
    probability >= ``min_confidence``."""
    probs = np.asarray(probs)
    if len(probs) == 0:
        return np.zeros(probs.shape[1] if probs.ndim == 2 else 0)
    top, conf = probs.argmax(axis=1), probs.max(axis=1)
    keep = conf >= min_confidence
    return np.bincount(top[keep], minlength=probs.shape[1]) / len(probs)
