"""A small CNN classifier: "the discriminative model" that judges generated samples.

Trained on the same prepared images as the GAN, it says which class a sample
looks like ("the classifier says this is a 7") and how sure it is, and its
penultimate layer gives the features for the Fréchet distance.

Reference: LeCun et al. 1998, "Gradient-Based Learning Applied to Document
Recognition" (LeNet): conv, pool, conv, pool, fully connected.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from playground.core.device import apply_threads, resolve_device
from playground.core.jobs import JobControl, Metrics, Progress, run_to_end


@dataclass(frozen=True)
class ClassifierConfig:
    width: int = 16  # channels of the first conv layer (then 2x and 4x)
    feature_dim: int = 128  # size of the penultimate layer (the Fréchet features)
    epochs: int = 3  # passes over the training split
    batch_size: int = 64  # images per step
    lr: float = 2e-3  # Adam learning rate (cosine-decayed to 0)
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


def _shift(x: torch.Tensor, pixels: int, gen: torch.Generator) -> torch.Tensor:
    """Shift each image by up to ``pixels`` in x and y, filling with the background."""
    if pixels <= 0:
        return x
    n, _, h, w = x.shape
    padded = F.pad(x, (pixels,) * 4, value=float(x.min()))
    dy = torch.randint(0, 2 * pixels + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * pixels + 1, (n,), generator=gen)
    rows = (dy[:, None] + torch.arange(h)[None, :])[:, None, :, None].expand(n, x.shape[1], h, w + 2 * pixels)
    out = padded.gather(2, rows.to(x.device))
    cols = (dx[:, None] + torch.arange(w)[None, :])[:, None, None, :].expand(n, x.shape[1], h, w)
    return out.gather(3, cols.to(x.device))


def train_classifier_job(prepared: Any, config: ClassifierConfig = ClassifierConfig()) -> Any:
    """A job that trains the classifier on labelled ``PreparedImages``.

    Yields Progress (one per epoch step batch, throttled to ~20 per epoch) and
    Metrics {"loss", "accuracy"} per epoch; returns a ``ClassifierResult``.

    Raises:
        ValueError: fewer than 2 labelled classes.
    """

    def job(control: JobControl) -> Generator[Any, None, ClassifierResult]:
        apply_threads(config.cpu_threads)
        device = resolve_device(config.device)
        keep = np.flatnonzero(prepared.labels >= 0)
        classes = len(prepared.label_names)
        if classes < 2 or len(np.unique(prepared.labels[keep])) < 2:
            raise ValueError("the classifier needs labelled images of at least 2 classes")
        rng = np.random.default_rng(config.seed)
        keep = rng.permutation(keep)
        n_hold = int(len(keep) * config.holdout)
        hold, train = keep[:n_hold], keep[n_hold:]
        x = torch.from_numpy(prepared.x).to(device)
        y = torch.from_numpy(prepared.labels).to(device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            model = SmallCNN(prepared.x.shape[1], classes, config).to(device)
        gen = torch.Generator().manual_seed(config.seed)
        opt = torch.optim.Adam(model.parameters(), lr=config.lr)
        per_epoch = max(1, -(-len(train) // config.batch_size))
        total = per_epoch * config.epochs
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=total, pct_start=0.15)
        start, step = time.monotonic(), 0
        correct = seen = 0
        for epoch in range(config.epochs):
            order = torch.from_numpy(train[rng.permutation(len(train))]).to(device)
            loss_sum = torch.zeros((), device=device)
            correct = seen = 0
            for i in range(per_epoch):
                control.checkpoint()
                idx = order[i * config.batch_size : (i + 1) * config.batch_size]
                xb, yb = _shift(x[idx], config.shift, gen), y[idx]
                logits = model(xb)
                loss = F.cross_entropy(logits, yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                loss_sum += loss.detach()
                correct += int((logits.argmax(1) == yb).sum())
                seen += len(idx)
                step += 1
                if step % max(1, per_epoch // 20) == 0:
                    yield Progress(step, total, f"training the classifier: epoch {epoch + 1}/{config.epochs}")
            yield Metrics(step, {"loss": float(loss_sum) / per_epoch, "accuracy": correct / max(1, seen)})
        clf = Classifier(model, prepared.label_names, device)
        hold_acc = float("nan")
        if len(hold):
            pred = clf.predict_proba(prepared.x[hold]).argmax(1)
            hold_acc = float((pred == prepared.labels[hold]).mean())
        return ClassifierResult(clf, correct / max(1, seen), hold_acc, time.monotonic() - start)

    return job


def train_classifier(prepared: Any, config: ClassifierConfig = ClassifierConfig(), control: JobControl | None = None) -> ClassifierResult:
    """Train in this thread (CLI, scripts and tests); see ``train_classifier_job``."""
    return run_to_end(train_classifier_job(prepared, config), control=control)
