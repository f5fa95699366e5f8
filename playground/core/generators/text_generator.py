"""Generate text from a trained GPT checkpoint, keeping what the model weighed at every token.

    gen = load_generator("shakespeare")   # playground.core.families.generators
    result = gen.generate(TextRequest("ROMEO:", max_tokens=200, temperature=0.8, seed=1))
    result.text, result.choices[5].probs_before

The same request gives the same text (see ``text_sampling``). Characters the
tokenizer cannot encode are reported (``TextResult.unknown``), never dropped
silently. Only the GPT is built: no optimiser, nothing of training.
"""

from __future__ import annotations

import dataclasses
import gzip
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import torch

from playground.core.models.gpt_sampling import SamplingSettings, TokenChoice, branch_prompt, generate_tokens
from playground.core.models.gpt import GPT
from playground.core.models.text_model_config import TextModelConfig, validation_start
from playground.core.preprocess.tokenizer import Tokenizer
from playground.core.runs.checkpoint import Checkpoint, CheckpointError

CORPUS_FILE = "corpus.txt.gz"  # written by the GPT trainer


@dataclass(frozen=True)
class TextRequest:
    prompt: str  # the text to continue (at least one character)
    max_tokens: int = 200  # tokens to add
    temperature: float = 0.8  # < 1 sharper, > 1 flatter, 0 always the most likely
    top_k: int = 0  # keep only the k most likely tokens (0: all)
    top_p: float = 1.0  # keep the fewest most likely tokens whose probability adds up to p (1: all)
    seed: int = 0  # the same seed gives the same text

    def __post_init__(self) -> None:
        if not self.prompt:
            raise ValueError("type a prompt: the model continues text, it needs at least one character")
        if not 0 <= self.max_tokens <= 100_000:
            raise ValueError(f"max tokens must be between 0 and 100,000, got {self.max_tokens}")
        self.sampling()  # validates temperature, top-k and top-p

    def sampling(self) -> SamplingSettings:
        return SamplingSettings(self.temperature, self.top_k, self.top_p)


@dataclass(frozen=True)
class TextResult:
    request: TextRequest
    prompt_ids: tuple[int, ...]  # the prompt as the model saw it
    choices: tuple[TokenChoice, ...]  # one per generated token
    pieces: tuple[str, ...]  # each generated token's text (BPE pieces of one character may be "")
    unknown: tuple[str, ...] = field(default=())  # prompt characters the tokenizer cannot encode

    @property
    def text(self) -> str:
        """The continuation (without the prompt)."""
        return "".join(self.pieces)


