"""Checkpoints of any model family: a folder of safetensors and JSON, swapped in whole.

Layout of a checkpoint folder (format "playground-checkpoint", version 2)::

    model.safetensors   named networks, keys "<network>.<parameter>" ("g.net.0.weight", "gpt.wte.weight")
    optim.safetensors   named optimiser states, keys "<optimiser>.state.<i>.<slot>"; param groups in metadata
    state.safetensors   the trainer's own state (RNG states, batch order) as tensors; plain values in metadata
    config.json         {"family": ..., "model": {the family's settings}, "run": {the run settings}}
    pipeline.json       the preprocessing pipeline that made the training data
    history.json        metric history ({"d_loss": {"steps": [...], "values": [...]}, ...})
    samples.npz         sample history: "steps" int64 (K,), "images" uint8 K x N x H x W x C
    (other files)       a family's own files (``Checkpoint.files``), e.g. the training text of a
                        language model, for "is it copying?"
    meta.json           format, version, family, step, "data" (what the family must know of its
                        data: shapes, class names, scaling, vocabulary), "extra", and the
                        SHA-256 of every other file (written last)

Loading for generation (``with_optim=False``) reads only the weights and the
JSON; nothing here builds a network, so generators never need the trainer.
GAN checkpoints of version 1 ("playground-gan-checkpoint": a flat config, the
data fields at the top of meta.json, no state file) still load; the GAN
family reads their flat config.

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

from playground.core.atomic import write_text_atomic
from playground.core.runs.history import MetricHistory, SampleHistory

FORMAT = "playground-checkpoint"
VERSION = 2
LEGACY_GAN_FORMAT = "playground-gan-checkpoint"  # version 1: GAN checkpoints written before families existed
SUBFOLDER = "checkpoint"  # inside a run folder
RUN_FILE = "run.json"  # in a run folder: the settings the run started with (checkpoint cadence, ...)
REQUIRED = ("model.safetensors", "config.json")  # a copy without these checksummed is not complete
STANDARD = ("model.safetensors", "optim.safetensors", "state.safetensors", "config.json", "pipeline.json",
            "history.json", "samples.npz", "meta.json")
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


class CheckpointError(ValueError):
    """A checkpoint folder that is missing, damaged or not a checkpoint."""


@dataclass(eq=False)
class Checkpoint:
    """Everything a checkpoint holds, as plain data: the family turns it back into objects."""

    family: str  # "gan", "gpt", "diffusion", ...
    step: int  # training steps so far
    model_config: dict[str, Any]  # the family's model settings (version 1: the whole flat GAN config)
    run_config: dict[str, Any]  # the run settings (empty for version 1)
    data: dict[str, Any]  # what the family knows of its data (shapes, names, scaling, vocabulary)
    networks: dict[str, dict[str, torch.Tensor]]  # state dict per named network
    optimizers: dict[str, dict[str, Any]] = field(default_factory=dict)  # state dict per named optimiser
    state: dict[str, Any] = field(default_factory=dict)  # the trainer's own state (tensors and plain values)
    pipeline: dict[str, Any] = field(default_factory=dict)
    history: MetricHistory = field(default_factory=MetricHistory)
    samples: SampleHistory = field(default_factory=SampleHistory)
    extra: dict[str, Any] = field(default_factory=dict)  # elapsed time, learning rates in force, source, ...
    files: dict[str, bytes] = field(default_factory=dict)  # the family's own files, by plain file name
    weights_sha256: str = ""  # SHA-256 of the weights generation uses (model.safetensors, or a snapshot file)
    version: int = VERSION
    path: Path | None = None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- saving -------------------------------------------------------------------------------
def _cpu(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to("cpu").contiguous().clone()


def _flat_optim(optimizers: dict[str, dict[str, Any]]) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    tensors: dict[str, torch.Tensor] = {}
    meta: dict[str, str] = {"optimizers": json.dumps(sorted(optimizers))}
    for name, sd in optimizers.items():
        plain: dict[str, dict[str, Any]] = {}
        for idx, slots in sd["state"].items():
            for slot, value in slots.items():
                if torch.is_tensor(value):
                    tensors[f"{name}.state.{idx}.{slot}"] = _cpu(value)
                else:
                    plain.setdefault(str(idx), {})[slot] = value
        meta[f"{name}.param_groups"] = json.dumps(sd["param_groups"])
        meta[f"{name}.plain_state"] = json.dumps(plain)
    return tensors, meta


def _flat_state(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    tensors = {k: _cpu(v) for k, v in state.items() if torch.is_tensor(v)}
    plain = {k: v for k, v in state.items() if not torch.is_tensor(v)}
    return tensors, {"plain": json.dumps(plain)}


def _write_folder(tmp: Path, ckpt: Checkpoint) -> None:
    blobs: dict[str, bytes] = {}
    flat = {f"{net}.{k}": _cpu(v) for net, sd in ckpt.networks.items() for k, v in sd.items()}
    blobs["model.safetensors"] = st_save(flat, metadata={"format": FORMAT})
    blobs["optim.safetensors"] = st_save(*_flat_optim(ckpt.optimizers))
    blobs["state.safetensors"] = st_save(*_flat_state(ckpt.state))
    config = {"family": ckpt.family, "model": ckpt.model_config, "run": ckpt.run_config}
    blobs["config.json"] = json.dumps(config, indent=1).encode()
    blobs["pipeline.json"] = json.dumps(ckpt.pipeline, indent=1, default=str).encode()
    blobs["history.json"] = json.dumps(ckpt.history.to_json()).encode()
    buf = io.BytesIO()
    np.savez(buf, **ckpt.samples.arrays())
    blobs["samples.npz"] = buf.getvalue()
    for name, data in ckpt.files.items():
        if name in STANDARD or not _FILE_NAME.fullmatch(name):
            raise ValueError(f"a family's checkpoint file cannot be called {name!r}")
        blobs[name] = data
    for name, data in blobs.items():
        with open(tmp / name, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    meta = {
        "format": FORMAT, "version": VERSION, "family": ckpt.family, "step": int(ckpt.step),
        "data": ckpt.data, "extra": ckpt.extra,
        "sha256": {name: _sha256(data) for name, data in blobs.items()},
    }
    write_text_atomic(tmp / "meta.json", json.dumps(meta, indent=1, default=str))  # last: marks the copy complete


def save_checkpoint(path: str | os.PathLike, ckpt: Checkpoint) -> Path:
    """Write ``ckpt`` to folder ``path``; returns the folder.

    The old checkpoint at ``path`` stays until the new one is complete.
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
        _write_folder(tmp, ckpt)
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


