"""The "data diet": keep chosen labels, cap each label, or skew the mix.

These filters work on any labelled items (images, clips, points); the
selections that sample use a seeded generator, so a pipeline gives the same
items every time it runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from playground.core.preprocess.steps import FilterStep, Param, RunContext, register

LABELLED = ("image", "audio", "points")


def _label_ids(names: tuple[str, ...] | list[str], ctx: RunContext, title: str) -> list[int]:
    ids = []
    for name in names:
        if name not in ctx.label_names:
            known = ", ".join(ctx.label_names) or "none (this dataset has no labels)"
            raise ValueError(f"{title}: label {name!r} is not in this dataset; its labels are: {known}")
        ids.append(ctx.label_names.index(name))
    return ids


def _label_text(label: int, ctx: RunContext) -> str:
    return ctx.label_names[label] if 0 <= label < len(ctx.label_names) else "(unlabelled)"


@register
class KeepLabels(FilterStep):
    name = "keep_labels"
    title = "Keep labels"
    modalities = LABELLED
    help = "Train on some labels only, for example digits 0-4: the other items are left out."
    params = (Param("labels", "labels", (), "Labels", "The label names to keep."),)
    empty_hint = "keep at least one label"
    empty_what = "the label filter"

    def keep(self, state: Any, ctx: RunContext) -> tuple[np.ndarray, list[str], list[tuple[int, int]]]:
        if not self["labels"]:
            raise ValueError("Keep labels: choose at least one label to keep")
        ids = _label_ids(self["labels"], ctx, self.title)
        mask = np.isin(state.labels, ids)
        return mask, [f"kept labels {', '.join(self['labels'])}"], []


@register
class CapPerLabel(FilterStep):
    name = "cap_per_label"
    title = "Cap per label"
    modalities = LABELLED
    whole_dataset = True
    help = ("Keep at most N items of each label (a random, seeded choice), or with 'equal' "
            "as many of each as the rarest label has, so no label dominates.")
    params = (
        Param("mode", "choice", "cap", "Mode", "cap: at most N per label; equal: balance to the rarest label.",
              choices=("cap", "equal")),
        Param("cap", "int", 500, "Cap", "Most items kept per label (mode 'cap').", low=1, high=1_000_000),
        Param("seed", "int", 0, "Seed", "Which items are kept when some must go.", low=0, high=2**31 - 1),
    )

    def keep(self, state: Any, ctx: RunContext) -> tuple[np.ndarray, list[str], list[tuple[int, int]]]:
        labels = np.asarray(state.labels)
        present, counts = np.unique(labels, return_counts=True)
        cap = int(counts.min()) if self["mode"] == "equal" and len(counts) else self["cap"]
        rng = np.random.default_rng(self["seed"])
        mask = np.zeros(len(labels), dtype=bool)
        for label in present:
            where = np.flatnonzero(labels == label)
            if len(where) > cap:
                where = rng.choice(where, size=cap, replace=False)
            mask[where] = True
        return mask, [f"at most {cap} per label"], []


@register
class SkewLabels(FilterStep):
    name = "skew_labels"
    title = "Skew labels"
    modalities = LABELLED
    whole_dataset = True
    help = ("Make one label a given share of the data, for example 90% ones, by leaving out "
            "items at random (seeded). Shows how an unbalanced set shapes what a model makes.")
    params = (
        Param("label", "str", "", "Label", "The label whose share is set."),
        Param("share", "float", 0.9, "Share", "Fraction of the kept items that carry the label.",
              low=0.01, high=0.99, increment=0.01),
        Param("seed", "int", 0, "Seed", "Which items are kept when some must go.", low=0, high=2**31 - 1),
    )
    empty_hint = "choose a label that has items"

    def keep(self, state: Any, ctx: RunContext) -> tuple[np.ndarray, list[str], list[tuple[int, int]]]:
        if not self["label"]:
            raise ValueError("Skew labels: choose the label whose share to set")
        (label,) = _label_ids((self["label"],), ctx, self.title)
        labels = np.asarray(state.labels)
        ones = np.flatnonzero(labels == label)
        others = np.flatnonzero(labels != label)
        share = self["share"]
        rng = np.random.default_rng(self["seed"])
        want_others = int(round(len(ones) * (1 - share) / share))
        if want_others > len(others):  # too few others: keep them all, drop some of the label
            want_ones = int(round(len(others) * share / (1 - share)))
            ones = rng.choice(ones, size=min(want_ones, len(ones)), replace=False)
        else:
            others = rng.choice(others, size=want_others, replace=False)
        mask = np.zeros(len(labels), dtype=bool)
        mask[ones] = True
        mask[others] = True
        if len(ones) == 0:
            raise ValueError(f"Skew labels: no items carry the label {self['label']!r}")
        name = _label_text(label, ctx)
        kept = int(mask.sum())
        note = f"kept {len(ones)} {name!r} and {len(others)} others ({100 * len(ones) / max(kept, 1):.0f}% {name!r})"
        return mask, [note], []


__all__ = ["CapPerLabel", "KeepLabels", "SkewLabels"]
