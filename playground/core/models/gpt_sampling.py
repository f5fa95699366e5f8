"""Pick a GPT's next token, and generate text token by token, keeping what it weighed.

    settings = SamplingSettings(temperature=0.8, top_k=20)
    choices = generate_tokens(model, tokenizer.encode("ROMEO:"), 200, settings, seed=3)
    tokenizer.decode(c.token_id for c in choices)

References:
    Temperature: softmax(logits / T) (Hinton, Vinyals, Dean 2015, "Distilling
    the Knowledge in a Neural Network"; used for sampling GPT-2).
    Top-k: Fan, Lewis, Dauphin 2018, "Hierarchical Neural Story Generation".
    Top-p (nucleus): Holtzman et al. 2020, "The Curious Case of Neural Text
    Degeneration". The order (temperature, then top-k, then top-p) is that of
    Hugging Face ``transformers``' logits warpers.

Determinism. Each token costs exactly one uniform number u in [0, 1), drawn
from a CPU ``torch.Generator`` seeded with ``seed``, whatever the settings and
the device; the token is where u falls in the cumulative filtered
probabilities (in token-id order, in float64). So the same seed, model and
settings give the same tokens bit for bit on one machine and thread count (a
different count may sum in another order). With and without the
cache the logits agree to float rounding (about 1e-6, see ``gpt.context_window``)
rather than bit for bit, so the tokens differ only when some u falls that close
to a boundary between two candidates: of the order of once in 10^5 tokens or
rarer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from playground.core.jobs import JobCancelled
from playground.core.models.gpt import GPT, context_window, default_keep


@dataclass(frozen=True)
class SamplingSettings:
    temperature: float = 1.0  # divides the logits: < 1 sharper, > 1 flatter; 0 always takes the most likely
    top_k: int = 0  # keep only the k most likely tokens; 0 keeps them all
    top_p: float = 1.0  # keep the fewest most likely tokens whose probability adds up to p; 1 keeps them all

    def __post_init__(self) -> None:
        if not (math.isfinite(self.temperature) and self.temperature >= 0):
            raise ValueError(f"temperature must be 0 (always the most likely) or more, got {self.temperature}")
        if isinstance(self.top_k, bool) or not isinstance(self.top_k, (int, np.integer)) or self.top_k < 0:
            raise ValueError(f"top-k must be a whole number, 0 (off) or more, got {self.top_k}")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"top-p must be more than 0 and at most 1 (off), got {self.top_p}")


@dataclass(frozen=True)
class TokenChoice:
    """One generated token and the candidates it was picked from."""

    token_id: int  # the token taken
    candidate_ids: tuple[int, ...]  # most likely first; the first `top_candidates`, plus the taken one if it was not among them
    probs_before: tuple[float, ...]  # their softmax probabilities from the raw logits
    probs_after: tuple[float, ...]  # after temperature, top-k, top-p and renormalising; 0 = filtered out
    kept: int  # how many tokens of the vocabulary survived the filters
    context: int  # how many tokens the model saw to pick this one

    @property
    def chosen_index(self) -> int:
        """Where the taken token is in ``candidate_ids``."""
        return self.candidate_ids.index(self.token_id)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def _filter(logits: np.ndarray, settings: SamplingSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(probs before, probs after, token ids most likely first, how many kept); float64."""
    if not np.isfinite(logits.max()):  # a NaN anywhere makes the max NaN
        raise ValueError("the model's scores are not numbers (NaN or infinite): it may have diverged; "
                         "use an earlier checkpoint")
    order = np.argsort(-logits, kind="stable")  # ties: the lower id first
    before = _softmax(logits)
    after = np.zeros_like(before)
    if settings.temperature == 0:
        after[order[0]] = 1.0
        return before, after, order, 1
    probs = _softmax(logits / settings.temperature)
    kept = len(logits) if settings.top_k == 0 else min(len(logits), settings.top_k)
    if settings.top_p < 1.0:
        cum = np.cumsum(probs[order[:kept]])
        cum /= cum[-1]
        kept = min(kept, int(np.searchsorted(cum, settings.top_p, side="left")) + 1)  # first reaching p, inclusive
    top = order[:kept]
    after[top] = probs[top] / probs[top].sum()
    return before, after, order, kept


def filter_probs(logits: np.ndarray | torch.Tensor, settings: SamplingSettings) -> tuple[np.ndarray, np.ndarray]:
    """The next-token distribution before and after sampling's filters.

    Args:
        logits: float (V,) raw scores for each token.
        settings: temperature, top-k and top-p.
    Returns:
        (probs_before: softmax of the raw logits, probs_after: softmax(logits /
        temperature) kept to the top-k, then to the top-p, and renormalised; at
        temperature 0, all on the most likely token). float64 (V,), each sums to 1.
        Ties in ranking go to the lower token id.
    """
    values = logits.detach().double().cpu().numpy() if isinstance(logits, torch.Tensor) else np.asarray(logits, np.float64)
    if values.ndim != 1 or len(values) < 1:
        raise ValueError(f"logits must be one score per token, shape (V,), got {values.shape}")
    before, after, _, _ = _filter(values, settings)
    return before, after


