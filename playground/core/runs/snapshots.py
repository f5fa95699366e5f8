"""Weight snapshots a run keeps along the way, so a user can watch a model learn ("time travel").

A run folder holds ``snapshots/step-00000100.safetensors`` and so on: the
networks a generator needs, in float16 (they are shown, not trained from), at
steps ``samples_every`` x 1, 2, 4, 8, ... and at the end. Each file's metadata
names its step and family. Written atomically; read without unpickling.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from playground.core.atomic import write_bytes_atomic

FOLDER = "snapshots"
_NAME = re.compile(r"step-(\d{8})\.safetensors")


def snapshot_due(step: int, every: int) -> bool:
    """True at steps every x 1, 2, 4, 8, ... (geometric: early learning changes fastest)."""
    if every < 1 or step < every or step % every:
        return False
    k = step // every
    return k & (k - 1) == 0


def save_snapshot(run_dir: str | os.PathLike, step: int, family: str, networks: dict[str, dict[str, torch.Tensor]]) -> Path:
    """Write the networks' weights (float tensors as float16) for ``step``; returns the file."""
    flat = {}
    for net, state in networks.items():
        for key, value in state.items():
            value = value.detach().to("cpu")
            flat[f"{net}.{key}"] = (value.half() if value.is_floating_point() else value).contiguous().clone()
    path = Path(run_dir) / FOLDER / f"step-{step:08d}.safetensors"
    write_bytes_atomic(path, st_save(flat, metadata={"step": str(step), "family": family}))
    return path


def list_snapshots(path: str | os.PathLike) -> list[tuple[int, Path]]:
    """(step, file) of every snapshot of the run at ``path`` (a run folder or its checkpoint folder), oldest first."""
    root = Path(path)
    for folder in (root / FOLDER, root.parent / FOLDER):
        if folder.is_dir():
            found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _NAME.fullmatch(p.name))]
            return sorted(found)
    return []


def load_snapshot(file: str | os.PathLike) -> dict[str, dict[str, torch.Tensor]]:
    """A snapshot's weights as float32 state dicts by network; ValueError for a damaged file."""
    try:
        flat = st_load(Path(file).read_bytes())
    except Exception as exc:  # safetensors raises its own error type for bad headers
        raise ValueError(f"the snapshot {file} cannot be read ({str(exc)[:200]})") from None
    out: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in flat.items():
        net, _, name = key.partition(".")
        out.setdefault(net, {})[name] = value.float() if value.is_floating_point() else value
    return out
