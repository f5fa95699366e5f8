"""The GPT family from the command line: ``train text``, ``generate text``, ``eval text``, ``calibrate text``.

    python -m playground train text --dataset shakespeare --minutes 2 --out runs/gpt
    python -m playground generate text --prompt "ROMEO:" --seed 1
    python -m playground eval text --file play.txt --json
    python -m playground calibrate text --checkpoint runs/gpt
"""

from __future__ import annotations

import argparse
import sys

from playground.cli import Commands, UserError
from playground.cli.generating import load_model
from playground.cli.training import add_run_arguments, build_settings, load_dataset, run_training


def register(commands: Commands) -> None:
    text = commands.verb("train").add_parser("text", help="train a GPT on a bundled text")
    add_run_arguments(text, family="GPT", example="shakespeare or first-names",
                      presets="tiny, default (2 CPU cores), long, names or cuda (default: default)")
    text.add_argument("--tokenizer", choices=("char", "word", "bpe"), default="char",
                      help="characters (the default), words, or byte-level BPE")
    text.add_argument("--vocab-size", type=int, default=512, help="vocabulary size for word and bpe tokens")
    text.set_defaults(func=run_train_text)
    gtext = commands.verb("generate").add_parser("text", help="continue a prompt with a GPT (the bundled Shakespeare model by default)")
    gtext.add_argument("--prompt", required=True, help="the text to continue")
    gtext.add_argument("--checkpoint", default="shakespeare", help="a checkpoint or run folder, or a bundled model's name")
    gtext.add_argument("--max-tokens", type=int, default=200, help="tokens to add")
    gtext.add_argument("--temperature", type=float,
                       help="below 1 safer, above 1 more surprising, 0 greedy (default: the model's own, 0.8 unless "
                            "calibration changed it)")
    gtext.add_argument("--top-k", type=int, default=0, help="keep only the k most likely tokens (0: all)")
    gtext.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling: keep the most likely tokens up to p")
    gtext.add_argument("--seed", type=int, default=0, help="the same seed gives the same text")
    gtext.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    gtext.add_argument("--out", help="also save prompt and text with a receipt (a .txt file) for 'verify'")
    gtext.set_defaults(func=run_generate_text)

    etext = commands.verb("eval").add_parser("text", help="a GPT's loss on a text file, in nats per character")
    etext.add_argument("--checkpoint", default="shakespeare", help="a checkpoint or run folder, or a bundled model's name")
    etext.add_argument("--file", required=True, help="a text file (UTF-8, or cp1252/Latin-1 as the app reads them)")
    etext.add_argument("--stride", type=int, help="score in windows moved this many tokens at a time (default: the "
                       "model's context, windows that do not overlap; smaller gives each character more context)")
    etext.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    etext.add_argument("--json", action="store_true", help="print only the JSON object")
    etext.set_defaults(func=run_eval_text)
    ctext = commands.verb("calibrate").add_parser(
        "text", help="divide a GPT's logits by the temperature that fits its validation split best, in place "
                     "(an overfit model is too sure of itself on text it never saw)")
    ctext.add_argument("--checkpoint", required=True,
                       help="a checkpoint or run folder (rewritten in place), or with --out also a bundled model's name")
    ctext.add_argument("--out", help="write a calibrated copy to this new folder instead, leaving the model as it is")
    ctext.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    ctext.add_argument("--json", action="store_true", help="print only the JSON object")
    ctext.set_defaults(func=run_calibrate_text)
    btext = commands.verb("bench").add_parser("text", help="GPT training and generation speed, and the time the "
                                                            "default preset takes to reach 1.88 nats per character")
    btext.add_argument("--checkpoint", default="shakespeare", help="the model to time generation with")
    btext.add_argument("--dataset", default="shakespeare", help="the text to train on")
    btext.add_argument("--tokens", type=int, default=500, help="tokens to generate, with and without the cache")
    btext.add_argument("--rounds", type=int, default=5, help="alternating rounds of each; the medians are reported")
    btext.add_argument("--target", type=float, default=1.88, help="validation nats per character to reach")
    btext.add_argument("--skip-target", action="store_true", help="only the speeds (seconds, not minutes)")
    btext.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    btext.add_argument("--json", action="store_true", help="print only the JSON object")
    btext.set_defaults(func=run_bench_text)


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