def _choose(logits: torch.Tensor, settings: SamplingSettings, u: float, top_candidates: int, context: int) -> TokenChoice:
    before, after, order, kept = _filter(logits.double().cpu().numpy(), settings)
    cdf = np.cumsum(after)
    token = int(np.searchsorted(cdf, u * cdf[-1], side="right"))  # lands only on a token with after > 0
    if token == len(cdf):  # u * total rounded up to the total
        token = int(np.flatnonzero(after)[-1])
    shown = [int(i) for i in order[:top_candidates]]
    if token not in shown:
        shown.append(token)
    return TokenChoice(token, tuple(shown), tuple(float(before[i]) for i in shown),
                       tuple(float(after[i]) for i in shown), kept, context)


def generate_tokens(
    model: GPT,
    prompt_ids: Sequence[int],
    max_new_tokens: int,
    settings: SamplingSettings,
    seed: int,
    use_cache: bool = True,
    on_token: Callable[[TokenChoice], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    *,
    top_candidates: int = 20,
    keep: int | None = None,
) -> list[TokenChoice]:
    """Continue ``prompt_ids`` one token at a time.

    The model runs in eval mode (restored afterwards), without gradients, on
    its own device. On the CPU torch runs one thread meanwhile (a setting for
    the whole process, restored afterwards): one token's small matrices ran
    twice as fast on one thread as on two. To branch from a candidate the
    model did not take, call again with ``branch_prompt(...)`` as the prompt.

    Args:
        model: a GPT.
        prompt_ids: at least one token id in [0, vocab_size); any length (the
            model sees its last tokens, see ``gpt.context_window``).
        max_new_tokens: how many tokens to add, >= 0.
        settings: temperature, top-k, top-p.
        seed: the same seed gives the same tokens (see the module docstring).
        use_cache: reuse keys and values between tokens (much faster, same tokens).
        on_token: called with each ``TokenChoice`` as soon as it is made.
        cancel: polled before each token; when it returns True, ``JobCancelled`` is raised.
        top_candidates: how many of the most likely tokens each record keeps.
        keep: tokens a full window keeps when it restarts (default ``default_keep``).
    Returns:
        one ``TokenChoice`` per new token.
    """
    cfg = model.config
    ids = [int(i) for i in prompt_ids]
    if not ids:
        raise ValueError("the prompt is empty: give the model at least one token to continue")
    bad = [i for i in ids if not 0 <= i < cfg.vocab_size]
    if bad:
        raise ValueError(f"token id {bad[0]} is outside this model's vocabulary of {cfg.vocab_size}")
    if max_new_tokens < 0 or top_candidates < 1:
        raise ValueError("ask for 0 or more new tokens and at least 1 candidate per token")
    keep = default_keep(cfg.block_size) if keep is None else keep
    context_window(0, cfg.block_size, keep)  # validates keep
    device = model.lm_head.weight.device
    gen = torch.Generator().manual_seed(int(seed))
    cache, choices = None, []
    was_training, threads = model.training, torch.get_num_threads()
    model.eval()
    if device.type == "cpu":
        torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            for _ in range(max_new_tokens):
                if cancel is not None and cancel():
                    raise JobCancelled()
                window = context_window(len(ids), cfg.block_size, keep)
                if not use_cache:
                    logits = model(torch.tensor([ids[-window:]], device=device))[0][0, -1]
                elif cache is None:
                    cache = model.new_cache(1, device, keep)
                    logits = model.forward_step(torch.tensor([ids[-window:]], device=device), cache)[0, -1]
                else:
                    logits = model.forward_step(torch.tensor([ids[-1:]], device=device), cache)[0, -1]
                u = torch.rand((), generator=gen, dtype=torch.float64).item()
                choice = _choose(logits, settings, u, top_candidates, window)
                ids.append(choice.token_id)
                choices.append(choice)
                if on_token is not None:
                    on_token(choice)
    finally:
        model.train(was_training)
        torch.set_num_threads(threads)
    return choices


def branch_prompt(prompt_ids: Sequence[int], choices: Sequence[TokenChoice], index: int, token_id: int) -> list[int]:
    """The prompt that continues with ``token_id`` in place of the ``index``-th generated token:
    the prompt, the tokens taken before it, then ``token_id``."""
    if not 0 <= index < len(choices):
        raise ValueError(f"there is no generated token {index}: {len(choices)} were generated")
    return [int(i) for i in prompt_ids] + [c.token_id for c in choices[:index]] + [int(token_id)]
