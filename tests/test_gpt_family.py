"""The GPT family on the one loop: it learns, checkpoints, resumes exactly, generates, explains, scores,
keeps snapshots for time travel, and signs what it writes with a receipt that verifies."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from playground.core import families
from playground.core.data.dataset import TextDataset
from playground.core.events import Metrics, TextSample
from playground.core.families.generators import load_generator, text_receipt, verify_text
from playground.core.families.session import session_job
from playground.core.generators.receipts import text_with_receipt
from playground.core.generators.text_generator import TextRequest
from playground.core.jobs import collect
from playground.core.runs.checkpoint import load_checkpoint
from playground.core.runs.snapshots import list_snapshots

GPT = families.get("gpt")
VERSE = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n" * 40


def text(name: str = "verse", body: str = VERSE) -> TextDataset:
    return TextDataset(name, body)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpt") / "run"
    settings = GPT.preset("tiny", steps=60, lr=1e-2, samples_every=20, metrics_every=5)
    result, events = collect(session_job(GPT, text(), settings, out_dir=out))
    return out, result, events


def test_it_learns_the_text_and_reports_nats_per_character(run):
    out, result, events = run
    metrics = [e for e in events if isinstance(e, Metrics)]
    first, last = metrics[0].values, metrics[-1].values
    assert last["train_nats_per_char"] < 0.7 * first["train_nats_per_char"]
    assert "val_nats_per_char" in last and last["val_nats_per_char"] == pytest.approx(last["val_loss"])  # chars
    assert last["tokens_per_s"] > 0
    samples = [e for e in events if isinstance(e, TextSample)]
    assert len(samples) == 3 and all(s.text for s in samples)


def test_checkpoint_keeps_the_text_and_snapshots_and_the_generator_builds_only_the_gpt(run):
    out, result, _ = run
    ck = load_checkpoint(out)
    assert ck.family == "gpt" and ck.data["tokenizer"]["kind"] == "char" and "corpus.txt.gz" in ck.files
    assert [step for step, _ in list_snapshots(out)] == [20, 40, 60]
    gen = load_generator(out, "cpu")
    assert gen.family == "gpt" and gen.corpus().startswith("To be, or not to be")
    assert not hasattr(gen, "opt")
    card = gen.card()
    assert card["steps"] == 60 and card["tokenizer"].startswith("char")


def test_generation_is_deterministic_streams_and_reports_unknown_characters(run):
    out, _, _ = run
    gen = load_generator(out, "cpu")
    streamed = []
    a = gen.generate(TextRequest("To be", max_tokens=40, temperature=0.8, seed=3),
                     on_step=lambda choice, piece: streamed.append(piece))
    b = gen.generate(TextRequest("To be", max_tokens=40, temperature=0.8, seed=3))
    c = gen.generate(TextRequest("To be", max_tokens=40, temperature=0.8, seed=4))
    assert a.text == b.text != c.text and "".join(streamed) == a.text and len(a.choices) == 40
    assert a.choices[0].probs_after[a.choices[0].chosen_index] > 0
    weird = gen.generate(TextRequest("Tö be ☃", max_tokens=5, seed=1))
    assert weird.unknown == ("ö", "☃")
    branch = gen.branch(a, 5, a.choices[5].candidate_ids[1])
    assert branch.prompt_ids[-1] == a.choices[5].candidate_ids[1] and len(branch.choices) == 34


def test_a_snapshot_writes_like_an_earlier_model(run):
    out, _, _ = run
    early = load_generator(out, "cpu", snapshot=20)
    late = load_generator(out, "cpu")
    request = TextRequest("To be", max_tokens=30, temperature=0.0)
    assert early.checkpoint.step == 20 and early.checkpoint.weights_sha256 != late.checkpoint.weights_sha256
    assert early.generate(request).text != late.generate(request).text


def test_attention_and_scores(run):
    out, _, _ = run
    gen = load_generator(out, "cpu")
    ids = gen.tokenizer.encode("To be, or not")
    att = gen.attention(ids, len(ids) - 1)
    assert att.shape == (1, 2, len(ids)) and np.allclose(att.sum(-1), 1.0, atol=1e-5)
    seen, chars, unknown = gen.nats_per_char(VERSE[:400])
    unseen, _, _ = gen.nats_per_char("Qzx jjj kkk vvv " * 20)
    assert chars == 400 and unknown == 0 and seen < unseen


def test_resumed_run_equals_the_uninterrupted_one(tmp_path):
    # A constant rate: a resumed run schedules its rates over the steps it adds (see RunConfig.lr_factor).
    settings = GPT.preset("tiny", steps=8, lr_schedule="constant")
    straight, _ = collect(session_job(GPT, text(), settings, out_dir=tmp_path / "a"))
    collect(session_job(GPT, text(), settings.replace(steps=4), out_dir=tmp_path / "b"))
    resumed, _ = collect(session_job(GPT, text(), settings.replace(steps=4), out_dir=tmp_path / "b",
                                     resume_from=tmp_path / "b"))
    assert np.array_equal(straight.history.values("loss"), resumed.history.values("loss"))
    a, b = load_checkpoint(tmp_path / "a").networks["gpt"], load_checkpoint(tmp_path / "b").networks["gpt"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_resume_with_schedule_done_keeps_the_interrupted_schedule():
    # build-model --resume finishes a recipe this way: warm-up and cosine go on where they stopped.
    from playground.core.training.run_config import RunConfig

    whole = RunConfig(steps=100, lr_schedule="cosine", warmup_steps=10)
    for stopped in (5, 40):
        rest = whole.replace(steps=100 - stopped, schedule_done=stopped)
        assert [rest.lr_factor(d) for d in range(100 - stopped)] == [whole.lr_factor(stopped + d)
                                                                     for d in range(100 - stopped)]
    assert whole.replace(steps=60).lr_factor(0) == 0.1  # without it, a resume warms up again


def test_a_resume_may_lengthen_the_context_and_change_the_dropout_and_keeps_what_was_learned(tmp_path):
    # The bundled Shakespeare model's second stage: trained at 128 tokens, then resumed at 256.
    settings = GPT.preset("tiny", steps=30, lr=1e-2, samples_every=15, lr_schedule="constant")
    collect(session_job(GPT, text(), settings, out_dir=tmp_path / "run"))
    short = load_checkpoint(tmp_path / "run")
    longer = settings.replace(steps=4, block_size=32, dropout=0.2)  # the recipe's stage also raises the dropout
    result, events = collect(session_job(GPT, text(), longer, out_dir=tmp_path / "run", resume_from=tmp_path / "run"))
    assert result.step == 34 and any("lengthened from 16 to 32 tokens" in getattr(e, "message", "") for e in events)
    long = load_checkpoint(tmp_path / "run", with_optim=True)
    assert long.model_config["block_size"] == 32 and long.networks["gpt"]["wpe.weight"].shape[0] == 32
    assert short.model_config["dropout"] == 0.0 and long.model_config["dropout"] == 0.2
    moments = [s for s in long.optimizers["model"]["state"].values() if s["exp_avg"].shape[:1] == (32,)]
    assert len(moments) == 1  # the position table's moments grew with it
    # what was learned carries over: the first step at 32 tokens starts near where 16 tokens ended
    loss = result.history.values("loss")
    assert loss[30] < 0.75 * loss[0] and loss[30] < 1.3 * loss[29], loss[28:32]
    # a shorter context than the checkpoint's is not taken: the run keeps its own
    collect(session_job(GPT, text(), settings.replace(steps=2, block_size=8), out_dir=tmp_path / "run",
                        resume_from=tmp_path / "run"))
    assert load_checkpoint(tmp_path / "run").model_config["block_size"] == 32
    # time travel: a snapshot from before the lengthening is rendered with the context it had
    early, late = load_generator(tmp_path / "run", "cpu", snapshot=30), load_generator(tmp_path / "run", "cpu")
    assert early.config.block_size == 16 == short.model_config["block_size"] and late.config.block_size == 32
    assert early.generate(TextRequest("To be", max_tokens=40, seed=1)).text


def test_a_receipt_verifies_and_catches_another_model(run, tmp_path):
    out, _, _ = run
    gen = load_generator(out, "cpu")
    result = gen.generate(TextRequest("To be", max_tokens=25, seed=7))
    saved = text_with_receipt(text_receipt(str(out), gen, result), "To be", result.text)
    assert json.loads(saved.splitlines()[2].partition("# receipt: ")[2])["request"]["seed"] == 7
    verdict = verify_text(saved)
    assert verdict.identical and "identical" in verdict.message
    other = tmp_path / "other"
    collect(session_job(GPT, text(), GPT.preset("tiny", steps=3, seed=5), out_dir=other))
    forged = saved.replace(str(out), str(other))
    assert not verify_text(forged).identical and "not the one" in verify_text(forged).message


def test_short_texts_and_resuming_with_another_tokenizer_are_refused(tmp_path, run):
    with pytest.raises(ValueError, match="needs at least"):
        collect(session_job(GPT, text("short", "abc" * 20), GPT.preset("default")))
    out, _, _ = run
    from playground.core.preprocess import default_pipeline, make_step

    pipeline = default_pipeline(text())
    bpe = pipeline.replaced(len(pipeline.steps) - 1, make_step("text", "tokenise", kind="bpe", vocab_size=300))
    with pytest.raises(ValueError, match="another tokenizer"):
        collect(session_job(GPT, text(), GPT.preset("tiny"), pipeline=bpe, resume_from=out))


def test_scoring_with_a_stride_gives_each_character_its_full_context(run):
    import torch

    out, _, _ = run
    gen = load_generator(out, "cpu")
    text = VERSE[:90]
    ids, _ = gen.encode(text)
    block = gen.config.block_size
    assert len(ids) > 3 * block
    # By hand: each token predicted from the (at most) block_size tokens just before it.
    with torch.no_grad():
        total = sum(float(torch.nn.functional.cross_entropy(
            gen.model(torch.tensor(ids[max(0, p - block) : p])[None])[0][0, -1], torch.tensor(ids[p])))
            for p in range(1, len(ids)))
    chars = len(gen.tokenizer.decode(ids[1:]))
    assert gen.nats_per_char(text, stride=1)[0] == pytest.approx(total / chars, rel=1e-5)
    assert gen.nats_per_char(text, stride=block)[0] == gen.nats_per_char(text)[0]
    assert gen.nats_per_char(text, stride=block // 2)[0] != gen.nats_per_char(text)[0]
    with pytest.raises(ValueError, match=f"from 1 to the model's context of {block}"):
        gen.nats_per_char(text, stride=block + 1)
