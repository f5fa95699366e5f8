"""The guidance sweep: one prompt and seed at several guidance scales, each measured for obeying the prompt
and for variety, so the trade between the two is a curve.

    result = run_to_end(sweep_job(model, ImageRequest("a handwritten 7", n=8, seed=1)))
    [(r.guidance, r.agreement, r.diversity) for r in result.rows]

Agreement is the share of a scale's images that a judging classifier (a small
CNN trained, in the job, on the model's own training images and their classes)
puts in the class the prompt names. Diversity is the mean distance between two
of the scale's images over the mean distance between two training images (1:
as varied as the data; near 0: one picture again and again). Ho & Salimans
(2021), "Classifier-Free Diffusion Guidance", show the same trade as
Inception score against FID.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.core.events import Progress, Status
from playground.core.generate.image import ImageModel
from playground.core.generate.image_drawers import class_words, named_class
from playground.core.generate.media import mean_pairwise_distance, stream_steps
from playground.core.generators.diffusion_generator import ImageRequest
from playground.core.jobs import Job, JobControl, without_metrics
from playground.core.models.classifier import ClassifierConfig

SWEEP_GUIDANCE = (0.0, 1.0, 2.0, 4.0, 7.0, 10.0)
SWEEP_SAMPLES = 8  # images per scale at least: diversity needs several
JUDGE_CONFIG = ClassifierConfig(epochs=3, holdout=0.1, device="cpu")  # a few seconds on digits, on a CPU
MIN_LABELLED = 0.8  # share of training images whose class must be known for a judge to be trained
MAX_CAPTION_CLASSES = 50  # distinct captions used as classes when nothing else names them


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class CaptionClasses:
    """Which class a caption or prompt names: an exact training caption, or one class's name as a word."""

    names: tuple[str, ...]  # the classes
    captions: dict[str, int]  # normalised training caption -> its most common class
    words: tuple[frozenset[str], ...]  # per class, the words naming it ("7", "seven")
    how: str  # where the classes came from, in words

    def label_of(self, text: str) -> int | None:
        """The class ``text`` names, or None (none, or several)."""
        if _norm(text) in self.captions:
            return self.captions[_norm(text)]
        return named_class(text, self.words)


def caption_classes(model: ImageModel) -> tuple[CaptionClasses, np.ndarray] | None:
    """The classes of the model's training images and each image's class (int64, -1: unknown), from the
    bundled dataset it learned (checked caption by caption), the class names in its captions, or its
    distinct captions; None when none of these names the classes of most images."""
    training = model.training
    if training is None:
        return None
    captions = list(training.captions)
    ck = model.generator.checkpoint
    names = [str(n) for n in ck.data.get("label_names", [])]
    tries = []
    bundled = _bundled_labels(str(ck.extra.get("source", "")), training.index, captions)
    if bundled is not None:
        tries.append((bundled[0], bundled[1], f"the classes of the bundled dataset {ck.extra.get('source')}"))
    if len(names) >= 2:
        words = class_words(names)
        probe = CaptionClasses(tuple(names), {}, words, "")
        tries.append((np.array([_or_minus(probe.label_of(c)) for c in captions], dtype=np.int64), names,
                      "the class names its captions use"))
    distinct = sorted(set(captions))
    if 2 <= len(distinct) <= MAX_CAPTION_CLASSES:
        tries.append((np.array([distinct.index(c) for c in captions], dtype=np.int64), distinct,
                      "its distinct captions"))
    for labels, classes, how in tries:
        counts = np.bincount(labels[labels >= 0], minlength=len(classes))
        if (labels >= 0).mean() >= MIN_LABELLED and (counts >= 2).sum() >= 2:
            table: dict[str, list[int]] = {}
            for caption, label in zip(captions, labels.tolist(), strict=True):
                if label >= 0:
                    table.setdefault(_norm(caption), []).append(label)
            majority = {c: int(np.bincount(v).argmax()) for c, v in table.items()}
            return CaptionClasses(tuple(classes), majority, class_words(classes), how), labels
    return None


def _or_minus(label: int | None) -> int:
    return -1 if label is None else label


def _bundled_labels(source: str, index: np.ndarray, captions: list[str]) -> tuple[np.ndarray, list[str]] | None:
    """Labels of the bundled image dataset ``source`` at ``index``, if its captions there are the model's."""
    from playground.core.data.bundled import bundled_info, load_bundled

    try:
        if bundled_info(source).modality != "image":
            return None
        data = load_bundled(source)
    except (ValueError, OSError):
        return None
    theirs = getattr(data, "captions", None)
    if theirs is None or not len(index) or int(index.max()) >= len(theirs):
        return None
    if any(theirs[i] != c for i, c in zip(index.tolist(), captions, strict=True)):
        return None  # the model learned a filtered or reordered copy: the index does not point into this set
    return np.asarray(data.labels, dtype=np.int64)[index], list(data.label_names)


