"""Endless shuffled batches of item indices: a new permutation per epoch, resumable exactly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch


class Batches:
    """Index batches over ``n`` items, drawn on the CPU from a generator seeded with ``seed``.

    ``repeats`` (one whole number of at least 1 per item) puts an item that many
    times into every epoch's permutation, so it is drawn that many times as often.

    ``state()`` / ``set_state()`` carry the generator and the rest of the current
    permutation, so a resumed run sees the same batches as an uninterrupted one.
    """

    def __init__(self, n: int, seed: int, repeats: Sequence[int] | None = None) -> None:
        if n < 1:
            raise ValueError("there are no items to draw batches from")
        self.n = n
        self.items = torch.arange(n, dtype=torch.int64)
        if repeats is not None:
            counts = torch.as_tensor(list(repeats), dtype=torch.int64)
            if counts.shape != (n,) or int(counts.min()) < 1:
                raise ValueError(f"repeats needs one whole number of at least 1 for each of the {n} items")
            self.items = torch.repeat_interleave(self.items, counts)
        self.gen = torch.Generator().manual_seed(int(seed))
        self.pool = torch.zeros(0, dtype=torch.int64)
        self.drawn = 0  # indices handed out so far (epochs = drawn / len(items))

    def take(self, k: int) -> torch.Tensor:
        """int64 (k,) indices in [0, n) on the CPU."""
        while len(self.pool) < k:
            order = torch.randperm(len(self.items), generator=self.gen)
            self.pool = torch.cat([self.pool, self.items[order]])
        out, self.pool = self.pool[:k], self.pool[k:]
        self.drawn += k
        return out

    @property
    def epoch(self) -> float:
        """Passes over the data so far (fractional; a pass draws each item as often as its repeats say)."""
        return self.drawn / len(self.items)

    def state(self, prefix: str = "batches") -> dict[str, Any]:
        return {f"{prefix}.rng": self.gen.get_state(), f"{prefix}.pool": self.pool.clone(), f"{prefix}.drawn": self.drawn}

    def set_state(self, state: dict[str, Any], prefix: str = "batches") -> None:
        if f"{prefix}.rng" in state:
            self.gen.set_state(state[f"{prefix}.rng"])
            self.pool = state[f"{prefix}.pool"].to(torch.int64)
            self.drawn = int(state.get(f"{prefix}.drawn", 0))
