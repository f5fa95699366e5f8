"""Running a pipeline: ``prepare`` (a whole dataset, as a job) and ``preview``.

Augmentation in ``prepare`` happens once per item (and per copy) with a
generator seeded by (step seed, original item index, copy), so preparing twice
gives the same data, and the preview shows exactly what Prepare will make of
each item.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.core.data.dataset import (
    AudioDataset,
    ImageDataset,
    PointsDataset,
    TextDataset,
)
from playground.core.jobs import Job, JobControl, Progress, Throttle, run_to_end
from playground.core.preprocess import image_ops
from playground.core.preprocess.audio_steps import AudioState, finish_audio
from playground.core.preprocess.image_steps import ImageState, finish_images
from playground.core.preprocess.pipeline import Pipeline, make_step
from playground.core.preprocess.prepared import PreparedAudio, PreparedImages, PreparedPoints, PreparedText
from playground.core.preprocess.report import PrepareReport, StepReport
from playground.core.preprocess.steps import RunContext, Step
from playground.core.preprocess.text_steps import Tokenise, cleaning_fingerprint
from playground.core.preprocess.tokenizer import UNK, Tokenizer, TokenizerCache

NOUNS = {"image": "image", "audio": "clip", "points": "point", "text": "character"}
TOP_TOKENS = 20


@dataclass(frozen=True)
class PointsState:
    points: np.ndarray  # float32 N x 2
    labels: np.ndarray
    index: np.ndarray

    def __len__(self) -> int:
        return len(self.points)

    def select(self, keep: np.ndarray) -> PointsState:
        where = np.flatnonzero(keep)
        return PointsState(self.points[where], self.labels[where], self.index[where])


def _check(dataset: Any, pipeline: Pipeline) -> None:
    if not isinstance(pipeline, Pipeline):
        raise ValueError(f"expected a Pipeline, got {type(pipeline).__name__}")
    if pipeline.modality != dataset.modality:
        raise ValueError(f"this pipeline is for {pipeline.modality} data, but "
                         f"'{dataset.name}' is {dataset.modality}; choose a {dataset.modality} pipeline")


def _context(dataset: Any, preview: bool) -> RunContext:
    return RunContext(preview=preview, noun=NOUNS[dataset.modality],
                      label_names=list(getattr(dataset, "label_names", [])))


def _initial_state(dataset: Any, indices: Sequence[int] | None = None) -> Any:
    if isinstance(dataset, TextDataset):
        return dataset.text
    where = np.arange(dataset.items) if indices is None else np.asarray(indices, dtype=np.int64)
    if isinstance(dataset, ImageDataset):
        if isinstance(dataset.images, np.ndarray) and dataset.images.dtype == np.uint8 and indices is None:
            stacked = dataset.images if dataset.images.ndim == 4 else dataset.images[..., None]
            unit = stacked.astype(np.float32) / np.float32(255.0)  # one pass instead of N
            images = [image_ops.to_unit(im) if im.shape[2] not in (1, 3) else im for im in unit]
        else:
            images = [image_ops.to_unit(dataset.image(int(i))) for i in where]
        return ImageState(images, dataset.labels[where], where)
    if isinstance(dataset, AudioDataset):
        clips = [np.asarray(dataset.clips[int(i)], dtype=np.float32) for i in where]
        return AudioState(clips, dataset.sample_rates[where], dataset.labels[where], where)
    if isinstance(dataset, PointsDataset):
        return PointsState(dataset.points[where], dataset.labels[where], where)
    raise ValueError(f"cannot preprocess a {type(dataset).__name__}")


StepsRun = Generator[tuple[float, str], None, tuple[Any, list[StepReport]]]


def _run_steps(pipeline: Pipeline, state: Any, ctx: RunContext) -> StepsRun:
    """Apply every enabled step; yields (fraction done, message)."""
    reports: list[StepReport] = []
    active = [s for s in pipeline.steps if s.enabled and s.kind != "tokenise"]
    done_steps = 0
    for step in pipeline.steps:
        if not step.enabled:
            reports.append(StepReport(step.name, step.title, enabled=False, notes=["disabled"]))
            continue
        if step.kind == "tokenise":
            continue  # text only; _finish_text tokenises
        run = step.run(state, ctx)
        while True:
            try:
                done, total = next(run)
            except StopIteration as stop:
                state, report = stop.value
                break
            part = done / total if total else 0.0
            yield (done_steps + part) / max(1, len(active)), f"{step.title}: {done} of {total}"
        reports.append(report)
        done_steps += 1
    return state, reports


def _drain(run: StepsRun) -> tuple[Any, list[StepReport]]:
    while True:
        try:
            next(run)
        except StopIteration as stop:
            return stop.value


def prepare_job(dataset: Any, pipeline: Pipeline) -> Job:
    """A job that applies ``pipeline`` to all of ``dataset``.

    Yields ``Progress`` (done/total in thousandths, at most ten a second) and
    returns ``(prepared, report)``; see ``prepare`` for the types.
    """
    _check(dataset, pipeline)

    def job(control: JobControl) -> Generator[Any, None, tuple[Any, PrepareReport]]:
        start = time.perf_counter()
        throttle = Throttle(0.1)
        report = PrepareReport(dataset.modality, dataset.name, items_in=dataset.items)
        yield Progress(0, 1000, "starting")
        state = _initial_state(dataset)
        run = _run_steps(pipeline, state, _context(dataset, preview=False))
        while True:
            control.checkpoint()
            try:
                fraction, message = next(run)
            except StopIteration as stop:
                state, report.steps = stop.value
                break
            if throttle.ready():
                yield Progress(int(900 * fraction), 1000, message)
        control.checkpoint()
        yield Progress(900, 1000, "packing" if dataset.modality != "text" else "tokenising")
        prepared = _finish(dataset, pipeline, state, report)
        report.seconds = time.perf_counter() - start
        yield Progress(1000, 1000, "done")
        return prepared, report

    return job


def prepare(dataset: Any, pipeline: Pipeline, control: JobControl | None = None) -> tuple[Any, PrepareReport]:
    """Apply ``pipeline`` to ``dataset`` in this thread.

    Returns ``(prepared, report)``. ``prepared`` is ``PreparedImages`` (float32
    N x C x H x W in [-1, 1], or standardised per ``norm``), ``PreparedText``
    (int64 token ids), ``PreparedAudio`` (float32 N x L in [-1, 1]) or
    ``PreparedPoints`` (float32 N x 2). Raises ValueError with a message for
    the user when a step cannot run on this data.
    """
    return run_to_end(prepare_job(dataset, pipeline), control=control)


def _finish(dataset: Any, pipeline: Pipeline, state: Any, report: PrepareReport) -> Any:
    if dataset.modality == "text":
        return _finish_text(dataset, pipeline, state, report)
    if len(state) == 0:
        raise ValueError(f"'{dataset.name}' has no {NOUNS[dataset.modality]}s to prepare")
    report.items_out = len(state)
    if dataset.modality == "image":
        x, norm = finish_images(state)
        captions = None if dataset.captions is None else [dataset.captions[int(i)] for i in state.index]
        return PreparedImages(x, state.labels, list(dataset.label_names), norm, pipeline.to_dict(), source=dataset.name,
                              captions=captions)
    if dataset.modality == "audio":
        x, rate = finish_audio(state)
        captions = None if dataset.captions is None else [dataset.captions[int(i)] for i in state.index]
        per_clip = {name: None if getattr(dataset, name, None) is None else np.asarray(getattr(dataset, name))[state.index]
                    for name in ("pitches", "heldout")}
        return PreparedAudio(x, rate, state.labels, list(dataset.label_names), pipeline.to_dict(),
                             captions=captions, source=dataset.name, **per_clip)
    return PreparedPoints(state.points, state.labels, list(dataset.label_names), pipeline.to_dict(), source=dataset.name)


def _finish_text(dataset: TextDataset, pipeline: Pipeline, text: str, report: PrepareReport) -> PreparedText:
    if not text.strip():
        raise ValueError(f"'{dataset.name}' has no text to prepare")
    index = next((i for i, s in enumerate(pipeline.steps) if s.kind == "tokenise"), None)
    step = pipeline.steps[index] if index is not None else None
    if not isinstance(step, Tokenise) or not step.enabled:
        step = make_step("text", "tokenise", kind="char")  # a model needs ids: characters by default
        report.notes.append("no Tokenise step: used characters")
    assert isinstance(step, Tokenise)
    upstream = cleaning_fingerprint(pipeline.steps)  # Tokenise comes last: every other step cleans
    status = step.status(upstream)
    tokenizer, trained = step.build(text, upstream)
    ids = tokenizer.encode_array(text)
    step_report = StepReport(step.name, step.title, changed=len(ids))
    step_report.notes.append(f"trained a {tokenizer.kind} tokenizer" if trained else "used the saved tokenizer")
    if status == "stale":
        step_report.notes.append("the cleaning steps before it changed since the saved vocabulary was "
                                 "trained, so it was trained again")
    elif status == "unknown":
        step_report.notes.append("the pipeline did not record which cleaning its vocabulary was trained after; "
                                 "it is now recorded as these steps")
    if tokenizer.kind != "bpe":
        unknown = int(np.count_nonzero(ids == tokenizer.vocab_size - 1))
        if unknown:
            step_report.notes.append(f"{unknown} tokens were not in the vocabulary ({UNK})")
    report.steps.append(step_report)
    final = step.with_tokenizer(tokenizer, upstream)
    if index is None or not pipeline.steps[index].enabled:
        recorded = pipeline.with_step(final) if index is None else pipeline.replaced(index, final)
    else:
        recorded = pipeline.replaced(index, final)
    report.items_out = len(text)
    report.tokens = int(len(ids))
    report.vocab_size = tokenizer.vocab_size
    report.chars_per_token = round(len(text) / max(1, len(ids)), 3)
    report.top_tokens = top_tokens(tokenizer, ids)
    return PreparedText(ids, tokenizer, text, recorded.to_dict(), source=dataset.name)


def top_tokens(tokenizer: Tokenizer, ids: np.ndarray, k: int = TOP_TOKENS) -> list[tuple[str, int]]:
    """The ``k`` most frequent tokens as (token text, count)."""
    counts = np.bincount(ids, minlength=tokenizer.vocab_size)
    order = np.argsort(-counts, kind="stable")[:k]
    return [(tokenizer.token_text(int(i)), int(counts[i])) for i in order if counts[i] > 0]


# Preview -------------------------------------------------------------------

PREVIEW_CHARS = 4000


@dataclass(frozen=True)
class Clip:
    """One audio clip for the preview: float32 L (or L x channels), and its rate."""

    samples: np.ndarray
    sample_rate: int


class PreviewPair(tuple):  # a (before, after) tuple with names
    __slots__ = ()

    def __new__(cls, before: Any, after: Any) -> PreviewPair:
        return super().__new__(cls, (before, after))

    @property
    def before(self) -> Any:
        return self[0]

    @property
    def after(self) -> Any:
        return self[1]


def _text_chunk(text: str, k: int) -> str:
    start = k * PREVIEW_CHARS
    if start >= len(text):
        return ""
    end = text.find("\n", start + PREVIEW_CHARS)
    return text[start:] if end < 0 else text[start:end]


def preview(dataset: Any, pipeline: Pipeline, indices: Sequence[int], *, display: bool = True) -> list[PreviewPair]:
    """(before, after) for each index, to show next to each other.

    Images: uint8 H x W x C before, and after as uint8 (``display``) or float32
    H x W x C in the model's scale. Text: chunk k of about 4 KB, raw and cleaned
    (see ``preview_tokens``). Audio: ``Clip`` before and after. Points: the
    point (2,) before and after. ``after`` is None for an item a filter drops.
    Filters that need the whole dataset (duplicates, caps) are skipped, and
    augmentation uses each item's own seed, so the result is what Prepare makes.
    """
    _check(dataset, pipeline)
    ctx = _context(dataset, preview=True)
    if dataset.modality == "text":
        pairs = []
        for k in indices:
            chunk = _text_chunk(dataset.text, int(k))
            after, _ = _drain(_run_steps(pipeline, chunk, ctx))
            pairs.append(PreviewPair(chunk, after))
        return pairs
    state, _ = _drain(_run_steps(pipeline, _initial_state(dataset, indices), ctx))
    out: dict[int, Any] = {}
    if dataset.modality == "image":
        items = state.images
        if display:
            items = [image_ops.to_uint8(im) for im in items]
        else:
            items = _model_scale(items, state.norm_mode)
    elif dataset.modality == "audio":
        items = [Clip(c, int(r)) for c, r in zip(state.clips, state.rates)]
    else:
        items = list(state.points)
    for original, item in zip(state.index, items):
        out.setdefault(int(original), item)
    pairs = []
    for i in indices:
        i = int(i)
        if dataset.modality == "image":
            before: Any = dataset.image(i)
        elif dataset.modality == "audio":
            before = Clip(np.asarray(dataset.clips[i]), int(dataset.sample_rates[i]))
        else:
            before = dataset.points[i]
        pairs.append(PreviewPair(before, out.get(i)))
    return pairs


def _model_scale(images: list[np.ndarray], mode: str) -> list[np.ndarray]:
    """Preview images in the model's value scale (mean/std from these images only)."""
    if mode != "meanstd" or not images:
        return [im * np.float32(2.0) - np.float32(1.0) for im in images]
    if len({im.shape[2] for im in images}) > 1:
        raise ValueError("some images are gray and some colour; add a 'Grayscale or RGB' step")
    pixels = np.concatenate([im.reshape(-1, im.shape[2]) for im in images])
    mean, std = pixels.mean(axis=0), np.maximum(pixels.std(axis=0), 1e-6)
    return [((im - mean) / std).astype(np.float32) for im in images]