def run_generate_text(args: argparse.Namespace) -> int:
    import dataclasses

    from playground.cli.outputs import output_file, write_output
    from playground.core.families.generators import text_receipt
    from playground.core.generators.receipts import text_with_receipt
    from playground.core.generators.text_generator import TextRequest

    out = output_file(args.out, (".txt",)) if args.out is not None else None
    try:
        request = TextRequest(args.prompt, args.max_tokens, 0.8 if args.temperature is None else args.temperature,
                              args.top_k, args.top_p, args.seed)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    gen = load_model(args.checkpoint, args.device, "gpt")
    if args.temperature is None:  # the model's own
        request = dataclasses.replace(request, temperature=gen.config.sample_temperature)
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
        nats, chars, unknown = gen.nats_per_char(gen.clean(dataset.text), args.stride)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    figures = {"nats_per_char": round(nats, 4), "characters": chars, "unknown_characters": unknown,
               "stride": args.stride or gen.config.block_size}
    if not args.json:
        print(f"{args.file}: {nats:.3f} nats per character over {chars:,} characters ({unknown:,} unknown)")
    else:
        print(json.dumps(figures))
    return 0


def run_calibrate_text(args: argparse.Namespace) -> int:
    import dataclasses
    import json

    from playground.core.device import resolve_device
    from playground.core.generators.text_calibration import calibrate_copy, calibrate_text

    try:
        device = resolve_device(args.device)
        if args.out is not None:
            result = calibrate_copy(args.checkpoint, args.out, device)
        else:
            result = calibrate_text(args.checkpoint, device)
    except ValueError as exc:  # CheckpointError included
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write the calibrated checkpoint to {args.out or args.checkpoint}: {exc}") from None
    figures = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in dataclasses.asdict(result).items()}
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"{args.out or args.checkpoint}: logits divided by {result.temperature:.3f}; validation {result.before:.4f} -> "
          f"{result.after:.4f} nats per character over {result.characters:,} characters ({result.cross_fitted:.4f} "
          "with each half at the temperature fitted on the other)")
    return 0


def run_bench_text(args: argparse.Namespace) -> int:
    """Training and generation speed of the GPT family, and how long the default preset takes to 1.88."""
    import json
    import time

    from playground.core import families
    from playground.core.data.bundled import load_bundled
    from playground.core.events import Metrics
    from playground.core.families.session import session_job
    from playground.core.generators.text_generator import TextRequest
    from playground.core.jobs import JobControl, run_to_end
    from playground.core.preprocess import default_pipeline, prepare
    from playground.core.training.bench import bare_steps_per_s

    family = families.get("gpt")
    dataset = load_bundled(args.dataset)
    data = prepare(dataset, default_pipeline(dataset))[0]
    settings = family.fit(family.preset("default", device=args.device), data)
    tokens_per_step = settings.run.batch_size * settings.model.block_size
    # Generation first: right after a training run its first rounds ran up to half as fast (357 and 521
    # tokens/s, then 674-752, against 671-820 before training, one process), which would time the
    # aftermath of training rather than generation.
    gen = load_model(args.checkpoint, args.device, "gpt")
    request = TextRequest("ROMEO:", max_tokens=args.tokens, temperature=0.8, seed=1)
    gen.generate(TextRequest("ROMEO:", max_tokens=20))  # warm-up
    from statistics import median

    from playground.core.models.gpt_sampling import generate_tokens

    timings: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.rounds):  # alternating, so a noisy neighbour slows both alike
        for cache in (True, False):
            t0 = time.perf_counter()
            generate_tokens(gen.model, gen.tokenizer.encode(request.prompt), request.max_tokens, request.sampling(),
                            request.seed, use_cache=cache)
            timings[cache].append(request.max_tokens / (time.perf_counter() - t0))
    speeds = {cache: median(rates) for cache, rates in timings.items()}
    rate = bare_steps_per_s(lambda device: family.make_trainer(settings, data, device, {}), args.device, steps=60)
    figures: dict[str, object] = {
        "train_tokens_per_s": round(rate * tokens_per_step), "train_steps_per_s": round(rate, 2),
        "generate_tokens_per_s": round(speeds[True], 1), "generate_tokens_per_s_nocache": round(speeds[False], 1),
        "cache_speedup": round(speeds[True] / speeds[False], 2), "generated_tokens": request.max_tokens,
        "generate_rounds": args.rounds,
        "generate_model": str(args.checkpoint),
    }
    if not args.skip_target:
        control, seen = JobControl(), []

        def on_event(event: object) -> None:
            if isinstance(event, Metrics) and "val_nats_per_char" in event.values:
                seen.append((event.values["elapsed"], event.step, event.values["val_nats_per_char"]))
                if event.values["val_nats_per_char"] <= args.target:
                    control.stop()

        run_to_end(session_job(family, dataset, settings.replace(samples_every=50, checkpoint_every=0, snapshots=False),
                               extras=False), on_event, control)
        hit = next((s for s in seen if s[2] <= args.target), None)
        figures.update({
            f"seconds_to_{args.target:g}".replace(".", "_"): None if hit is None else round(hit[0], 1),
            "steps_to_target": None if hit is None else hit[1], "target_nats_per_char": args.target,
            "best_val_nats_per_char": round(min(s[2] for s in seen), 3) if seen else None,
        })
    print(json.dumps(figures, indent=None if args.json else 2))
    return 0
