"""``generate <family>``: samples from a trained model, from the command line.

    python -m playground generate gan --checkpoint runs/gan --n 64 --seed 1 --out samples.npz

Output paths are checked before any work (``playground.cli.outputs``) and
written atomically.
"""

from __future__ import annotations

import argparse
import io
from typing import Any

from playground.cli import UserError


def register(subparsers: Any) -> None:
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


def load_model(path: str, device: str, family: str) -> Any:
    """The generator of a checkpoint, which must be of ``family``; UserError otherwise."""
    from playground.core.families.generators import load_generator

    try:
        generator = load_generator(path, device)
    except ValueError as exc:  # CheckpointError included
        raise UserError(str(exc)) from None
    if generator.family != family:
        raise UserError(f"{path} holds a {generator.family} model; 'generate {family}' needs a {family} checkpoint")
    return generator


def run_generate_gan(args: argparse.Namespace) -> int:
    import numpy as np

    from playground.cli.outputs import output_file, write_output
    from playground.core.generators.gan_generator import GANRequest

    if args.n < 1:
        raise UserError("--n must be at least 1")
    out = output_file(args.out, (".npz",))
    gen = load_model(args.checkpoint, args.device, "gan")
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
