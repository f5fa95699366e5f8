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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoints", nargs="+")
    parser.add_argument("--n", type=int, default=8, help="images per judged prompt")
    parser.add_argument("--others", type=int, default=96, help="other captions, one image each")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args(argv)
    apply_threads(args.threads)
    from playground.core.data.bundled import load_bundled
    from playground.core.families.generators import load_generator
    from playground.core.generators.diffusion_generator import ImageRequest
    from playground.core.metrics.nearest import copying_report
    from playground.core.training.diffusion_trainer import focus_items

    data = load_bundled("emoji-32")
    train = np.asarray(data.images).astype(np.float32) / 255.0
    captions = [str(c) for c in data.captions]
    plain = np.flatnonzero(~focus_items(captions, frozenset(SHAPES)))
    others = [captions[i] for i in np.random.default_rng(1).choice(plain, args.others, replace=False)]
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
        print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
