"""A small decoder-only transformer (GPT) for text, with a key/value cache for generation.

References:
    Vaswani et al. 2017, "Attention Is All You Need" (arXiv:1706.03762): scaled
    dot-product attention with a causal mask, multi-head attention, the block.
    Radford et al. 2019, "Language Models are Unsupervised Multitask Learners"
    (GPT-2): layer norm before attention and MLP and once more after the last
    block, a GELU MLP four times as wide, residual projections initialised with
    std 0.02 / sqrt(2 * n_layer), input and output embeddings tied (Press & Wolf
    2017, arXiv:1608.05859).
    Karpathy, nanoGPT (github.com/karpathy/nanoGPT, model.py) and minGPT: the
    layout, names and initialisation followed here.

The context window. Positions are learned and absolute, so the model sees at
most ``block_size`` tokens. Sliding the window by one token at a time would
change every cached key and cost a full forward pass per token; instead a full
window restarts from its last ``keep`` tokens, recomputed in one pass, and then
grows again (``context_window``). Generation with and without the cache follow
the same rule, so their logits agree; ``keep = block_size - 1`` is nanoGPT's
crop-to-the-last-block (a recompute at every token). A trained model's context
can be lengthened and trained on further (``lengthen_positions``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int = 65  # number of distinct tokens (the tokenizer's vocabulary)
    block_size: int = 128  # longest context the model sees, in tokens
    n_layer: int = 4  # transformer blocks
    n_head: int = 4  # attention heads per block; must divide n_embd
    n_embd: int = 128  # width of every token's vector
    dropout: float = 0.0  # dropout probability while training, in [0, 1)
    bias: bool = False  # biases in linear layers and layer norms (False: a little faster, as good)

    def __post_init__(self) -> None:
        if self.vocab_size < 2:
            raise ValueError(f"a GPT needs a vocabulary of at least 2 tokens, got {self.vocab_size}")
        if self.block_size < 1:
            raise ValueError(f"the context (block size) must be at least 1 token, got {self.block_size}")
        if self.n_layer < 1 or self.n_head < 1 or self.n_embd < 1:
            raise ValueError("a GPT needs at least 1 layer, 1 head and a width of at least 1")
        if self.n_embd % self.n_head:
            raise ValueError(f"the width {self.n_embd} must be a multiple of the number of heads {self.n_head}; "
                             f"try a width of {self.n_head * max(1, round(self.n_embd / self.n_head))}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


def lengthen_positions(table: torch.Tensor, block_size: int) -> torch.Tensor:
    """A learned position table (T x C) lengthened to ``block_size`` rows, to train on with a longer context.

    The first T rows are kept as trained. The new ones repeat the table's second half
    (position T + i starts as T // 2 + i mod (T - T // 2)), so neighbouring positions
    stay neighbours and what the model learned about the tokens just before the one it
    predicts carries over. (The Shakespeare model at 7,000 steps, over 256-token windows of
    its held-out text's first 40,000 characters, before any training at 256: 2.08 nats per
    character this way, 3.00 with every new position a copy of the last; 1.39 on the same
    text at its own 128.)
    """
    rows = table.shape[0]
    if block_size < rows:
        raise ValueError(f"a context can be lengthened, not shortened: {rows} tokens trained, {block_size} asked")
    half = rows // 2
    new = torch.arange(block_size - rows, device=table.device) % (rows - half) + half
    return torch.cat([table, table[new]])


def divide_logits(state: dict[str, torch.Tensor], temperature: float) -> dict[str, torch.Tensor]:
    """A GPT's state dict changed so that its logits are the old ones divided by ``temperature``.

    The head has no bias, so the logits are linear in the final layer norm's output:
    scaling that norm's weight (and bias, if any) scales them exactly, in the full
    forward pass and the cached one alike. The scaling is done in float32 and stored
    in each tensor's own dtype. Other entries are shared with ``state``, not copied.
    """
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"the temperature must be a positive number, got {temperature}")
    if "ln_f.weight" not in state:
        raise ValueError("not a GPT's weights: no final layer norm (ln_f.weight)")
    out = dict(state)
    for name in ("ln_f.weight", "ln_f.bias"):
        if name in state:
            out[name] = (state[name].float() / temperature).to(state[name].dtype)
    return out


def default_keep(block_size: int) -> int:
    """Tokens a full window keeps when it restarts: half of it, so the model always
    sees at least half a block, and a restart (recomputing ``keep`` tokens) comes
    every ``block_size - keep`` tokens: one recomputed token per generated token."""
    return block_size // 2


def context_window(length: int, block_size: int, keep: int) -> int:
    """How many of the last tokens the model sees after ``length`` tokens.

    Up to ``block_size`` it sees them all; after that the window restarts from
    its last ``keep`` tokens each time it is full, so it holds ``keep + 1`` to
    ``block_size`` tokens.
    """
    if not 0 <= keep < block_size:
        raise ValueError(f"a restarting window keeps 0 to {block_size - 1} tokens, not {keep}")
    if length <= block_size:
        return length
    return keep + (length - block_size - 1) % (block_size - keep) + 1


@dataclass
class KVCache:
    """Keys and values of every layer for the tokens in the current window (``GPT.new_cache``)."""

    keys: list[torch.Tensor]  # per layer: N x n_head x block_size x head_dim, valid up to `length`
    values: list[torch.Tensor]  # the same shape
    tokens: torch.Tensor  # int64 N x block_size: the window's ids, to recompute it on a restart
    keep: int  # tokens a full window keeps when it restarts, 0 to block_size - 1
    length: int = 0  # tokens in the window now
    restarts: int = 0  # how many times the window restarted
    weights: list = field(default_factory=list)  # per layer: the block's parameters for the step, taken by new_cache
    head: torch.Tensor | None = None  # C x V: the output matrix transposed, taken by new_cache


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)  # q, k, v in one matmul
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_drop = nn.Dropout(config.dropout)
        self.n_head, self.dropout = config.n_head, config.dropout

    def _qkv(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        n, t, c = x.shape
        qkv = self.c_attn(x).view(n, t, 3, self.n_head, c // self.n_head).permute(2, 0, 3, 1, 4)  # 3 x N x H x T x D
        q, k, v = qkv.unbind(0)
        return q, k, v

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t, c = x.shape
        q, k, v = self._qkv(x)
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0, is_causal=True)
        y = y.transpose(1, 2).reshape(n, t, c)  # heads side by side again
        return self.resid_drop(self.c_proj(y))

    def weights_at(self, x: torch.Tensor, position: int) -> torch.Tensor:
        """Attention of query ``position`` over keys 0..position: N x H x T, zero after it."""
        q, k, _ = self._qkv(x)
        scores = (q[:, :, position : position + 1] @ k.transpose(-2, -1)).squeeze(2) / math.sqrt(q.shape[-1])
        scores[:, :, position + 1 :] = float("-inf")
        return scores.softmax(dim=-1)


class MLP(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.c_proj(F.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))

    def step_weights(self) -> _StepWeights:
        """This block's parameters for ``_block_step``: the matrices as transposed copies, the rest as they are."""
        attn, mlp = self.attn, self.mlp

        def t(w: torch.Tensor) -> torch.Tensor:
            return w.detach().t().contiguous()

        return _StepWeights(self.ln_1.weight, self.ln_1.bias, self.ln_1.eps, t(attn.c_attn.weight), attn.c_attn.bias,
                            t(attn.c_proj.weight), attn.c_proj.bias, self.ln_2.weight, self.ln_2.bias,
                            t(mlp.c_fc.weight), mlp.c_fc.bias, t(mlp.c_proj.weight), mlp.c_proj.bias, attn.n_head)


class _StepWeights(NamedTuple):
    ln1_w: torch.Tensor
    ln1_b: torch.Tensor | None
    eps: float
    qkv_t: torch.Tensor  # C x 3C: c_attn.weight transposed
    qkv_b: torch.Tensor | None
    proj_t: torch.Tensor  # C x C
    proj_b: torch.Tensor | None
    ln2_w: torch.Tensor
    ln2_b: torch.Tensor | None
    fc_t: torch.Tensor  # C x 4C
    fc_b: torch.Tensor | None
    out_t: torch.Tensor  # 4C x C
    out_b: torch.Tensor | None
    n_head: int


def _linear_t(x: torch.Tensor, weight_t: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    y = x @ weight_t  # a row times a contiguous transposed matrix: a third faster than F.linear for one token
    return y if bias is None else y + bias


def _block_step(w: _StepWeights, x: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, s: int) -> torch.Tensor:
    """``Block.forward`` in eval mode for N x t tokens that follow ``s`` cached ones; stores their keys and values.

    The same arithmetic as the modules, through ``torch.nn.functional`` on a
    transposed copy of the block's weights: generation runs one token at a
    time, where the modules' call overhead costs as much as the arithmetic
    (``python -m playground bench text``).
    """
    n, t, c = x.shape
    h = F.layer_norm(x, (c,), w.ln1_w, w.ln1_b, w.eps)
    q, k, v = _linear_t(h, w.qkv_t, w.qkv_b).view(n, t, 3, w.n_head, c // w.n_head).permute(2, 0, 3, 1, 4).unbind(0)
    keys[:, :, s : s + t] = k  # N x H x t x D
    values[:, :, s : s + t] = v
    mask = None
    if t > 1:  # new query i sees the s cached keys and new keys 0..i
        mask = torch.ones(t, s + t, dtype=torch.bool, device=x.device).tril(diagonal=s)
    y = F.scaled_dot_product_attention(q, keys[:, :, : s + t], values[:, :, : s + t], attn_mask=mask)
    x = x + _linear_t(y.transpose(1, 2).reshape(n, t, c), w.proj_t, w.proj_b)
    h = F.gelu(_linear_t(F.layer_norm(x, (c,), w.ln2_w, w.ln2_b, w.eps), w.fc_t, w.fc_b))
    return x + _linear_t(h, w.out_t, w.out_b)


class GPT(nn.Module):
    """Token ids -> next-token logits; ``forward(idx, targets)`` also returns the loss."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.wte.weight = self.lm_head.weight  # tied: one V x C matrix reads and writes tokens
        self.apply(self._init_weights)
        for name, param in self.named_parameters():
            if name.endswith("c_proj.weight"):  # each block adds two residual branches
                nn.init.normal_(param, 0.0, 0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, 0.0, 0.02)
            if getattr(module, "bias", None) is not None:
                nn.init.zeros_(module.bias)

    def _check(self, idx: torch.Tensor) -> None:
        if idx.dim() != 2 or idx.dtype != torch.int64:
            raise ValueError(f"token ids must be an int64 N x T tensor, got {idx.dtype} {tuple(idx.shape)}")

    def _embed(self, idx: torch.Tensor, start: int) -> torch.Tensor:
        pos = torch.arange(start, start + idx.shape[1], device=idx.device)
        return self.drop(self.wte(idx) + self.wpe(pos))  # N x T x C

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits for the token after each position, and the loss when targets are given.

        Args:
            idx: int64 N x T token ids, T <= block_size.
            targets: int64 N x T, the token that follows each position, or None.
        Returns:
            (logits float N x T x V, loss: mean cross-entropy in nats per token (a
            scalar), or None without targets).
        """
        self._check(idx)
        if idx.shape[1] > self.config.block_size:
            raise ValueError(f"a sequence of {idx.shape[1]} tokens is longer than this model's context of "
                             f"{self.config.block_size}; pass only the last {self.config.block_size}")
        x = self._embed(idx, 0)
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))  # N x T x V
        if targets is None:
            return logits, None
        if targets.shape != idx.shape:
            raise ValueError(f"targets {tuple(targets.shape)} must have the shape of the ids {tuple(idx.shape)}")
        return logits, F.cross_entropy(logits.flatten(0, 1), targets.flatten())

    def new_cache(self, batch: int = 1, device: torch.device | str | None = None, keep: int | None = None) -> KVCache:
        """An empty cache for ``forward_step``, on ``device`` (default: the model's).

        ``keep`` (default ``default_keep(block_size)``) is how many tokens a full
        window keeps when it restarts; see ``context_window``. The cache keeps
        transposed copies of the weight matrices as they are now (for the
        one-token step): a model trained further needs a new cache.
        """
        cfg = self.config
        keep = default_keep(cfg.block_size) if keep is None else keep
        context_window(0, cfg.block_size, keep)  # validates keep
        weight = self.lm_head.weight
        device = weight.device if device is None else torch.device(device)
        shape = (batch, cfg.n_head, cfg.block_size, cfg.n_embd // cfg.n_head)
        return KVCache(
            keys=[torch.zeros(shape, dtype=weight.dtype, device=device) for _ in range(cfg.n_layer)],
            values=[torch.zeros(shape, dtype=weight.dtype, device=device) for _ in range(cfg.n_layer)],
            tokens=torch.zeros(batch, cfg.block_size, dtype=torch.int64, device=device),
            keep=keep,
            weights=[block.step_weights() for block in self.blocks],
            head=self.lm_head.weight.detach().t().contiguous(),
        )

    def forward_step(self, idx_new: torch.Tensor, cache: KVCache) -> torch.Tensor:
        """Logits for ``t`` new tokens, reusing (and extending) the cached keys and values.

        Runs without gradients. Equal (to float rounding) to ``forward`` on each
        position's window, ``context_window(length, block_size, cache.keep)``.

        Args:
            idx_new: int64 N x t token ids that follow the cached ones (any t >= 1).
            cache: from ``new_cache``, with the same batch size N; updated in place.
        Returns:
            float N x t x V logits.
        """
        self._check(idx_new)
        if idx_new.shape[0] != cache.tokens.shape[0] or idx_new.shape[1] < 1:
            raise ValueError(f"the cache holds a batch of {cache.tokens.shape[0]}; got ids of shape {tuple(idx_new.shape)}")
        block, done, out = self.config.block_size, 0, []
        with torch.inference_mode():
            while done < idx_new.shape[1]:
                if cache.length == block:
                    self._restart(cache)
                n = min(idx_new.shape[1] - done, block - cache.length)
                out.append(self._append(idx_new[:, done : done + n], cache))
                done += n
        return out[0] if len(out) == 1 else torch.cat(out, dim=1)

    def _append(self, idx: torch.Tensor, cache: KVCache, logits: bool = True) -> torch.Tensor:
        s, t = cache.length, idx.shape[1]
        x = self.wte.weight[idx] + self.wpe.weight[s : s + t]  # N x t x C, as _embed without dropout
        for w, keys, values in zip(cache.weights, cache.keys, cache.values):
            x = _block_step(w, x, keys, values, s)
        cache.tokens[:, s : s + t] = idx
        cache.length = s + t
        if not logits:
            return x
        ln_f = self.ln_f
        return F.layer_norm(x, x.shape[-1:], ln_f.weight, ln_f.bias, ln_f.eps) @ cache.head

    def _restart(self, cache: KVCache) -> None:
        kept = cache.tokens[:, self.config.block_size - cache.keep :].clone()
        cache.length, cache.restarts = 0, cache.restarts + 1
        if cache.keep:
            self._append(kept, cache, logits=False)

    @torch.no_grad()
    def attention_at(self, idx: torch.Tensor, position: int = -1) -> torch.Tensor:
        """What position ``position`` attends to, in every layer and head.

        A separate pass with an explicit softmax (the normal path's fused
        attention never forms the weights), in eval mode, so dropout is off.

        Args:
            idx: int64 (T,) or 1 x T token ids, T <= block_size.
            position: the query position, -T <= position < T (default: the last).
        Returns:
            float32 n_layer x n_head x T on the CPU: each row sums to 1 over
            positions 0..position and is 0 after it.
        """
        idx = idx[None] if idx.dim() == 1 else idx
        self._check(idx)
        t = idx.shape[1]
        if idx.shape[0] != 1 or t > self.config.block_size:
            raise ValueError(f"attention is shown for one sequence of at most {self.config.block_size} tokens")
        if not -t <= position < t:
            raise ValueError(f"position {position} is outside a sequence of {t} tokens")
        position %= t
        was_training = self.training
        self.eval()
        try:
            x, maps = self._embed(idx, 0), []
            for block in self.blocks:
                maps.append(block.attn.weights_at(block.ln_1(x), position)[0])  # H x T
                x = block(x)
        finally:
            self.train(was_training)
        return torch.stack(maps).float().cpu()

    def num_params(self, non_embedding: bool = False) -> int:
        """Parameters counted once each (the tied embedding too); ``non_embedding``
        leaves out the position table, as nanoGPT reports."""
        n = sum(p.numel() for p in self.parameters())
        return n - self.wpe.weight.numel() if non_embedding else n

    def optim_groups(self, weight_decay: float) -> list[dict]:
        """AdamW parameter groups: decay matrices and embeddings, not biases or norms (nanoGPT)."""
        params = [p for p in self.parameters() if p.requires_grad]
        return [
            {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
        ]
