"""What preparing a dataset did: items in and out, and what each step changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class StepReport:
    """One step's effect. ``removed`` and ``changed`` count items (images or
    clips); for text, ``removed`` counts characters and ``changed`` lines.
    ``pairs`` holds (kept, removed) original item indices for duplicate steps.
    """

    name: str
    title: str
    enabled: bool = True
    removed: int = 0
    changed: int = 0
    notes: list[str] = field(default_factory=list)
    pairs: list[tuple[int, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "title": self.title, "enabled": self.enabled,
                               "removed": self.removed, "changed": self.changed, "notes": list(self.notes)}
        if self.pairs:
            out["pairs"] = [list(p) for p in self.pairs]
        return out


@dataclass
class PrepareReport:
    """The summary of one ``prepare`` run.

    ``items_in``/``items_out`` count images, clips or points; for text they
    count characters, and ``tokens``, ``vocab_size``, ``chars_per_token`` and
    ``top_tokens`` ((token text, count), most frequent first) are filled in.
    """

    modality: str
    dataset: str
    items_in: int
    items_out: int = 0
    steps: list[StepReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tokens: int | None = None
    vocab_size: int | None = None
    chars_per_token: float | None = None
    top_tokens: list[tuple[str, int]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def duplicate_pairs(self) -> list[tuple[int, int]]:
        """Every (kept, removed) pair the duplicate steps found."""
        return [pair for step in self.steps for pair in step.pairs]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "modality": self.modality,
            "dataset": self.dataset,
            "items_in": self.items_in,
            "items_out": self.items_out,
            "steps": [s.to_dict() for s in self.steps],
            "notes": list(self.notes),
            "seconds": round(self.seconds, 3),
        }
        if self.modality == "text":
            out["tokens"] = self.tokens
            out["vocab_size"] = self.vocab_size
            out["chars_per_token"] = self.chars_per_token
            out["top_tokens"] = [list(t) for t in self.top_tokens]
        return out
