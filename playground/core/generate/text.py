"""Jobs behind the Generate tab's Text section: load a GPT, write with it, branch, run variants, explain a token.

    model = run_to_end(load_text_model_job("shakespeare"))          # weights, tokenizer, verbatim index
    gen = run_to_end(generate_job(model, TextRequest("ROMEO:", 200)), on_event=print)  # TokensGenerated...
    gen.text, gen.verbatim.copied_chars, gen.choices[5].probs_after
    other = run_to_end(branch_job(model, gen, 5, gen.choices[5].candidate_ids[1]))

Everything that touches torch or scans the training text runs here, in jobs,
so the window never waits on it. Outputs are ``TextGeneration`` records:
plain data (token records, texts, measures) the UI only draws.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.core.events import Progress, Status, TokensGenerated
from playground.core.families.generators import load_generator
from playground.core.generators.text_generator import TextGenerator, TextRequest, TextResult
from playground.core.jobs import Job, JobControl
from playground.core.metrics.text_quality import corpus_vocabulary, real_word_share
from playground.core.metrics.verbatim import VerbatimIndex, VerbatimReport
from playground.core.models.gpt_sampling import TokenChoice, branch_prompt
from playground.core.runs.bundled_models import resolve_model
from playground.core.runs.checkpoint import read_meta
from playground.core.runs.snapshots import list_snapshots
from playground.core.generate.streaming import stream_call

DEVICE = "cpu"  # small GPTs write fast enough on a CPU, and a CPU run is what a receipt verifies against
MIN_COPIED_CHARS = 30  # the shortest stretch found in the training text that counts as copied


@dataclass(frozen=True, eq=False)
class TextModel:
    """A loaded GPT and what its outputs are measured against."""

    ref: str  # what loads it again (a bundled name or a folder); receipts name it
    generator: TextGenerator  # weights on the CPU, tokenizer, card
    snapshots: tuple[int, ...]  # steps of the run's weight snapshots (time travel), oldest first
    index: VerbatimIndex | None = None  # the training text indexed for "copied or new"; None if not kept
    vocabulary: frozenset[str] = frozenset()  # every word of the training text (real-word share)

    @property
    def has_corpus(self) -> bool:
        return self.index is not None

    def read_prompt(self, prompt: str) -> tuple[str, tuple[str, ...]]:
        """(``prompt`` as the model reads it, unknown characters as U+FFFD; the unknown characters, each once)."""
        ids, unknown = self.generator.encode(prompt)
        return "".join(token_pieces(self.generator, ids)), unknown

    def measure(self, text: str) -> tuple[VerbatimReport | None, float | None]:
        """(stretches copied from the training text, share of real words in [0, 1]); None without a corpus."""
        if self.index is None:
            return None, None
        return self.index.find(text, MIN_COPIED_CHARS), real_word_share(text, self.vocabulary)


@dataclass(frozen=True, eq=False)
class TextGeneration:
    """One output: every generated token with what the model weighed, and how much of it is copied."""

    model: str  # the TextModel's ref
    snapshot: int | None  # the weight snapshot used (time travel), or None for the final weights
    request: TextRequest  # the settings asked for (a branch: its parent's)
    prompt_ids: tuple[int, ...]  # the prompt as the model saw it
    prompt_pieces: tuple[str, ...]  # each prompt token's text (they join to the prompt shown)
    choices: tuple[TokenChoice, ...]  # each generated token's record; a branch keeps its parent's before the swap
    pieces: tuple[str, ...]  # each generated token's text
    unknown: tuple[str, ...]  # prompt characters the tokenizer cannot encode (left out of prompt_ids)
    last: TextResult  # what the generator returned in this run (a branch: the text after the swapped token)
    branch_at: int | None = None  # the generated token a branch swapped for another candidate
    verbatim: VerbatimReport | None = None  # copied stretches of ``text`` (None: no training text kept)
    real_words: float | None = None  # share of the words of ``text`` the training text uses, in [0, 1]

    @property
    def prompt(self) -> str:
        return "".join(self.prompt_pieces)

    @property
    def text(self) -> str:
        """The generated text (without the prompt)."""
        return "".join(self.pieces)

    @property
    def ids(self) -> list[int]:
        """Prompt and generated token ids, in order."""
        return [*self.prompt_ids, *(c.token_id for c in self.choices)]

    def copied_tokens(self) -> tuple[bool, ...]:
        """Per generated token: does any of its characters lie in a stretch copied from the training text?"""
        if self.verbatim is None:
            return (False,) * len(self.pieces)
        covered = np.zeros(len(self.text) + 1, dtype=bool)
        for span in self.verbatim.spans:
            covered[span.start:span.end] = True
        out, at = [], 0
        for piece in self.pieces:
            out.append(bool(covered[at:at + len(piece)].any()))
            at += len(piece)
        return tuple(out)


BPE_LOOKBACK = 8  # tokens decoded before a BPE token to find its text: a character is at most 4 byte pieces


def token_pieces(generator: TextGenerator, ids: Sequence[int]) -> tuple[str, ...]:
    """Each token's text, joining to ``decode(ids)``; a BPE byte piece that ends no character is ""."""
    tokenizer = generator.tokenizer
    if tokenizer.kind != "bpe":
        return tuple(tokenizer.token_text(int(i)) for i in ids)
    out = []
    for k in range(len(ids)):
        window = ids[max(0, k - BPE_LOOKBACK): k + 1]
        before, after = tokenizer.decode(window[:-1]), tokenizer.decode(window)
        out.append(after[len(before):] if after.startswith(before) else tokenizer.token_text(int(ids[k])))
    return tuple(out)