# ---- finding, recovering ---------------------------------------------------------------------
def _complete(folder: Path) -> bool:
    """True when ``folder`` has a meta.json and every file it lists matches its checksum."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        sums = meta["sha256"]
        return isinstance(sums, dict) and set(REQUIRED) <= set(sums) and all(
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
        raise CheckpointError(f"{root} is a file; a checkpoint is a folder (the one 'train ... --out' wrote)")
    if (root / RUN_FILE).is_file():
        raise CheckpointError(f"no checkpoint yet in {root}: {_first_save(root / RUN_FILE)}")
    raise CheckpointError(f"{root} is not a checkpoint: it has no meta.json")


def _first_save(run_file: Path) -> str:
    """When a run folder's first checkpoint is written, from its run.json."""
    try:
        every = int(json.loads(run_file.read_text(encoding="utf-8"))["config"]["checkpoint_every"])
    except (OSError, ValueError, KeyError, TypeError):
        return "the run has not saved one"
    return f"the first is written at step {every}" if every > 0 else "the run saves one when it ends"


# ---- loading -------------------------------------------------------------------------------
def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_meta(meta: Any, folder: Path) -> dict[str, Any]:
    """meta.json's shape, with version 1 turned into version 2's; CheckpointError("damaged") if wrong."""

    def bad(what: str) -> CheckpointError:
        return CheckpointError(f"checkpoint {folder} is damaged: meta.json {what}")

    if not isinstance(meta, dict):
        raise bad("is not a JSON object")
    if meta.get("format") not in (FORMAT, LEGACY_GAN_FORMAT):
        raise CheckpointError(f"{folder} is not a checkpoint of this app (meta.json names another format)")
    version = meta.get("version")
    if not _whole(version) or version < 1:
        raise bad(f"has no valid version (found {version!r})")
    if version > VERSION:
        raise CheckpointError(f"{folder} was written by a newer version of the app (format {version})")
    if not _whole(meta.get("step")) or meta["step"] < 0:
        raise bad(f"has no valid step (found {meta.get('step')!r})")
    if meta["format"] == LEGACY_GAN_FORMAT:
        data = {k: meta.get(k) for k in ("kind", "label_names", "image_shape", "norm")}
        data["norm"] = data["norm"] if data["norm"] is not None else {}
        meta = {**meta, "family": "gan", "data": data}
    if not isinstance(meta.get("family"), str) or not meta["family"]:
        raise bad("names no model family")
    data = meta.get("data")
    if not isinstance(data, dict):
        raise bad("data is not an object")
    names, shape = data.get("label_names", []), data.get("image_shape", [1])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise bad("label_names is not a list of names")
    if not isinstance(shape, list) or not shape or not all(_whole(v) and v > 0 for v in shape):
        raise bad("image_shape is not a list of sizes")
    for key, value in (("norm", data.get("norm", {})), ("extra", meta.get("extra", {}))):
        if not isinstance(value, dict):
            raise bad(f"{key} is not an object")
    sums = meta.get("sha256", {})
    if not isinstance(sums, dict) or not all(isinstance(v, str) and _HEX64.fullmatch(v) for v in sums.values()):
        raise bad("sha256 is not a table of SHA-256 sums")
    return meta


