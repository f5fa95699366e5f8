"""The trainer contract: what the one training loop (``loop.py``) drives, for any model family.

A family's trainer owns its networks, optimisers, data batches and loss (as
nanoGPT's model owns its loss), and knows what to show of itself; the loop
owns cadence, commands, pause, NaN rollback and checkpoints, and nothing else.
A subclass implements ``train_step``, ``networks`` and ``optimizers`` and may
override the rest:

    parts            what Step once can train ("all"; a GAN: "both", "d", "g")
    observe()        at the sample cadence: extra metric values and pictures (events)
    alerts()         plain-language warnings from the metric history
    get_state()      RNG states and counters, so a resumed run equals an uninterrupted one
    data_info()      what a generator needs to know of the data (shapes, names, scaling)
    files()          the family's own files kept with a checkpoint (a language model's training text)
    snapshot_networks()  what the run's weight snapshots keep (the networks generation needs)
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import torch
from torch import nn

from playground.core.events import View
from playground.core.metrics.alerts import Alert
from playground.core.runs.history import MetricHistory


class Trainer:
    """Base class of every family's trainer; see the module docstring."""

    parts: ClassVar[tuple[str, ...]] = ("all",)  # parts[0] is a full step
    item_noun: ClassVar[str] = "items"  # what a batch counts, for "<items>/s" ("images", "tokens")
    device: torch.device

    # ---- what a family must provide -------------------------------------------------------------
    def train_step(self, part: str) -> dict[str, torch.Tensor]:
        """One optimisation step of ``part`` on a fresh batch; 0-dim tensors (may stay on the device)."""
        raise NotImplementedError

    def networks(self) -> dict[str, nn.Module]:
        """Every network with weights, by name (the names in the checkpoint)."""
        raise NotImplementedError

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """Every optimiser, by the names ``RunConfig.learning_rates`` uses."""
        raise NotImplementedError

    # ---- what a family may override -------------------------------------------------------------
    def items_per_step(self, part: str) -> int:
        """Items one step of ``part`` consumes (for items/s)."""
        return 0

    def epoch(self) -> float:
        """Passes over the training data so far."""
        return float("nan")

    def describe(self) -> str:
        """One line for the user: what is trained on what."""
        return f"training a {type(self).__name__}"

    def observe(self, step: int, keep: bool) -> tuple[dict[str, float], list[View]]:
        """At the sample cadence: metric values to log and pictures to show.

        ``keep`` is False for a preview after Step once (not part of the timeline).
        """
        return {}, []

    def alerts(self, history: MetricHistory) -> list[Alert]:
        return []

    def nan_hint(self) -> str:
        """What to try after a NaN loss (shown in the error)."""
        rates = ", ".join(f"{name} {lr:g}" for name, lr in self.learning_rates().items())
        return f"lower the learning rate (now {rates}), then resume"

    def data_info(self) -> dict[str, Any]:
        return {}

    def get_state(self) -> dict[str, Any]:
        """RNG states and counters (tensors or JSON values) that a resumed run must continue from."""
        return {}

    def files(self) -> dict[str, bytes]:
        """The family's own files to keep with a checkpoint (say, the training text), by file name."""
        return {}

    def snapshot_networks(self) -> dict[str, nn.Module]:
        """The networks a generator needs: what the run's weight snapshots keep (default: all)."""
        return self.networks()

    def set_state(self, state: dict[str, Any]) -> None:
        pass

    # ---- built on the above -----------------------------------------------------------------------
    def learning_rates(self) -> dict[str, float]:
        return {name: float(opt.param_groups[0]["lr"]) for name, opt in self.optimizers().items()}

    def set_learning_rate(self, name: str, value: float) -> None:
        """Change one optimiser's rate (takes effect at the next step)."""
        optimizers = self.optimizers()
        if name not in optimizers:
            raise ValueError(f"there is no optimiser {name!r}; there are {', '.join(optimizers)}")
        if not (value > 0.0):
            raise ValueError(f"a learning rate must be positive, got {value}")
        for group in optimizers[name].param_groups:
            group["lr"] = float(value)

    def load_checkpoint_state(self, networks: dict[str, dict[str, torch.Tensor]],
                              optimizers: dict[str, dict[str, Any]] | None = None,
                              state: dict[str, Any] | None = None) -> None:
        """Load saved weights (and optimiser and trainer state); RuntimeError/KeyError if they do not fit."""
        for name, net in self.networks().items():
            if name not in networks:
                raise KeyError(f"the checkpoint has no weights for {name!r}")
            net.load_state_dict(networks[name])
        for name, opt in (self.optimizers().items() if optimizers else ()):
            opt.load_state_dict(optimizers[name])
        if state:
            self.set_state(state)

    def snapshot(self) -> dict[str, Any]:
        """A copy of everything a step changes in the weights (to roll back after a NaN)."""
        return copy.deepcopy({"networks": {n: m.state_dict() for n, m in self.networks().items()},
                              "optimizers": {n: o.state_dict() for n, o in self.optimizers().items()},
                              "counters": {k: v for k, v in self.get_state().items() if not torch.is_tensor(v)}})

    def restore(self, snap: dict[str, Any]) -> None:
        """Back to ``snap``, keeping the learning rates the user set since."""
        rates = self.learning_rates()
        for name, net in self.networks().items():
            net.load_state_dict(snap["networks"][name])
        for name, opt in self.optimizers().items():
            opt.load_state_dict(snap["optimizers"][name])
        self.set_state(snap["counters"])
        for name, lr in rates.items():
            self.set_learning_rate(name, lr)


def check_part(trainer: Trainer, part: str) -> str:
    """``part`` if the trainer has it ("" means a full step); ValueError otherwise."""
    if part == "":
        return trainer.parts[0]
    if part not in trainer.parts:
        raise ValueError(f"{part!r} is not one of {', '.join(trainer.parts)}")
    return part

