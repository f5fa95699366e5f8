"""The GAN family from the command line: ``train gan`` and ``generate gan``.

    python -m playground train gan --dataset mnist-5k --steps 2000 --out runs/gan
    python -m playground generate gan --checkpoint runs/gan --n 64 --seed 1 --out samples.npz

``train gan`` prepares the bundled dataset with its default pipeline (keeping
only ``--labels`` if given) and trains; see ``playground.cli.training`` for
what a run writes and prints. Output paths are checked before any work
(``playground.cli.outputs``) and written atomically.
"""

from __future__ import annotations

import argparse
import io
from typing import Any

from playground.cli import Commands, UserError
from playground.cli.generating import check_fits, load_model
from playground.cli.training import add_run_arguments, build_settings, load_dataset, run_training


def register(commands: Commands) -> None:
    gan = commands.verb("train").add_parser("gan", help="train a GAN on a bundled dataset")
    add_run_arguments(gan, family="GAN", example="mnist-5k or toy-ring",
                      presets="tiny, small, default or points (default: points for 2D data, else default)")
    gan.add_argument("--labels", help="keep only these label names, comma-separated (the data diet)")
    gan.add_argument("--conditional", action="store_true", help="class-conditional G and D")
    gan.set_defaults(func=run_train_gan)
    ggan = commands.verb("generate").add_parser("gan", help="sample images from a GAN checkpoint")
    ggan.add_argument("--checkpoint", required=True, help="a checkpoint or run folder")
    ggan.add_argument("--n", type=int, default=64, help="how many samples")
    ggan.add_argument("--label", help="class (name or index) for a conditional model")
    ggan.add_argument("--code", type=int, help="InfoGAN code for every sample (a model trained with codes)")
    ggan.add_argument("--seed", type=int, default=0)
    ggan.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    ggan.add_argument("--out", required=True, help="output .npz ('images' uint8 N x H x W [x C])")
    ggan.set_defaults(func=run_generate_gan)


def _labels(dataset: Any, labels: str | None) -> list[str] | None:
    """The label names to keep (checked against the data)."""
    if labels is None:
        return None
    names = [s.strip() for s in labels.split(",") if s.strip()]
    if not names:
        raise UserError(f"--labels {labels!r} names no label; {dataset.name} has {', '.join(dataset.label_names)}")
    unknown = [n for n in names if n not in list(dataset.label_names)]
    if unknown:
        raise UserError(f"{dataset.name} has no label(s) {', '.join(unknown)}; it has {', '.join(dataset.label_names)}")
    return names


def run_train_gan(args: argparse.Namespace) -> int:
    from playground.core import families
    from playground.core.preprocess.prepared import MODALITY_KINDS

    family = families.get("gan")
    dataset = load_dataset(args.dataset, ("image", "points"), "a GAN trains on images or 2D points")
    labels = _labels(dataset, args.labels)
    settings = build_settings(family, args, MODALITY_KINDS[dataset.modality], conditional=args.conditional)
    return run_training(family, dataset, settings, args, labels=labels)


def run_generate_gan(args: argparse.Namespace) -> int:
    import numpy as np

    from playground.cli.outputs import output_file, write_output
    from playground.core.generators.gan_generator import GANRequest

    if args.n < 1:
        raise UserError("--n must be at least 1")
    out = output_file(args.out, (".npz",))
    gen = load_model(args.checkpoint, args.device, "gan")
    check_fits(args.n, gen.item_bytes())
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
