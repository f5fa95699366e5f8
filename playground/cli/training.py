"""What every ``train <family>`` command shares: its flags, its settings, and running the session.

A run writes, into its ``--out`` folder, ``run.json`` (the settings it started
with), ``metrics.jsonl`` (one JSON object per logged step) and the checkpoint
(``checkpoint/``). It prints one line per logged step on stdout and status
lines on stderr. A folder that already holds a run is only reused with
``--resume`` (continue from its checkpoint) or ``--overwrite``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Any

from playground.cli import UserError

UNLIMITED_STEPS = 10**9  # with --minutes and no --steps, time decides when the run ends


def add_run_arguments(parser: argparse.ArgumentParser, *, family: str, presets: str, example: str) -> None:
    """The flags every ``train`` command takes."""
    parser.add_argument("--dataset", required=True, help=f"bundled dataset name, e.g. {example}")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, help="training steps (default: the preset's)")
    length.add_argument("--minutes", type=float, help="train for this many minutes instead of a number of steps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--preset", help=presets)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: one per core)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help=f"any other {family} or run setting, e.g. --set lr_g=1e-3 (repeatable)")
    parser.add_argument("--out", required=True, help="run folder for the checkpoint, run.json and metrics.jsonl")
    again = parser.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    again.add_argument("--overwrite", action="store_true", help="start the run in --out again from step 0")


def load_dataset(name: str, modalities: tuple[str, ...], what: str) -> Any:
    """A bundled dataset of one of ``modalities``; ``what`` says what the model trains on."""
    from playground.core.data.bundled import load_bundled

    try:
        dataset = load_bundled(name)
    except (KeyError, ValueError, FileNotFoundError) as exc:
        raise UserError(f"cannot load dataset {name!r}: {exc}") from None
    if dataset.modality not in modalities:
        raise UserError(f"{what}; {name} is {dataset.modality}")
    return dataset


def check_threads(threads: int) -> int:
    """``--threads``: 0 (one per core) up to the number of cores."""
    cores = os.cpu_count() or 1
    if not 0 <= threads <= cores:
        raise UserError(f"--threads must be between 0 (one per core) and {cores}, the cores this machine has; "
                        f"got {threads}")
    return threads


def build_settings(family: Any, args: argparse.Namespace, kinds: frozenset[str], **changes: Any) -> Any:
    """The preset (``--preset`` or the family's choice for this data) with the flags and ``--set`` applied."""
    preset = args.preset or family.default_preset(kinds)
    overrides: dict[str, Any] = {"seed": args.seed, "device": args.device, "cpu_threads": check_threads(args.threads),
                                 **changes}
    if args.steps is not None:  # exactly that many steps, even where the preset also sets a time limit
        overrides.update(steps=args.steps, minutes=0.0)
    if args.minutes is not None:
        if not (math.isfinite(args.minutes) and args.minutes > 0):
            raise UserError(f"--minutes must be a positive number, got {args.minutes}")
        overrides.update(minutes=args.minutes, steps=UNLIMITED_STEPS)
    try:
        return family.preset(preset, **overrides).with_assignments(args.set, what=f"{family.name.upper()} setting")
    except (TypeError, ValueError) as exc:
        raise UserError(str(exc)) from None


def _line(step: int, total: int, values: dict[str, float], keys: list[str]) -> str:
    parts = [f"step {step}/{total}" if total < UNLIMITED_STEPS else f"step {step}"]
    parts += [f"{k} {values[k]:.3f}" for k in keys if k in values and math.isfinite(values[k])]
    if math.isfinite(values.get("steps_per_s", math.nan)):
        parts.append(f"{values['steps_per_s']:.1f} steps/s")
    if "eta" in values:
        parts.append(f"eta {fmt_time(values['eta'])}")
    return "  ".join(parts)


def fmt_time(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s"


def run_training(family: Any, dataset: Any, settings: Any, args: argparse.Namespace, *,
                 labels: list[str] | None = None, pipeline: Any = None, run_info: dict[str, Any] | None = None) -> int:
    """Run the session in this thread; exit code 0, or a UserError for the user's mistakes."""
    from playground.cli.outputs import run_folder
    from playground.core.atomic import write_text_atomic
    from playground.core.events import Metrics, Progress, Status
    from playground.core.families.session import session_job
    from playground.core.jobs import JobControl
    from playground.core.runs.checkpoint import RUN_FILE

    out = run_folder(args.out, resume=args.resume, overwrite=args.overwrite)
    control = JobControl()
    total = settings.run.steps
    keys = [key for group in family.curves for key, _label in group.series]
    info = {"family": family.name, "dataset": args.dataset, "labels": labels, **(run_info or {}),
            "config": {**settings.run.to_dict(), **settings.model.to_dict()}}
    try:
        write_text_atomic(out / RUN_FILE, json.dumps(info, indent=1))
        # The same session as the Train tab, without the family's extra phase (the GAN's judge).
        gen = session_job(family, dataset, settings, labels=labels, pipeline=pipeline, out_dir=out, extras=False,
                          resume_from=out if args.resume else None)(control)
        with open(out / "metrics.jsonl", "a" if args.resume else "w", encoding="utf-8") as log:
            while True:
                try:
                    event = next(gen)
                except StopIteration as stop:
                    result = stop.value
                    break
                if isinstance(event, Metrics):
                    row = {"step": event.step, **{k: (v if math.isfinite(v) else None) for k, v in event.values.items()}}
                    log.write(json.dumps(row) + "\n")
                    log.flush()
                    print(_line(event.step, total, dict(event.values), keys), flush=True)
                elif isinstance(event, Progress) and event.total > 0:
                    total = event.total  # a resumed run ends at its checkpoint's step plus --steps
                elif isinstance(event, Status):
                    print(f"[{event.level}] {event.message}", file=sys.stderr, flush=True)
                    if event.level == "error" and control.paused:
                        raise UserError(event.message)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write the run to {out}: {exc.strerror or exc}") from None
    print(f"done: {result.step} steps in {fmt_time(result.elapsed_s)}; checkpoint {result.checkpoint}", flush=True)
    return 0