def load_text_model_job(ref: str, device: str = DEVICE) -> Job:
    """Job: load the GPT at ``ref`` (a folder or bundled name) and index its training text -> ``TextModel``.

    Raises:
        CheckpointError: a missing or damaged checkpoint (one line for the user).
        ValueError: a checkpoint of another family.
    """

    def job(control: JobControl) -> Generator[Any, None, TextModel]:
        yield Status(f"loading {ref}")
        meta = read_meta(resolve_model(ref))
        if meta["family"] != "gpt":
            raise ValueError(f"{ref} holds a {meta['family'].upper()} model; the Text section needs a GPT trained on "
                             "text (train one on the Train tab with a text dataset)")
        generator = load_generator(ref, device)
        control.checkpoint()
        try:
            corpus = generator.corpus()
        except (OSError, EOFError, zlib.error, UnicodeDecodeError):
            corpus = None
        if not corpus:
            yield Status("this checkpoint kept no training text: copied-or-new and real-word shares are not measured",
                         "warning")
            return TextModel(ref, generator, _snapshot_steps(generator))
        yield Status(f"indexing the {len(corpus):,} characters of training text")
        index = VerbatimIndex(corpus)
        control.checkpoint()
        return TextModel(ref, generator, _snapshot_steps(generator), index, corpus_vocabulary(corpus))

    return job


def _snapshot_steps(generator: TextGenerator) -> tuple[int, ...]:
    path = generator.checkpoint.path
    return tuple(step for step, _file in list_snapshots(path)) if path is not None else ()


def finish_generation(model: TextModel, request: TextRequest, result: TextResult, *, snapshot: int | None = None,
                      parent: TextGeneration | None = None, branch_at: int | None = None) -> TextGeneration:
    """The record of a finished run (a branch joins its parent's kept tokens, the swap, and the new text)."""
    generator = model.generator
    if parent is None or branch_at is None:
        choices, pieces = result.choices, result.pieces
        prompt_ids, unknown = result.prompt_ids, result.unknown
    else:
        swap = dataclasses.replace(parent.choices[branch_at], token_id=int(result.prompt_ids[-1]))
        swap_piece = token_pieces(generator, result.prompt_ids[-BPE_LOOKBACK - 1:])[-1]
        choices = (*parent.choices[:branch_at], swap, *result.choices)
        pieces = (*parent.pieces[:branch_at], swap_piece, *result.pieces)
        prompt_ids, unknown = parent.prompt_ids, parent.unknown
    text = "".join(pieces)
    verbatim, real = model.measure(text)
    return TextGeneration(model.ref, snapshot, request if parent is None else parent.request, tuple(prompt_ids),
                          token_pieces(generator, prompt_ids), tuple(choices), tuple(pieces), tuple(unknown), result,
                          branch_at, verbatim, real)


