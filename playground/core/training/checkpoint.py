"""GAN checkpoints: a folder of safetensors, JSON and npz, swapped in whole.

Layout of a checkpoint folder::

    model.safetensors   G, D and EMA-G weights, keys "g.*", "d.*", "g_ema.*"
    optim.safetensors   Adam states flattened to "g.state.<i>.<name>"; param groups in metadata
    config.json         the GANConfig (fitted to the data)
    pipeline.json       the preprocessing pipeline that made the training data
    history.json        metric history ({"d_loss": {"steps": [...], "values": [...]}, ...})
    samples.npz         sample history: "steps" int64 (K,), "images" uint8 K x N x H x W x C
    meta.json           format, version, step, kind, label names, image shape, norm,
                        and the SHA-256 of every other file (written last)

Every file is written atomically into a sibling ``DIR.tmp-*`` folder, which is
then renamed over ``DIR``; the previous checkpoint is moved aside first and
removed only once the new one is in place, so a crash leaves one complete
checkpoint. Nothing here unpickles: weights load through safetensors, samples
through ``np.load(allow_pickle=False)``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from playground.core.atomic import write_bytes_atomic, write_text_atomic
from playground.core.training.gan_config import GANConfig
from playground.core.training.gan_trainer import GANTrainer
from playground.core.training.history import MetricHistory, SampleHistory

FORMAT = "playground-gan-checkpoint"
VERSION = 1
DATA_FILES = ("model.safetensors", "optim.safetensors", "config.json", "pipeline.json", "history.json", "samples.npz")
SUBFOLDER = "checkpoint"  # inside a run folder


class CheckpointError(ValueError):
    """A checkpoint folder that is missing, damaged or not a GAN checkpoint."""


@dataclass(eq=False)
class GANCheckpoint:
    """Everything a checkpoint holds; ``trainer`` is set by ``load_checkpoint``."""

    config: GANConfig
    step: int
    kind: str  # "image" (DCGAN) or "points" (MLP GAN)
    label_names: list[str]
    image_shape: tuple[int, ...]  # (C, H, W), or (2,) for points
    norm: dict  # how pixels were scaled (PreparedImages.norm), or the points' centre and scale
    pipeline: dict = field(default_factory=dict)
    history: MetricHistory = field(default_factory=MetricHistory)
    samples: SampleHistory = field(default_factory=SampleHistory)
    extra: dict = field(default_factory=dict)  # learning rates in force, elapsed time, ...
    trainer: GANTrainer | None = None
    path: Path | None = None


# ---- saving -------------------------------------------------------------------------------
def _flat_model(state: dict[str, dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    return {f"{net}.{k}": v.detach().to("cpu").contiguous().clone() for net, sd in state.items() for k, v in sd.items()}


def _flat_optim(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    tensors: dict[str, torch.Tensor] = {}
    meta: dict[str, str] = {"g_updates": str(int(state.get("g_updates", 0)))}
    for net in ("g", "d"):
        sd = state[net]
        plain: dict[str, dict[str, Any]] = {}
        for idx, slots in sd["state"].items():
            for name, value in slots.items():
                if torch.is_tensor(value):
                    tensors[f"{net}.state.{idx}.{name}"] = value.detach().to("cpu").contiguous().clone()
                else:
                    plain.setdefault(str(idx), {})[name] = value
        meta[f"{net}.param_groups"] = json.dumps(sd["param_groups"])
        meta[f"{net}.plain_state"] = json.dumps(plain)
    return tensors, meta


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save_checkpoint(path: str | os.PathLike, ckpt: GANCheckpoint, trainer: GANTrainer) -> Path:
    """Write ``ckpt`` with ``trainer``'s weights and optimiser states to folder ``path``.

    Returns the folder. The old checkpoint at ``path`` stays until the new one is complete.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f"{target.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)  # left by a crash mid-write
    tmp = Path(tempfile.mkdtemp(prefix=f"{target.name}.tmp-", dir=target.parent))
    try:
        blobs: dict[str, bytes] = {}
        blobs["model.safetensors"] = st_save(_flat_model(trainer.model_state()), metadata={"format": FORMAT})
        opt_tensors, opt_meta = _flat_optim(trainer.optim_state())
        blobs["optim.safetensors"] = st_save(opt_tensors, metadata=opt_meta)
        blobs["config.json"] = json.dumps(ckpt.config.to_dict(), indent=1).encode()
        blobs["pipeline.json"] = json.dumps(ckpt.pipeline, indent=1, default=str).encode()
        blobs["history.json"] = json.dumps(ckpt.history.to_json()).encode()
        buf = io.BytesIO()
        np.savez(buf, **ckpt.samples.arrays())
        blobs["samples.npz"] = buf.getvalue()
        for name, data in blobs.items():
            write_bytes_atomic(tmp / name, data)
        meta = {
            "format": FORMAT,
            "version": VERSION,
            "step": int(ckpt.step),
            "kind": ckpt.kind,
            "label_names": list(ckpt.label_names),
            "image_shape": list(ckpt.image_shape),
            "norm": ckpt.norm,
            "extra": ckpt.extra,
            "sha256": {name: _sha256(data) for name, data in blobs.items()},
        }
        write_text_atomic(tmp / "meta.json", json.dumps(meta, indent=1))
        if target.exists():
            old = target.parent / f"{target.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


