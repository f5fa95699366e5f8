"""``build-model NAME``: train a bundled model with its recorded recipe and ship it into ``assets/models/``.

    python -m playground build-model shakespeare

Each recipe is an ordinary ``train`` command (the app's own CLI, a fixed
seed); the run is written to ``--work`` (default ``runs/build-NAME``), then
slimmed (``playground.core.runs.release``: float16 weights, no optimiser, a
few snapshots) into ``assets/models/NAME``, and ``assets/models/index.json``
records the command and how long it took. A recipe with ``calibrate`` then has the
shipped copy calibrated (``calibrate text``: one temperature fitted on its
validation split, folded into its weights).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import date
from pathlib import Path

from playground.cli import Commands, UserError

# Default sampling of the shipped image models, chosen by judging them (README, "Images from a prompt"): the
# DiffusionConfig defaults, written into models first trained with 20 DDIM steps at guidance 4.
FAST_SAMPLING = {"sampler": "dpm++2m", "sample_steps": 11, "guidance": 5.0, "guidance_until": 0.3}
# The digits' guidance can stop sooner: above 60% noise only, the judge's digits stay as right (99.2%, the 9s 94%
# against 93%) and 16 come about a tenth sooner (5 guided steps of 11 instead of 8).
DIGITS_SAMPLING = {**FAST_SAMPLING, "guidance_until": 0.6}
# The sound model's, chosen by judging it (README, "Sound from a prompt"): the stochastic sampler keeps the
# instruments' timbre where the deterministic ones smear it (a timbre classifier named the asked instrument on
# 46% of the notes, against 18% with DPM-Solver++ in 11 steps), and 50 steps fit the 2 s a clip may take.
SOUND_SAMPLING = {"sampler": "ddpm", "sample_steps": 50, "guidance": 5.0, "guidance_until": 0.3}

RECIPES: dict[str, dict] = {
    "shakespeare": {
        "family": "gpt", "dataset": "shakespeare", "title": "Shakespeare (GPT, characters)",
        "train": ["train", "text", "--dataset", "shakespeare", "--preset", "long", "--seed", "0"],
        "steps": 7000,  # the preset's; then 2,000 more with twice the context (README: 1.568 to 1.563 held out)
        "then": [{"steps": 2000, "set": ["block_size=256", "batch_size=16", "lr=1e-3", "lr_schedule=cosine",
                                         "warmup_steps=100"]}],
        # It overfits (training loss near 1.20, validation 1.56): shipped with its logits divided by the temperature
        # that fits its validation split (README: 1.563 to 1.510; 1.513 with each half fitted on the other).
        "calibrate": True,
    },
    "names": {
        "family": "gpt", "dataset": "first-names", "title": "First names (GPT, characters)",
        "train": ["train", "text", "--dataset", "first-names", "--preset", "names", "--seed", "0"],
    },
    "digits": {
        "family": "diffusion", "dataset": "mnist-5k", "title": "Handwritten digits (diffusion, 28x28)",
        "train": ["train", "diffusion", "--dataset", "mnist-5k", "--preset", "digits", "--seed", "0"],
        "networks": ("ema",),  # generation draws with the averaged weights; the raw ones would double the size
        "sampling": DIGITS_SAMPLING,
    },
    "emoji": {
        "family": "diffusion", "dataset": "emoji-32", "title": "Emoji (diffusion, 32x32 colour)",
        "train": ["train", "diffusion", "--dataset", "emoji-32", "--preset", "emoji", "--seed", "0"],
        "networks": ("ema",),
        "sampling": FAST_SAMPLING,
    },
    "instruments": {
        "family": "diffusion", "dataset": "instrument-notes", "title": "Instrument notes (diffusion, log-mel spectrograms)",
        "train": ["train", "diffusion", "--dataset", "instrument-notes", "--preset", "instruments", "--seed", "0"],
        "steps": 3000,  # the preset's; then 2,000 more on a fresh, lower cosine schedule (README: the timbre rose)
        "then": [{"steps": 2000, "set": ["lr=1e-3", "lr_schedule=cosine", "warmup_steps=100"]}],
        "networks": ("ema",),
        "sampling": SOUND_SAMPLING,
    },
}


def register(commands: Commands) -> None:
    build = commands.top.add_parser("build-model", help="train a bundled model with its recipe into assets/models")
    build.add_argument("name", choices=sorted(RECIPES), help="which bundled model")
    build.add_argument("--work", help="run folder for the training (default: runs/build-NAME)")
    build.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: one per core)")
    build.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    build.add_argument("--resume", action="store_true",
                       help="continue an interrupted build from the checkpoint in --work instead of starting again")
    build.add_argument("--release-only", action="store_true",
                       help="no training: ship the finished build in --work again (after a recipe's sampling "
                            "defaults changed); the index keeps the build's wall time")
    build.set_defaults(func=run_build)


def run_build(args: argparse.Namespace) -> int:
    from playground.cli import main
    from playground.core import families
    from playground.core.paths import assets_dir
    from playground.core.runs.checkpoint import RUN_FILE, read_meta
    from playground.core.runs.release import release

    recipe = RECIPES[args.name]
    work = Path(args.work or Path("runs") / f"build-{args.name}")
    options = ["--threads", str(args.threads), "--device", args.device, "--out", str(work)]
    base = [*recipe["train"], *options]
    resumed_at = None
    if args.release_only:
        if not (work / "checkpoint").is_dir():
            raise UserError(f"--release-only: {work} holds no finished build; build it first")
        commands = []
    elif args.resume:  # finish the recipe's steps on its own schedules, as if the build had not stopped
        try:
            resumed_at = read_meta(work / "checkpoint")["step"]
            config = json.loads((work / RUN_FILE).read_text(encoding="utf-8"))["config"]
            first = recipe.get("steps") or config["steps"] + config.get("schedule_done", 0)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UserError(f"--resume: {work} holds no readable checkpoint and run.json ({exc})") from None
        commands = resume_commands(base, first, recipe.get("then", []), resumed_at)
        if not commands:
            total = first + sum(stage["steps"] for stage in recipe.get("then", []))
            raise UserError(f"--resume: the build in {work} already reached step {resumed_at} of {total}")
    else:
        stages = [continuation(base, stage) for stage in recipe.get("then", [])]
        commands = [[*first_command(recipe), *options, "--overwrite"], *stages]
    started = time.monotonic()
    for command in commands:
        code = main(command)
        if code != 0:
            raise UserError(f"training {args.name} failed (exit code {code}); see the lines above")
    seconds = time.monotonic() - started
    folder = assets_dir() / "models"
    index_path = folder / "index.json"
    try:
        index = json.loads(index_path.read_text(encoding="utf-8")) if index_path.exists() else {"models": []}
    except (OSError, ValueError) as exc:
        raise UserError(f"{index_path} is damaged ({exc}); delete it and build again") from None
    try:
        dest = release(work, folder / args.name, networks=recipe.get("networks"), model_changes=recipe.get("sampling"),
                       config_class=families.get(recipe["family"]).config_class)
    except ValueError as exc:
        raise UserError(f"cannot ship {work}: {exc}") from None
    calibration = None
    if recipe.get("calibrate"):  # on the shipped copy, so --release-only gives the same model again
        from playground.core.generators.text_calibration import calibrate_text

        calibration = calibrate_text(dest)
        print(f"{args.name}: calibrated, logits divided by {calibration.temperature:.3f}; validation "
              f"{calibration.before:.4f} -> {calibration.after:.4f} nats per character")
    meta = read_meta(dest)
    entry = {
        "name": args.name, "family": recipe["family"], "title": recipe["title"], "folder": args.name,
        "dataset": recipe["dataset"], "command": f"python -m playground build-model {args.name}",
        "train_command": " && ".join("python -m playground " + " ".join(part) for part in
                                     [first_command(recipe)] + [continuation(recipe["train"], stage)
                                                                for stage in recipe.get("then", [])]),
        "wall_time": f"{seconds / 60:.1f} min on {os.cpu_count()} CPU cores ({date.today():%Y-%m-%d})"
                     + (f", resumed at step {resumed_at}" if resumed_at is not None else ""),
        "steps": meta["step"],
    }
    if calibration is not None:
        entry["calibration"] = {"command": f"python -m playground calibrate text --checkpoint assets/models/{args.name}",
                                "temperature": round(calibration.temperature, 4),
                                "val_nats_per_char": [round(calibration.before, 4), round(calibration.after, 4)]}
    if args.release_only:  # no training now: the build's own time stands
        before = next((m for m in index["models"] if m.get("name") == args.name), {})
        entry["wall_time"] = before.get("wall_time", "unknown (shipped again with --release-only)")
    index["models"] = [m for m in index["models"] if m.get("name") != args.name] + [entry]
    order = list(RECIPES)  # the app offers each family's models in this order: Shakespeare before the names
    index["models"].sort(key=lambda m: (order.index(m["name"]) if m.get("name") in order else len(order), m["name"]))
    from playground.core.atomic import write_text_atomic

    write_text_atomic(index_path, json.dumps(index, indent=1) + "\n")
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    done = "shipped again" if args.release_only else f"built in {seconds / 60:.1f} min"
    print(f"{args.name}: {meta['step']} steps, {done}; {dest} ({size / 2**20:.1f} MB)")
    return 0


def first_command(recipe: dict) -> list[str]:
    """The recipe's train command, with its step count when later stages depend on it."""
    return [*recipe["train"], *(("--steps", str(recipe["steps"])) if "steps" in recipe else ())]


def continuation(base: list[str], stage: dict, steps: int | None = None, done: int = 0) -> list[str]:
    """The train command of a recipe's later stage: resume the run for ``stage["steps"]`` more steps (or
    ``steps``, what an interrupted stage has left, ``done`` of it taken) with the stage's own settings."""
    sets = [*stage.get("set", ()), *([f"schedule_done={done}"] if done else [])]
    return [*base, "--resume", "--steps", str(steps or stage["steps"]), *(arg for s in sets for arg in ("--set", s))]


def resume_commands(base: list[str], first: int, stages: list[dict], reached: int) -> list[list[str]]:
    """What an interrupted build still has to run: the rest of the stage it stopped in, then the later ones.

    The first stage is the recipe's train command (``first`` steps); each later stage
    resumes it on its own schedule. Empty when the checkpoint at step ``reached`` has
    finished them all.
    """
    end = 0
    for k, stage in enumerate([{"steps": first}, *stages]):
        start, end = end, end + stage["steps"]
        if reached < end:
            return [continuation(base, stage, end - reached, reached - start), *(continuation(base, s) for s in stages[k:])]
    return []
