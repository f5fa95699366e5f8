"""The GPT family's trainer: random windows of a token stream into the model, which owns its loss.

Batches are random windows of ``block_size + 1`` tokens from the first 90%
of the corpus (the last 10% is the validation split), as nanoGPT's
``get_batch`` draws them. Losses are reported in nats per character, not per
token, so a character model and a BPE model can be compared: a token covers
``len(text) / len(ids)`` characters on average.

Metric values per step: loss (nats per token) and train_nats_per_char; at the
sample cadence also val_loss and val_nats_per_char (on fixed validation
windows, so the curve is not noisy from one measurement to the next), and a
``TextSample`` from a fixed prompt and seed.
"""

from __future__ import annotations

import gzip
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from playground.core.events import TextSample, View
from playground.core.models.gpt_sampling import SamplingSettings, generate_tokens
from playground.core.models.gpt import GPT, lengthen_positions
from playground.core.models.text_model_config import TextModelConfig, validation_start
from playground.core.training.run_config import RunConfig
from playground.core.training.trainer import Trainer

CORPUS_FILE = "corpus.txt.gz"  # the training text, kept with checkpoints for "copied or new?"
MAX_KEPT_CHARS = 16_000_000  # a longer text is not kept (the check is then unavailable)


class GPTTrainer(Trainer):
    """A GPT learning a prepared text (``PreparedText``: ids, tokenizer, cleaned text)."""

    item_noun: ClassVar[str] = "tokens"

    def __init__(self, config: TextModelConfig, run: RunConfig, data: Any, device: torch.device | str = "cpu") -> None:
        self.config, self.run, self.data, self.device = config.for_data(data), run, data, torch.device(device)
        ids = np.asarray(data.ids, dtype=np.int64)
        split = validation_start(len(ids))
        self.train_ids = torch.from_numpy(ids[:split]).to(self.device)
        self.val_ids = torch.from_numpy(ids[split:]).to(self.device)
        self.chars_per_token = len(data.text) / max(1, len(ids))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(run.seed)
            self.model = GPT(self.config.gpt_config()).to(self.device)
        self.opt = torch.optim.AdamW(self.model.optim_groups(self.config.weight_decay), lr=run.learning_rates["model"],
                                     betas=(0.9, self.config.beta2))
        self.windows = torch.Generator().manual_seed(run.seed)
        self.tokens_seen = 0
        self.lengthened_from = 0  # the context of a resumed checkpoint this run lengthened (0: none)
        block, batch = self.config.block_size, run.batch_size
        fixed = torch.Generator().manual_seed(run.seed + 1)
        self.val_starts = torch.randint(0, len(self.val_ids) - block, (self.config.eval_batches, batch), generator=fixed)
        first_line = data.tokenizer.decode(ids[split : split + 64].tolist()).split("\n")[0][:40]
        self.prompt = first_line or data.tokenizer.decode(ids[split : split + 1].tolist())
        self.prompt_ids = data.tokenizer.encode(self.prompt) or ids[split : split + 1].tolist()

    # ---- batches --------------------------------------------------------------------------------
    def _windows(self, source: torch.Tensor, starts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and targets, int64 N x block_size each, for windows starting at ``starts`` (N,)."""
        offsets = starts.to(source.device)[:, None] + torch.arange(self.config.block_size + 1, device=source.device)
        window = source[offsets]  # N x (block + 1)
        return window[:, :-1], window[:, 1:]

    # ---- the loop's contract ------------------------------------------------------------------------
    def train_step(self, part: str) -> dict[str, torch.Tensor]:
        starts = torch.randint(0, len(self.train_ids) - self.config.block_size, (self.run.batch_size,), generator=self.windows)
        x, y = self._windows(self.train_ids, starts)
        self.model.train()
        _, loss = self.model(x, y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.opt.step()
        self.tokens_seen += x.numel()
        loss = loss.detach()
        return {"loss": loss, "train_nats_per_char": loss / self.chars_per_token}

    def items_per_step(self, part: str) -> int:
        return self.run.batch_size * self.config.block_size

    def networks(self) -> dict[str, nn.Module]:
        return {"gpt": self.model}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"model": self.opt}

    def epoch(self) -> float:
        return self.tokens_seen / max(1, len(self.train_ids))

    def describe(self) -> str:
        params = self.model.num_params()
        longer = (f"; its context lengthened from {self.lengthened_from} to {self.config.block_size} tokens"
                  if self.lengthened_from else "")
        return (f"training a GPT ({params / 1e6:.2f} M parameters, {self.data.tokenizer.kind} tokens, "
                f"vocabulary {self.config.vocab_size:,}) on {len(self.train_ids):,} tokens{longer}")

    def load_checkpoint_state(self, networks: dict[str, dict[str, torch.Tensor]],
                              optimizers: dict[str, dict[str, Any]] | None = None,
                              state: dict[str, Any] | None = None) -> None:
        """As the base class; a checkpoint trained with a shorter context gets its position table
        lengthened (``lengthen_positions``), and the optimiser's moments for the new rows start at zero."""
        table = networks.get("gpt", {}).get("wpe.weight")
        block = self.config.block_size
        if table is not None and table.dim() == 2 and table.shape[0] < block:
            self.lengthened_from = int(table.shape[0])
            networks = {**networks, "gpt": {**networks["gpt"], "wpe.weight": lengthen_positions(table, block)}}
            if optimizers and "model" in optimizers:
                optimizers = {**optimizers, "model": self._lengthen_moments(optimizers["model"], block)}
        super().load_checkpoint_state(networks, optimizers, state)

    def _lengthen_moments(self, saved: dict[str, Any], block: int) -> dict[str, Any]:
        """A saved AdamW state with the position table's moments padded with zeros to ``block`` rows."""
        order = [p for group in self.opt.param_groups for p in group["params"]]
        index = next(i for i, p in enumerate(order) if p is self.model.wpe.weight)
        saved_ids = [i for group in saved["param_groups"] for i in group["params"]]
        if len(saved_ids) != len(order):
            return saved  # not this optimiser's state: loading it reports the mismatch
        key = saved_ids[index]
        moments = dict(saved["state"].get(key, {}))
        for name in ("exp_avg", "exp_avg_sq"):
            value = moments.get(name)
            if torch.is_tensor(value) and value.dim() == 2 and value.shape[0] < block:
                moments[name] = torch.cat([value, value.new_zeros(block - value.shape[0], value.shape[1])])
        return {**saved, "state": {**saved["state"], key: moments}}

    def nan_hint(self) -> str:
        return f"lower the learning rate (now {self.opt.param_groups[0]['lr']:g}) or keep gradient clipping on, then resume"

    def data_info(self) -> dict[str, Any]:
        return {"kind": "text", "tokenizer": self.data.tokenizer.to_dict(), "chars_per_token": self.chars_per_token,
                "train_tokens": int(len(self.train_ids)), "val_tokens": int(len(self.val_ids)),
                "corpus_chars": len(self.data.text)}

    def files(self) -> dict[str, bytes]:
        if len(self.data.text) > MAX_KEPT_CHARS:
            return {}
        return {CORPUS_FILE: gzip.compress(self.data.text.encode("utf-8"), compresslevel=6, mtime=0)}

    def get_state(self) -> dict[str, Any]:
        return {"windows.rng": self.windows.get_state(), "tokens_seen": self.tokens_seen}

    def set_state(self, state: dict[str, Any]) -> None:
        if "windows.rng" in state:
            self.windows.set_state(state["windows.rng"])
        if "tokens_seen" in state:
            self.tokens_seen = int(state["tokens_seen"])

    # ---- what the Train tab shows ---------------------------------------------------------------------
    @torch.no_grad()
    def validation_loss(self) -> float:
        """Mean loss in nats per token over the fixed validation windows."""
        was = self.model.training
        self.model.eval()
        losses = []
        try:
            with torch.inference_mode():  # no graph kept for a backward pass that never comes (memory; time was the same)
                for starts in self.val_starts:
                    x, y = self._windows(self.val_ids, starts)
                    losses.append(float(self.model(x, y)[1]))
        finally:
            self.model.train(was)
        return float(np.mean(losses))

    def observe(self, step: int, keep: bool) -> tuple[dict[str, float], list[View]]:
        val = self.validation_loss()
        settings = SamplingSettings(temperature=self.config.sample_temperature, top_k=0, top_p=1.0)
        choices = generate_tokens(self.model, self.prompt_ids, self.config.sample_tokens, settings, seed=self.run.seed,
                                  top_candidates=1)
        text = self.data.tokenizer.decode([c.token_id for c in choices])
        return {"val_loss": val, "val_nats_per_char": val / self.chars_per_token}, [TextSample(step, self.prompt, text)]
