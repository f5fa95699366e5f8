"""The Preprocess tab's background work: preview, duplicate search and Prepare as jobs.

Each job returns a plain result (a problem the user can fix comes back as
``error`` text rather than an exception), so the tab only draws.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from playground.core.jobs import Job, JobControl
from playground.core.preprocess.pipeline import Pipeline, make_step
from playground.core.preprocess.prepare import NOUNS as ONE_OF
from playground.core.preprocess.prepare import (
    PREVIEW_CHARS,
    augment_variants,
    prepare_job,
    preview,
    preview_tokens,
    top_tokens,
)
from playground.core.preprocess.report import PrepareReport

NOUNS = {modality: noun + "s" for modality, noun in ONE_OF.items()}  # "images", "characters", ...
PREVIEW_ITEMS = 8  # thumbnails (and clips for the amplitude histogram)
VARIANTS = 16  # augmented variants of one image
TEXT_CHUNKS = 16  # ~4 KB chunks spread over a corpus for token statistics
TOP_TOKENS = 12
MAX_VALUES = 200_000  # values behind one histogram


@dataclass(frozen=True)
class TokenStats:
    """The tokenised preview chunk and estimates for the corpus."""

    kind: str
    text: str  # the cleaned chunk the spans index
    spans: list[tuple[int, int, int, str]]  # (start, end, id, token text)
    vocab_size: int
    chars_per_token: float
    corpus_tokens: int  # estimated from the sampled chunks
    top: list[tuple[str, int]]  # (token text, count) in the sampled chunks


@dataclass(frozen=True)
class PreviewResult:
    """What the preview strip and the histograms draw for one pipeline."""

    modality: str
    indices: list[int]
    before: list[Any] = field(default_factory=list)  # uint8 images, raw text, Clip, or points
    after: list[Any] = field(default_factory=list)  # the same after the pipeline; None when filtered out
    before_values: np.ndarray = field(default_factory=lambda: np.zeros(0))
    after_values: np.ndarray = field(default_factory=lambda: np.zeros(0))
    before_title: str = ""
    after_title: str = ""
    integer_values: bool = False  # token lengths: one bin per length
    variants: list[np.ndarray] = field(default_factory=list)  # uint8 H x W x C, "what the model sees"
    variants_note: str = ""
    tokens: TokenStats | None = None
    warning: str = ""  # the pipeline runs but something looks wrong
    error: str = ""  # the pipeline cannot run: a message for the user
    seconds: float = 0.0


@dataclass(frozen=True)
class DuplicatesResult:
    pairs: list[tuple[int, int]]  # (kept, removed) dataset indices
    note: str = ""
    error: str = ""


@dataclass(frozen=True)
class PrepareOutcome:
    prepared: Any = None
    report: PrepareReport | None = None
    error: str = ""


def spread(n: int, count: int, offset: int = 0) -> list[int]:
    """``count`` indices spread evenly over ``range(n)``, shifted by ``offset``."""
    if n <= 0:
        return []
    count = min(count, n)
    base = np.linspace(0, n - 1, count).round().astype(np.int64)
    return sorted({int(i) for i in (base + offset) % n})


def _cap(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values).ravel()
    return values[:: max(1, values.size // MAX_VALUES)]


def preview_job(dataset: Any, pipeline: Pipeline, offset: int = 0, clip: int = 0) -> Job:
    """A job returning a ``PreviewResult`` of ``pipeline`` on a few items of ``dataset``.

    ``offset`` shifts which items (or which text chunk) are shown; ``clip`` is
    the audio clip drawn large.
    """

    def job(control: JobControl) -> Generator[Any, None, PreviewResult]:
        start = time.perf_counter()
        control.checkpoint()
        try:
            if dataset.modality == "image":
                result = _images(dataset, pipeline, offset, control)
            elif dataset.modality == "text":
                result = _text(dataset, pipeline, offset, control)
            elif dataset.modality == "audio":
                result = _audio(dataset, pipeline, offset, clip)
            else:
                result = _points(dataset, pipeline, offset)
        except ValueError as exc:
            result = PreviewResult(dataset.modality, [], error=str(exc))
        control.checkpoint()
        return replace(result, seconds=time.perf_counter() - start)
        yield  # a generator with no events: a preview takes a fraction of a second

    return job


def _all_removed(after: Sequence[Any], noun: str) -> str:
    if after and all(a is None for a in after):
        return (f"Every previewed {noun} is removed by a filter step, so Prepare would have nothing "
                "left: loosen that filter.")
    return ""


def _images(dataset: Any, pipeline: Pipeline, offset: int, control: JobControl) -> PreviewResult:
    indices = spread(len(dataset), PREVIEW_ITEMS, offset)
    pairs = preview(dataset, pipeline, indices)
    scaled = preview(dataset, pipeline, indices, display=False)
    control.checkpoint()
    before = [p.before for p in pairs]
    after = [p.after for p in pairs]
    kept = [np.asarray(p.after).ravel() for p in scaled if p.after is not None]
    after_values = np.concatenate(kept) if kept else np.zeros(0)
    augment = next((s for s in pipeline.steps if s.kind == "augment" and s.enabled), None)
    variants: list[np.ndarray] = []
    note = ""
    if augment is None or not before:
        note = "Add an Augment step (and switch it on) to see what the model sees: random variants of one image."
    else:
        try:
            variants = augment_variants(before[0], pipeline, VARIANTS, seed=int(augment["seed"]))
        except ValueError as exc:
            note = str(exc)
    return PreviewResult(
        "image", indices, before, after,
        before_values=_cap(np.concatenate([np.asarray(b).ravel() for b in before])) if before else np.zeros(0),
        after_values=_cap(after_values),
        before_title="Before: pixel values (0–255)", after_title="After: pixel values the model gets",
        variants=variants, variants_note=note, warning=_all_removed(after, "image"))


def _text(dataset: Any, pipeline: Pipeline, offset: int, control: JobControl) -> PreviewResult:
    chunks = max(1, -(-len(dataset.text) // PREVIEW_CHARS))
    shown = offset % chunks
    sample = [k for k in spread(chunks, TEXT_CHUNKS) if k != shown]
    pairs = preview(dataset, pipeline, [shown, *sample])
    control.checkpoint()
    tokenizer, _, _ = preview_tokens(dataset, pipeline)  # trained on the cleaned first 256 KB (cached)
    control.checkpoint()
    before, after = pairs[0].before, pairs[0].after
    raw = sum(len(p.before) for p in pairs)
    cleaned = sum(len(p.after) for p in pairs)
    warning = "" if cleaned or not raw else "The cleaning steps remove all of the text: loosen them."
    ids = np.concatenate([tokenizer.encode_array(p.after) for p in pairs if p.after] or [np.zeros(0, np.int64)])
    used = np.unique(ids)
    lengths = np.zeros(tokenizer.vocab_size, dtype=np.int64)
    for i in used:
        lengths[int(i)] = len(tokenizer.token_text(int(i)))
    per_token = cleaned / max(1, len(ids))
    stats = TokenStats(
        kind=tokenizer.kind, text=after, spans=tokenizer.spans(after), vocab_size=tokenizer.vocab_size,
        chars_per_token=per_token,
        corpus_tokens=int(round(len(dataset.text) * (cleaned / max(1, raw)) / max(per_token, 1e-9))),
        top=top_tokens(tokenizer, ids, TOP_TOKENS) if len(ids) else [])
    words = np.array([len(w) for p in pairs for w in p.before.split()], dtype=np.int64)
    return PreviewResult(
        "text", [shown], [before], [after],
        before_values=_cap(words), after_values=_cap(lengths[ids]),
        before_title="Before: word lengths (characters)",
        after_title=f"After: {tokenizer.kind} token lengths (characters)", integer_values=True, tokens=stats, warning=warning)


def _audio(dataset: Any, pipeline: Pipeline, offset: int, clip: int) -> PreviewResult:
    clip = min(max(0, clip), len(dataset) - 1)
    indices = [clip, *[i for i in spread(len(dataset), PREVIEW_ITEMS, offset) if i != clip][: PREVIEW_ITEMS - 1]]
    pairs = preview(dataset, pipeline, indices)
    before = [p.before for p in pairs]
    after = [p.after for p in pairs]
    before_values = np.concatenate([np.asarray(c.samples).ravel() for c in before])
    kept = [np.asarray(c.samples).ravel() for c in after if c is not None]
    return PreviewResult(
        "audio", indices, before, after,
        before_values=_cap(before_values), after_values=_cap(np.concatenate(kept) if kept else np.zeros(0)),
        before_title="Before: sample amplitudes", after_title="After: sample amplitudes",
        warning=_all_removed(after, "clip"))


def _points(dataset: Any, pipeline: Pipeline, offset: int) -> PreviewResult:
    indices = spread(len(dataset), PREVIEW_ITEMS, offset)
    pairs = preview(dataset, pipeline, indices)
    after = [p.after for p in pairs]
    return PreviewResult("points", indices, [p.before for p in pairs], after, warning=_all_removed(after, "point"))


# Duplicates -----------------------------------------------------------------

def dedupe_prefix(pipeline: Pipeline) -> Pipeline | None:
    """The enabled steps up to the first enabled Remove-duplicates step, or None."""
    steps = []
    for step in pipeline.steps:
        if not step.enabled:
            continue
        steps.append(step)
        if step.name == "dedupe" and pipeline.modality == "image":
            return Pipeline(pipeline.modality, tuple(steps))
    return None


def duplicates_job(dataset: Any, prefix: Pipeline) -> Job:
    """A job finding the (kept, removed) pairs the Remove-duplicates step drops, on the whole dataset."""
    # Small same-shaped images after the search, only so the run can finish; they do not change the pairs.
    tail = [make_step("image", "square", mode="crop"), make_step("image", "colour", mode="gray"),
            make_step("image", "resize", size=16, method="area")]
    pipeline = Pipeline("image", (*prefix.steps, *tail))

    def job(control: JobControl) -> Generator[Any, None, DuplicatesResult]:
        try:
            _, report = yield from prepare_job(dataset, pipeline)(control)
        except ValueError as exc:
            return DuplicatesResult([], error=str(exc))
        step = next(s for s in report.steps if s.name == "dedupe")
        return DuplicatesResult(list(step.pairs), "; ".join(step.notes))

    return job


def safe_prepare_job(dataset: Any, pipeline: Pipeline) -> Job:
    """``prepare_job`` whose user-fixable failure comes back as ``PrepareOutcome.error``."""

    def job(control: JobControl) -> Generator[Any, None, PrepareOutcome]:
        try:
            prepared, report = yield from prepare_job(dataset, pipeline)(control)
        except ValueError as exc:
            return PrepareOutcome(error=str(exc))
        return PrepareOutcome(prepared, report)

    return job
