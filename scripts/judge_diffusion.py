"""Judge a text-conditioned digit model with an independent classifier; print JSON.

Usage::

    python scripts/judge_diffusion.py --checkpoint digits                    # 100 per digit, the model's sampler
    python scripts/judge_diffusion.py --checkpoint runs/d --steps 20 --sampler ddim --guidance 4
    python scripts/judge_diffusion.py --checkpoint digits --copies            # also: new images, or copies?

For each digit K it draws ``--n`` images from the prompt "a handwritten K"
(seed K) and asks the judge which digit each is. The judge is the same
independent CNN as ``judge_gan.py`` (the "judge" classifier preset: wider,
shift augmentation, its own seed), trained once on all of mnist-5k and kept in
``runs/judge-mnist.safetensors`` so later runs reuse it. Output keys:

    per_digit        {K: share of the images asked for K that the judge calls K}
    mean, worst      their mean and minimum
    seconds_16       seconds to draw 16 images at the settings used (after a warm-up)
    copies           (--copies) median distance from a generated image to its nearest training
                     image, and from a training image to its nearest other one (pixels in [0, 1])
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from judge_gan import judge, mnist, to_model  # noqa: E402

from playground.core.device import apply_threads  # noqa: E402

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", required=True, help="a diffusion checkpoint, run folder or bundled model name")
    parser.add_argument("--n", type=int, default=100, help="images per digit")
    parser.add_argument("--steps", type=int, help="sampling steps (default: the model's)")
    parser.add_argument("--sampler", choices=("ddpm", "ddim", "dpm++2m"), help="(default: the model's)")
    parser.add_argument("--guidance", type=float, help="(default: the model's)")
    parser.add_argument("--guidance-until", type=float, help="guide only above this share of the timesteps "
                                                             "(default: the model's)")
    parser.add_argument("--template", default="a handwritten {k}", help="the prompt for digit k")
    parser.add_argument("--copies", action="store_true", help="also measure nearest-training-image distances")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args(argv)
    apply_threads(args.threads)
    from playground.core.families.generators import load_generator
    from playground.core.generators.diffusion_generator import ImageRequest

    start = time.monotonic()
    gen = load_generator(args.checkpoint, "cpu")
    if args.guidance_until is not None:
        gen.config = gen.config.replace(guidance_until=args.guidance_until)
    cfg = gen.config
    steps, sampler = args.steps or cfg.sample_steps, args.sampler or cfg.sampler
    guidance = cfg.guidance if args.guidance is None else args.guidance
    clf = judge()
    per_digit, drawn = {}, []
    for k in range(10):
        result = gen.generate(ImageRequest(args.template.format(k=k), args.n, steps, sampler, guidance, seed=k))
        drawn.append(result.images)
        top = clf.predict_proba(to_model(result.images)).argmax(1)
        per_digit[str(k)] = round(float((top == k).mean()), 4)
    gen.generate(ImageRequest("a handwritten 3", 16, steps, sampler, guidance, seed=99))  # warm-up
    t0 = time.perf_counter()
    gen.generate(ImageRequest("a handwritten 3", 16, steps, sampler, guidance, seed=100))
    report = {"checkpoint": str(args.checkpoint), "sampler": sampler, "steps": steps, "guidance": guidance,
              "guidance_until": cfg.guidance_until,
              "per_digit": per_digit, "mean": round(float(np.mean(list(per_digit.values()))), 4),
              "worst": min(per_digit.values()), "seconds_16": round(time.perf_counter() - t0, 3)}
    if args.copies:
        from playground.core.metrics.nearest import copying_report

        train = mnist().to_uint8().astype(np.float32) / 255.0
        report["copies"] = copying_report(np.concatenate(drawn).astype(np.float32) / 255.0, train)
    report["seconds"] = round(time.monotonic() - start, 1)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
