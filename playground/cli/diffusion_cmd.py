"""The diffusion family from the command line: ``train diffusion``, ``generate image``, ``bench diffusion``.

    python -m playground train diffusion --dataset mnist-5k --minutes 10 --out runs/digits
    python -m playground generate image --prompt "a handwritten 7" --checkpoint digits --n 16 --out sevens.png
    python -m playground bench diffusion --json
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Callable
from typing import Any

from playground.cli import Commands, UserError
from playground.cli.generating import check_fits, load_model
from playground.cli.training import add_run_arguments, build_settings, load_dataset, run_training


def register(commands: Commands) -> None:
    train = commands.verb("train").add_parser("diffusion", help="train a text-conditioned diffusion model")
    add_run_arguments(train, family="diffusion", example="mnist-5k or emoji-32",
                      presets="tiny, default (2 CPU cores), digits, emoji, instruments (the bundled recipes), large or cuda "
                               "(default: default)")
    train.set_defaults(func=run_train_diffusion)
    image = commands.verb("generate").add_parser("image", help="draw images from a prompt with a diffusion model")
    image.add_argument("--prompt", required=True, help='what to draw, e.g. "a handwritten 7" or "red heart"')
    image.add_argument("--checkpoint", default="emoji", help="a checkpoint or run folder, or a bundled model's name")
    image.add_argument("--n", type=int, default=16, help="how many images")
    _add_sampling_arguments(image)
    image.add_argument("--out", required=True, help="FILE.npz ('images' uint8 N x H x W x C) or FILE.png (a grid "
                                                      "with the settings and receipt in its text fields)")
    image.set_defaults(func=run_generate_image)
    audio = commands.verb("generate").add_parser("audio", help="make a sound from a prompt with a diffusion model")
    audio.add_argument("--prompt", required=True, help='what to play, e.g. "a flute playing A4"')
    audio.add_argument("--checkpoint", default="instruments", help="a checkpoint or run folder, or a bundled model's name")
    _add_sampling_arguments(audio)
    audio.add_argument("--out", required=True, help="FILE.wav: mono 16-bit at the model's sample rate, with the "
                                                      "settings and receipt in its metadata")
    audio.set_defaults(func=run_generate_audio, n=1)
    bench = commands.verb("bench").add_parser("diffusion", help="images per second when sampling, steps per second "
                                                                "when training (CPU)")
    bench.add_argument("--checkpoint", default="emoji", help="the model to sample from (default: the bundled emoji)")
    bench.add_argument("--sound-checkpoint", default="instruments",
                       help="the sound model to time one clip with, inversion included (default: the bundled one)")
    bench.add_argument("--digits-checkpoint", default="digits",
                       help="a second image model timed the same way (default: the bundled digits)")
    bench.add_argument("--dataset", default="mnist-5k", help="the data to time training on")
    bench.add_argument("--rounds", type=int, default=3, help="timed runs of each; the medians are reported")
    bench.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    bench.add_argument("--json", action="store_true", help="print only the JSON object")
    bench.set_defaults(func=run_bench_diffusion)


def _add_sampling_arguments(parser: argparse.ArgumentParser) -> None:
    """What ``generate image`` and ``generate audio`` share: how to sample, and where."""
    parser.add_argument("--steps", type=int, help="denoising steps (default: the model's)")
    parser.add_argument("--sampler", choices=("ddpm", "ddim", "fast"), help="fast is DPM-Solver++(2M) (default: the model's)")
    parser.add_argument("--guidance", type=float, help="classifier-free guidance scale (default: the model's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))


def run_train_diffusion(args: argparse.Namespace) -> int:
    from playground.core import families

    family = families.get("diffusion")
    dataset = load_dataset(args.dataset, ("image", "audio"), "a diffusion model trains on captioned images or sounds")
    kind = "captioned_audio" if dataset.modality == "audio" else "captioned_images"
    settings = build_settings(family, args, frozenset({kind}))
    return run_training(family, dataset, settings, args)


def image_request(gen: Any, args: argparse.Namespace) -> Any:
    """An ``ImageRequest`` from the flags, the model's own defaults where a flag is not given."""
    from playground.core.generators.diffusion_generator import ImageRequest

    sampler = {"fast": "dpm++2m"}.get(args.sampler, args.sampler) or gen.config.sampler
    steps = args.steps if args.steps is not None else gen.config.sample_steps
    guidance = args.guidance if args.guidance is not None else gen.config.guidance
    try:
        return ImageRequest(args.prompt, args.n, steps, sampler, guidance, args.seed)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def run_generate_image(args: argparse.Namespace) -> int:
    import numpy as np

    from playground.cli.outputs import output_file, write_output
    from playground.core.families.generators import image_receipt
    from playground.core.generators.receipts import png_with_receipt

    out = output_file(args.out, (".npz", ".png"))
    gen = load_model(args.checkpoint, args.device, "diffusion")
    if gen.kind == "audio":
        raise UserError(f"{args.checkpoint} draws sounds (as spectrograms), not images: use 'generate audio' with it")
    request = image_request(gen, args)
    check_fits(request.n, int(np.prod(gen.shape)))
    result = gen.generate(request)
    if result.unknown:
        print(f"note: the model never saw these words in its captions: {', '.join(result.unknown)}", file=sys.stderr)
    if out.suffix.lower() == ".png":
        receipt = image_receipt(args.checkpoint, gen, result)
        write_output(out, png_with_receipt(result.images, receipt))
    else:
        buf = io.BytesIO()
        np.savez(buf, images=result.images)
        write_output(out, buf.getvalue())
    print(f"wrote {out}: {' x '.join(str(v) for v in result.images.shape)}")
    return 0


