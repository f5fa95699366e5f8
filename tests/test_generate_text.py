"""The Text section's jobs, Qt-free, over a tiny GPT trained in the test: streaming, branches, variants,
attention, copied stretches, sweep, time travel, receipts, and the messages for bad checkpoints."""

from __future__ import annotations

import dataclasses
import json
import threading

import numpy as np
import pytest

from playground.core.events import Progress, TokensGenerated
from playground.core.generate.streaming import stream_call
from playground.core.generate.text import (TextModel, attention_job, branch_job, finish_generation, generate_job,
                                           load_text_model_job, variants_job)
from playground.core.generate.text_explore import saved_text, sweep_job, time_travel_job, verify_job
from playground.core.generators.text_generator import TextRequest
from playground.core.jobs import JobCancelled, JobControl, collect
from playground.core.metrics.text_quality import corpus_vocabulary, real_word_share
from playground.core.metrics.verbatim import VerbatimIndex
from playground.core.runs.catalog import list_models, models_job
from playground.core.runs.checkpoint import CheckpointError
from text_model import copy_run, copy_with_meta, train_tiny_gpt


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return train_tiny_gpt(tmp_path_factory.mktemp("gpt") / "run")


@pytest.fixture(scope="module")
def model(run):
    loaded, _ = collect(load_text_model_job(str(run)))
    return loaded


def test_loading_indexes_the_kept_training_text_and_lists_snapshots(model, run):
    assert isinstance(model, TextModel) and model.has_corpus
    corpus = model.index.corpus
    assert model.index.longest_match(corpus[500:600], 0) == 100  # the real training text is indexed
    assert "romeo" in model.vocabulary or "the" in model.vocabulary
    assert model.snapshots and model.snapshots[-1] == 12 and list(model.snapshots) == sorted(model.snapshots)


def test_tokens_stream_in_batches_that_join_to_the_text(model):
    request = TextRequest("ROMEO:", max_tokens=300, temperature=1.0, seed=3)
    generation, events = collect(generate_job(model, request))
    streamed = [e for e in events if isinstance(e, TokensGenerated)]
    assert "".join(p for e in streamed for p in e.pieces) == generation.text
    assert [e.start for e in streamed] == list(np.cumsum([0] + [len(e.pieces) for e in streamed[:-1]]))
    assert [c.token_id for e in streamed for c in e.choices] == [c.token_id for c in generation.choices]
    assert len(streamed) < len(generation.choices) / 4  # batched at the source, not one event per token
    assert generation.prompt == "ROMEO:" and len(generation.choices) == 300


def test_the_same_request_writes_the_same_text(model):
    request = TextRequest("KING:", max_tokens=80, seed=5)
    first, _ = collect(generate_job(model, request))
    again, _ = collect(generate_job(model, request))
    other, _ = collect(generate_job(model, dataclasses.replace(request, seed=6)))
    assert first.text == again.text and first.text != other.text


def test_a_branch_keeps_the_parent_and_continues_from_the_candidate(model):
    parent, _ = collect(generate_job(model, TextRequest("ROMEO:", max_tokens=40, temperature=1.0, seed=1)))
    before = parent.text
    index = 7
    candidate = next(t for t in parent.choices[index].candidate_ids if t != parent.choices[index].token_id)
    child, events = collect(branch_job(model, parent, index, candidate))
    assert parent.text == before and parent.branch_at is None
    assert child.branch_at == index and len(child.choices) == len(parent.choices)
    assert child.pieces[:index] == parent.pieces[:index]
    assert child.choices[index].token_id == candidate
    assert child.pieces[index] == model.generator.tokenizer.token_text(candidate)
    assert child.text[index + 1:] == child.last.text  # after the swap: what the generator wrote this time
    assert events[0].start == index + 1
    with pytest.raises(ValueError, match="candidates"):
        branch_job(model, parent, index, model.generator.tokenizer.vocab_size + 5)


def test_unknown_prompt_characters_are_reported(model):
    generation, _ = collect(generate_job(model, TextRequest("caf\u00e9 \u20ac", max_tokens=5)))
    assert set(generation.unknown) == {"\u00e9", "\u20ac"}
    assert "\ufffd" in generation.prompt  # what the model read in their place


