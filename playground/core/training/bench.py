"""Bare training speed: a family trainer's own step, in a plain loop, without events or Qt.

``bench gan`` compares this with the same steps run through the loop, the job
runner and the Train tab, so both do the same work per step: the same
trainer, the same batches, the same device placement.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import torch

from playground.core.device import resolve_device
from playground.core.training.trainer import Trainer


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bare_steps_per_s(make_trainer: Callable[[torch.device], Trainer], device: str = "auto", steps: int = 50,
                     threads: int = 0, warmup: int = 5) -> float:
    """Training steps per second of ``trainer.train_step`` in a plain loop.

    Args:
        make_trainer: builds the trainer on a device (as the loop does).
        steps: timed steps, after ``warmup`` untimed ones.
        threads: torch CPU threads for this measurement (0: leave as is); the
            previous count is restored afterwards.
    """
    previous = torch.get_num_threads()
    if threads > 0:
        torch.set_num_threads(threads)
    try:
        dev = resolve_device(device)
        trainer = make_trainer(dev)
        part = trainer.parts[0]
        for _ in range(warmup):
            trainer.train_step(part)
        _sync(dev)
        start = time.perf_counter()
        for _ in range(steps):
            trainer.train_step(part)
        _sync(dev)
        return steps / (time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)


def best_thread_count(make_trainer: Callable[[torch.device], Trainer], device: str = "auto", steps: int = 30,
                      candidates: tuple[int, ...] | None = None) -> tuple[int, float, dict[int, float]]:
    """Try each thread count (1 and 2 by default, capped at the CPU count).

    Returns:
        (best thread count, its steps/s, {threads: steps/s for every candidate}).
    """
    cpus = os.cpu_count() or 1
    candidates = candidates or tuple(sorted({1, min(2, cpus)}))
    rates = {n: bare_steps_per_s(make_trainer, device, steps, threads=n) for n in candidates}
    best = max(rates, key=lambda n: rates[n])
    return best, rates[best], rates