def preview_tokens(dataset: TextDataset, pipeline: Pipeline,
                   max_chars: int = PREVIEW_CHARS) -> tuple[Tokenizer, list[tuple[int, int, int, str]], str]:
    """Token spans of the cleaned start of a corpus, for the coloured token view.

    Returns (tokenizer, spans, cleaned text); spans are (start, end, id, token
    text) into that text. Uses the pipeline's saved tokenizer unless it is
    stale (the cleaning changed since it was trained), else one trained on the
    cleaned first 256 KB (so BPE merges are close to Prepare's), kept in a
    cache shared by all callers (safe from any thread).
    """
    _check(dataset, pipeline)
    ctx = _context(dataset, preview=True)
    sample_end = dataset.text.find("\n", 256_000)
    sample = dataset.text if sample_end < 0 else dataset.text[:sample_end]
    cleaned, _ = _drain(_run_steps(pipeline, sample, ctx))
    step = next((s for s in pipeline.steps if s.kind == "tokenise" and s.enabled), None)
    if step is None:
        step = make_step("text", "tokenise", kind="char")
    assert isinstance(step, Tokenise)
    tokenizer = step.saved_for(cleaning_fingerprint(pipeline.steps))
    if tokenizer is None:
        tokenizer = _PREVIEW_TOKENIZERS.get(step["kind"], step["vocab_size"], cleaned)
    shown = cleaned[:max_chars]
    return tokenizer, tokenizer.spans(shown), shown


