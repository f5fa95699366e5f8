"""Checks on the paths a command writes to, so a mistake is one line, not a traceback.

``output_file`` is for files a command writes (``generate ... --out x.npz``):
the parent folder must already exist (a typo should not create folders), the
name must end in one of the accepted suffixes, and an existing folder is never
replaced. ``run_folder`` is for a training run's folder (``train ... --out
DIR``): it is created with its parents, but a folder that already holds a run
is only reused with ``--resume`` or ``--overwrite``, so nothing a user had is
lost by running the same command twice.
"""

from __future__ import annotations

import os
from pathlib import Path

from playground.cli import UserError

RUN_FILES = ("checkpoint", "metrics.jsonl", "run.json")  # what makes a folder a run folder


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def output_file(raw: str, suffixes: tuple[str, ...]) -> Path:
    """The file ``--out`` names, checked before any work is done.

    Raises:
        UserError: empty name, wrong suffix, a folder at that path, or a parent
            that is missing, a file, or not writable.
    """
    if not raw.strip():
        raise UserError("--out needs a file name, e.g. samples" + suffixes[0])
    path = Path(raw).expanduser()
    if path.is_dir():
        raise UserError(f"--out {raw} is a folder; give a file name ending in {' or '.join(suffixes)}")
    if path.suffix.lower() not in suffixes:
        raise UserError(f"--out {raw}: the file name must end in {' or '.join(suffixes)}")
    parent = path.parent
    if not parent.exists():
        raise UserError(f"--out {raw}: the folder {parent} does not exist; create it first")
    if not parent.is_dir():
        raise UserError(f"--out {raw}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"--out {raw}: cannot write into {parent} (permission denied)")
    return path


def write_output(path: Path, data: bytes) -> None:
    """Write ``data`` atomically to a checked output path; OSError becomes a UserError."""
    from playground.core.atomic import write_bytes_atomic

    try:
        write_bytes_atomic(path, data)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {_why(exc)}") from None


def is_run_folder(path: Path) -> bool:
    return path.is_dir() and any((path / name).exists() for name in RUN_FILES)


def run_folder(raw: str, *, resume: bool = False, overwrite: bool = False) -> Path:
    """The run folder ``--out`` names, created if needed.

    Raises:
        UserError: an empty name, a file at that path, a folder that cannot be
            created or written, a folder that already holds a run without
            ``--resume`` or ``--overwrite``, or ``--resume`` with no run there.
    """
    if resume and overwrite:
        raise UserError("choose one of --resume (continue the run) and --overwrite (start it again)")
    if not raw.strip():
        raise UserError("--out needs a folder name for the run, e.g. runs/mnist")
    path = Path(raw).expanduser()
    if path.exists() and not path.is_dir():
        raise UserError(f"--out {raw} is a file; a run needs a folder")
    existing = is_run_folder(path)
    if resume and not existing:
        raise UserError(f"--resume: {raw} holds no run to continue")
    if existing and not (resume or overwrite):
        raise UserError(f"{raw} already holds a run; add --resume to continue it or --overwrite to start it again "
                        "(its checkpoint is replaced only when the new run saves one)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"cannot use {raw} as a run folder: {_why(exc)}") from None
    return path