class TextGenerator:
    """A trained GPT and its tokenizer, ready to generate, explain and score text."""

    family: ClassVar[str] = "gpt"

    def __init__(self, checkpoint: Checkpoint, config: TextModelConfig, device: torch.device) -> None:
        self.checkpoint, self.config, self.device = checkpoint, config, device
        try:
            self.tokenizer = Tokenizer.from_dict(checkpoint.data.get("tokenizer"))
            table = checkpoint.networks["gpt"].get("wpe.weight")
            if table is not None and 0 < table.shape[0] < config.block_size:
                # a snapshot from before its run lengthened the context: rendered with the context it had
                self.config = config = config.replace(block_size=int(table.shape[0]))
            self.model = GPT(config.gpt_config())
            self.model.load_state_dict(checkpoint.networks["gpt"])
        except (RuntimeError, KeyError, ValueError) as exc:
            raise CheckpointError(f"checkpoint {checkpoint.path} is damaged: the weights or the tokenizer do not fit "
                                  f"config.json ({str(exc)[:200]})") from None
        self.model.to(device).eval().requires_grad_(False)
        self.chars_per_token = float(checkpoint.data.get("chars_per_token", 1.0))
        self._corpus: str | None = None

    # ---- prompts ----------------------------------------------------------------------------------------
    def encode(self, text: str) -> tuple[list[int], tuple[str, ...]]:
        """Token ids of ``text`` and the characters (or words) the tokenizer does not know, each once."""
        return self.tokenizer.encode(text), tuple(self.tokenizer.unknown(text))

    # ---- generating ---------------------------------------------------------------------------------------
    def generate(self, request: TextRequest, *, on_step: Callable[[TokenChoice, str], None] | None = None,
                 cancel: Callable[[], bool] | None = None, prompt_ids: list[int] | None = None) -> TextResult:
        """Continue ``request.prompt`` (or ``prompt_ids`` when given: a branch).

        Args:
            on_step: called with each token's record and its text as soon as it is made (streaming).
            cancel: polled before each token; when it returns True, ``JobCancelled`` is raised.
        """
        ids, unknown = (list(prompt_ids), ()) if prompt_ids is not None else self.encode(request.prompt)

        def token(choice: TokenChoice) -> None:
            if on_step is not None:
                on_step(choice, self.tokenizer.token_text(choice.token_id))

        choices = generate_tokens(self.model, ids, request.max_tokens, request.sampling(), request.seed,
                                  on_token=token if on_step is not None else None, cancel=cancel)
        pieces = self._pieces(ids, choices)
        return TextResult(request, tuple(ids), tuple(choices), pieces, unknown)

    def _pieces(self, prompt_ids: list[int], choices: list[TokenChoice]) -> tuple[str, ...]:
        """Each generated token's text, such that the pieces join to the decoded continuation."""
        out, done = [], self.tokenizer.decode(prompt_ids)
        ids = list(prompt_ids)
        for choice in choices:
            ids.append(choice.token_id)
            text = self.tokenizer.decode(ids)
            out.append(text[len(done):] if text.startswith(done) else self.tokenizer.token_text(choice.token_id))
            done = text
        return tuple(out)

    def branch(self, result: TextResult, index: int, token_id: int, max_tokens: int | None = None) -> TextResult:
        """Continue from generated token ``index`` replaced by ``token_id`` (the original is kept by the caller)."""
        ids = branch_prompt(result.prompt_ids, result.choices, index, token_id)
        if max_tokens is None:
            max_tokens = max(0, len(result.choices) - index - 1)
        return self.generate(dataclasses.replace(result.request, max_tokens=max_tokens), prompt_ids=ids)

    def clean(self, text: str) -> str:
        """``text`` through the cleaning steps the training text went through (its pipeline before Tokenise)."""
        from playground.core.preprocess.pipeline import Pipeline
        from playground.core.preprocess.text_steps import TextStep

        if not self.checkpoint.pipeline:
            return text
        try:
            pipeline = Pipeline.from_dict(self.checkpoint.pipeline)
        except ValueError:
            return text
        for step in pipeline.enabled_steps():
            if isinstance(step, TextStep):
                text, _notes = step.transform(text)
        return text

    # ---- explaining and scoring ----------------------------------------------------------------------------
    def attention(self, ids: list[int], position: int) -> np.ndarray:
        """Attention of the token at ``position`` of ``ids`` over the tokens before it, per layer and head:
        float32 n_layer x n_head x T (T = the context the model saw, at most block_size)."""
        start = max(0, position + 1 - self.config.block_size)
        window = torch.tensor(ids[start : position + 1], device=self.device)
        return self.model.attention_at(window, -1).numpy()

    @torch.no_grad()
    def nats_per_char(self, text: str, stride: int | None = None) -> tuple[float, int, int]:
        """(nats per character of the model on ``text``, characters, unknown characters).

        Every token after the first is predicted once, from the tokens before it in a window
        of at most ``block_size`` tokens. With ``stride`` (default ``block_size``) the window
        moves that many tokens at a time and scores only its last ``stride`` tokens: at
        ``block_size`` the windows do not overlap, so a token's context runs from 0 to
        ``block_size - 1`` tokens, as in training; a smaller stride gives every token at least
        ``block_size - stride`` tokens of context (slower by ``block_size / stride``).
        """
        ids, unknown = self.encode(text)
        unknown_count = sum(text.count(ch) for ch in unknown)
        total = sum(float(torch.nn.functional.cross_entropy(logits, targets, reduction="sum"))
                    for logits, targets in self.window_logits(ids, stride))
        return total / max(1, len(self.tokenizer.decode(ids[1:]))), len(text), unknown_count

    @torch.no_grad()
    def window_logits(self, ids: list[int], stride: int | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """(logits float n x V, targets int64 n) per window, predicting each of ``ids[1:]`` once, in order.

        The windows of ``nats_per_char`` (see there for ``stride``). Raises ValueError for a
        bad stride or fewer than two ids.
        """
        block = self.config.block_size
        stride = block if stride is None else int(stride)
        if not 1 <= stride <= block:
            raise ValueError(f"the stride must be from 1 to the model's context of {block} tokens, not {stride}")
        if len(ids) < 2:
            raise ValueError("the text is too short to score: give at least two tokens")
        data = torch.tensor(ids, device=self.device)
        scored = 0  # the last target position done (targets are ids[1:])
        while scored < len(ids) - 1:
            end = min(scored + stride, len(ids) - 1)
            start = max(0, end - block)
            logits, _ = self.model(data[start:end][None])  # predicts ids[start + 1 : end + 1]
            new = end - scored
            yield logits[0, -new:], data[end + 1 - new : end + 1]
            scored = end

    def validation_ids(self) -> list[int] | None:
        """The token ids of the model's validation split: the last 10% of its training text, split where
        its trainer split it (``validation_start``). None when the checkpoint did not keep the text."""
        corpus = self.corpus()
        if corpus is None:
            return None
        ids = self.tokenizer.encode(corpus)
        return ids[validation_start(len(ids)):]

    def corpus(self) -> str | None:
        """The text the model was trained on (cleaned), when its checkpoint kept it."""
        if self._corpus is None and CORPUS_FILE in self.checkpoint.files:
            self._corpus = gzip.decompress(self.checkpoint.files[CORPUS_FILE]).decode("utf-8")
        return self._corpus

    def card(self) -> dict[str, object]:
        """What the model card shows: data, training, validation loss, tokenizer."""
        ck = self.checkpoint
        val = ck.history.last("val_nats_per_char")
        calibration = ck.extra.get("calibration")
        if not (isinstance(calibration, dict) and calibration.get("step") == ck.step):
            calibration = None  # none, or one from before the model trained further
        return {
            "calibration": calibration,
            "family": "GPT", "source": ck.extra.get("source", ""), "steps": ck.step,
            "elapsed_s": float(ck.extra.get("elapsed", math.nan)), "val_nats_per_char": val,
            "tokenizer": f"{self.tokenizer.kind}, {self.tokenizer.vocab_size:,} tokens",
            "parameters": self.model.num_params(), "block_size": self.config.block_size,
            "data_sha256": ck.extra.get("data_sha256", ""), "path": str(ck.path),
        }
