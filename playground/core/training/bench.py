"""Bare training speed: the loop's own step, in a plain loop, without events or Qt.

``bench gan`` compares this with the same steps run through the job runner and
the Train tab, so both must do the same work per step: the same trainer, the
same batch sampling, the same device placement.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import torch

from playground.core.device import resolve_device
from playground.core.training.gan_config import GANConfig
from playground.core.training.gan_loop import _Batches, normalise_points, points_of
from playground.core.training.gan_trainer import GANTrainer


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bare_steps_per_s(prepared: Any, config: GANConfig, steps: int = 50, threads: int = 0, warmup: int = 5) -> float:
    """Training steps per second of ``GANTrainer.step`` in a plain loop.

    Args:
        prepared: PreparedImages, or PreparedPoints / PointsDataset.
        config: the run's settings (shape and classes are taken from the data).
        steps: timed steps, after ``warmup`` untimed ones.
        threads: torch CPU threads for this measurement (0: leave as is); the
            previous count is restored afterwards.
    """
    previous = torch.get_num_threads()
    if threads > 0:
        torch.set_num_threads(threads)
    try:
        cfg = config.for_data(prepared)
        device = resolve_device(cfg.device)
        pts = points_of(prepared)
        kind = "image" if pts is None else "points"
        x_np = prepared.x if pts is None else normalise_points(pts)[0]
        x = torch.from_numpy(np.ascontiguousarray(x_np, dtype=np.float32)).to(device)
        y = torch.from_numpy(np.clip(np.asarray(prepared.labels, dtype=np.int64), 0, None)).to(device)
        trainer = GANTrainer(cfg, device, kind=kind)
        batches = _Batches(len(x), torch.device("cpu"), cfg.seed)
        k = cfg.batch_size * cfg.d_steps

        def one() -> None:
            idx = batches.take(k).to(device)
            trainer.step(x[idx], y[idx] if cfg.conditional else None)

        for _ in range(warmup):
            one()
        _sync(device)
        start = time.perf_counter()
        for _ in range(steps):
            one()
        _sync(device)
        return steps / (time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)


def best_thread_count(prepared: Any, config: GANConfig, steps: int = 30, candidates: tuple[int, ...] | None = None) -> tuple[int, float, dict[int, float]]:
    """Try each thread count (1 and 2 by default, capped at the CPU count).

    Returns:
        (best thread count, its steps/s, {threads: steps/s for every candidate}).
    """
    cpus = os.cpu_count() or 1
    candidates = candidates or tuple(sorted({1, min(2, cpus)}))
    rates = {n: bare_steps_per_s(prepared, config, steps, threads=n) for n in candidates}
    best = max(rates, key=lambda n: rates[n])
    return best, rates[best], rates
