"""Sampling filters and token-by-token generation over a tiny GPT."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from playground.core.models.gpt_sampling import (
    SamplingSettings,
    TokenChoice,
    branch_prompt,
    filter_probs,
    generate_tokens,
)
from playground.core.jobs import JobCancelled
from playground.core.models.gpt import GPT, GPTConfig, context_window, default_keep


def tiny_model(seed: int = 0) -> GPT:
    torch.manual_seed(seed)
    model = GPT(GPTConfig(vocab_size=24, block_size=8, n_layer=2, n_head=2, n_embd=16))
    with torch.no_grad():  # larger weights: a peaky next-token distribution, as a trained model has
        for param in model.parameters():
            if param.dim() == 2:
                param.normal_(0.0, 0.5)
    return model.eval()


def reference_filter(logits: np.ndarray, s: SamplingSettings) -> set[int]:
    """Which ids survive, written plainly: sort by (-logit, id), cut to k, then to mass p."""
    ranked = sorted(range(len(logits)), key=lambda i: (-logits[i], i))
    if s.top_k:
        ranked = ranked[: s.top_k]
    scaled = np.exp((logits - logits.max()) / s.temperature)
    kept, mass, total = [], 0.0, sum(scaled[i] for i in ranked)
    for i in ranked:
        kept.append(i)
        mass += scaled[i] / total
        if mass >= s.top_p:
            break
    return set(kept)


@pytest.mark.parametrize("kwargs, words", [
    ({"temperature": -0.1}, "temperature"),
    ({"temperature": float("nan")}, "temperature"),
    ({"top_k": -1}, "top-k"),
    ({"top_k": 2.5}, "top-k"),
    ({"top_p": 0.0}, "top-p"),
    ({"top_p": 1.5}, "top-p"),
])
def test_settings_reject_bad_values(kwargs, words):
    with pytest.raises(ValueError, match=words):
        SamplingSettings(**kwargs)


def test_before_is_the_raw_softmax_and_after_is_renormalised():
    logits = np.array([2.0, 1.0, 0.5, -1.0, 0.0])
    before, after = filter_probs(logits, SamplingSettings(temperature=0.5, top_k=3))
    np.testing.assert_allclose(before, np.exp(logits) / np.exp(logits).sum())
    scaled = np.exp(logits[:3] / 0.5)
    np.testing.assert_allclose(after, np.r_[scaled / scaled.sum(), 0, 0])
    same, flat = filter_probs(torch.tensor(logits), SamplingSettings(temperature=3.0))
    np.testing.assert_allclose(same, before)
    assert flat.max() < before.max()  # hotter is flatter
    with pytest.raises(ValueError, match="not numbers"):
        filter_probs(np.array([0.0, np.nan]), SamplingSettings())
    with pytest.raises(ValueError, match="one score per token"):
        filter_probs(np.zeros((2, 3)), SamplingSettings())


def test_top_k_keeps_exactly_k_and_breaks_ties_by_id():
    logits = np.array([1.0, 3.0, 3.0, 2.0, 3.0])
    _, after = filter_probs(logits, SamplingSettings(top_k=2))
    assert np.flatnonzero(after).tolist() == [1, 2]
    _, after = filter_probs(logits, SamplingSettings(top_k=4))
    assert np.flatnonzero(after).tolist() == [1, 2, 3, 4]
    _, after = filter_probs(logits, SamplingSettings(top_k=99))
    assert np.count_nonzero(after) == 5


def test_top_p_keeps_the_smallest_set_reaching_p():
    logits = np.log(np.array([0.05, 0.5, 0.15, 0.3]))
    kept = {p: np.flatnonzero(filter_probs(logits, SamplingSettings(top_p=p))[1]).tolist()
            for p in (0.3, 0.45, 0.75, 0.81, 0.96, 1.0)}
    assert kept == {0.3: [1], 0.45: [1], 0.75: [1, 3], 0.81: [1, 2, 3], 0.96: [0, 1, 2, 3], 1.0: [0, 1, 2, 3]}


def test_filters_match_a_plain_reference_on_random_logits():
    rng = np.random.default_rng(0)
    for _ in range(300):
        logits = rng.normal(0, 2, size=int(rng.integers(1, 30))).round(1)  # rounding makes ties
        s = SamplingSettings(temperature=float(rng.choice([0.3, 1.0, 2.0])), top_k=int(rng.integers(0, 8)),
                             top_p=float(rng.choice([0.2, 0.6, 0.9, 1.0])))
        _, after = filter_probs(logits, s)
        assert set(np.flatnonzero(after).tolist()) == reference_filter(logits, s)
        assert after.sum() == pytest.approx(1.0)


def test_temperature_zero_is_greedy():
    logits = np.array([0.5, 2.0, 2.0, -1.0])
    _, after = filter_probs(logits, SamplingSettings(temperature=0.0))
    assert after.tolist() == [0.0, 1.0, 0.0, 0.0]
    model = tiny_model()
    greedy = SamplingSettings(temperature=0.0)
    a = generate_tokens(model, [1, 2], 20, greedy, seed=1)
    b = generate_tokens(model, [1, 2], 20, greedy, seed=2)
    assert [c.token_id for c in a] == [c.token_id for c in b]
    ids = [1, 2]
    for choice in a:
        with torch.no_grad():
            logits = model(torch.tensor([ids[-choice.context :]]))[0][0, -1]
        assert choice.context == context_window(len(ids), 8, default_keep(8))
        assert choice.token_id == int(torch.argmax(logits))
        ids.append(choice.token_id)


@pytest.mark.parametrize("keep", [None, 7, 0])
def test_same_seed_same_tokens_with_and_without_cache(keep):
    model = tiny_model()
    settings = SamplingSettings(temperature=1.2, top_k=10)
    runs = [[c.token_id for c in generate_tokens(model, [3, 1, 4], 40, settings, seed=5, use_cache=cache, keep=keep)]
            for cache in (True, True, False)]
    assert runs[0] == runs[1] == runs[2]
    other = [c.token_id for c in generate_tokens(model, [3, 1, 4], 40, settings, seed=6, keep=keep)]
    assert other != runs[0]


def test_records_hold_the_candidates_and_the_choice():
    model = tiny_model()
    settings = SamplingSettings(temperature=1.0, top_k=5)
    seen: list[TokenChoice] = []
    choices = generate_tokens(model, [5] * 11, 20, settings, seed=0, on_token=seen.append, top_candidates=6)
    assert seen == choices and len(choices) == 20
    for c in choices:
        assert len(c.candidate_ids) == 6 and c.kept == 5
        assert c.candidate_ids[c.chosen_index] == c.token_id and c.probs_after[c.chosen_index] > 0
        assert list(c.probs_before) == sorted(c.probs_before, reverse=True)
        assert c.probs_after[5] == 0 and sum(c.probs_after) == pytest.approx(1.0)
        assert 1 <= c.context <= 8
    hot = generate_tokens(model, [5], 30, SamplingSettings(temperature=50.0), seed=0, top_candidates=2)
    assert any(len(c.candidate_ids) == 3 for c in hot)  # a token outside the top 2 is added to its record


def test_prompt_longer_than_the_block_and_zero_tokens():
    model = tiny_model()
    settings = SamplingSettings()
    long = list(range(20))
    a = generate_tokens(model, long, 5, settings, seed=1)
    b = generate_tokens(model, long, 5, settings, seed=1, use_cache=False)
    assert [c.token_id for c in a] == [c.token_id for c in b]
    assert generate_tokens(model, long, 0, settings, seed=1) == []


def test_bad_requests_get_a_clear_message():
    model = tiny_model()
    with pytest.raises(ValueError, match="empty"):
        generate_tokens(model, [], 5, SamplingSettings(), seed=0)
    with pytest.raises(ValueError, match="outside this model's vocabulary of 24"):
        generate_tokens(model, [1, 24], 5, SamplingSettings(), seed=0)
    with pytest.raises(ValueError, match="keeps 0 to 7"):
        generate_tokens(model, [1], 5, SamplingSettings(), seed=0, keep=8)


def test_cancel_stops_between_tokens_and_mode_is_restored():
    model = tiny_model().train()
    seen: list[TokenChoice] = []
    with pytest.raises(JobCancelled):
        generate_tokens(model, [1], 50, SamplingSettings(), seed=0, on_token=seen.append, cancel=lambda: len(seen) >= 3)
    assert len(seen) == 3
    assert model.training


def test_branch_continues_from_the_chosen_candidate():
    model = tiny_model()
    settings = SamplingSettings(top_k=4)
    choices = generate_tokens(model, [2, 7], 10, settings, seed=3)
    alternative = next(i for i in choices[4].candidate_ids if i != choices[4].token_id)
    prompt = branch_prompt([2, 7], choices, 4, alternative)
    assert prompt == [2, 7] + [c.token_id for c in choices[:4]] + [alternative]
    assert len(generate_tokens(model, prompt, 5, settings, seed=3)) == 5
    with pytest.raises(ValueError, match="no generated token 10"):
        branch_prompt([2, 7], choices, 10, 0)


def test_sampling_does_not_import_training():
    code = ("import sys, playground.core.models.gpt_sampling\n"
            "bad = [m for m in sys.modules if m.startswith('playground.core.training')]\n"
            "assert not bad, bad\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