# ---- loading -------------------------------------------------------------------------------
def find_checkpoint(path: str | os.PathLike) -> Path:
    """The checkpoint folder at ``path``: the folder itself, its ``checkpoint/``
    subfolder (a run folder), or a complete ``*.old-*`` copy a crash left behind."""
    root = Path(path)
    for candidate in (root, root / SUBFOLDER):
        if (candidate / "meta.json").is_file():
            return candidate
    for base in (root, root / SUBFOLDER):
        olds = sorted(base.parent.glob(f"{base.name}.old-*"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in olds:
            if (old / "meta.json").is_file():
                return old
    if not root.exists():
        raise CheckpointError(f"no checkpoint at {root}: the folder does not exist")
    if not root.is_dir():
        raise CheckpointError(f"{root} is a file; a GAN checkpoint is a folder (the one 'train gan --out' wrote)")
    raise CheckpointError(f"{root} is not a GAN checkpoint: it has no meta.json")


def _read(folder: Path, name: str, sums: dict[str, str]) -> bytes:
    file = folder / name
    if not file.is_file():
        raise CheckpointError(f"checkpoint {folder} is incomplete: {name} is missing")
    data = file.read_bytes()
    if sums.get(name) and _sha256(data) != sums[name]:
        raise CheckpointError(f"checkpoint {folder} is damaged: {name} does not match its checksum")
    return data


def _json(data: bytes, folder: Path, name: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"checkpoint {folder} is damaged: {name} is not valid JSON ({exc})") from None


def _unflat_optim(tensors: dict[str, torch.Tensor], meta: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"g_updates": int(meta.get("g_updates", "0"))}
    for net in ("g", "d"):
        state: dict[int, dict[str, Any]] = {}
        for key, value in tensors.items():
            head, _, rest = key.partition(".state.")
            if head != net:
                continue
            idx, _, name = rest.partition(".")
            state.setdefault(int(idx), {})[name] = value
        for idx, slots in json.loads(meta.get(f"{net}.plain_state", "{}")).items():
            state.setdefault(int(idx), {}).update(slots)
        out[net] = {"state": state, "param_groups": json.loads(meta[f"{net}.param_groups"])}
    return out


def load_checkpoint(path: str | os.PathLike, device: torch.device | str = "cpu", *, with_optim: bool = True) -> GANCheckpoint:
    """Read and check a checkpoint; build its trainer on ``device`` with the weights loaded.

    Raises:
        CheckpointError: missing folder or file, damaged file, wrong format or version,
            or weights that do not fit the saved config.
    """
    folder = find_checkpoint(path)
    meta = _json(_read(folder, "meta.json", {}), folder, "meta.json")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{folder} is not a GAN checkpoint (meta.json names another format)")
    if int(meta.get("version", 0)) > VERSION:
        raise CheckpointError(f"{folder} was written by a newer version of the app (format {meta.get('version')})")
    sums = meta.get("sha256") or {}
    try:
        config = GANConfig.from_dict(_json(_read(folder, "config.json", sums), folder, "config.json"))
        history = MetricHistory.from_json(_json(_read(folder, "history.json", sums), folder, "history.json"))
        pipeline = _json(_read(folder, "pipeline.json", sums), folder, "pipeline.json")
        with np.load(io.BytesIO(_read(folder, "samples.npz", sums)), allow_pickle=False) as npz:
            samples = SampleHistory.from_arrays(npz["steps"], npz["images"])
        kind = str(meta["kind"])
        ckpt = GANCheckpoint(
            config=config, step=int(meta["step"]), kind=kind, label_names=[str(n) for n in meta["label_names"]],
            image_shape=tuple(int(v) for v in meta["image_shape"]), norm=dict(meta.get("norm") or {}),
            pipeline=pipeline if isinstance(pipeline, dict) else {}, history=history, samples=samples,
            extra=dict(meta.get("extra") or {}), path=folder,
        )
    except CheckpointError:
        raise
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise CheckpointError(f"checkpoint {folder} is damaged: {exc}") from None
    model_bytes = _read(folder, "model.safetensors", sums)
    optim_bytes = _read(folder, "optim.safetensors", sums) if with_optim else b""
    try:
        flat = st_load(model_bytes)
    except Exception as exc:  # safetensors raises its own error type for bad headers
        raise CheckpointError(f"checkpoint {folder} is damaged: model.safetensors cannot be read ({exc})") from None
    state: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in flat.items():
        net, _, name = key.partition(".")
        state.setdefault(net, {})[name] = value
    try:
        trainer = GANTrainer(config, device, kind=kind)
        trainer.load_model_state(state)
    except (RuntimeError, KeyError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {folder} is damaged: the weights do not fit config.json ({str(exc)[:200]})") from None
    if with_optim:
        try:
            tensors = st_load(optim_bytes)
            opt_meta = _safetensors_metadata(optim_bytes)
            trainer.load_optim_state(_unflat_optim(tensors, opt_meta))
        except Exception as exc:
            raise CheckpointError(f"checkpoint {folder} is damaged: optim.safetensors cannot be used ({str(exc)[:200]})") from None
    ckpt.trainer = trainer
    return ckpt


def _safetensors_metadata(data: bytes) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors blob (the header is 8-byte length + JSON)."""
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + size].decode("utf-8"))
    return dict(header.get("__metadata__") or {})
