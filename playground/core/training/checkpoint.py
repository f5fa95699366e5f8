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
checkpoint. If a crash (or kill -9) left no ``DIR`` but a complete copy beside
it (a finished ``DIR.tmp-*`` or a moved-aside ``DIR.old-*``), the newest
complete copy is put back in place (``recover``); half-written or half-deleted
copies are removed at the next save. Nothing here unpickles: weights load
through safetensors, samples through ``np.load(allow_pickle=False)``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
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
RUN_FILE = "run.json"  # in a run folder: the settings the run started with (checkpoint cadence, ...)
_HEX64 = re.compile(r"[0-9a-f]{64}")


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
    recover(target)
    for stale in (*target.parent.glob(f"{target.name}.tmp-*"), *target.parent.glob(f"{target.name}.old-*")):
        shutil.rmtree(stale, ignore_errors=True)  # half-written or half-deleted copies a crash left
    tmp = Path(tempfile.mkdtemp(prefix=f"{target.name}.tmp-", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; a shared run folder must stay readable
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
def _complete(folder: Path) -> bool:
    """True when ``folder`` has a meta.json and every file it lists matches its checksum."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        sums = meta["sha256"]
        return isinstance(sums, dict) and set(DATA_FILES) <= set(sums) and all(
            _sha256((folder / name).read_bytes()) == digest for name, digest in sums.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def recover(target: Path) -> Path | None:
    """Put the newest complete copy a crash left beside a missing ``target`` in its place.

    A kill after the first save's temporary folder was complete, or between the
    two renames of a later save, leaves no ``target`` but a complete
    ``target.tmp-*`` or ``target.old-*``. Returns the recovered folder, or None.
    """
    if target.exists():
        return None
    copies = [*target.parent.glob(f"{target.name}.tmp-*"), *target.parent.glob(f"{target.name}.old-*")]
    for copy in sorted(copies, key=lambda p: p.stat().st_mtime, reverse=True):
        if copy.is_dir() and _complete(copy):
            try:
                os.replace(copy, target)
            except OSError:  # a read-only place: use the copy where it is
                return copy
            return target
    return None


def find_checkpoint(path: str | os.PathLike) -> Path:
    """The checkpoint folder at ``path``: the folder itself or its ``checkpoint/``
    subfolder (a run folder), recovering a complete copy a crash left beside it."""
    root = Path(path)
    for candidate in (root, root / SUBFOLDER):
        if (candidate / "meta.json").is_file():
            return candidate
    for candidate in (root / SUBFOLDER, root):
        if candidate.parent.is_dir():
            found = recover(candidate)
            if found is not None:
                return found
    if not root.exists():
        raise CheckpointError(f"no checkpoint at {root}: the folder does not exist")
    if not root.is_dir():
        raise CheckpointError(f"{root} is a file; a GAN checkpoint is a folder (the one 'train gan --out' wrote)")
    if (root / RUN_FILE).is_file():
        raise CheckpointError(f"no checkpoint yet in {root}: {_first_save(root / RUN_FILE)}")
    raise CheckpointError(f"{root} is not a GAN checkpoint: it has no meta.json")


def _first_save(run_file: Path) -> str:
    """When a run folder's first checkpoint is written, from its run.json."""
    try:
        every = int(json.loads(run_file.read_text(encoding="utf-8"))["config"]["checkpoint_every"])
    except (OSError, ValueError, KeyError, TypeError):
        return "the run has not saved one"
    return f"the first is written at step {every}" if every > 0 else "the run saves one when it ends"


def check_meta(meta: Any, folder: Path) -> dict[str, Any]:
    """meta.json's shape: the right types in every field, or CheckpointError("damaged")."""

    def bad(what: str) -> CheckpointError:
        return CheckpointError(f"checkpoint {folder} is damaged: meta.json {what}")

    if not isinstance(meta, dict):
        raise bad("is not a JSON object")
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{folder} is not a GAN checkpoint (meta.json names another format)")
    version = meta.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise bad(f"has no valid version (found {version!r})")
    if version > VERSION:
        raise CheckpointError(f"{folder} was written by a newer version of the app (format {version})")
    step = meta.get("step")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise bad(f"has no valid step (found {step!r})")
    if meta.get("kind") not in ("image", "points"):
        raise bad(f"names an unknown kind {meta.get('kind')!r}")
    names, shape = meta.get("label_names"), meta.get("image_shape")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise bad("label_names is not a list of names")
    if not isinstance(shape, list) or not shape or not all(isinstance(v, int) and v > 0 for v in shape):
        raise bad("image_shape is not a list of sizes")
    for key in ("norm", "extra"):
        if not isinstance(meta.get(key, {}), dict):
            raise bad(f"{key} is not an object")
    sums = meta.get("sha256", {})
    if not isinstance(sums, dict) or not all(isinstance(v, str) and _HEX64.fullmatch(v) for v in sums.values()):
        raise bad("sha256 is not a table of SHA-256 sums")
    return meta


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
    meta = check_meta(_json(_read(folder, "meta.json", {}), folder, "meta.json"), folder)
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
