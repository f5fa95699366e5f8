"""A small caption encoder trained together with the diffusion model, and caption batching.

Captions are normalised (lower case, punctuation split off, one space before
each word) so that a word-level ``Tokenizer`` gives "heart" the same id at the
start of a prompt as in the middle. Token ids are embedded, positions added,
and one or two pre-norm transformer layers let words see each other ("red"
before "heart" vs before "circle"); the encoder returns per-token features
for the UNet's cross-attention, their mask, and a pooled vector.

The empty caption (a mask row of False) is the "null caption" of
classifier-free guidance (Ho & Salimans 2022, "Classifier-Free Diffusion
Guidance", arXiv:2207.12598): training drops a share of captions to it
(``drop_captions``), and sampling uses it for the unconditional branch
(``empty_captions``). Its pooled vector is learned.

References:
    Vaswani et al. 2017, "Attention Is All You Need" (arXiv:1706.03762);
    pre-norm layers as in GPT-2 (Radford et al. 2019).
    Saharia et al. 2022, "Imagen" (arXiv:2205.11487): a text encoder's token
    features for cross-attention and its pooled vector for the embedding.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from playground.core.data.note_captions import caption_midi
from playground.core.preprocess.tokenizer import UNK, Tokenizer

_PUNCTUATION = re.compile(r"([^\w\s])")


@dataclass(frozen=True)
class TextEncoderConfig:
    vocab_size: int  # the caption tokenizer's vocabulary; id ``vocab_size`` is padding
    dim: int = 64  # D: size of each token feature and of the pooled vector (the UNet's text_dim)
    max_len: int = 16  # longest caption in tokens; longer ones are cut
    layers: int = 1  # transformer layers; 0 leaves embeddings plus positions, then mean pooling
    heads: int = 4  # attention heads per layer
    dropout: float = 0.0  # in attention and feed-forward outputs

    def __post_init__(self) -> None:
        if self.vocab_size < 2:
            raise ValueError(f"a caption vocabulary needs at least 2 tokens, got {self.vocab_size}")
        if self.dim < 1 or self.max_len < 1 or self.layers < 0 or self.heads < 1:
            raise ValueError("size, caption length and heads must be at least 1, and layers 0 or more")
        if self.dim % self.heads:
            raise ValueError(f"the text feature size {self.dim} must divide by the {self.heads} heads")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


class TextFeatures(NamedTuple):
    """What the UNet reads of a batch of captions (a tuple, so samplers can stack two)."""

    tokens: torch.Tensor  # float N x L x D, zeros at padding
    mask: torch.Tensor  # bool N x L, True at real tokens
    pooled: torch.Tensor  # float N x D; the learned null vector for an empty caption
    midi: torch.Tensor | None = None  # float N: the note a caption names (NaN: none, or the null caption)


class _Layer(nn.Module):
    """Pre-norm transformer layer: x + attn(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        n, length, dim = x.shape
        q, k, v = (z.view(n, length, self.heads, -1).transpose(1, 2) for z in self.qkv(self.norm1(x)).chunk(3, dim=2))
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed[:, None, None, :],
                                           dropout_p=self.dropout if self.training else 0.0)
        x = x + F.dropout(self.proj(a.transpose(1, 2).reshape(n, length, dim)), self.dropout, self.training)
        return x + self.mlp(self.norm2(x))


class TextEncoder(nn.Module):
    """(ids int64 N x L, mask bool N x L) -> ``TextFeatures`` (tokens N x L x D, mask, pooled N x D)."""

    def __init__(self, config: TextEncoderConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size + 1, config.dim, padding_idx=config.vocab_size)
        self.position = nn.Embedding(config.max_len, config.dim)
        self.layers = nn.ModuleList(_Layer(config.dim, config.heads, config.dropout) for _ in range(config.layers))
        self.norm = nn.LayerNorm(config.dim)
        self.null = nn.Parameter(torch.zeros(config.dim))
        nn.init.normal_(self.embed.weight, 0.0, 0.02)
        nn.init.normal_(self.position.weight, 0.0, 0.02)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor, midi: torch.Tensor | None = None) -> TextFeatures:
        """Features of a batch of captions; ``midi`` (float N, NaN for none) passes through, except that the
        null caption names no note (so caption dropout drops the note too)."""
        c = self.config
        if ids.ndim != 2 or mask.shape != ids.shape:
            raise ValueError(f"caption ids and mask must both be N x L, got {tuple(ids.shape)} and {tuple(mask.shape)}")
        if ids.shape[1] > c.max_len:
            raise ValueError(f"captions of {ids.shape[1]} tokens are longer than this encoder's {c.max_len}")
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) > c.vocab_size):
            raise ValueError(f"caption ids must be in [0, {c.vocab_size}] for this encoder; was it built "
                             "for another tokenizer?")
        mask = mask.bool()
        empty = ~mask.any(dim=1)  # N: the null caption
        allowed = mask | empty[:, None]  # an empty row attends to its padding, then is thrown away
        x = self.embed(ids) + self.position.weight[: ids.shape[1]]  # N x L x D
        for layer in self.layers:
            x = layer(x, allowed)
        x = self.norm(x) * mask[:, :, None].to(x.dtype)
        pooled = x.sum(1) / mask.sum(1, keepdim=True).clamp(min=1).to(x.dtype)  # N x D, mean of real tokens
        pooled = torch.where(empty[:, None], self.null.to(x.dtype).expand_as(pooled), pooled)
        if midi is not None:
            midi = torch.where(empty, torch.nan, midi.to(device=x.device, dtype=torch.float32))
        return TextFeatures(x, mask, pooled, midi)


