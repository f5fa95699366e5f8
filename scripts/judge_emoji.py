"""Judge an emoji diffusion model on colour and shape words; print JSON.

Usage::

    python scripts/judge_emoji.py                          # the bundled emoji model, 16 images per prompt
    python scripts/judge_emoji.py --checkpoint runs/emoji --n 32 --copies

The check needs no trained judge: the bundled emoji are flat shapes on white,
so colour and shape can be measured directly.

- **Colour**: the foreground (pixels at least 40 levels from white in some
  channel) is averaged, and that mean is matched to the nearest of the
  reference colours. The references are measured on the training data the
  same way: the mean foreground colour of "red circle", "red square" and "red
  heart" (and so on for each colour word the data has on a circle, square or
  heart).
- **Shape**: the foreground mask is compared (intersection over union) with
  each shape's reference mask, the pixel-wise majority of the training
  emoji with that shape word ("... heart", "... circle", "... square",
  "... diamond"; sizes and colours pooled); the best match is the shape.

"Seen" prompts are captions of the data ("red heart", "blue circle");
"unseen" combine a colour and a shape that the data never has together
("purple diamond", "green diamond", "pink circle"): whether the colour still
follows is the question. Output: per prompt the share with the asked colour
and shape, and the means over seen and unseen prompts; with ``--copies`` the
median distance from a generated image to its nearest training image next to
the median distance between a training image and its nearest other one.

``--frame box`` compares shapes whatever their size and place: each
foreground mask (references included) is cut to its bounding box and scaled
to 32x32 first. A model trained on moved and shrunk images
(``augment_shift``, ``augment_zoom``) draws a red heart 10% smaller or 2 px
to the left, which the fixed masks may count against it; the JSON gives both
judges' score on the training emoji moved and shrunk the same way
(``judge_on_moved_training_shapes``).

``--background border`` measures the shape against each image's own
background (the median of its outer two pixels) instead of against white. A
model whose backgrounds come out tinted (a light cyan behind a red heart)
fails the strict judge on shape and colour, because the tint counts as
foreground. The border judge measures the shape and its colour alone. The
tint itself is reported either way as ``background_off_white``: how far each
image's background is from white, in levels of its farthest channel.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground.core.device import apply_threads  # noqa: E402

COLOURS = ("red", "orange", "yellow", "green", "blue", "purple", "brown", "black", "white", "pink")
SHAPES = ("heart", "circle", "square", "diamond")
SEEN = ("red heart", "blue heart", "green heart", "yellow heart", "purple heart", "red circle", "blue circle",
        "yellow circle", "green circle", "red square", "blue square", "yellow square", "green square",
        "large orange diamond", "large blue diamond")
UNSEEN = ("purple diamond", "green diamond", "red diamond", "yellow diamond", "pink circle", "pink square")
INK = 40  # a pixel is foreground when some channel is this far below white


def border_colour(images: np.ndarray) -> np.ndarray:
    """N x 3: the median colour of each image's outer two pixels (its background)."""
    n = len(images)
    ring = np.concatenate([images[:, :2].reshape(n, -1, 3), images[:, -2:].reshape(n, -1, 3),
                           images[:, 2:-2, :2].reshape(n, -1, 3), images[:, 2:-2, -2:].reshape(n, -1, 3)], axis=1)
    return np.median(ring, axis=1)


def foreground(images: np.ndarray, background: str = "white") -> np.ndarray:
    """N x H x W bool: pixels that are not (near) white, or with ``background="border"`` not (near) the
    image's own background colour (a tinted background then does not count as the shape)."""
    pixels = images.astype(np.int16)
    if background == "border":
        return np.abs(pixels - border_colour(images)[:, None, None].astype(np.int16)).max(axis=-1) >= INK
    return (255 - pixels).max(axis=-1) >= INK