# A slider move retrains only when the cleaned text or the settings changed.
_PREVIEW_TOKENIZERS = TokenizerCache(4)


def augment_variants(image: np.ndarray, pipeline_or_step: Pipeline | Step, n: int = 16, seed: int = 0) -> list[np.ndarray]:
    """``n`` augmented variants of one image: "what the model sees".

    ``image`` is uint8 H x W x C; with a pipeline, its resize/colour/crop steps
    apply too. Returns uint8 H x W x C arrays. Raises ValueError without an
    enabled Augment step.
    """
    steps = [pipeline_or_step] if isinstance(pipeline_or_step, Step) else pipeline_or_step.enabled_steps()
    steps = [s for s in steps if s.enabled and s.kind in ("map", "augment") and "image" in s.modalities]
    first = next((k for k, s in enumerate(steps) if s.kind == "augment"), None)
    if first is None:
        raise ValueError("add an Augment step (and switch it on) to see augmented variants")
    base = image_ops.to_unit(image)
    for step in steps[:first]:
        base = step.map_image(base)  # type: ignore[attr-defined]
    variants = []
    for v in range(n):
        x = base
        for step in steps[first:]:
            if step.kind == "augment":
                x = step.augment_image(x, np.random.default_rng([seed, v]))  # type: ignore[attr-defined]
            else:
                x = step.map_image(x)  # type: ignore[attr-defined]
        variants.append(image_ops.to_uint8(x))
    return variants
