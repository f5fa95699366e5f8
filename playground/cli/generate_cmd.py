"""``generate <family>``: samples from a trained model, from the command line.

    python -m playground generate gan --checkpoint runs/gan --n 64 --seed 1 --out samples.npz

Output paths are checked before any work (``playground.cli.outputs``) and
written atomically.
"""

from __future__ import annotations

import argparse
import io
import sys
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
    gtext = gen_sub.add_parser("text", help="continue a prompt with a GPT (the bundled Shakespeare model by default)")
    gtext.add_argument("--prompt", required=True, help="the text to continue")
    gtext.add_argument("--checkpoint", default="shakespeare", help="a checkpoint or run folder, or a bundled model's name")
    gtext.add_argument("--max-tokens", type=int, default=200, help="tokens to add")
    gtext.add_argument("--temperature", type=float, default=0.8)
    gtext.add_argument("--top-k", type=int, default=0, help="keep only the k most likely tokens (0: all)")
    gtext.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling: keep the most likely tokens up to p")
    gtext.add_argument("--seed", type=int, default=0, help="the same seed gives the same text")
    gtext.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    gtext.add_argument("--out", help="also save prompt and text with a receipt (a .txt file) for 'verify'")
    gtext.set_defaults(func=run_generate_text)

    evaluate = subparsers.add_parser("eval", help="measure a trained model")
    eval_sub = evaluate.add_subparsers(dest="model", metavar="MODEL", required=True)
    etext = eval_sub.add_parser("text", help="a GPT's loss on a text file, in nats per character")
    etext.add_argument("--checkpoint", default="shakespeare", help="a checkpoint or run folder, or a bundled model's name")
    etext.add_argument("--file", required=True, help="a text file (UTF-8, or cp1252/Latin-1 as the app reads them)")
    etext.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    etext.add_argument("--json", action="store_true", help="print only the JSON object")
    etext.set_defaults(func=run_eval_text)

    verify = subparsers.add_parser("verify", help="regenerate a saved output from its receipt: is it identical?")
    verify.add_argument("file", help="a text, PNG or WAV saved with a receipt")
    verify.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    verify.set_defaults(func=run_verify)


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


def run_generate_text(args: argparse.Namespace) -> int:
    from playground.cli.outputs import output_file, write_output
    from playground.core.families.generators import text_receipt
    from playground.core.generators.receipts import text_with_receipt
    from playground.core.generators.text_generator import TextRequest

    out = output_file(args.out, (".txt",)) if args.out is not None else None
    try:
        request = TextRequest(args.prompt, args.max_tokens, args.temperature, args.top_k, args.top_p, args.seed)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    gen = load_model(args.checkpoint, args.device, "gpt")
    try:
        result = gen.generate(request)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if result.unknown:
        shown = ", ".join(repr(ch) for ch in result.unknown[:10])
        print(f"note: this model's tokenizer does not know {shown}: the model saw them as 'unknown'", file=sys.stderr)
    print(result.text)
    if out is not None:
        receipt = text_receipt(args.checkpoint, gen, result)
        write_output(out, text_with_receipt(receipt, args.prompt, result.text).encode("utf-8"))
        print(f"saved {out} with its receipt", file=sys.stderr)
    return 0


def run_eval_text(args: argparse.Namespace) -> int:
    import json

    from playground.core.data.user_data import DataError, load_path

    gen = load_model(args.checkpoint, args.device, "gpt")
    try:
        dataset = load_path(args.file)
    except DataError as exc:
        raise UserError(str(exc)) from None
    if dataset.modality != "text":
        raise UserError(f"{args.file} is not a text file ({dataset.modality})")
    try:
        nats, chars, unknown = gen.nats_per_char(gen.clean(dataset.text))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    figures = {"nats_per_char": round(nats, 4), "characters": chars, "unknown_characters": unknown}
    if not args.json:
        print(f"{args.file}: {nats:.3f} nats per character over {chars:,} characters ({unknown:,} unknown)")
    else:
        print(json.dumps(figures))
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from pathlib import Path

    from playground.core.families.generators import verify_text

    path = Path(args.file)
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path}: {exc}") from None
    try:
        verdict = verify_text(content, args.device)
    except ValueError as exc:
        raise UserError(f"{path}: {exc}") from None
    print(verdict.message)
    return 0 if verdict.identical else 1
