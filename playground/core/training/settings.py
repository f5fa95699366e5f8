"""A family's settings and the run settings, seen as one flat set of named fields.

The settings form shows one widget per name and ``--set KEY=VALUE`` reaches
any name, so neither needs to know which object a field lives in: run fields
by their names (``steps``, ``batch_size``, ``seed`` ...), each optimiser's
learning rate as ``lr`` or ``lr_<name>`` (``lr_g``, ``lr_d``), then the
family's own fields. A family's config must not reuse a run field's name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from playground.core.config_fields import field_docs, field_kinds, parse_assignments
from playground.core.training.run_config import RunConfig, lr_key

RUN_ONLY = ("learning_rates",)  # run fields shown under other names (one per optimiser)


@dataclass(frozen=True)
class Settings:
    """``model``: a family's frozen config dataclass; ``run``: the ``RunConfig``."""

    model: Any
    run: RunConfig

    def __post_init__(self) -> None:
        clash = {f.name for f in dataclasses.fields(self.model)} & set(self._run_names())
        if clash:
            raise ValueError(f"{type(self.model).__name__} reuses run setting names: {', '.join(sorted(clash))}")

    def _run_names(self) -> list[str]:
        return [f.name for f in dataclasses.fields(RunConfig) if f.name not in RUN_ONLY]

    def _lr_names(self) -> dict[str, str]:
        return {lr_key(name): name for name in self.run.learning_rates}

    def names(self) -> list[str]:
        """Every flat name: run fields, learning rates, then the family's fields."""
        return [*self._run_names(), *self._lr_names(), *(f.name for f in dataclasses.fields(self.model))]

    def get(self, name: str) -> Any:
        lrs = self._lr_names()
        if name in lrs:
            return self.run.learning_rates[lrs[name]]
        if name in self._run_names():
            return getattr(self.run, name)
        if name in {f.name for f in dataclasses.fields(self.model)}:
            return getattr(self.model, name)
        raise ValueError(f"unknown setting {name!r}; settings are: {', '.join(sorted(self.names()))}")

    def replace(self, **changes: Any) -> Settings:
        """A copy with flat fields changed; ValueError for unknown names or values the configs refuse."""
        lrs, run_names = self._lr_names(), set(self._run_names())
        model_names = {f.name for f in dataclasses.fields(self.model)}
        run_changes: dict[str, Any] = {}
        rates = dict(self.run.learning_rates)
        model_changes: dict[str, Any] = {}
        for name, value in changes.items():
            if name in lrs:
                rates[lrs[name]] = value
            elif name in run_names:
                run_changes[name] = value
            elif name in model_names:
                model_changes[name] = value
            else:
                raise ValueError(f"unknown setting {name!r}; settings are: {', '.join(sorted(self.names()))}")
        run = dataclasses.replace(self.run, learning_rates=rates, **run_changes)
        return Settings(dataclasses.replace(self.model, **model_changes) if model_changes else self.model, run)

    def kinds(self) -> dict[str, str]:
        """{flat name: "bool" | "int" | "float" | "pair" | "str"}."""
        run = field_kinds(RunConfig)
        return {**{n: run[n] for n in self._run_names()}, **{n: "float" for n in self._lr_names()},
                **field_kinds(type(self.model))}

    def docs(self) -> dict[str, str]:
        """{flat name: its one-line comment} for tooltips and help."""
        run = field_docs(RunConfig)
        lrs = {key: f"learning rate of {'the model' if name == 'model' else name.upper()}'s optimiser"
               for key, name in self._lr_names().items()}
        return {**{n: run.get(n, "") for n in self._run_names()}, **lrs, **field_docs(type(self.model))}

    def with_assignments(self, pairs: Iterable[str], what: str = "setting") -> Settings:
        """``--set`` pairs parsed by each field's type and applied."""
        return self.replace(**parse_assignments(self.kinds(), pairs, what=what))

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model.to_dict(), "run": self.run.to_dict()}

    def flat(self) -> Mapping[str, Any]:
        return {name: self.get(name) for name in self.names()}
