"""``train gan`` and ``generate gan``: the GAN engine from the command line.

    python -m playground train gan --dataset mnist-5k --steps 2000 --out runs/gan
    python -m playground generate gan --checkpoint runs/gan --n 64 --seed 1 --out samples.npz

``train gan`` prepares the bundled dataset with its default pipeline (keeping
only ``--labels`` if given), trains, writes the checkpoint to ``OUT/checkpoint``,
the settings it started with to ``OUT/run.json`` and one JSON object per logged
step to ``OUT/metrics.jsonl``, and prints one line per logged step. Status
lines go to stderr. A folder that already holds a run is only reused with
``--resume`` (continue from its checkpoint) or ``--overwrite``.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
from typing import Any

from playground.cli import UserError


def register(subparsers: Any) -> None:
    train = subparsers.add_parser("train", help="train a model")
    train_sub = train.add_subparsers(dest="model", metavar="MODEL", required=True)
    gan = train_sub.add_parser("gan", help="train a GAN on a bundled dataset")
    gan.add_argument("--dataset", required=True, help="bundled dataset name, e.g. mnist-5k or toy-ring")
    gan.add_argument("--labels", help="keep only these label names, comma-separated (the data diet)")
    gan.add_argument("--conditional", action="store_true", help="class-conditional G and D")
    gan.add_argument("--steps", type=int, help="generator steps (default: the preset's)")
    gan.add_argument("--seed", type=int, default=0)
    gan.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    gan.add_argument("--preset", help="tiny, small, default or points (default: points for 2D data, else default)")
    gan.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    gan.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="any other GAN setting, e.g. --set info_codes=0 --set lr_decay=false (repeatable)")
    gan.add_argument("--out", required=True, help="run folder for the checkpoint and metrics.jsonl")
    again = gan.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    again.add_argument("--overwrite", action="store_true", help="start the run in --out again from step 0")
    gan.set_defaults(func=run_train_gan)

    generate = subparsers.add_parser("generate", help="sample from a trained model")
    gen_sub = generate.add_subparsers(dest="model", metavar="MODEL", required=True)
    ggan = gen_sub.add_parser("gan", help="sample images from a GAN checkpoint")
    ggan.add_argument("--checkpoint", required=True, help="a checkpoint or run folder")
    ggan.add_argument("--n", type=int, default=64, help="how many samples")
    ggan.add_argument("--label", help="class (name or index) for a conditional model")
    ggan.add_argument("--code", type=int, help="InfoGAN code for every sample (a model trained with codes)")
    ggan.add_argument("--seed", type=int, default=0)
    ggan.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    ggan.add_argument("--out", required=True, help="output .npz ('images' uint8 N x H x W [x C])")
    ggan.set_defaults(func=run_generate_gan)


def _load(name: str, labels: str | None) -> tuple[Any, list[str] | None]:
    """The bundled dataset and the label names to keep (checked against the data)."""
    from playground.core.data.bundled import load_bundled

    try:
        dataset = load_bundled(name)
    except (KeyError, ValueError, FileNotFoundError) as exc:
        raise UserError(f"cannot load dataset {name!r}: {exc}") from None
    if dataset.modality not in ("image", "points"):
        raise UserError(f"a GAN trains on images or 2D points; {name} is {dataset.modality}")
    if labels is None:
        return dataset, None
    names = [s.strip() for s in labels.split(",") if s.strip()]
    if not names:
        raise UserError(f"--labels {labels!r} names no label; {name} has {', '.join(dataset.label_names)}")
    unknown = [n for n in names if n not in list(dataset.label_names)]
    if unknown:
        raise UserError(f"{name} has no label(s) {', '.join(unknown)}; it has {', '.join(dataset.label_names)}")
    return dataset, names


def check_threads(threads: int) -> int:
    """``--threads``: 0 (one per core) up to the number of cores."""
    import os

    cores = os.cpu_count() or 1
    if not 0 <= threads <= cores:
        raise UserError(f"--threads must be between 0 (one per core) and {cores}, the cores this machine has; "
                        f"got {threads}")
    return threads


def _fmt_time(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s"


def _line(step: int, total: int, v: dict[str, float]) -> str:
    parts = [f"step {step}/{total}"]
    for key, label in (("d_loss", "d_loss"), ("g_loss", "g_loss"), ("d_real", "D(x)"), ("d_fake", "D(G(z))")):
        if key in v:
            parts.append(f"{label} {v[key]:.3f}")
    if "steps_per_s" in v and math.isfinite(v["steps_per_s"]):
        parts.append(f"{v['steps_per_s']:.1f} steps/s")
    if "eta" in v:
        parts.append(f"eta {_fmt_time(v['eta'])}")
    if "diversity" in v:
        parts.append(f"diversity {v['diversity']:.2f}")
    return "  ".join(parts)


def run_train_gan(args: argparse.Namespace) -> int:
    from playground.cli.outputs import run_folder
    from playground.core.atomic import write_text_atomic
    from playground.core.config_fields import parse_assignments
    from playground.core.jobs import JobCancelled, JobControl, Metrics, Status
    from playground.core.training.checkpoint import RUN_FILE
    from playground.core.training.gan_config import GANConfig
    from playground.core.training.gan_session import gan_session_job

    dataset, labels = _load(args.dataset, args.labels)
    preset = args.preset or ("points" if dataset.modality == "points" else "default")
    overrides: dict[str, Any] = {"seed": args.seed, "device": args.device, "conditional": args.conditional,
                                 "cpu_threads": check_threads(args.threads)}
    if args.steps is not None:
        overrides["steps"] = args.steps
    try:
        overrides.update(parse_assignments(GANConfig, args.set, what="GAN setting"))
        config = GANConfig.preset(preset, **overrides)
    except (TypeError, ValueError) as exc:
        raise UserError(str(exc)) from None
    out = run_folder(args.out, resume=args.resume, overwrite=args.overwrite)
    control = JobControl()
    total = config.steps
    try:
        write_text_atomic(out / RUN_FILE, json.dumps({"family": "gan", "dataset": args.dataset, "labels": labels,
                                                      "config": config.to_dict()}, indent=1))
        # The same session as the Train tab, without the judging classifier.
        gen = gan_session_job(dataset, config, labels=labels, out_dir=out, judge=False,
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
                    print(_line(event.step, total, dict(event.values)), flush=True)
                elif isinstance(event, Status):
                    print(f"[{event.level}] {event.message}", file=sys.stderr, flush=True)
                    if event.level == "error" and control.paused:
                        raise UserError(event.message)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write the run to {out}: {exc.strerror or exc}") from None
    except JobCancelled:  # pragma: no cover - nothing cancels the CLI's job
        return 130
    print(f"done: {result.step} steps in {_fmt_time(result.elapsed_s)}; checkpoint {result.checkpoint}", flush=True)
    return 0


def run_generate_gan(args: argparse.Namespace) -> int:
    import numpy as np

    from playground.cli.outputs import output_file, write_output
    from playground.core.generators.gan_generator import GANRequest, load
    from playground.core.training.checkpoint import CheckpointError

    if args.n < 1:
        raise UserError("--n must be at least 1")
    out = output_file(args.out, (".npz",))
    try:
        gen = load(args.checkpoint, args.device)
    except CheckpointError as exc:
        raise UserError(str(exc)) from None
    except ValueError as exc:
        raise UserError(str(exc)) from None
    _check_fits(args.n, gen.item_bytes())
    label = None
    if args.label is not None:
        if args.label in gen.label_names:
            label = gen.label_names.index(args.label)
        elif args.label.lstrip("-").isdigit():
            label = int(args.label)
        else:
            raise UserError(f"unknown label {args.label!r}; this model knows {', '.join(gen.label_names)}")
    try:
        result = gen.generate(GANRequest(n=args.n, label=label, seed=args.seed, code=args.code))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    arrays: dict[str, Any] = {}
    if result.points is not None:
        arrays["points"] = result.points
    else:
        images = result.images
        arrays["images"] = images[..., 0] if images.shape[-1] == 1 else images  # N x H x W for greyscale
    if result.labels is not None:
        arrays["labels"] = result.labels
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    write_output(out, buf.getvalue())
    shape = " x ".join(str(v) for v in next(iter(arrays.values())).shape)
    print(f"wrote {out}: {shape}")
    return 0


def _check_fits(n: int, item_bytes: int) -> None:
    """Refuse a count whose output cannot fit in memory (the file is built in memory)."""
    need = n * item_bytes
    available = _available_bytes()
    if need > available // 2:
        raise UserError(f"--n {n:,} would need {_size(need)} for the samples; this machine has {_size(available)} "
                        f"free, so ask for at most {max(1, available // 2 // item_bytes):,}")


def _available_bytes() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 4 * 2**30  # unknown: assume a small machine


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1024 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} PB"
