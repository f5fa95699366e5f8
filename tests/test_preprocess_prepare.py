"""prepare as a job (progress, cancel), the preview strip, the token preview's cache and augmented variants."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from test_preprocess_helpers import clips, corpus, digits, mixed_images, points

from playground.core.data.dataset import TextDataset
from playground.core.jobs import JobCancelled, JobControl, Progress, collect
from playground.core.preprocess import (
    Clip,
    Pipeline,
    augment_variants,
    default_pipeline,
    make_step,
    prepare,
    prepare_job,
    preview,
    preview_tokens,
    with_labels,
)
from playground.core.preprocess.image_ops import to_uint8, to_unit
from playground.core.preprocess.tokenizer import UNK, Tokenizer, TokenizerCache


def _augmenting(dataset):
    return default_pipeline(dataset).with_step(make_step("image", "augment", rotation=15.0, noise=0.02, seed=3))


def test_job_yields_progress_and_returns_result():
    dataset = digits(30)
    (prepared, report), events = collect(prepare_job(dataset, _augmenting(dataset)))
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress[0].done == 0 and progress[-1].done == progress[-1].total == 1000
    assert [p.done for p in progress] == sorted(p.done for p in progress)
    assert len(progress) < 50  # throttled
    assert report.items_in == report.items_out == 300 and prepared.x.shape == (300, 1, 28, 28)
    assert prepared.pipeline == _augmenting(dataset).to_dict()
    assert report.seconds > 0


def test_job_cancels():
    control = JobControl()
    control.cancel()
    with pytest.raises(JobCancelled):
        prepare(digits(2), default_pipeline(digits(2)), control=control)


def test_text_report():
    dataset = corpus(50)
    pipeline = default_pipeline(dataset).replaced(2, make_step("text", "tokenise", kind="bpe", vocab_size=320))
    prepared, report = prepare(dataset, pipeline)
    assert report.tokens == len(prepared.ids) and report.vocab_size == prepared.vocab_size <= 320
    assert report.chars_per_token == pytest.approx(len(prepared.text) / len(prepared.ids), rel=1e-3)
    assert report.top_tokens[0][1] >= report.top_tokens[-1][1]
    data = report.to_dict()
    assert {"items_in", "items_out", "steps", "tokens", "vocab_size"} <= set(data)
    assert prepared.ids.dtype == np.int64


def test_text_without_tokenise_uses_characters():
    prepared, report = prepare(corpus(2), Pipeline("text", (make_step("text", "lowercase"),)))
    assert prepared.tokenizer.kind == "char" and "no Tokenise step: used characters" in report.notes
    assert Pipeline.from_dict(prepared.pipeline).tokenizer() == prepared.tokenizer


def test_image_preview_matches_prepare_and_is_stable():
    dataset = digits(3)
    pipeline = _augmenting(dataset)
    pairs = preview(dataset, pipeline, [0, 5, 7])
    assert len(pairs) == 3
    before, after = pairs[1]
    assert np.array_equal(before, dataset.images[5])
    assert after.dtype == np.uint8 and after.shape == (28, 28, 1)
    assert np.array_equal(preview(dataset, pipeline, [5])[0].after, after)  # a fixed seed
    prepared, _ = prepare(dataset, pipeline)
    assert np.array_equal(prepared.to_uint8()[5], after)
    model = preview(dataset, pipeline, [5], display=False)[0].after
    assert model.dtype == np.float32 and model.min() >= -1.0 and np.allclose(model, prepared.x[5].transpose(1, 2, 0))


def test_preview_marks_filtered_items_and_skips_whole_dataset_filters():
    dataset = mixed_images()
    pipeline = with_labels(default_pipeline(dataset), ["dog"]).with_step(make_step("image", "dedupe"), 0)
    pairs = preview(dataset, pipeline, [0, 1, 2, 3])
    assert pairs[0].after is None and pairs[1].after is None  # cats
    assert pairs[2].after.shape == (32, 32, 3)


def test_preview_text_and_tokens():
    dataset = corpus(100)
    pipeline = default_pipeline(dataset).with_step(make_step("text", "strip_markup"), 0)
    pairs = preview(dataset, pipeline, [0, 1])
    before, after = pairs[0]
    assert 4000 <= len(before) < 4100 and "<h1>" in before and "<h1>" not in after
    bpe = pipeline.replaced(3, make_step("text", "tokenise", kind="bpe", vocab_size=300))
    tokenizer, spans, shown = preview_tokens(dataset, bpe, max_chars=500)
    assert tokenizer.kind == "bpe" and shown.startswith("Sonnet 18")
    assert [s[2] for s in spans] == tokenizer.encode(shown)


def test_token_preview_trains_once_when_two_threads_ask_at_once(monkeypatch):
    # Preview jobs run in worker threads; two of them may want the same vocabulary at once.
    dataset = TextDataset("race-test", "Two preview jobs ask for the same vocabulary.\n" * 40)
    pipeline = default_pipeline(dataset)
    train = Tokenizer.train
    calls: list[str] = []
    first_in, second_in = threading.Event(), threading.Event()

    def slow_train(kind, lines, vocab_size=512):
        calls.append(kind)
        if len(calls) == 1:
            first_in.set()
            second_in.wait(0.5)  # an unguarded cache lets the second caller in here too
        else:
            second_in.set()
        return train(kind, lines, vocab_size)

    monkeypatch.setattr(Tokenizer, "train", staticmethod(slow_train))
    results = {}

    def ask(name: str) -> None:
        results[name] = preview_tokens(dataset, pipeline)[0]

    first = threading.Thread(target=ask, args=("first",))
    second = threading.Thread(target=ask, args=("second",))
    first.start()
    assert first_in.wait(5)
    second.start()
    first.join(10)
    second.join(10)
    assert calls == ["char"]
    assert results["first"] is results["second"]


def test_tokenizer_cache_trains_different_texts_side_by_side(monkeypatch):
    started = {"a": threading.Event(), "b": threading.Event()}
    overlapped: list[bool] = []

    def train(kind, lines, vocab_size=512):
        name = lines[0]
        started[name].set()
        overlapped.append(started["b" if name == "a" else "a"].wait(5))  # a lock held while training: False
        return Tokenizer("char", [name, UNK])

    monkeypatch.setattr(Tokenizer, "train", staticmethod(train))
    cache = TokenizerCache(2)
    threads = [threading.Thread(target=cache.get, args=("char", 512, name)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert overlapped == [True, True]


def test_tokenizer_cache_keeps_the_most_recent_and_forgets_failures():
    cache = TokenizerCache(2)
    a = cache.get("char", 512, "a")
    b = cache.get("char", 512, "b")
    assert cache.get("char", 512, "a") is a  # now the most recent
    cache.get("char", 512, "c")  # pushes out b
    assert len(cache) == 2 and cache.get("char", 512, "a") is a
    assert cache.get("char", 512, "b") is not b and cache.get("char", 512, "b") == b
    with pytest.raises(ValueError, match="alphabet"):
        cache.get("bpe", 100, "x")
    assert len(cache) == 2  # a failure is not kept: the next call tries again
    with pytest.raises(ValueError, match="at least one"):
        TokenizerCache(0)


def test_preview_audio_and_points():
    dataset = clips()
    pairs = preview(dataset, default_pipeline(dataset), [1])
    assert isinstance(pairs[0].before, Clip) and pairs[0].before.sample_rate == 22050
    assert pairs[0].after.sample_rate == 16000 and pairs[0].after.samples.shape == (32000,)
    dots = points()
    assert np.array_equal(preview(dots, Pipeline("points", ()), [3])[0].after, dots.points[3])


def test_preview_does_not_mutate():
    dataset = digits(2)
    images = dataset.images.copy()
    preview(dataset, _augmenting(dataset), range(8))
    assert np.array_equal(images, dataset.images)


def test_augment_variants():
    dataset = mixed_images()
    pipeline = default_pipeline(dataset).with_step(make_step("image", "augment", flip=True, crop_jitter=0.2))
    grid = augment_variants(dataset.images[5], pipeline, n=16, seed=1)
    assert len(grid) == 16 and all(v.shape == (32, 32, 3) and v.dtype == np.uint8 for v in grid)
    assert len({v.tobytes() for v in grid}) > 8
    assert all(np.array_equal(a, b) for a, b in zip(grid, augment_variants(dataset.images[5], pipeline, 16, 1)))
    one = augment_variants(dataset.images[0], make_step("image", "augment"), n=4)
    assert one[0].shape == (40, 30, 3)
    with pytest.raises(ValueError, match="add an Augment step"):
        augment_variants(dataset.images[0], default_pipeline(dataset))


def test_unit_conversions_round_trip():
    image = mixed_images().images[0]
    assert np.array_equal(to_uint8(to_unit(image)), image)
