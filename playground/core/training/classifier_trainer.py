"""Training the judging classifier through the one training loop.

The classifier (``playground.core.models.classifier``) is not a generative
family, but it trains like one: ``ClassifierTrainer`` is a ``Trainer`` and
``train_classifier_job`` runs it through ``loop.train_job``, so it gets the
same cancel, stop, pause, NaN handling and speed figures, with no loop of its own.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from playground.core.jobs import Job, JobControl, run_to_end
from playground.core.models.classifier import Classifier, ClassifierConfig, ClassifierResult, SmallCNN
from playground.core.training.batches import Batches
from playground.core.training.loop import train_job
from playground.core.training.run_config import RunConfig
from playground.core.training.trainer import Trainer

WARMUP = 0.15  # share of the steps the learning rate warms up over (as OneCycle's default did)


def shift(x: torch.Tensor, pixels: int, gen: torch.Generator) -> torch.Tensor:
    """Shift each image of N x C x H x W by up to ``pixels`` in x and y, filling with the background."""
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


class ClassifierTrainer(Trainer):
    """A ``SmallCNN`` learning the labels of prepared images (a held-out share kept aside)."""

    item_noun: ClassVar[str] = "images"

    def __init__(self, prepared: Any, config: ClassifierConfig, device: torch.device, batch_size: int) -> None:
        keep = np.flatnonzero(prepared.labels >= 0)
        classes = len(prepared.label_names)
        if classes < 2 or len(np.unique(prepared.labels[keep])) < 2:
            raise ValueError("the classifier needs labelled images of at least 2 classes")
        rng = np.random.default_rng(config.seed)
        keep = rng.permutation(keep)
        n_hold = int(len(keep) * config.holdout)
        self.hold, self.train = keep[:n_hold], keep[n_hold:]
        self.config, self.device, self.batch_size = config, device, batch_size
        self.x = torch.from_numpy(prepared.x).to(device)
        self.y = torch.from_numpy(prepared.labels).to(device)
        self.train_idx = torch.from_numpy(self.train).to(device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            self.model = SmallCNN(prepared.x.shape[1], classes, config).to(device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=config.lr)
        self.batches = Batches(len(self.train), config.seed)
        self.augment = torch.Generator().manual_seed(config.seed)
        self.correct = self.seen = 0  # this epoch
        self.last_epoch_accuracy = float("nan")
        self._epoch = 0

    def train_step(self, part: str) -> dict[str, torch.Tensor]:
        idx = self.train_idx[self.batches.take(self.batch_size).to(self.device)]
        xb, yb = shift(self.x[idx], self.config.shift, self.augment), self.y[idx]
        logits = self.model(xb)
        loss = F.cross_entropy(logits, yb)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        right = (logits.detach().argmax(1) == yb).sum()
        if int(self.batches.epoch) != self._epoch:  # an epoch ended: its accuracy is the training accuracy
            self._epoch = int(self.batches.epoch)
            self.last_epoch_accuracy = self.correct / max(1, self.seen)
            self.correct = self.seen = 0
        self.correct += int(right)
        self.seen += len(idx)
        return {"loss": loss.detach(), "accuracy": right.float() / len(idx)}

    def items_per_step(self, part: str) -> int:
        return self.batch_size

    def networks(self) -> dict[str, nn.Module]:
        return {"classifier": self.model}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"model": self.opt}

    def epoch(self) -> float:
        return self.batches.epoch

    def describe(self) -> str:
        return f"training the classifier that judges the samples on {len(self.train):,} images"


def _run_config(config: ClassifierConfig, steps: int) -> RunConfig:
    per_log = max(1, steps // (20 * config.epochs))  # about 20 progress lines an epoch
    return RunConfig(steps=steps, batch_size=config.batch_size, learning_rates={"model": config.lr},
                     lr_schedule="cosine", warmup_steps=max(1, int(WARMUP * steps)), seed=config.seed,
                     device=config.device, cpu_threads=config.cpu_threads, metrics_every=per_log,
                     samples_every=max(1, steps), checkpoint_every=0)


def train_classifier_job(prepared: Any, config: ClassifierConfig = ClassifierConfig()) -> Job:
    """A job that trains the classifier on labelled ``PreparedImages``; returns a ``ClassifierResult``,
    or None when it was stopped before the end.

    Raises:
        ValueError: fewer than 2 labelled classes.
    """

    def job(control: JobControl) -> Generator[Any, None, ClassifierResult | None]:
        keep = int((prepared.labels >= 0).sum())
        per_epoch = max(1, -(-(keep - int(keep * config.holdout)) // config.batch_size))
        built: list[ClassifierTrainer] = []

        def make(device: torch.device) -> ClassifierTrainer:
            built.append(ClassifierTrainer(prepared, config, device, config.batch_size))
            return built[0]

        start = time.monotonic()
        result = yield from train_job(make, _run_config(config, per_epoch * config.epochs), family="classifier")(control)
        if result.stopped:
            return None
        trainer = built[0]
        classifier = Classifier(trainer.model, prepared.label_names, trainer.device)
        hold_acc = float("nan")
        if len(trainer.hold):
            pred = classifier.predict_proba(prepared.x[trainer.hold]).argmax(1)
            hold_acc = float((pred == prepared.labels[trainer.hold]).mean())
        train_acc = trainer.correct / max(1, trainer.seen) if trainer.seen else trainer.last_epoch_accuracy
        return ClassifierResult(classifier, float(train_acc), hold_acc, time.monotonic() - start)

    return job


def train_classifier(prepared: Any, config: ClassifierConfig = ClassifierConfig(),
                     control: JobControl | None = None) -> ClassifierResult:
    """Train in this thread (CLI, scripts and tests); see ``train_classifier_job``."""
    result = run_to_end(train_classifier_job(prepared, config), control=control)
    if result is None:
        raise ValueError("the classifier was stopped before it finished")
    return result
