"""Command line: ``python -m playground <command> ...``.

Each module has a ``register(commands)`` function that adds its parsers and
sets ``func``; ``func(args)`` returns the exit code. A model family's module
adds itself under the shared verbs (``commands.verb("train")`` gives the
``train`` command's subparsers), so ``train gan`` and ``train text`` live in
their families' modules. A ``UserError`` becomes a one-line message on stderr
and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

COMMAND_MODULES = (
    "playground.cli.datasets_cmd",
    "playground.cli.preprocess_cmd",
    "playground.cli.gan_cmd",
    "playground.cli.text_cmd",
    "playground.cli.diffusion_cmd",
    "playground.cli.verify_cmd",
    "playground.cli.build_cmd",
    "playground.cli.screenshot_cmd",
    "playground.cli.bench_cmd",
)
VERBS = {  # shared commands whose subcommands the families add
    "train": "train a model on a bundled dataset",
    "generate": "sample from a trained model",
    "eval": "measure a trained model",
    "bench": "measure speed (prints JSON figures)",
    "calibrate": "fit a trained model's confidence to text it never saw",
}


class UserError(Exception):
    """A problem with the user's input: printed as one line, exit code 2."""


class Commands:
    """What a command module registers into: top-level commands and the shared verbs."""

    def __init__(self, subparsers: argparse._SubParsersAction) -> None:
        self.top = subparsers
        self._verbs: dict[str, argparse._SubParsersAction] = {}

    def verb(self, name: str) -> argparse._SubParsersAction:
        """The subparsers of the shared command ``name`` ("train", "generate", "eval", "bench")."""
        if name not in self._verbs:
            parser = self.top.add_parser(name, help=VERBS[name])
            self._verbs[name] = parser.add_subparsers(dest=f"{name}_what", metavar="WHAT", required=True)
        return self._verbs[name]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m playground",
        description="Generative AI Playground: datasets, preprocessing, training and generation.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.add_parser("gui", help="start the app (the default)")
    commands = Commands(subparsers)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # a command not written yet
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Before torch is imported: idle OpenMP threads sleep instead of spinning,
    # so a busy GUI thread and a training loop can share two cores.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in (None, "gui"):
        from playground.app import run_app

        return run_app()
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``... | head``): stop quietly. Point stdout at
        # /dev/null so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