def _read(folder: Path, name: str, sums: dict[str, str], optional: bool = False) -> bytes | None:
    file = folder / name
    if not file.is_file():
        if optional and name not in sums:
            return None
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


def _safetensors(data: bytes, folder: Path, name: str) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    try:
        tensors = st_load(data)
        size = int.from_bytes(data[:8], "little")  # the header: 8-byte length, then JSON
        header = json.loads(data[8 : 8 + size].decode("utf-8"))
    except Exception as exc:  # safetensors raises its own error type for bad headers
        raise CheckpointError(f"checkpoint {folder} is damaged: {name} cannot be read ({str(exc)[:200]})") from None
    return tensors, dict(header.get("__metadata__") or {})


def _unflat_optim(tensors: dict[str, torch.Tensor], meta: dict[str, str], legacy: bool) -> dict[str, Any]:
    names = ["g", "d"] if legacy else json.loads(meta.get("optimizers", "[]"))
    out: dict[str, Any] = {}
    for name in names:
        state: dict[int, dict[str, Any]] = {}
        for key, value in tensors.items():
            head, _, rest = key.partition(".state.")
            if head == name:
                idx, _, slot = rest.partition(".")
                state.setdefault(int(idx), {})[slot] = value
        for idx, slots in json.loads(meta.get(f"{name}.plain_state", "{}")).items():
            state.setdefault(int(idx), {}).update(slots)
        out[name] = {"state": state, "param_groups": json.loads(meta[f"{name}.param_groups"])}
    return out


def load_checkpoint(path: str | os.PathLike, *, with_optim: bool = True) -> Checkpoint:
    """Read and check a checkpoint: weights as tensors on the CPU, settings as JSON.

    ``with_optim=False`` (generation) skips the optimiser and trainer state files.

    Raises:
        CheckpointError: missing folder or file, damaged file, wrong format or version.
    """
    folder = find_checkpoint(path)
    meta = check_meta(_json(_read(folder, "meta.json", {}) or b"", folder, "meta.json"), folder)
    sums = meta.get("sha256") or {}
    legacy = meta["version"] == 1
    try:
        config = _json(_read(folder, "config.json", sums) or b"", folder, "config.json")
        if not isinstance(config, dict):
            raise ValueError("config.json is not an object")
        if legacy:
            model_config, run_config = config, {}
        else:
            model_config, run_config = config.get("model"), config.get("run")
            if not isinstance(model_config, dict) or not isinstance(run_config, dict):
                raise ValueError("config.json has no model and run settings")
        history = MetricHistory.from_json(_json(_read(folder, "history.json", sums) or b"", folder, "history.json"))
        pipeline = _json(_read(folder, "pipeline.json", sums) or b"", folder, "pipeline.json")
        with np.load(io.BytesIO(_read(folder, "samples.npz", sums) or b""), allow_pickle=False) as npz:
            samples = SampleHistory.from_arrays(npz["steps"], npz["images"])
    except CheckpointError:
        raise
    except (ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise CheckpointError(f"checkpoint {folder} is damaged: {exc}") from None
    flat, _ = _safetensors(_read(folder, "model.safetensors", sums) or b"", folder, "model.safetensors")
    networks: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in flat.items():
        net, _, name = key.partition(".")
        networks.setdefault(net, {})[name] = value
    files = {name: _read(folder, name, sums) or b"" for name in sums if name not in STANDARD and _FILE_NAME.fullmatch(name)}
    ckpt = Checkpoint(
        family=meta["family"], step=int(meta["step"]), model_config=model_config, run_config=run_config,
        data=dict(meta["data"]), networks=networks, pipeline=pipeline if isinstance(pipeline, dict) else {},
        history=history, samples=samples, extra=dict(meta.get("extra") or {}), files=files, version=meta["version"],
        path=folder, weights_sha256=sums.get("model.safetensors", ""),
    )
    if with_optim:
        tensors, opt_meta = _safetensors(_read(folder, "optim.safetensors", sums) or b"", folder, "optim.safetensors")
        try:
            ckpt.optimizers = _unflat_optim(tensors, opt_meta, legacy)
            state_bytes = _read(folder, "state.safetensors", sums, optional=True)
            if state_bytes is not None:
                state_tensors, state_meta = _safetensors(state_bytes, folder, "state.safetensors")
                ckpt.state = {**json.loads(state_meta.get("plain", "{}")), **state_tensors}
            elif legacy:
                ckpt.state = {"g_updates": int(opt_meta.get("g_updates", "0"))}
        except (ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(f"checkpoint {folder} is damaged: optim.safetensors cannot be used ({exc})") from None
    return ckpt


def read_meta(path: str | os.PathLike) -> dict[str, Any]:
    """A checkpoint's meta.json (checked), without reading its weights: for model cards and lists."""
    folder = find_checkpoint(path)
    meta = check_meta(_json(_read(folder, "meta.json", {}) or b"", folder, "meta.json"), folder)
    return {**meta, "path": str(folder)}
