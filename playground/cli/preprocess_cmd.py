"""``python -m playground preprocess``: apply a pipeline, or print the default one.

    python -m playground preprocess --dataset mnist-5k --default-pipeline > p.json
    python -m playground preprocess --dataset mnist-5k --pipeline p.json --json

NAME is a bundled dataset (see ``datasets list``) or a path to your own file or folder.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from playground.cli import Commands, UserError


def register(commands: Commands) -> None:
    subparsers = commands.top
    parser = subparsers.add_parser("preprocess", help="apply a preprocessing pipeline to a dataset")
    parser.add_argument("--dataset", required=True, metavar="NAME",
                        help="a bundled dataset name, or a path to your own file or folder")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--pipeline", metavar="FILE.json", help="the pipeline to apply (a saved pipeline file)")
    what.add_argument("--default-pipeline", action="store_true",
                      help="print the default pipeline for the dataset, in the file format")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=_run)


def load_dataset(name: str) -> Any:
    """A bundled dataset by name, else the user's file or folder at that path."""
    if Path(name).exists():
        from playground.core.data.user_data import load_path

        try:
            return load_path(name)
        except ValueError as exc:
            raise UserError(str(exc).splitlines()[0]) from None
    from playground.core.data.bundled import load_bundled

    try:
        return load_bundled(name)
    except (KeyError, ValueError, OSError) as exc:
        message = str(exc.args[0] if exc.args else exc)
        raise UserError(" ".join(message.split())) from None


def _run(args: argparse.Namespace) -> int:
    from playground.core.preprocess import Pipeline, default_pipeline, prepare

    dataset = load_dataset(args.dataset)
    if args.default_pipeline:
        print(default_pipeline(dataset).to_json())
        return 0
    try:
        pipeline = Pipeline.load(args.pipeline)
        _, report = prepare(dataset, pipeline)
    except ValueError as exc:
        raise UserError(" ".join(str(exc).split())) from None
    data = report.to_dict()
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    noun = "characters" if report.modality == "text" else "items"
    print(f"{report.dataset}: {report.items_in:,} {noun} in, {report.items_out:,} out ({report.seconds:.2f} s)")
    for step in report.steps:
        state = "" if step.enabled else " (disabled)"
        notes = f"  {'; '.join(step.notes)}" if step.notes and step.enabled else ""
        print(f"  {step.title:<24} removed {step.removed:>7,}  changed {step.changed:>7,}{state}{notes}")
    if report.tokens is not None:
        print(f"  {report.tokens:,} tokens, vocabulary {report.vocab_size}, "
              f"{report.chars_per_token} characters per token")
    for note in report.notes:
        print(f"  note: {note}", file=sys.stderr)
    return 0
