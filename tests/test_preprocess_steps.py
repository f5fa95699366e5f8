"""Every preprocess step: what it does, that it never mutates its input, and its errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from test_preprocess_helpers import clips, corpus, digits, mixed_images, points

from playground.core.preprocess import Pipeline, make_step, prepare, step_palette
from playground.core.preprocess.image_ops import to_unit

# Parameters that make each step do something on the test data.
IMAGE_PARAMS = {
    "resize": {"size": 16, "method": "bilinear"},
    "square": {"mode": "pad", "fill": "black"},
    "colour": {"mode": "rgb"},
    "keep_labels": {"labels": ["cat", "dog"]},
    "cap_per_label": {"cap": 1},
    "skew_labels": {"label": "cat", "share": 0.5},
    "augment": {"flip": True, "colour_jitter": 0.2, "noise": 0.05, "crop_jitter": 0.2},
}
AUDIO_PARAMS = {"keep_labels": {"labels": ["low"]}, "skew_labels": {"label": "low", "share": 0.5},
                "cap_per_label": {"cap": 1}, "augment": {"noise": 0.01, "shift_ms": 50.0},
                "resample": {"rate": 8000}, "pad_crop": {"seconds": 0.5}}
SHAPING = {  # steps that make mixed images stackable, put after the step under test
    "image": [("square", {"mode": "crop"}), ("colour", {"mode": "rgb"}), ("resize", {"size": 16})],
    "audio": [("mono", {}), ("resample", {"rate": 8000}), ("pad_crop", {"seconds": 0.5})],
}


def _snapshot(dataset):
    return copy.deepcopy(dataset.__dict__)


def _assert_unchanged(before, dataset):
    for key, value in before.items():
        now = dataset.__dict__[key]
        if isinstance(value, np.ndarray):
            assert np.array_equal(value, now), key
        elif isinstance(value, list) and value and isinstance(value[0], np.ndarray):
            assert all(np.array_equal(a, b) for a, b in zip(value, now)), key
        else:
            assert value == now, key


def _one_step_pipeline(modality, name, params):
    steps = [make_step(modality, name, **params)]
    steps += [make_step(modality, n, **p) for n, p in SHAPING.get(modality, []) if n != name]
    return Pipeline(modality, tuple(steps))


@pytest.mark.parametrize("name", [c.name for c in step_palette("image")])
def test_image_step_is_pure_and_runs(name):
    dataset = mixed_images()
    before = _snapshot(dataset)
    prepared, report = prepare(dataset, _one_step_pipeline("image", name, IMAGE_PARAMS.get(name, {})))
    _assert_unchanged(before, dataset)
    assert prepared.x.dtype == np.float32 and prepared.x.ndim == 4
    assert report.steps[0].name == name


@pytest.mark.parametrize("name", [c.name for c in step_palette("audio")])
def test_audio_step_is_pure_and_runs(name):
    dataset = clips()
    before = _snapshot(dataset)
    prepared, report = prepare(dataset, _one_step_pipeline("audio", name, AUDIO_PARAMS.get(name, {})))
    _assert_unchanged(before, dataset)
    assert prepared.x.dtype == np.float32 and prepared.x.shape[1] == 4000
    assert prepared.sample_rate == 8000


@pytest.mark.parametrize("name", [c.name for c in step_palette("text")])
def test_text_step_is_pure_and_runs(name):
    dataset = corpus()
    text = dataset.text
    params = {"kind": "bpe", "vocab_size": 300} if name == "tokenise" else {}
    prepared, report = prepare(dataset, Pipeline("text", (make_step("text", name, **params),)))
    assert dataset.text == text
    assert prepared.tokenizer.decode(prepared.ids) == prepared.text


def test_resize_and_square():
    dataset = mixed_images()
    prepared, report = prepare(dataset, _one_step_pipeline("image", "square", {"mode": "crop"}))
    assert prepared.x.shape == (6, 3, 16, 16)
    by_name = {s.name: s for s in report.steps}
    assert by_name["square"].changed == 4  # three 40x30 and one 16x24; the square ones stay
    plain = Pipeline("image", (make_step("image", "colour", mode="gray"), make_step("image", "resize", size=32)))
    _, report = prepare(dataset, plain)
    assert any("stretched" in n for n in report.steps[1].notes)


def test_image_ops_never_write_into_input():
    image = to_unit(mixed_images().images[0])
    kept = image.copy()
    for cls in step_palette("image"):
        step = cls(**IMAGE_PARAMS.get(cls.name, {}))
        if step.kind == "map":
            step.map_image(image)
        elif step.kind == "augment":
            step.augment_image(image, np.random.default_rng(0))
    assert np.array_equal(image, kept)


def test_grayscale_and_rgb_channels():
    dataset = mixed_images()
    gray = prepare(dataset, _one_step_pipeline("image", "colour", {"mode": "gray"}))[0]
    assert gray.shape == (1, 16, 16)


def test_normalise_meanstd_records_stats():
    prepared, _ = prepare(digits(2), Pipeline("image", (make_step("image", "normalise", mode="meanstd"),)))
    assert prepared.norm["kind"] == "meanstd"
    assert abs(float(prepared.x.mean())) < 1e-3 and abs(float(prepared.x.std()) - 1) < 1e-2
    back = prepared.to_uint8()
    assert back.shape == (20, 28, 28, 1) and back.dtype == np.uint8


def test_minus1_1_range():
    dataset = digits(2)
    prepared, _ = prepare(dataset, Pipeline("image", ()))
    assert prepared.norm == {"kind": "minus1_1"}
    expected = dataset.images.transpose(0, 3, 1, 2) / 127.5 - 1.0
    assert np.allclose(prepared.x, expected, atol=1e-6)
    assert np.array_equal(prepared.to_uint8(), dataset.images)


def test_duplicates_found_with_pairs():
    dataset = mixed_images()
    steps = (make_step("image", "dedupe", distance=4),) + tuple(make_step("image", n, **p) for n, p in SHAPING["image"])
    prepared, report = prepare(dataset, Pipeline("image", steps))
    assert report.steps[0].removed == 2
    assert report.duplicate_pairs == [(0, 1), (0, 2)]
    assert "1 exact and 1 near" in report.steps[0].notes[0]
    strict = steps[0].replace(distance=0, hash="dhash")
    _, report = prepare(dataset, Pipeline("image", (strict,) + steps[1:]))
    assert (0, 1) in report.duplicate_pairs


def test_drop_blank():
    dataset = mixed_images()
    _, report = prepare(dataset, _one_step_pipeline("image", "drop_blank", {"threshold": 0.05}))
    assert report.steps[0].removed == 1
    with pytest.raises(ValueError, match="removed every image; lower the threshold"):
        prepare(dataset, _one_step_pipeline("image", "drop_blank", {"threshold": 0.5}))


def test_label_steps():
    dataset = digits(10)
    keep = Pipeline("image", (make_step("image", "keep_labels", labels=["0", "1", "2", "3", "4"]),))
    prepared, report = prepare(dataset, keep)
    assert set(prepared.labels.tolist()) == {0, 1, 2, 3, 4} and report.items_out == 50
    capped, _ = prepare(dataset, Pipeline("image", (make_step("image", "cap_per_label", cap=3),)))
    assert np.bincount(capped.labels).tolist() == [3] * 10
    skew = Pipeline("image", (make_step("image", "skew_labels", label="1", share=0.9),))
    skewed, report = prepare(dataset, skew)
    assert np.mean(skewed.labels == 1) == pytest.approx(0.9, abs=0.02)
    assert (skewed.labels == 1).sum() == 10
    again, _ = prepare(dataset, skew)
    assert np.array_equal(again.x, skewed.x)  # seeded


def test_label_filter_errors():
    dataset = digits(2)
    with pytest.raises(ValueError, match="'seven' is not in this dataset"):
        prepare(dataset, Pipeline("image", (make_step("image", "keep_labels", labels=["seven"]),)))
    with pytest.raises(ValueError, match="choose at least one label"):
        prepare(dataset, Pipeline("image", (make_step("image", "keep_labels"),)))
    dataset.labels[:] = 0
    with pytest.raises(ValueError, match="the label filter removed every image; keep at least one label"):
        prepare(dataset, Pipeline("image", (make_step("image", "keep_labels", labels=["3"]),)))


def test_augment_is_seeded_and_copies():
    dataset = digits(2)
    step = make_step("image", "augment", rotation=20.0, noise=0.05, copies=3, seed=7)
    a, report = prepare(dataset, Pipeline("image", (step,)))
    b, _ = prepare(dataset, Pipeline("image", (step,)))
    assert len(a) == 60 and np.array_equal(a.x, b.x)
    assert not np.array_equal(a.x[0], a.x[1])  # two copies of one image differ
    c, _ = prepare(dataset, Pipeline("image", (step.replace(seed=8),)))
    assert not np.array_equal(a.x, c.x)


def test_audio_steps_values():
    dataset = clips()
    mono = make_step("audio", "mono")
    trim = make_step("audio", "trim_silence", threshold_db=-30.0, keep_ms=0.0)
    resample = make_step("audio", "resample", rate=16000)
    peak = make_step("audio", "normalise", mode="peak", peak_db=-6.0)
    pad = make_step("audio", "pad_crop", seconds=1.0, align="centre")
    prepared, report = prepare(dataset, Pipeline("audio", (mono, resample, trim, peak, pad)))
    assert prepared.x.shape == (3, 16000) and prepared.sample_rate == 16000
    assert np.abs(prepared.x).max(axis=1) == pytest.approx(10 ** (-6 / 20), rel=1e-3)
    assert report.steps[2].changed == 3  # the silent starts were trimmed
    assert prepared.captions == ["a", "b", "c"]
    rms = make_step("audio", "normalise", mode="rms", rms_db=-20.0)
    prepared, _ = prepare(dataset, Pipeline("audio", (mono, resample, rms, pad)))
    level = np.sqrt(np.mean(prepared.x[1] ** 2))
    assert 0.05 < level < 0.11  # -20 dB before padding to 1 s


def test_audio_needs_shaping_steps():
    with pytest.raises(ValueError, match="Mix to mono"):
        prepare(clips(), Pipeline("audio", ()))
    mono = make_step("audio", "mono")
    with pytest.raises(ValueError, match="Pad or crop"):
        prepare(clips(), Pipeline("audio", (mono,)))


def test_images_need_shaping_steps():
    with pytest.raises(ValueError, match="add a Resize step"):
        prepare(mixed_images(), Pipeline("image", ()))


def test_text_cleaning_steps():
    dataset = corpus(2)
    steps = (make_step("text", "strip_markup"), make_step("text", "nfkc"), make_step("text", "lowercase"),
             make_step("text", "collapse_whitespace"), make_step("text", "dedupe_lines"),
             make_step("text", "filter_lines", min_chars=10), make_step("text", "tokenise", kind="char"))
    prepared, report = prepare(dataset, Pipeline("text", steps))
    text = prepared.text
    assert "<h1>" not in text and "&amp;" not in text and "fine & full width" in text
    assert text.count("shall i compare thee") == 1
    assert "sonnet 18" not in text  # 9 characters: shorter than the filter's 10
    assert report.steps[0].notes == ["4 tags removed"]
    assert report.tokens == len(text) and report.vocab_size == len(set(text)) + 1


def test_filter_lines_errors():
    with pytest.raises(ValueError, match="shortest length"):
        make_step("text", "filter_lines", min_chars=50, max_chars=10)
    step = make_step("text", "filter_lines", min_chars=500, keep_blank=False)
    with pytest.raises(ValueError, match="removed all the text; widen the length range"):
        prepare(corpus(), Pipeline("text", (step,)))


def test_points_identity_and_labels():
    dataset = points()
    prepared, report = prepare(dataset, Pipeline("points", ()))
    assert np.array_equal(np.asarray(prepared), dataset.points) and prepared.x.dtype == np.float32
    kept, _ = prepare(dataset, Pipeline("points", (make_step("points", "keep_labels", labels=["a"]),)))
    assert set(kept.labels.tolist()) == {0}


@pytest.mark.parametrize(
    ("modality", "name", "params", "message"),
    [
        ("image", "resize", {"size": 0}, "must be one of 16, 28, 32, 64"),
        ("image", "resize", {"method": "cubic"}, "must be one of nearest, bilinear, area"),
        ("image", "drop_blank", {"threshold": -1.0}, "must be at least 0"),
        ("image", "augment", {"copies": 2.5}, "whole number"),
        ("image", "augment", {"flip": "yes"}, "true or false"),
        ("image", "keep_labels", {"labels": "cat"}, "list of label names"),
        ("image", "resize", {"sise": 28}, "has no parameter 'sise'"),
        ("text", "tokenise", {"kind": "bpe", "vocab_size": 100}, "larger than its alphabet of 256"),
        ("audio", "resample", {"rate": 44100}, "must be one of 8000, 16000"),
        ("audio", "pad_crop", {"seconds": 0}, "must be at least 0.05"),
    ],
)
def test_bad_params_raise_clear_errors(modality, name, params, message):
    with pytest.raises(ValueError, match=message):
        make_step(modality, name, **params)


def test_replace_returns_a_new_step():
    step = make_step("image", "resize", size=28)
    other = step.replace(size=32)
    assert step["size"] == 28 and other["size"] == 32
    assert not step.replace(enabled=False).enabled and step.enabled
    with pytest.raises(ValueError):
        step.replace(size=17)
