"""Pipeline steps: typed parameters, the ``Step`` base class and the registry.

A step is a small immutable object: a class names the operation (``name``, the
key used in saved JSON), describes its parameters with ``Param`` specs, and an
instance holds one value per parameter plus an ``enabled`` flag. Steps never
mutate the data they are given; ``replace`` returns a changed copy of a step.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np

from playground.core.preprocess.report import StepReport

PARAM_KINDS = ("int", "float", "bool", "choice", "str", "labels")


@dataclass(frozen=True)
class Param:
    """One typed parameter of a step, as the UI shows it and JSON stores it.

    ``kind`` is "int", "float", "bool", "choice" (one of ``choices``), "str",
    or "labels" (a list of label names; the choices come from the dataset).
    ``low``/``high`` bound numbers; ``increment`` is a slider hint.
    """

    name: str
    kind: str
    default: Any
    title: str
    help: str = ""
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    increment: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in PARAM_KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r}")

    def check(self, value: Any, step_title: str) -> Any:
        """Return ``value`` coerced to this parameter's type, or raise ValueError."""
        where = f"{step_title}: {self.title.lower()}"
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{where} must be true or false, got {value!r}")
            return value
        if self.kind in ("int", "float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{where} must be a number, got {value!r}")
            if self.kind == "int":
                if float(value) != int(value):
                    raise ValueError(f"{where} must be a whole number, got {value!r}")
                value = int(value)
            else:
                value = float(value)
            if value != value:  # NaN
                raise ValueError(f"{where} must be a number, got NaN")
            if self.low is not None and value < self.low:
                raise ValueError(f"{where} must be at least {_num(self.low)}, got {_num(value)}")
            if self.high is not None and value > self.high:
                raise ValueError(f"{where} must be at most {_num(self.high)}, got {_num(value)}")
            return value
        if self.kind == "choice":
            for choice in self.choices:
                if value == choice and type(value) is not bool:
                    return choice
            options = ", ".join(str(c) for c in self.choices)
            raise ValueError(f"{where} must be one of {options}; got {value!r}")
        if self.kind == "str":
            if not isinstance(value, str):
                raise ValueError(f"{where} must be text, got {value!r}")
            return value
        # labels
        if isinstance(value, str) or not isinstance(value, Iterable):
            raise ValueError(f"{where} must be a list of label names, got {value!r}")
        names = list(value)
        if not all(isinstance(v, str) for v in names):
            raise ValueError(f"{where} must be a list of label names, got {value!r}")
        return tuple(names)

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data (for docs and the UI)."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "default": _jsonable(self.default),
                               "title": self.title, "help": self.help}
        if self.low is not None:
            out["low"] = self.low
        if self.high is not None:
            out["high"] = self.high
        if self.choices:
            out["choices"] = list(self.choices)
        return out


def _num(value: float) -> str:
    return f"{value:g}"


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


class Step:
    """Base class of every step; subclasses set the class attributes below.

    ``kind`` tells the runner how the step works on data: "map" (each item to
    one item), "filter" (chooses which items stay), "augment" (random, seeded
    per item), "normalise" (how values are scaled for the model), "text" (the
    whole corpus to a new corpus) or "tokenise" (text to token ids; last).
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    modalities: ClassVar[tuple[str, ...]] = ()
    kind: ClassVar[str] = "map"
    help: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = ()

    def __init__(self, enabled: bool = True, **values: Any) -> None:
        if not isinstance(enabled, bool):
            raise ValueError(f"{self.title}: 'enabled' must be true or false, got {enabled!r}")
        known = {p.name: p for p in self.params}
        for key in values:
            if key not in known:
                names = ", ".join(known) or "none"
                raise ValueError(f"step '{self.name}' has no parameter '{key}'; its parameters are: {names}")
        checked = {}
        for param in self.params:
            checked[param.name] = param.check(values.get(param.name, param.default), self.title)
        self._values = checked
        self._enabled = enabled
        self.validate()

    # Values -----------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self._enabled

    @property
    def values(self) -> dict[str, Any]:
        """A copy of the parameter values."""
        return dict(self._values)

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def validate(self) -> None:
        """Raise ValueError for values that are wrong together (override)."""

    def replace(self, **changes: Any) -> Step:
        """A copy with some parameters (or ``enabled``) changed, validated."""
        enabled = changes.pop("enabled", self._enabled)
        values = {**self._values, **changes}
        return type(self)(enabled=enabled, **values)

    # JSON -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        params = {k: _jsonable(v) for k, v in self._values.items()}
        return {"name": self.name, "enabled": self._enabled, "params": params}

    @classmethod
    def spec(cls) -> dict[str, Any]:
        """The step's description as plain data (name, title, help, params)."""
        return {"name": cls.name, "title": cls.title, "kind": cls.kind, "help": cls.help,
                "params": [p.to_dict() for p in cls.params]}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.to_dict() == other.to_dict()  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash((self.name, repr(sorted(self.to_dict()["params"].items()))))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        off = "" if self._enabled else ", enabled=False"
        return f"{type(self).__name__}({args}{off})"