def test_copied_stretches_and_the_tokens_in_them(model):
    generation, _ = collect(generate_job(model, TextRequest("ROMEO:", max_tokens=120, temperature=1.0, seed=2)))
    text = generation.text
    corpus = "#" * 50 + text[20:70] + "#" * 50  # a training text that holds 50 of its characters
    judged = TextModel(model.ref, model.generator, model.snapshots, VerbatimIndex(corpus), frozenset())
    found = finish_generation(judged, generation.request, generation.last)
    assert [(s.start, s.end) for s in found.verbatim.spans] == [(20, 70)]
    assert found.verbatim.copied_chars == 50 and found.verbatim.new_chars == len(text) - 50
    flags = found.copied_tokens()
    assert flags == tuple(20 <= i < 70 for i in range(len(text)))  # one character per token here


def test_attention_covers_the_context_the_token_was_picked_from(model):
    generation, _ = collect(generate_job(model, TextRequest("ROMEO:", max_tokens=30, seed=4)))
    view, _ = collect(attention_job(model, generation, 10))
    layers, heads = model.generator.config.n_layer, model.generator.config.n_head
    context = generation.choices[10].context
    assert view.weights.shape == (layers, heads, context)
    assert np.allclose(view.weights.sum(-1), 1.0, atol=1e-5)
    full = generation.prompt + generation.text
    last = view.token_spans[-1]
    assert full[last[0]:last[1]] == generation.pieces[9]  # the query is the token before the one explained
    assert view.token_spans[-1][1] == len(generation.prompt) + len("".join(generation.pieces[:10]))


def test_variants_stream_one_per_seed(model):
    request = TextRequest("ROMEO:", max_tokens=25, seed=10)
    outputs, events = collect(variants_job(model, request, [10, 11, 12]))
    assert [g.request.seed for g in outputs] == [10, 11, 12]
    for k, output in enumerate(outputs):
        streamed = "".join(p for e in events if isinstance(e, TokensGenerated) and e.stream == k for p in e.pieces)
        assert streamed == output.text
    alone, _ = collect(generate_job(model, dataclasses.replace(request, seed=11)))
    assert outputs[1].text == alone.text


def test_the_sweep_measures_each_temperature(model):
    request = TextRequest("ROMEO:", max_tokens=60, seed=1)
    cold, _ = collect(generate_job(model, dataclasses.replace(request, temperature=0.2)))
    # judged against a "training text" whose words are those of the coldest output and that holds no stretch of it
    judged = TextModel(model.ref, model.generator, (), VerbatimIndex("#" * 40), corpus_vocabulary(cold.text))
    rows, events = collect(sweep_job(judged, request, (0.2, 1.0, 1.8)))
    assert [r.temperature for r in rows] == [0.2, 1.0, 1.8]
    assert rows[0].generation.text == cold.text and rows[0].real_words == 1.0 and rows[0].copied == 0.0
    for row in rows:
        assert row.generation.request.temperature == row.temperature
        assert row.real_words == real_word_share(row.generation.text, judged.vocabulary)
        assert row.copied == judged.index.find(row.generation.text, 30).copied_share
    assert [e.done for e in events if isinstance(e, Progress)] == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="temperature"):
        sweep_job(model, TextRequest("x"), (0.5, -1.0))


def test_time_travel_writes_with_each_snapshot(model):
    frames, _ = collect(time_travel_job(model, TextRequest("ROMEO:", max_tokens=40, seed=1)))
    assert [step for step, _ in frames] == list(model.snapshots)
    assert all(g.snapshot == step for step, g in frames)
    assert frames[0][1].text != frames[-1][1].text  # earlier weights write something else
    bare = TextModel(model.ref, model.generator, ())
    with pytest.raises(ValueError, match="no weight snapshots"):
        time_travel_job(bare, TextRequest("x"))


