"""Run settings: what every family's training run shares (length, batch, learning rates, device, cadence).

A family's own settings (network sizes, losses, tokenizer, noise schedule)
live in its config class; ``Settings`` (``settings.py``) shows the two as one
flat set of named fields for the settings form and ``--set``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from playground.core.config_fields import config_from_dict, config_to_dict
from playground.core.device import DEVICE_CHOICES

LR_SCHEDULES = ("constant", "linear", "cosine")
MAIN_LR = "model"  # a family with one optimiser names it "model" (its flat setting is just "lr")


@dataclass(frozen=True)
class RunConfig:
    steps: int = 2000  # training steps this run adds (a resumed run adds this many)
    minutes: float = 0.0  # also stop after this many minutes of training (0: no time limit)
    batch_size: int = 64  # items per step: images, token windows or points
    learning_rates: Mapping[str, float] = field(default_factory=lambda: {MAIN_LR: 1e-3})  # per optimiser
    lr_schedule: str = "constant"  # "constant", "linear" (down to 2% by the end) or "cosine" (down to 10%)
    warmup_steps: int = 0  # learning rate rises linearly from 0 over these first steps
    schedule_done: int = 0  # steps of this schedule an interrupted run already took (a resume that finishes it)
    seed: int = 0  # seeds the weights, the data order and the noise
    device: str = "auto"  # "auto", "cpu" or "cuda"
    cpu_threads: int = 0  # torch threads on the CPU; 0: one per core
    mixed_precision: bool = False  # bf16/fp16 autocast; only on CUDA, ignored on the CPU
    metrics_every: int = 10  # emit losses and speed every N steps
    samples_every: int = 100  # show samples (and measure quality) every M steps
    checkpoint_every: int = 500  # write a checkpoint every K steps (0: only at the end)
    snapshots: bool = True  # keep the weights at samples_every x 1, 2, 4, 8... steps and the end (time travel)

    def __post_init__(self) -> None:
        object.__setattr__(self, "learning_rates", {str(k): float(v) for k, v in dict(self.learning_rates).items()})
        if self.steps < 0:
            raise ValueError("steps must be 0 or more")
        if not (math.isfinite(self.minutes) and self.minutes >= 0):
            raise ValueError("minutes must be 0 (no time limit) or more")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if not self.learning_rates:
            raise ValueError("a run needs at least one learning rate")
        for name, value in self.learning_rates.items():
            if not (0.0 < value <= 1.0):
                raise ValueError(f"{lr_key(name)} must be in (0, 1], got {value}; try 1e-3")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"unknown learning-rate schedule {self.lr_schedule!r}: choose one of {', '.join(LR_SCHEDULES)}")
        if self.warmup_steps < 0:
            raise ValueError("warmup_steps must be 0 or more")
        if self.schedule_done < 0:
            raise ValueError("schedule_done must be 0 or more")
        if self.device not in DEVICE_CHOICES and not self.device.startswith("cuda:"):
            raise ValueError(f"unknown device {self.device!r}: choose one of {', '.join(DEVICE_CHOICES)}")
        if self.cpu_threads < 0:
            raise ValueError("CPU threads must be 0 (one per core) or more")
        for name in ("metrics_every", "samples_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.checkpoint_every < 0:
            raise ValueError("checkpoint_every must be 0 (only at the end) or more")

    def replace(self, **changes: Any) -> RunConfig:
        return dataclasses.replace(self, **changes)

    def lr_factor(self, done: int, seconds: float = 0.0) -> float:
        """The schedule's multiplier of the base rates after ``done`` of this run's steps and
        ``seconds`` of its training time (a run with a time limit decays over whichever ends it first).

        A resumed run schedules over the steps it adds, warm-up included (a warm restart),
        unless ``schedule_done`` says how far an interrupted run had come: then the schedule
        goes on from there over ``schedule_done + steps`` steps, as if never interrupted.
        """
        done += self.schedule_done
        if self.warmup_steps and done < self.warmup_steps:
            return (done + 1) / self.warmup_steps
        if self.lr_schedule == "constant" or self.steps <= 0:
            return 1.0
        span = max(1, self.schedule_done + self.steps - self.warmup_steps)
        t = min(1.0, max(0.0, (done - self.warmup_steps) / span))
        if self.minutes > 0:
            t = max(t, min(1.0, seconds / (self.minutes * 60.0)))
        if self.lr_schedule == "linear":  # as SNGAN decayed its rates (Miyato et al. 2018)
            return max(0.02, 1.0 - t)
        return 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * t))  # cosine to 10% (Loshchilov & Hutter 2017)

    def to_dict(self) -> dict[str, Any]:
        return config_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunConfig:
        """Inverse of ``to_dict``; unknown or mistyped fields raise ``ValueError``."""
        return config_from_dict(cls, data, "run")


def lr_key(name: str) -> str:
    """The flat setting name of optimiser ``name``'s learning rate: "lr" or "lr_<name>"."""
    return "lr" if name == MAIN_LR else f"lr_{name}"