def stream_tokens(generator: TextGenerator, request: TextRequest, control: JobControl, *, stream: int = 0,
                  start: int = 0, prompt_ids: list[int] | None = None) -> Generator[Any, None, TextResult]:
    """``generator.generate`` with its tokens yielded as ``TokensGenerated`` events as they come."""
    sent = [start]

    def work(emit: Any, cancelled: Any) -> TextResult:
        return generator.generate(request, on_step=lambda choice, piece: emit((choice, piece)), cancel=cancelled,
                                  prompt_ids=prompt_ids)

    def batch(items: list[tuple[TokenChoice, str]]) -> TokensGenerated:
        event = TokensGenerated(stream, sent[0], tuple(p for _, p in items), tuple(c for c, _ in items))
        sent[0] += len(items)
        return event

    return (yield from stream_call(work, control, batch))


def generate_job(model: TextModel, request: TextRequest, *, stream: int = 0) -> Job:
    """Job: continue ``request.prompt``, streaming ``TokensGenerated`` events -> ``TextGeneration``."""

    def job(control: JobControl) -> Generator[Any, None, TextGeneration]:
        result = yield from stream_tokens(model.generator, request, control, stream=stream)
        return finish_generation(model, request, result)

    return job


def branch_job(model: TextModel, parent: TextGeneration, index: int, token_id: int) -> Job:
    """Job: ``parent`` with generated token ``index`` swapped for candidate ``token_id``, continued from there
    to the same length -> a new ``TextGeneration`` (``parent`` is unchanged). Streams the new tokens.

    Raises:
        ValueError: no such token, or ``token_id`` is not one of the candidates shown for it.
    """
    if not 0 <= index < len(parent.choices):
        raise ValueError(f"there is no generated token {index}: the text has {len(parent.choices)}")
    if token_id not in parent.choices[index].candidate_ids:
        raise ValueError("pick one of the candidates the model weighed for that token")

    def job(control: JobControl) -> Generator[Any, None, TextGeneration]:
        ids = branch_prompt(parent.prompt_ids, parent.choices, index, token_id)
        request = dataclasses.replace(parent.request, max_tokens=len(parent.choices) - index - 1)
        result = yield from stream_tokens(model.generator, request, control, start=index + 1, prompt_ids=ids)
        return finish_generation(model, request, result, parent=parent, branch_at=index)

    return job


def variants_job(model: TextModel, request: TextRequest, seeds: Sequence[int]) -> Job:
    """Job: the same prompt and settings with each of ``seeds``; variant ``i`` streams as stream ``i``
    -> a tuple of ``TextGeneration``, one per seed."""
    if not seeds:
        raise ValueError("give at least one seed")

    def job(control: JobControl) -> Generator[Any, None, tuple[TextGeneration, ...]]:
        out = []
        for i, seed in enumerate(seeds):
            yield Progress(i, len(seeds), f"variant {i + 1} of {len(seeds)} (seed {seed})")
            one = dataclasses.replace(request, seed=int(seed))
            result = yield from stream_tokens(model.generator, one, control, stream=i)
            out.append(finish_generation(model, one, result))
        yield Progress(len(seeds), len(seeds), "variants done")
        return tuple(out)

    return job


@dataclass(frozen=True, eq=False)
class AttentionView:
    """Where the model looked when it picked one generated token."""

    weights: np.ndarray  # float32 n_layer x n_head x T: attention of the last context token over the context
    token_spans: tuple[tuple[int, int], ...]  # (start, end) of each of the T context tokens in prompt + text
    index: int  # the generated token explained


def attention_job(model: TextModel, generation: TextGeneration, index: int) -> Job:
    """Job: the attention behind generated token ``index`` -> ``AttentionView``.

    The model picked token ``index`` from its state at the token before it, so
    that position's attention (over the context the model saw, ``choice.context``
    tokens) is what is shown. Snapshot outputs are explained by the loaded weights.
    """
    if not 0 <= index < len(generation.choices):
        raise ValueError(f"there is no generated token {index}: the text has {len(generation.choices)}")

    def job(control: JobControl) -> Generator[Any, None, AttentionView]:
        control.checkpoint()
        ids = generation.ids
        position = len(generation.prompt_ids) + index - 1  # the query whose output picked token ``index``
        context = max(1, min(generation.choices[index].context, position + 1))
        window = ids[position + 1 - context: position + 1]
        weights = model.generator.attention(window, context - 1)
        ends = np.cumsum([len(p) for p in (*generation.prompt_pieces, *generation.pieces)])
        starts = np.concatenate([[0], ends[:-1]])
        first = position + 1 - context
        spans = tuple((int(starts[k]), int(ends[k])) for k in range(first, position + 1))
        return AttentionView(weights.astype(np.float32), spans, index)
        yield  # no events

    return job

