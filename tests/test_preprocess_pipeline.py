"""Pipelines: editing, JSON round trips (with a trained tokenizer), defaults and errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_preprocess_helpers import clips, corpus, digits, mixed_images, points

from playground.core.data.dataset import ImageDataset
from playground.core.preprocess import (
    SCHEMA_VERSION,
    Pipeline,
    Tokenizer,
    default_pipeline,
    make_step,
    prepare,
    preview_tokens,
    step_palette,
    with_labels,
)


def _mnist_like() -> ImageDataset:
    return ImageDataset("mnist-5k", np.zeros((2, 28, 28, 1), np.uint8), [0, 1], ["0", "1"])


def test_round_trip_every_step(tmp_path):
    for modality in ("image", "audio", "text", "points"):
        steps = []
        for cls in step_palette(modality):
            step = cls()
            if cls.name == "keep_labels":
                step = step.replace(labels=["a", "b"])
            steps.append(step.replace(enabled=False) if len(steps) == 1 else step)
        pipeline = Pipeline(modality, tuple(steps))
        path = tmp_path / f"{modality}.json"
        pipeline.save(path)
        loaded = Pipeline.load(path)
        assert loaded == pipeline
        assert loaded.to_dict() == json.loads(path.read_text())
        assert not loaded.steps[1].enabled


def test_saved_file_format(tmp_path):
    pipeline = default_pipeline(_mnist_like())
    path = tmp_path / "p.json"
    pipeline.save(path)
    data = json.loads(path.read_text())
    assert data["schema"] == SCHEMA_VERSION and data["modality"] == "image"
    assert data["steps"][0] == {"name": "colour", "enabled": True, "params": {"mode": "gray"}}
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left nothing behind


@pytest.mark.parametrize("kind", ["bpe", "char", "word"])
def test_trained_tokenizer_round_trip(tmp_path, kind):
    dataset = corpus()
    pipeline = Pipeline("text", (make_step("text", "nfkc"), make_step("text", "tokenise", kind=kind, vocab_size=300)))
    prepared, _ = prepare(dataset, pipeline)
    assert pipeline.tokenizer() is None  # prepare did not change the pipeline it was given
    recorded = Pipeline.from_dict(prepared.pipeline)
    path = tmp_path / "text.json"
    recorded.save(path)
    loaded = Pipeline.load(path)
    tokenizer = loaded.tokenizer()
    assert tokenizer is not None and tokenizer == prepared.tokenizer
    assert np.array_equal(tokenizer.encode_array(prepared.text), prepared.ids)
    again, report = prepare(dataset, loaded)
    assert np.array_equal(again.ids, prepared.ids)
    assert "used the saved tokenizer" in report.steps[-1].notes
    # Changing a parameter drops the saved vocabulary; switching the step off and on keeps it.
    tokenise = loaded.steps[-1]
    assert tokenise.replace(vocab_size=400).trained is None
    assert tokenise.replace(enabled=False).replace(enabled=True).trained == tokenizer


def test_tokenizer_dict_round_trip_and_spans():
    text = corpus(3).text
    bpe = Tokenizer.train("bpe", text.splitlines(keepends=True), 320)
    again = Tokenizer.from_dict(json.loads(json.dumps(bpe.to_dict())))
    sample = "Shall I compare thee to a winter's night? ﬁ 😀"
    assert again.encode(sample) == bpe.encode(sample)
    assert again.decode(again.encode(sample)) == sample
    spans = bpe.spans(sample)
    assert [s[2] for s in spans] == bpe.encode(sample)
    assert spans[0][0] == 0 and spans[-1][1] == len(sample)
    char = Tokenizer.train("char", text)
    assert char.decode(char.encode("Shall")) == "Shall"
    assert char.decode(char.encode("Q")) == "\ufffd"  # unseen: <unk>
    word = Tokenizer.train("word", text, 40)
    assert [s[3] for s in word.spans("Shall I")] == ["Shall", " I"]
    assert "".join(s[3] for s in word.spans(text[:200])) == text[:200]


def test_tokenizer_from_bad_dict():
    for bad in (None, {"kind": "x"}, {"kind": "bpe", "hf": "{not json"}, {"kind": "char", "vocab": ["ab", "<unk>"]},
                {"kind": "word", "vocab": ["a"]}):
        with pytest.raises(ValueError):
            Tokenizer.from_dict(bad)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected a JSON object"),
        ({"modality": "image"}, "needs 'schema', 'modality' and 'steps'"),
        ({"schema": 99, "modality": "image", "steps": []}, "schema 99 is newer"),
        ({"schema": "1", "modality": "image", "steps": []}, "positive whole number"),
        ({"schema": 1, "modality": "video", "steps": []}, "modality must be one of"),
        ({"schema": 1, "modality": "image", "steps": {}}, "'steps' must be a list"),
        ({"schema": 1, "modality": "image", "steps": [{"name": "blur"}]}, "step 1: unknown step 'blur'"),
        ({"schema": 1, "modality": "image", "steps": [{"name": "tokenise"}]}, "unknown step 'tokenise' for image"),
        ({"schema": 1, "modality": "image", "steps": [{"name": "resize", "params": {"size": 0}}]},
         "step 1: Resize: size must be one of 16, 28, 32, 64; got 0"),
        ({"schema": 1, "modality": "image", "steps": [{"name": "resize", "params": {"x": 1}}]}, "no parameter 'x'"),
        ({"schema": 1, "modality": "image", "steps": [{"name": "resize", "enabled": "no"}]}, "'enabled' must be"),
        ({"schema": 1, "modality": "image", "steps": ["resize"]}, "must be an object"),
        ({"schema": 1, "modality": "text", "steps": [{"name": "tokenise"}, {"name": "lowercase"}]}, "must come last"),
        ({"schema": 1, "modality": "text",
          "steps": [{"name": "tokenise", "params": {"kind": "char"}, "trained": {"kind": "bpe", "hf": "{}"}}]},
         "tokenizer"),
    ],
)
def test_from_dict_errors(data, message):
    with pytest.raises(ValueError, match=message):
        Pipeline.from_dict(data)


def test_load_errors(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        Pipeline.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    with pytest.raises(ValueError, match="bad.json is not valid JSON"):
        Pipeline.load(bad)


def test_editing_returns_new_pipelines():
    pipeline = default_pipeline(_mnist_like())
    longer = pipeline.with_step(make_step("image", "dedupe"), 0)
    assert len(pipeline.steps) == 3 and longer.steps[0].name == "dedupe"
    assert longer.moved(0, 3).steps[3].name == "dedupe"
    assert longer.without(0) == pipeline
    text = default_pipeline(corpus(1)).with_step(make_step("text", "lowercase"))
    assert text.steps[-1].name == "tokenise" and text.steps[-2].name == "lowercase"
    with pytest.raises(ValueError, match="does not work on image data"):
        pipeline.with_step(make_step("text", "lowercase"))


def test_with_labels_data_diet():
    dataset = digits(3)
    diet = with_labels(default_pipeline(dataset), ["0", "1", "2", "3", "4"])
    assert diet.steps[0].name == "keep_labels"
    prepared, report = prepare(dataset, diet)
    assert sorted(set(prepared.labels.tolist())) == [0, 1, 2, 3, 4]
    assert report.items_out == 15 and report.steps[0].removed == 15
    twice = with_labels(diet, ["7"])
    assert [s.name for s in twice.steps].count("keep_labels") == 1
    assert set(prepare(dataset, twice)[0].labels.tolist()) == {7}
    with pytest.raises(ValueError, match="at least one label"):
        with_labels(diet, [])


def test_default_pipelines():
    assert [(s.name, s.values) for s in default_pipeline(_mnist_like()).steps] == [
        ("colour", {"mode": "gray"}), ("resize", {"size": 28, "method": "area"}), ("normalise", {"mode": "minus1_1"})]
    emoji = ImageDataset("emoji-32", np.zeros((2, 32, 32, 3), np.uint8), [0, 1], ["a", "b"])
    assert default_pipeline(emoji).steps[1]["size"] == 32 and default_pipeline(emoji).steps[0]["mode"] == "rgb"
    own, _ = prepare(mixed_images(), default_pipeline(mixed_images()))
    assert own.x.shape == (6, 3, 32, 32)
    text = default_pipeline(corpus(1))
    assert text.steps[-1]["kind"] == "char"
    audio, _ = prepare(clips(), default_pipeline(clips()))
    assert audio.x.shape == (3, 32000) and audio.sample_rate == 16000
    assert default_pipeline(points()).steps == ()


def test_palette_specs_are_plain_data():
    for modality in ("image", "text", "audio", "points"):
        for cls in step_palette(modality):
            spec = cls.spec()
            json.dumps(spec)
            assert spec["name"] and spec["title"] and spec["help"]
            for param in cls.params:
                cls(**{param.name: param.default})  # every default is valid
    with pytest.raises(ValueError):
        step_palette("video")


def test_wrong_modality_pipeline():
    with pytest.raises(ValueError, match="this pipeline is for text data"):
        prepare(digits(1), default_pipeline(corpus(1)))


def _bpe_prepared(dataset, *cleaning):
    pipeline = Pipeline("text", (*cleaning, make_step("text", "tokenise", kind="bpe", vocab_size=300)))
    prepared, _ = prepare(dataset, pipeline)
    return Pipeline.from_dict(prepared.pipeline), prepared


def test_trained_tokenizer_goes_stale_when_the_cleaning_before_it_changes():
    dataset = corpus()
    trained, first = _bpe_prepared(dataset, make_step("text", "nfkc"))
    assert trained.tokenizer_status() == "current"
    lowered = trained.with_step(make_step("text", "lowercase"))
    assert lowered.steps[-1].trained == first.tokenizer and lowered.tokenizer_status() == "stale"
    # Prepare trains a vocabulary on the lowercased text, as if there had never been a saved one.
    _, fresh = _bpe_prepared(dataset, make_step("text", "nfkc"), make_step("text", "lowercase"))
    again, report = prepare(dataset, lowered)
    assert again.tokenizer == fresh.tokenizer and again.tokenizer != first.tokenizer
    assert np.array_equal(again.ids, fresh.ids)
    assert any("trained again" in note for note in report.steps[-1].notes)
    assert Pipeline.from_dict(again.pipeline).tokenizer_status() == "current"
    # Switching the new step off, or removing it, gives back the text the saved vocabulary was trained on.
    assert lowered.replaced(1, lowered.steps[1].replace(enabled=False)).tokenizer_status() == "current"
    assert lowered.without(1).tokenizer_status() == "current"
    tweaked = trained.replaced(0, make_step("text", "collapse_whitespace", max_blank_lines=0))
    assert tweaked.tokenizer_status() == "stale"


def test_token_preview_ignores_a_stale_vocabulary():
    dataset = corpus()
    trained, first = _bpe_prepared(dataset, make_step("text", "nfkc"))
    lowered = trained.with_step(make_step("text", "lowercase"))
    tokenizer, _, shown = preview_tokens(dataset, lowered)
    assert tokenizer != first.tokenizer and shown == shown.lower()
    assert preview_tokens(dataset, trained)[0] is trained.tokenizer()  # current: the saved one


def test_trained_pipeline_records_its_cleaning_and_old_files_still_load(tmp_path):
    dataset = corpus()
    trained, first = _bpe_prepared(dataset, make_step("text", "nfkc"))
    data = trained.to_dict()
    assert data["schema"] == 2 and isinstance(data["steps"][-1]["upstream"], str)
    assert "upstream" not in make_step("text", "tokenise").to_dict()
    # A schema 1 file: a vocabulary without the record of its cleaning.
    del data["steps"][-1]["upstream"]
    data["schema"] = 1
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    old = Pipeline.load(path)
    assert old.tokenizer() == first.tokenizer and old.tokenizer_status() == "unknown"
    assert old.with_step(make_step("text", "lowercase")).tokenizer_status() == "unknown"  # cannot tell
    again, report = prepare(dataset, old)
    assert np.array_equal(again.ids, first.ids) and "used the saved tokenizer" in report.steps[-1].notes
    assert any("did not record" in note for note in report.steps[-1].notes)
    recorded = Pipeline.from_dict(again.pipeline)
    assert recorded.tokenizer_status() == "current"
    assert recorded.with_step(make_step("text", "lowercase")).tokenizer_status() == "stale"


@pytest.mark.parametrize(
    ("step", "match"),
    [
        ({"name": "tokenise", "params": {"kind": "char"}, "upstream": "abc"}, "no 'trained'"),
        ({"name": "tokenise", "params": {"kind": "char"}, "trained": {"kind": "char", "vocab": ["a", "<unk>"]},
          "upstream": 7}, "'upstream' must be text"),
    ],
)
def test_bad_upstream_fingerprint(step, match):
    with pytest.raises(ValueError, match=match):
        Pipeline.from_dict({"schema": 2, "modality": "text", "steps": [step]})