def test_saved_text_verifies_identical_and_a_changed_receipt_does_not(model, tmp_path):
    plain, _ = collect(generate_job(model, TextRequest("ROMEO:", max_tokens=50, seed=8)))
    child, _ = collect(branch_job(model, plain, 3, plain.choices[3].candidate_ids[-1]))
    for name, generation in (("plain", plain), ("branch", child)):
        path = tmp_path / f"{name}.txt"
        path.write_text(saved_text(model, generation), encoding="utf-8")
        verdict, _ = collect(verify_job(path))
        assert verdict.identical, verdict.message
        assert path.read_text(encoding="utf-8").endswith(generation.text)
    content = (tmp_path / "plain.txt").read_text(encoding="utf-8")
    tampered = content.replace('"seed": 8', '"seed": 9')
    assert tampered != content
    (tmp_path / "tampered.txt").write_text(tampered, encoding="utf-8")
    verdict, _ = collect(verify_job(tmp_path / "tampered.txt"))
    assert not verdict.identical
    (tmp_path / "bare.txt").write_text("just some text", encoding="utf-8")
    with pytest.raises(ValueError, match="no receipt"):
        collect(verify_job(tmp_path / "bare.txt"))


def test_a_damaged_checkpoint_or_another_family_is_refused_in_one_line(run, tmp_path):
    damaged = copy_run(run, tmp_path / "damaged")
    weights = damaged / "checkpoint" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="damaged"):
        collect(load_text_model_job(str(damaged)))
    other = copy_with_meta(run, tmp_path / "other", lambda meta: meta.update(family="gan"))
    with pytest.raises(ValueError, match="holds a GAN model"):
        collect(load_text_model_job(str(other)))
    with pytest.raises(CheckpointError, match="does not exist"):
        collect(load_text_model_job(str(tmp_path / "nowhere")))


def test_cancel_stops_the_writing_thread(model):
    control = JobControl()
    gen = generate_job(model, TextRequest("ROMEO:", max_tokens=100_000))(control)
    first = next(gen)
    assert isinstance(first, TokensGenerated)
    control.cancel()
    with pytest.raises(JobCancelled):
        for _ in gen:
            pass
    assert not [t for t in threading.enumerate() if t.name == "playground-stream"]


def test_stream_call_passes_errors_on_and_closing_stops_the_work():
    def failing(emit, cancelled):
        emit(1)
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        list(stream_call(failing, JobControl(), lambda items: items))
    seen = threading.Event()

    def endless(emit, cancelled):
        while not cancelled():
            emit(0)
        seen.set()
        return "stopped"

    gen = stream_call(endless, JobControl(), lambda items: len(items), interval_s=0.0)
    assert next(gen) >= 1
    gen.close()
    assert seen.is_set()  # the helper thread saw the close and was joined


def test_the_catalog_lists_gpt_runs_newest_first_and_skips_others(run, tmp_path, monkeypatch, no_bundled_models):
    runs = tmp_path / "runs"
    old = copy_run(run, runs / "gpt-old")
    new = copy_run(run, runs / "gpt-new")
    import os

    os.utime(old, (1_000_000, 1_000_000))
    (runs / "just-started").mkdir()  # no checkpoint yet
    other = copy_run(run, runs / "gan-run")
    meta_file = other / "checkpoint" / "meta.json"
    meta_file.write_text(meta_file.read_text().replace('"family": "gpt"', '"family": "gan"'))
    entries = list_models("gpt", runs)
    assert [e.ref for e in entries] == [str(new), str(old)]
    assert entries[0].step == 12 and entries[0].dataset == "bard" and not entries[0].bundled
    assert {e.family for e in list_models(None, runs)} == {"gpt", "gan"}
    assets = tmp_path / "assets"
    copy_run(run, assets / "models" / "bard")
    (assets / "models" / "index.json").write_text(json.dumps({"models": [
        {"name": "bard", "family": "gpt", "title": "Tiny bard", "folder": "bard", "dataset": "bard"}]}))
    monkeypatch.setenv("PLAYGROUND_ASSETS", str(assets))
    listed, _ = collect(models_job("gpt", runs))
    assert listed[0].ref == "bard" and listed[0].bundled and len(listed) == 3


def test_verify_refuses_what_is_not_a_saved_file_without_blocking(tmp_path):
    import os

    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)  # reading it would wait forever for a writer
    for path in (pipe, tmp_path):
        with pytest.raises(ValueError, match="not a text file"):
            collect(verify_job(path))
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8"):
        collect(verify_job(tmp_path / "latin1.txt"))
