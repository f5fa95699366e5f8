"""Judge a trained digit GAN with an independent classifier; print JSON.

Usage::

    python scripts/judge_gan.py --checkpoint runs/gan            # 1,000 samples (100 per digit if conditional)
    python scripts/judge_gan.py --samples out.npz [--expect-label 7]
    python scripts/judge_gan.py --checkpoint runs/diet --forbid 5,6,7,8,9

The judge is a separate CNN (the "judge" classifier preset: wider, shift
augmentation, another seed) trained on all of mnist-5k, so it shares neither
weights nor seed with the app's own classifier; it is trained once and kept in
``runs/judge-mnist.safetensors``, so later runs reuse it (delete it to retrain). Output keys:

    n                 samples judged
    recognised        share with judge confidence >= 0.8
    class_share       {digit: share of samples the judge assigns to it}
    min_class_share   the smallest of those
    per_label         (conditional) {k: share of samples asked for k that are k}
    min_per_label     the smallest of those
    forbidden_share   (--forbid) share of samples judged as a forbidden digit
    judge_holdout_accuracy  (--check-judge) accuracy on a 10% split held out from a second judge
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground.core.preprocess.prepared import PreparedImages  # noqa: E402
from playground.core.device import apply_threads  # noqa: E402
from playground.core.models.classifier import CLASSIFIER_PRESETS, Classifier, SmallCNN  # noqa: E402
from playground.core.training.classifier_trainer import train_classifier  # noqa: E402


def mnist(dataset: str = "mnist-5k") -> PreparedImages:
    """The bundled digits as prepared images in [-1, 1] (1 x 28 x 28)."""
    try:
        from playground.core.data.bundled import load_bundled

        ds = load_bundled(dataset)
        images, labels, names = np.asarray(ds.images), ds.labels, list(ds.label_names)
    except ImportError:  # the loader module not there: read the bundled file directly
        from playground.core.paths import assets_dir

        with np.load(assets_dir() / "datasets" / "mnist_5k.npz", allow_pickle=False) as npz:
            images, labels, names = npz["images"], npz["labels"], [str(n) for n in npz["label_names"]]
    images = images.reshape(len(images), 28, 28, -1)[..., :1]
    x = images.transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1.0
    return PreparedImages(x, labels, names, {"kind": "minus1_1"}, {})


JUDGE_FILE = Path("runs") / "judge-mnist.safetensors"


def judge() -> Classifier:
    """The independent digit judge, trained once and then loaded from ``JUDGE_FILE``."""
    import torch
    from safetensors.torch import load_file, save_file

    data = mnist()
    config = dataclasses.replace(CLASSIFIER_PRESETS["judge"], holdout=0.0, device="cpu")
    if JUDGE_FILE.is_file():
        model = SmallCNN(1, 10, config)
        model.load_state_dict(load_file(str(JUDGE_FILE)))
        return Classifier(model, data.label_names, torch.device("cpu"))
    from playground.core.training.classifier_trainer import train_classifier

    result = train_classifier(data, config)
    JUDGE_FILE.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in result.classifier.model.state_dict().items()}, str(JUDGE_FILE))
    return result.classifier


def to_model(images: np.ndarray) -> np.ndarray:
    """uint8 N x H x W (x 1) -> float32 N x 1 x H x W in [-1, 1]."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    return images.transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1.0


def summarise(probs: np.ndarray, names: list[str]) -> dict:
    top, conf = probs.argmax(1), probs.max(1)
    share = np.bincount(top, minlength=len(names)) / len(top)
    return {
        "n": int(len(top)),
        "recognised": round(float((conf >= 0.8).mean()), 4),
        "class_share": {names[i]: round(float(s), 4) for i, s in enumerate(share)},
        "min_class_share": round(float(share.min()), 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="a checkpoint or run folder")
    src.add_argument("--samples", help="an npz with 'images' (uint8 N x H x W)")
    parser.add_argument("--n", type=int, default=1000, help="samples to draw from a checkpoint")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed")
    parser.add_argument("--expect-label", type=int, help="with --samples: the digit they were asked to be")
    parser.add_argument("--forbid", default="", help="comma-separated digits that should not appear")
    parser.add_argument("--check-judge", action="store_true", help="also report the judge's held-out accuracy")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args(argv)
    apply_threads(args.threads)
    start = time.monotonic()
    data = mnist()
    judge_cfg = dataclasses.replace(CLASSIFIER_PRESETS["judge"], holdout=0.0, device="cpu")
    judged = judge()
    report: dict = {}
    asked: np.ndarray | None = None
    if args.checkpoint:
        from playground.core.families.generators import load_generator
        from playground.core.generators.gan_generator import GANRequest

        gen = load_generator(args.checkpoint, "cpu")
        if gen.conditional:
            per = max(1, args.n // gen.config.num_classes)
            parts, asked_parts = [], []
            for k in range(gen.config.num_classes):
                parts.append(gen.generate(GANRequest(n=per, label=k, seed=args.seed + k)).images)
                asked_parts.append(np.full(per, k))
            images, asked = np.concatenate(parts), np.concatenate(asked_parts)
        else:
            images = gen.generate(GANRequest(n=args.n, seed=args.seed)).images
    else:
        with np.load(args.samples, allow_pickle=False) as npz:
            images = npz["images"]
        if args.expect_label is not None:
            asked = np.full(len(images), args.expect_label)
    probs = judged.predict_proba(to_model(images))
    report.update(summarise(probs, data.label_names))
    if asked is not None:
        top = probs.argmax(1)
        per = {data.label_names[k]: round(float((top[asked == k] == k).mean()), 4) for k in np.unique(asked)}
        report["per_label"] = per
        report["min_per_label"] = min(per.values())
    if args.forbid:
        bad = [data.label_names.index(d.strip()) for d in args.forbid.split(",") if d.strip()]
        report["forbidden_share"] = round(float(np.isin(probs.argmax(1), bad).mean()), 4)
    if args.check_judge:
        check = train_classifier(data, dataclasses.replace(judge_cfg, holdout=0.1))
        report["judge_holdout_accuracy"] = round(check.holdout_accuracy, 4)
    report["seconds"] = round(time.monotonic() - start, 1)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
