"""``train <family>``: training from the command line, the same session as the Train tab.

    python -m playground train gan --dataset mnist-5k --steps 2000 --out runs/gan

``train gan`` prepares the bundled dataset with its default pipeline (keeping
only ``--labels`` if given) and trains; see ``playground.cli.training`` for
what a run writes and prints.
"""

from __future__ import annotations

import argparse
from typing import Any

from playground.cli import UserError
from playground.cli.training import add_run_arguments, build_settings, load_dataset, run_training


def register(subparsers: Any) -> None:
    train = subparsers.add_parser("train", help="train a model")
    train_sub = train.add_subparsers(dest="model", metavar="MODEL", required=True)
    gan = train_sub.add_parser("gan", help="train a GAN on a bundled dataset")
    add_run_arguments(gan, family="GAN", example="mnist-5k or toy-ring",
                      presets="tiny, small, default or points (default: points for 2D data, else default)")
    gan.add_argument("--labels", help="keep only these label names, comma-separated (the data diet)")
    gan.add_argument("--conditional", action="store_true", help="class-conditional G and D")
    gan.set_defaults(func=run_train_gan)
    text = train_sub.add_parser("text", help="train a GPT on a bundled text")
    add_run_arguments(text, family="GPT", example="shakespeare or first-names",
                      presets="tiny, default (2 CPU cores), long, names or cuda (default: default)")
    text.add_argument("--tokenizer", choices=("char", "word", "bpe"), default="char",
                      help="characters (the default), words, or byte-level BPE")
    text.add_argument("--vocab-size", type=int, default=512, help="vocabulary size for word and bpe tokens")
    text.set_defaults(func=run_train_text)


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


def run_train_text(args: argparse.Namespace) -> int:
    from playground.core import families
    from playground.core.preprocess import default_pipeline, make_step

    family = families.get("gpt")
    dataset = load_dataset(args.dataset, ("text",), "a GPT trains on text")
    pipeline = default_pipeline(dataset)
    try:
        tokenise = make_step("text", "tokenise", kind=args.tokenizer, vocab_size=args.vocab_size)
    except ValueError as exc:
        raise UserError(f"--tokenizer {args.tokenizer} --vocab-size {args.vocab_size}: {exc}") from None
    pipeline = pipeline.replaced(len(pipeline.steps) - 1, tokenise)
    settings = build_settings(family, args, frozenset({"tokens"}))
    return run_training(family, dataset, settings, args, pipeline=pipeline,
                        run_info={"tokenizer": args.tokenizer, "vocab_size": args.vocab_size})
