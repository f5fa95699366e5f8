"""New or copies, split by the kind of prompt: how far an emoji model's images are from their nearest training emoji.

Usage::

    python scripts/emoji_copies.py emoji runs/build-emoji-focus    # one or more checkpoints or bundled names

``judge_emoji.py --copies`` gives one median over its 21 colour-and-shape
prompts. This splits it: the 15 prompts that are captions of the data ("red
heart", each the caption of one training emoji), the 6 pairs the data lacks
("purple diamond"), and 96 other captions of the data (a seeded choice among
those without a shape word), so a model that learned a few emoji by heart
(see ``focus_words``) shows where. Prints one JSON line per checkpoint: the
median distance from a generated image to its nearest training image per
group, and the median distance between a training image and its nearest other.

A copy moved by a pixel is as far from its original, pixel by pixel, as two
different emoji are (a training emoji moved 1 px: a median 6.5 from itself).
``--aligned 2`` also gives every median with the training images free to move
up to 2 px each way first (edges repeated), on both sides of the comparison,
so a model trained on moved images (``augment_shift``) cannot pass by moving
its copies.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from judge_emoji import SEEN, SHAPES, UNSEEN  # noqa: E402

from playground.core.device import apply_threads  # noqa: E402


def draw(gen, prompts, n: int) -> np.ndarray:
    """uint8 images: ``n`` per prompt at the model's defaults, seeded by the prompt's place (as judge_emoji)."""
    from playground.core.generators.diffusion_generator import ImageRequest

    cfg = gen.config
    return np.concatenate([gen.generate(ImageRequest(p, n, cfg.sample_steps, cfg.sampler, cfg.guidance, seed=s)).images
                           for s, p in enumerate(prompts)])


def moved(images: np.ndarray, px: int) -> tuple[np.ndarray, np.ndarray]:
    """Every image moved by each whole-pixel offset up to ``px`` each way (edges repeated), flattened, with the
    index of the image each came from: ((2px+1)^2 M) x D and ((2px+1)^2 M,)."""
    n, h, w = images.shape[:3]
    padded = np.pad(images, ((0, 0), (px, px), (px, px), (0, 0)), mode="edge")
    out = [padded[:, px + dy:px + dy + h, px + dx:px + dx + w].reshape(n, -1)
           for dy in range(-px, px + 1) for dx in range(-px, px + 1)]
    return np.concatenate(out), np.tile(np.arange(n), len(out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoints", nargs="+")
    parser.add_argument("--n", type=int, default=8, help="images per judged prompt")
    parser.add_argument("--others", type=int, default=96, help="other captions, one image each")
    parser.add_argument("--aligned", type=int, default=0, metavar="PX",
                        help="also the medians with training images free to move up to PX pixels each way")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args(argv)
    apply_threads(args.threads)
    from playground.core.data.bundled import load_bundled
    from playground.core.families.generators import load_generator
    from playground.core.generators.diffusion_generator import ImageRequest
    from playground.core.metrics.nearest import copying_report, nearest_neighbours
    from playground.core.training.diffusion_trainer import focus_items

    data = load_bundled("emoji-32")
    train = np.asarray(data.images).astype(np.float32) / 255.0
    captions = [str(c) for c in data.captions]
    plain = np.flatnonzero(~focus_items(captions, frozenset(SHAPES)))
    others = [captions[i] for i in np.random.default_rng(1).choice(plain, args.others, replace=False)]
    if args.aligned:
        bank, origin = moved(train, args.aligned)
        own = np.random.default_rng(0).choice(len(train), 500, replace=False)
        aligned_typical = float(np.median(nearest_neighbours(train[own], bank, groups=(own, origin))[1]))
    for ref in args.checkpoints:
        gen = load_generator(ref, "cpu")
        cfg = gen.config
        groups = {"captions_of_the_data": draw(gen, SEEN, args.n), "pairs_it_lacks": draw(gen, UNSEEN, args.n),
                  "other_captions": gen.draw_prompts(others, ImageRequest("", 1, cfg.sample_steps, cfg.sampler,
                                                                          cfg.guidance, seed=0))}
        report = {"checkpoint": ref}
        for name, images in groups.items():
            got = copying_report(images.astype(np.float32) / 255.0, train)
            report[name] = got["generated_to_nearest_training_median"]
            report["training_to_nearest_other_median"] = got["training_to_nearest_other_median"]
            if args.aligned:
                near = nearest_neighbours(images.astype(np.float32) / 255.0, bank)[1]
                report[f"{name}_aligned"] = round(float(np.median(near)), 3)
                report["training_to_nearest_other_aligned"] = round(aligned_typical, 3)
        print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
