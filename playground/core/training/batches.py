"""Endless shuffled batches of item indices: a new permutation per epoch, resumable exactly."""

from __future__ import annotations

from typing import Any

import torch


class Batches:
    """Index batches over ``n`` items, drawn on the CPU from a generator seeded with ``seed``.

    ``state()`` / ``set_state()`` carry the generator and the rest of the current
    permutation, so a resumed run sees the same batches as an uninterrupted one.
    """

    def __init__(self, n: int, seed: int) -> None:
        if n < 1:
            raise ValueError("there are no items to draw batches from")
        self.n = n
        self.gen = torch.Generator().manual_seed(int(seed))
        self.pool = torch.zeros(0, dtype=torch.int64)
        self.drawn = 0  # indices handed out so far (epochs = drawn / n)

    def take(self, k: int) -> torch.Tensor:
        """int64 (k,) indices in [0, n) on the CPU."""
        while len(self.pool) < k:
            self.pool = torch.cat([self.pool, torch.randperm(self.n, generator=self.gen)])
        out, self.pool = self.pool[:k], self.pool[k:]
        self.drawn += k
        return out

    @property
    def epoch(self) -> float:
        """Passes over the data so far (fractional)."""
        return self.drawn / self.n

    def state(self, prefix: str = "batches") -> dict[str, Any]:
        return {f"{prefix}.rng": self.gen.get_state(), f"{prefix}.pool": self.pool.clone(), f"{prefix}.drawn": self.drawn}

    def set_state(self, state: dict[str, Any], prefix: str = "batches") -> None:
        if f"{prefix}.rng" in state:
            self.gen.set_state(state[f"{prefix}.rng"])
            self.pool = state[f"{prefix}.pool"].to(torch.int64)
            self.drawn = int(state.get(f"{prefix}.drawn", 0))