def run_generate_audio(args: argparse.Namespace) -> int:
    from playground.cli.outputs import output_file, write_output
    from playground.core.families.generators import audio_receipt
    from playground.core.generators.receipts import wav_with_receipt

    out = output_file(args.out, (".wav",))
    gen = load_model(args.checkpoint, args.device, "diffusion")
    if gen.kind != "audio":
        raise UserError(f"{args.checkpoint} draws images, not sounds: use 'generate image' with it")
    result = gen.generate_audio(image_request(gen, args))
    if result.unknown:
        print(f"note: the model never saw these words in its captions: {', '.join(result.unknown)}", file=sys.stderr)
    write_output(out, wav_with_receipt(result.clips[0], result.sample_rate, audio_receipt(args.checkpoint, gen, result)))
    print(f"wrote {out}: {len(result.clips[0]) / result.sample_rate:.1f} s at {result.sample_rate} Hz")
    return 0


def run_bench_diffusion(args: argparse.Namespace) -> int:
    import time

    from playground.core import families
    from playground.core.data.bundled import load_bundled
    from playground.core.generators.diffusion_generator import ImageRequest
    from playground.core.preprocess import default_pipeline, prepare
    from playground.core.training.bench import bare_steps_per_s

    def timed(gen: Any, n: int, make: Callable[[ImageRequest], Any]) -> tuple[ImageRequest, float]:
        """Median seconds for ``n`` items at the model's own defaults over ``--rounds`` runs, after a small warm-up
        (first calls allocate); the median, because single runs on a shared machine vary by a third."""
        from statistics import median

        request = ImageRequest(gen.prompts[0] if gen.prompts else "", n, gen.config.sample_steps, gen.config.sampler,
                               gen.config.guidance, 0)
        make(ImageRequest(request.prompt, 1, 2))
        times = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            make(request)
            times.append(time.perf_counter() - t0)
        return request, median(times)

    gen = load_model(args.checkpoint, args.device, "diffusion")
    sound = load_model(args.sound_checkpoint, args.device, "diffusion")
    if gen.kind != "image" or sound.kind != "audio":
        raise UserError("--checkpoint takes an image model and --sound-checkpoint a sound model")
    request, batch16 = timed(gen, 16, gen.generate)
    digits = load_model(args.digits_checkpoint, args.device, "diffusion")
    digits_request, digits16 = timed(digits, 16, digits.generate)
    _, clip = timed(sound, 1, sound.generate_audio)
    family = families.get("diffusion")
    dataset = load_bundled(args.dataset)
    data = prepare(dataset, default_pipeline(dataset))[0]
    settings = family.fit(family.preset("default", device=args.device), data)
    rate = bare_steps_per_s(lambda device: family.make_trainer(settings, data, device, {}), args.device, steps=20)
    figures = {"image_batch16_seconds": round(batch16, 3), "image_model": str(args.checkpoint),
               "sampler": request.sampler, "sampling_steps": request.steps, "guidance": request.guidance,
               "train_steps_per_s": round(rate, 3), "train_dataset": args.dataset, "train_batch": settings.run.batch_size,
               "audio_clip_seconds": round(clip, 3), "audio_model": str(args.sound_checkpoint),
               "audio_sampling_steps": sound.config.sample_steps, "rounds": args.rounds,
               "digits_batch16_seconds": round(digits16, 3), "digits_model": str(args.digits_checkpoint),
               "digits_sampling_steps": digits_request.steps}
    print(json.dumps(figures, indent=None if args.json else 2))
    return 0
