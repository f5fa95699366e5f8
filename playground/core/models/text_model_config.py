"""The GPT family's own settings: the network's shape and how it is trained and sampled while training.

The network is ``playground.core.models.gpt.GPT``; its ``GPTConfig`` is made
here (``gpt_config``), with the vocabulary size taken from the data's
tokenizer (``for_data``). Run settings (steps, batch size, learning rate,
warm-up, schedule, seed, device) are in ``RunConfig``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from playground.core.config_fields import config_from_dict, config_to_dict

if TYPE_CHECKING:  # the model module imports torch; the config must not
    from playground.core.models.gpt import GPTConfig

VAL_SHARE = 0.1  # the last 10% of the token ids are the validation split


def validation_start(tokens: int) -> int:
    """Where the validation split of a text of ``tokens`` token ids starts (training and calibration agree)."""
    return int(tokens * (1 - VAL_SHARE))


@dataclass(frozen=True)
class TextModelConfig:
    block_size: int = 64  # longest context the model sees, in tokens
    n_layer: int = 3  # transformer blocks
    n_head: int = 4  # attention heads per block; must divide n_embd
    n_embd: int = 128  # width of every token's vector
    dropout: float = 0.0  # dropout while training (the small models underfit: 0)
    bias: bool = False  # biases in linear layers and layer norms
    weight_decay: float = 0.1  # AdamW weight decay on matrices (not on norms and biases)
    beta2: float = 0.99  # AdamW's second beta (0.99 for small batches, as nanoGPT's char model)
    grad_clip: float = 1.0  # clip the gradient norm to this (0: off)
    eval_batches: int = 8  # validation batches per measurement (fixed windows, so curves are comparable)
    sample_tokens: int = 200  # length of the sample shown while training
    sample_temperature: float = 0.8  # temperature of that sample
    vocab_size: int = 0  # tokens the tokenizer knows (set from the data)

    def __post_init__(self) -> None:
        for name in ("block_size", "n_layer", "n_head", "n_embd", "eval_batches", "sample_tokens"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be a multiple of n_head ({self.n_head}); "
                             f"try {self.n_head * max(1, round(self.n_embd / self.n_head))}")
        if not (0.0 <= self.dropout < 1.0):
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if not (0.0 <= self.weight_decay <= 1.0):
            raise ValueError(f"weight_decay must be in [0, 1], got {self.weight_decay}")
        if not (0.0 < self.beta2 < 1.0):
            raise ValueError(f"beta2 must be in (0, 1), got {self.beta2}")
        if not (math.isfinite(self.grad_clip) and self.grad_clip >= 0):
            raise ValueError("grad_clip must be 0 (off) or more")
        if not (math.isfinite(self.sample_temperature) and self.sample_temperature >= 0):
            raise ValueError("sample_temperature must be 0 (greedy) or more")
        if self.vocab_size < 0:
            raise ValueError("vocab_size must be 0 (from the data) or more")

    def replace(self, **changes: Any) -> TextModelConfig:
        return dataclasses.replace(self, **changes)

    def for_data(self, data: Any) -> TextModelConfig:
        """Take the vocabulary size from ``PreparedText``'s tokenizer.

        Raises:
            ValueError: a text too short for one training and one validation window.
        """
        need = int((self.block_size + 1) / VAL_SHARE) + 1
        if len(data.ids) < need:
            raise ValueError(f"{getattr(data, 'source', '') or 'this text'} has {len(data.ids):,} tokens; a context of "
                             f"{self.block_size} needs at least {need:,} (10% are kept for validation): use more text "
                             "or a smaller block_size")
        return dataclasses.replace(self, vocab_size=int(data.tokenizer.vocab_size))

    def gpt_config(self) -> GPTConfig:
        from playground.core.models.gpt import GPTConfig

        if self.vocab_size < 1:
            raise ValueError("the vocabulary size is not known yet: fit the settings to the data first")
        return GPTConfig(vocab_size=self.vocab_size, block_size=self.block_size, n_layer=self.n_layer,
                         n_head=self.n_head, n_embd=self.n_embd, dropout=self.dropout, bias=self.bias)

    def to_dict(self) -> dict[str, Any]:
        return config_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TextModelConfig:
        """Inverse of ``to_dict``; unknown or mistyped fields raise ``ValueError``."""
        return config_from_dict(cls, data, "GPT")
