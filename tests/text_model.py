"""A tiny GPT trained for real in a few seconds, shared by the Generate tests (Qt-free and GUI)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from playground.core.data.bundled import load_bundled
from playground.core.data.dataset import TextDataset

CORPUS_CHARS = 30_000  # a slice of Shakespeare: prepares and indexes in milliseconds


def train_tiny_gpt(run: Path, steps: int = 12) -> Path:
    """A run folder (checkpoint, snapshots, kept training text) of the ``tiny`` GPT preset."""
    from playground.core import families
    from playground.core.families.session import session_job
    from playground.core.jobs import collect

    gpt = families.get("gpt")
    text = TextDataset("bard", load_bundled("shakespeare").text[:CORPUS_CHARS])
    result, _events = collect(session_job(gpt, text, gpt.preset("tiny", steps=steps), out_dir=run))
    assert result.checkpoint is not None and result.step == steps
    return run


def copy_run(run: Path, to: Path) -> Path:
    shutil.copytree(run, to)
    return to


def copy_with_meta(run: Path, to: Path, change: Callable[[dict], None]) -> Path:
    """A copy of ``run`` whose checkpoint's meta.json ``change`` edited in place (another family, a file less)."""
    copy_run(run, to)
    meta_file = to / "checkpoint" / "meta.json"
    meta = json.loads(meta_file.read_text())
    change(meta)
    meta_file.write_text(json.dumps(meta))
    return to