# A step's ``run`` yields (done, total) between chunks of work and returns
# (new state, StepReport); the runner turns the yields into Progress events.
StepRun = Generator[tuple[int, int], None, tuple[Any, StepReport]]


@dataclass
class RunContext:
    """What a step may know besides its input: preview mode and dataset facts."""

    preview: bool = False
    noun: str = "item"  # "image", "clip", "point": for messages
    label_names: list[str] = field(default_factory=list)


class LabelledState(Protocol):
    """The part of an image, audio or points state that filters use."""

    labels: np.ndarray
    index: np.ndarray  # original dataset index of each item

    def __len__(self) -> int: ...

    def select(self, keep: np.ndarray) -> LabelledState: ...


class FilterStep(Step):
    """A step that keeps some items and drops the rest.

    Subclasses implement ``keep(state, ctx)`` returning a boolean mask, notes
    and (kept, removed) index pairs. ``whole_dataset`` filters need every item
    to decide (duplicates, caps) and are skipped in the preview.
    """

    kind: ClassVar[str] = "filter"
    whole_dataset: ClassVar[bool] = False
    empty_hint: ClassVar[str] = "loosen its settings"
    empty_what: ClassVar[str] = ""  # "the label filter"; defaults to the title

    def keep(self, state: Any, ctx: RunContext) -> tuple[np.ndarray, list[str], list[tuple[int, int]]]:
        raise NotImplementedError

    def run(self, state: Any, ctx: RunContext) -> StepRun:
        report = StepReport(self.name, self.title)
        if ctx.preview and self.whole_dataset:
            report.notes.append("needs the whole dataset: applied by Prepare, not in the preview")
            return state, report
        yield 0, len(state)
        mask, notes, pairs = self.keep(state, ctx)
        mask = np.asarray(mask, dtype=bool)
        report.removed = int(len(mask) - mask.sum())
        report.notes.extend(notes)
        report.pairs = pairs
        if not ctx.preview and len(mask) and not mask.any():
            what = self.empty_what or f"the {self.title.lower()} step"
            raise ValueError(f"{what} removed every {ctx.noun}; {self.empty_hint}")
        yield len(state), len(state)
        return (state if mask.all() else state.select(mask)), report


_REGISTRY: dict[str, dict[str, type[Step]]] = {}


def register(cls: type[Step]) -> type[Step]:
    """Class decorator: make a step available to pipelines of its modalities."""
    for modality in cls.modalities:
        table = _REGISTRY.setdefault(modality, {})
        if cls.name in table and table[cls.name] is not cls:
            raise RuntimeError(f"two {modality} steps are named {cls.name!r}")
        table[cls.name] = cls
    return cls


def step_classes(modality: str) -> list[type[Step]]:
    """The registered step classes for ``modality``, in palette order."""
    _load_step_modules()
    return list(_REGISTRY.get(modality, {}).values())


def step_from_dict(modality: str, data: Mapping[str, Any]) -> Step:
    """Build a step from its saved JSON form; ValueError on anything wrong."""
    _load_step_modules()
    if not isinstance(data, Mapping):
        raise ValueError(f"a pipeline step must be an object, got {type(data).__name__}")
    name = data.get("name")
    table = _REGISTRY.get(modality, {})
    if name not in table:
        known = ", ".join(table) or "none"
        raise ValueError(f"unknown step {name!r} for {modality} pipelines; known steps: {known}")
    cls = table[name]
    extra = set(data) - {"name", "enabled", "params", "trained", "upstream"}
    if extra:
        raise ValueError(f"step '{name}' has unknown field(s): {', '.join(sorted(extra))}")
    if "upstream" in data and "trained" not in data:
        raise ValueError(f"step '{name}': 'upstream' describes a trained vocabulary, but there is no 'trained'")
    params = data.get("params", {})
    if not isinstance(params, Mapping):
        raise ValueError(f"step '{name}': 'params' must be an object")
    enabled = data.get("enabled", True)
    if "trained" in data:
        return cls.from_trained(data["trained"], enabled=enabled,  # type: ignore[attr-defined]
                                upstream=data.get("upstream"), **params)
    return cls(enabled=enabled, **params)


def _load_step_modules() -> None:
    # The step modules register themselves on import.
    from playground.core.preprocess import audio_steps, image_steps, label_steps, text_steps  # noqa: F401