def mean_colour(images: np.ndarray, background: str = "white") -> np.ndarray:
    """N x 3 mean RGB of each image's foreground (white where an image has none)."""
    mask = foreground(images, background)[..., None]
    total = (images.astype(np.float64) * mask).sum(axis=(1, 2))
    count = mask.sum(axis=(1, 2))
    return np.where(count > 0, total / np.maximum(count, 1), 255.0)


def boxed(masks: np.ndarray, size: int = 32) -> np.ndarray:
    """Each N x H x W mask cut to the bounding box of its foreground and scaled to size x size (nearest); an
    empty mask stays empty."""
    from PIL import Image

    out = np.zeros((len(masks), size, size), dtype=bool)
    for i, mask in enumerate(masks):
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        if len(rows):
            crop = mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].astype(np.uint8) * 255
            out[i] = np.asarray(Image.fromarray(crop).resize((size, size), Image.NEAREST)) > 127
    return out


def references(images: np.ndarray, captions: list[str], frame: str = "fixed"
               ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Reference colours (mean foreground RGB per colour word) and shape masks (majority mask per shape word)."""
    colours, shapes = {}, {}
    for colour in COLOURS:
        pick = [i for i, c in enumerate(captions) if re.fullmatch(rf"{colour} (heart|circle|square)", c)]
        if pick:
            colours[colour] = mean_colour(images[pick]).mean(axis=0)
    colours["white"] = np.array([235.0, 235.0, 235.0])  # a white shape is mostly its grey outline
    for shape in SHAPES:
        pick = [i for i, c in enumerate(captions)
                if re.fullmatch(rf"(large |small )?\w+ (large |medium |)?{shape}", c)]
        if pick:
            masks = foreground(images[pick])
            shapes[shape] = (boxed(masks) if frame == "box" else masks).mean(axis=0) >= 0.5
    return colours, shapes


def judge(images: np.ndarray, colours: dict[str, np.ndarray], shapes: dict[str, np.ndarray],
          background: str = "white", frame: str = "fixed") -> tuple[list, list]:
    names = list(colours)
    table = np.stack([colours[n] for n in names])
    rgb = mean_colour(images, background)
    said_colour = [names[i] for i in np.linalg.norm(rgb[:, None] - table[None], axis=-1).argmin(axis=1)]
    masks = foreground(images, background)
    if frame == "box":
        masks = boxed(masks)
    said_shape = []
    for mask in masks:
        iou = {s: (mask & ref).sum() / max((mask | ref).sum(), 1) for s, ref in shapes.items()}
        said_shape.append(max(iou, key=iou.get))
    return said_colour, said_shape


def moved_and_shrunk(images: np.ndarray, copies: int) -> np.ndarray:
    """uint8 N x H x W x 3 images, each ``copies`` times moved and shrunk (seeded) as the emoji recipe's
    augmentation does (its ``augment_shift`` and ``augment_zoom``): copies x N images, one block of N per copy."""
    import torch

    from playground.core import families
    from playground.core.training.diffusion_trainer import shift_and_zoom

    recipe = families.get("diffusion").preset("emoji").model
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1.0
    gen = torch.Generator().manual_seed(0)
    out = torch.cat([shift_and_zoom(x, recipe.augment_shift, recipe.augment_zoom, gen) for _ in range(copies)])
    return ((out.permute(0, 2, 3, 1) + 1.0) * 127.5).round().clamp(0, 255).to(torch.uint8).numpy()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", default="emoji", help="a diffusion checkpoint, run folder or bundled model name")
    parser.add_argument("--n", type=int, default=16, help="images per prompt")
    parser.add_argument("--background", choices=("white", "border"), default="white",
                        help="foreground: far from white (strict), or far from each image's own border colour")
    parser.add_argument("--frame", choices=("fixed", "box"), default="fixed",
                        help="shapes: compared where they are drawn (fixed), or each cut to its bounding box first")
    parser.add_argument("--steps", type=int, help="sampling steps (default: the model's)")
    parser.add_argument("--sampler", choices=("ddpm", "ddim", "dpm++2m"), help="(default: the model's)")
    parser.add_argument("--guidance", type=float, help="(default: the model's)")
    parser.add_argument("--guidance-until", type=float, help="guide only above this share of the timesteps "
                                                             "(default: the model's)")
    parser.add_argument("--copies", action="store_true", help="also measure nearest-training-image distances")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args(argv)
    apply_threads(args.threads)
    from playground.core.data.bundled import load_bundled
    from playground.core.families.generators import load_generator
    from playground.core.generators.diffusion_generator import ImageRequest

    start = time.monotonic()
    data = load_bundled("emoji-32")
    train = np.asarray(data.images)
    captions = [str(c) for c in data.captions]
    colours, shapes = references(train, captions, args.frame)
    # The references must tell the training shapes apart, or the figures below mean nothing.
    check = [i for i, c in enumerate(captions) if any(re.fullmatch(rf"{w} (heart|circle|square)", c) for w in COLOURS)]
    ref_colour, ref_shape = judge(train[check], colours, shapes, args.background, args.frame)
    truth = [captions[i].split() for i in check]
    moved = moved_and_shrunk(train[check], 8)  # the training emoji as the emoji recipe's augmentation shows them
    _moved_colour, moved_shape = judge(moved, colours, shapes, args.background, args.frame)
    gen = load_generator(args.checkpoint, "cpu")
    if args.guidance_until is not None:
        gen.config = gen.config.replace(guidance_until=args.guidance_until)
    cfg = gen.config
    steps, sampler = args.steps or cfg.sample_steps, args.sampler or cfg.sampler
    guidance = cfg.guidance if args.guidance is None else args.guidance
    report: dict = {"checkpoint": str(args.checkpoint), "sampler": sampler, "steps": steps, "guidance": guidance,
                    "guidance_until": cfg.guidance_until, "background": args.background,
                    "n": args.n,
                    "judge_on_training_shapes": {
                        "colour": round(float(np.mean([c == t[0] for c, t in zip(ref_colour, truth)])), 3),
                        "shape": round(float(np.mean([s == t[-1] for s, t in zip(ref_shape, truth)])), 3),
                        "items": len(check)},
                    "judge_on_moved_training_shapes": round(float(np.mean([s == t[-1] for s, t in
                                                                           zip(moved_shape, truth * 8)])), 3),
                    "frame": args.frame}
    drawn = []
    for group, prompts in (("seen", SEEN), ("unseen", UNSEEN)):
        rows = {}
        for seed, prompt in enumerate(prompts):
            words = prompt.split()
            colour = next(w for w in words if w in COLOURS)
            shape = next(w for w in reversed(words) if w in SHAPES)
            images = gen.generate(ImageRequest(prompt, args.n, steps, sampler, guidance, seed=seed)).images
            drawn.append(images)
            said_colour, said_shape = judge(images, colours, shapes, args.background, args.frame)
            rows[prompt] = {"colour": round(float(np.mean([c == colour for c in said_colour])), 3),
                            "shape": round(float(np.mean([s == shape for s in said_shape])), 3),
                            "colours_seen": {c: said_colour.count(c) for c in sorted(set(said_colour))}}
        report[group] = rows
        report[f"{group}_colour_mean"] = round(float(np.mean([r["colour"] for r in rows.values()])), 3)
        report[f"{group}_shape_mean"] = round(float(np.mean([r["shape"] for r in rows.values()])), 3)
    tint = (255 - border_colour(np.concatenate(drawn))).max(axis=-1)  # how far each background is from white
    report["background_off_white"] = {"median_levels": round(float(np.median(tint)), 1),
                                      "share_within_ink": round(float((tint < INK).mean()), 3),
                                      "training_median_levels": round(float(np.median(
                                          (255 - border_colour(train)).max(axis=-1))), 1)}
    if args.copies:
        from playground.core.metrics.nearest import copying_report

        report["copies"] = copying_report(np.concatenate(drawn).astype(np.float32) / 255.0,
                                          train.astype(np.float32) / 255.0)
    report["seconds"] = round(time.monotonic() - start, 1)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
