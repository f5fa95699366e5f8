"""``verify FILE``: regenerate a saved output from its receipt and say whether it is identical."""

from __future__ import annotations

import argparse

from playground.cli import Commands, UserError


def register(commands: Commands) -> None:
    verify = commands.top.add_parser("verify", help="regenerate a saved output from its receipt: is it identical?")
    verify.add_argument("file", help="a text, PNG or WAV saved with a receipt")
    verify.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    verify.set_defaults(func=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    from playground.core.families.generators import verify_file

    try:
        verdict = verify_file(args.file, args.device)
    except ValueError as exc:
        raise UserError(f"{args.file}: {exc}") from None
    print(verdict.message)
    return 0 if verdict.identical else 1
