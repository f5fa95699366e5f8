"""Every trained model a user can pick: the bundled ones, then the runs trained in the app, newest first.

    for entry in list_models("gpt"):
        entry.title, entry.ref   # ref: what load_generator takes (a bundled name or a run folder)

Only ``meta.json`` is read (``read_meta``), never the weights, so listing a
hundred runs takes milliseconds. A run folder without a complete checkpoint
yet (a run in its first steps), or with a damaged one, is left out of the
list; opening such a folder by hand gives the loader's message instead.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.core.jobs import Job, JobControl
from playground.core.paths import runs_dir
from playground.core.runs.bundled_models import bundled_models


@dataclass(frozen=True)
class ModelEntry:
    ref: str  # what loads it: a bundled model's name or a run folder's path
    family: str  # "gpt", "gan", "diffusion", ...
    title: str  # one line for a model picker
    dataset: str  # what it learned ("" when the checkpoint does not say)
    step: int  # training steps
    bundled: bool  # ships with the app (in assets/models/)


def _meta(folder: Path) -> dict | None:
    """The checkpoint meta of a run folder, or None when it has no complete one."""
    from playground.core.runs.checkpoint import CheckpointError, read_meta  # imports torch: only when listing

    try:
        return read_meta(folder)
    except (CheckpointError, OSError):
        return None


def list_models(family: str | None = None, root: str | os.PathLike | None = None) -> list[ModelEntry]:
    """The models of ``family`` (every family when None): bundled ones first, then run folders.

    Args:
        family: a family name ("gpt") or None.
        root: the folder of runs to scan (default ``runs_dir()``); each child
            folder with a checkpoint is one model, the newest first.
    Raises:
        ValueError: the bundled model index is damaged (its message says to reinstall).
    """
    out: list[ModelEntry] = []
    for model in bundled_models(family):
        meta = _meta(model.folder)
        if meta is not None:
            out.append(ModelEntry(model.name, model.family, f"{model.title} (bundled)", model.dataset,
                                  int(meta["step"]), True))
    folder = Path(root) if root is not None else runs_dir()
    try:
        runs = [p for p in folder.iterdir() if p.is_dir()]
    except OSError:
        runs = []
    dated = []
    for run in runs:
        try:
            dated.append((run.stat().st_mtime, run))
        except OSError:
            continue
    for _mtime, run in sorted(dated, key=lambda pair: (-pair[0], pair[1].name)):
        meta = _meta(run)
        if meta is None or (family is not None and meta["family"] != family):
            continue
        source = str(meta.get("extra", {}).get("source", ""))
        step = int(meta["step"])
        title = f"{run.name}: {meta['family'].upper()}" + (f" on {source}" if source else "") + f", {step:,} steps"
        out.append(ModelEntry(str(run), meta["family"], title, source, step, False))
    return out


def models_job(family: str | None = None, root: str | os.PathLike | None = None) -> Job:
    """Job: ``list_models(family, root)`` off the GUI thread (reading meta files imports torch)."""

    def job(control: JobControl) -> Generator[Any, None, list[ModelEntry]]:
        control.checkpoint()
        return list_models(family, root)
        yield  # no events

    return job