# Captions to ids ------------------------------------------------------------

def normalise_caption(text: str) -> str:
    """Lower case, punctuation as its own word, one space before each word: "Red heart!" -> " red heart !"."""
    words = _PUNCTUATION.sub(r" \1 ", text.replace("\u2019", "'").lower()).split()
    return "".join(" " + w for w in words)


def train_caption_tokenizer(captions: Sequence[str], kind: str = "word", vocab_size: int = 4096) -> Tokenizer:
    """A tokenizer for normalised ``captions`` (word level keeps each caption word whole)."""
    return Tokenizer.train(kind, [normalise_caption(c) for c in captions], vocab_size)


@dataclass(frozen=True)
class CaptionBatch:
    """Captions as padded ids, ready for ``TextEncoder``."""

    ids: torch.Tensor  # int64 N x max_len, padded with the pad id (the tokenizer's vocab size)
    mask: torch.Tensor  # bool N x max_len, True at real tokens
    unknown: list[list[str]]  # per caption, its words the tokenizer never saw (each once, in order)
    truncated: list[bool]  # per caption, whether it had more than max_len tokens and was cut
    midi: torch.Tensor  # float N: the one note each caption names ("a flute playing A4": 69), NaN for none


def encode_captions(tokenizer: Tokenizer, captions: Sequence[str], max_len: int) -> CaptionBatch:
    """Normalise, tokenise and pad ``captions``; report unknown words instead of dropping them silently.

    A word-level tokenizer maps unseen words to ``<unk>``: they are listed in
    ``unknown`` so a prompt box can say "the model never saw: zebra". A BPE
    tokenizer spells any word from bytes, so it reports none.
    """
    if max_len < 1:
        raise ValueError(f"captions need room for at least 1 token, got max_len {max_len}")
    unk_id = tokenizer.to_dict()["vocab"].index(UNK) if tokenizer.kind != "bpe" else -1
    pad = tokenizer.vocab_size
    ids = torch.full((len(captions), max_len), pad, dtype=torch.int64)
    unknown: list[list[str]] = []
    truncated: list[bool] = []
    for row, caption in enumerate(captions):
        spans = tokenizer.spans(normalise_caption(caption))
        tokens = [token_id for _, _, token_id, _ in spans]
        ids[row, : min(len(tokens), max_len)] = torch.tensor(tokens[:max_len], dtype=torch.int64)
        unknown.append(list(dict.fromkeys(text.strip() for _, _, token_id, text in spans if token_id == unk_id)))
        truncated.append(len(tokens) > max_len)
    midi = torch.tensor([float(m) if (m := caption_midi(c)) is not None else math.nan for c in captions])
    return CaptionBatch(ids, ids != pad, unknown, truncated, midi.reshape(len(captions)))


def empty_captions(n: int, max_len: int, vocab_size: int) -> CaptionBatch:
    """``n`` null captions (all padding): the unconditional input of classifier-free guidance."""
    ids = torch.full((n, max_len), vocab_size, dtype=torch.int64)
    return CaptionBatch(ids, torch.zeros(n, max_len, dtype=torch.bool), [[] for _ in range(n)], [False] * n,
                        torch.full((n,), math.nan))


def drop_captions(mask: torch.Tensor, p: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Caption dropout for classifier-free guidance: each row becomes the null caption with probability ``p``.

    Args:
        mask: bool N x L, True at real tokens.
        p: in [0, 1]; Ho & Salimans found 0.1 to 0.2 works well.
        generator: a CPU generator, for reproducible training.

    Returns:
        bool N x L: ``mask`` with the dropped rows all False.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"caption dropout must be in [0, 1], got {p}")
    keep = torch.rand(len(mask), generator=generator) >= p  # N
    return mask & keep.to(mask.device)[:, None]