@dataclass(frozen=True, eq=False)
class Judge:
    """A classifier trained on the model's training images, to say which class an image shows."""

    classifier: Any  # playground.core.models.classifier.Classifier
    classes: CaptionClasses  # what the classes are and which one a prompt names
    accuracy: float  # on held-out training images, in [0, 1] (NaN: none held out)

    def classify(self, images: np.ndarray) -> np.ndarray:
        """int64 (N,) top class of uint8 N x H x W x C images."""
        x = images.astype(np.float32).transpose(0, 3, 1, 2) / 127.5 - 1.0
        return self.classifier.predict_proba(x).argmax(axis=1)


def judge_job(model: ImageModel, config: ClassifierConfig = JUDGE_CONFIG) -> Job:
    """Job: train the judging classifier on the model's training images -> ``Judge``.

    Raises:
        ValueError: the classes of the training images cannot be told from what the checkpoint kept.
    """

    def job(control: JobControl) -> Generator[Any, None, Judge]:
        from playground.core.preprocess.prepared import PreparedImages
        from playground.core.training.classifier_trainer import train_classifier_job

        found = caption_classes(model)
        if found is None:
            raise ValueError("the classes of this model's training images cannot be told from their captions: "
                             "agreement is not measured")
        classes, labels = found
        images = model.training.images
        x = images.astype(np.float32).transpose(0, 3, 1, 2) / 127.5 - 1.0
        prepared = PreparedImages(x, labels, list(classes.names), {"kind": "minus1_1"}, {})
        yield Status(f"training the judging classifier on {int((labels >= 0).sum()):,} images, with "
                     f"{classes.how} as classes (once per model)")
        result = yield from without_metrics(train_classifier_job(prepared, config)(control))
        if result is None:
            raise ValueError("the judging classifier was stopped before it finished")
        return Judge(result.classifier, classes, float(result.holdout_accuracy))

    return job


@dataclass(frozen=True, eq=False)
class SweepRow:
    guidance: float  # the scale these images were drawn at
    images: np.ndarray  # uint8 N x H x W x C
    agreement: float | None  # share the judge puts in the prompt's class, in [0, 1] (None: not measured)
    diversity: float  # mean distance between two of them over that between two training images (>= 0)


@dataclass(frozen=True, eq=False)
class SweepResult:
    request: ImageRequest  # the prompt, seed and sampler (its guidance is swept)
    rows: tuple[SweepRow, ...]  # one per scale, in the order asked
    target: str | None  # the class the prompt names (None: agreement not measured)
    judge: Judge | None  # the judge used (kept by the caller, to train it once per model)
    note: str  # what agreement means here, or why it is not measured


def sweep_job(model: ImageModel, request: ImageRequest, scales: Sequence[float] = SWEEP_GUIDANCE,
              judge: Judge | None = None, judge_config: ClassifierConfig = JUDGE_CONFIG) -> Job:
    """Job: ``request`` at each guidance scale, measured -> ``SweepResult``; trains the judge first when
    none is given (its Progress and Status come through).

    Raises:
        ValueError: a model without guidance (a GAN), or no scales.
    """
    if not model.drawer.guided:
        raise ValueError("this model has no guidance scale to sweep (a GAN draws in one pass)")
    if not scales:
        raise ValueError("give at least one guidance scale")
    asked = [dataclasses.replace(request, guidance=float(g), n=max(request.n, SWEEP_SAMPLES)) for g in scales]

    def job(control: JobControl) -> Generator[Any, None, SweepResult]:
        nonlocal judge
        note = ""
        if judge is None:
            try:
                judge = yield from judge_job(model, judge_config)(control)
            except ValueError as exc:
                note = str(exc)
        target = judge.classes.label_of(request.prompt) if judge is not None else None
        if judge is not None and target is None:
            note = ("the prompt names none of the classes the judge knows (or several): agreement is not measured; "
                    f"name one of {', '.join(judge.classes.names[:12])}")
        elif judge is not None:
            right = (f"{100 * judge.accuracy:.0f}% right on held-out training images" if np.isfinite(judge.accuracy)
                     else "not checked on held-out images")
            note = (f"the share of images the judging classifier ({right}) calls “{judge.classes.names[target]}”, "
                    f"the class the prompt names")
        scale = mean_pairwise_distance(model.training.images) if model.training is not None else float("nan")
        rows = []
        for i, one in enumerate(asked):
            yield Progress(i, len(asked), f"guidance {one.guidance:g} ({i + 1} of {len(asked)})")
            result = yield from stream_steps(lambda on_step, cancel, one=one: model.drawer.draw(one, on_step, cancel),
                                             control, f"guidance {one.guidance:g}")
            agreement = float((judge.classify(result.images) == target).mean()) if target is not None else None
            rows.append(SweepRow(one.guidance, result.images, agreement, mean_pairwise_distance(result.images) / scale))
        yield Progress(len(asked), len(asked), "sweep done")
        return SweepResult(request, tuple(rows), judge.classes.names[target] if target is not None else None, judge,
                           note)

    return job
