"""Slim a finished run into a model that ships: float16 weights, no optimiser, a few snapshots.

A bundled model is read, never trained on, so it needs only the weights a
generator loads (as float16: half the size, and no difference a user can see
in what it makes), its settings, history and the family's own files; the
optimiser state and the trainer's RNG state stay behind. A handful of the
run's weight snapshots are kept, so time travel works on bundled models too.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path
from typing import Any

import torch

from playground.core.runs.checkpoint import SUBFOLDER, load_checkpoint, save_checkpoint
from playground.core.runs.snapshots import FOLDER, list_snapshots


def _half(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: (v.half() if v.is_floating_point() else v) for k, v in state.items()}


def pick_snapshots(steps: list[int], keep: int) -> list[int]:
    """``keep`` of the snapshot steps, spread over the run on a log scale (early learning changes fastest)."""
    if len(steps) <= keep:
        return list(steps)
    if keep <= 1:
        return steps[:keep]
    index = [round(i * (len(steps) - 1) / (keep - 1)) for i in range(keep)]
    return [steps[i] for i in sorted(set(index))]


def release(run: str | os.PathLike, dest: str | os.PathLike, *, networks: tuple[str, ...] | None = None,
            snapshots: int = 3, model_changes: dict[str, Any] | None = None, config_class: Any = None) -> Path:
    """Write the slim copy of run folder ``run`` to folder ``dest`` (replaced whole); returns ``dest``.

    Args:
        networks: the networks to keep (default: all the checkpoint has).
        snapshots: how many weight snapshots to keep besides the final weights.
        model_changes: model settings to change in the copy, settings that do not
            touch the weights (a diffusion model's default sampler and steps,
            chosen by judging the trained model).
        config_class: the family's model config dataclass, which checks
            ``model_changes`` (ValueError for a setting it lacks or a bad value).
    """
    ckpt = load_checkpoint(run, with_optim=False)
    if model_changes:
        if config_class is None:
            raise ValueError("changing a model's settings needs its family's config class to check them")
        unknown = sorted(set(model_changes) - {f.name for f in dataclasses.fields(config_class)})
        if unknown:
            raise ValueError(f"a {ckpt.family} model has no setting {', '.join(unknown)}")
        ckpt.model_config = {**ckpt.model_config, **model_changes}
        config_class.from_dict(ckpt.model_config)  # raises ValueError when out of range
    keep = networks or tuple(ckpt.networks)
    ckpt.networks = {name: _half(ckpt.networks[name]) for name in keep}
    ckpt.optimizers, ckpt.state = {}, {}
    target = Path(dest)
    work = target.parent / f".{target.name}.new"
    if work.exists():
        shutil.rmtree(work)
    save_checkpoint(work / SUBFOLDER, ckpt)
    steps = [step for step, _ in list_snapshots(run) if step < ckpt.step]
    chosen = set(pick_snapshots(steps, snapshots))
    for step, file in list_snapshots(run):
        if step in chosen:
            (work / FOLDER).mkdir(exist_ok=True)
            shutil.copy2(file, work / FOLDER / file.name)
    if target.exists():
        shutil.rmtree(target)
    os.replace(work, target)
    return target
