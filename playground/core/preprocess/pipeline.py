"""A pipeline: the ordered steps for one modality, saved as versioned JSON.

File format (``SCHEMA_VERSION`` 2)::

    {"format": "genai-playground/pipeline", "schema": 2, "modality": "image",
     "steps": [{"name": "resize", "enabled": true, "params": {"size": 28, "method": "area"}}, ...]}

A Tokenise step that has been trained also stores its vocabulary under
``"trained"``, so the file reproduces the exact token ids, and (from schema 2)
under ``"upstream"`` a fingerprint of the cleaning steps before it that the
vocabulary was trained after. When those steps change, the vocabulary is
stale and Prepare trains a new one (``Pipeline.tokenizer_status``). Schema 1
files load with the cleaning "unknown", and their vocabulary is used as saved.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.core.atomic import write_text_atomic
from playground.core.data.dataset import MODALITIES
from playground.core.preprocess.steps import Step, step_classes, step_from_dict
from playground.core.preprocess.text_steps import Tokenise, cleaning_fingerprint
from playground.core.preprocess.tokenizer import Tokenizer

SCHEMA_VERSION = 2  # 2: a trained Tokenise step records 'upstream'
FORMAT = "genai-playground/pipeline"


@dataclass(frozen=True)
class Pipeline:
    """Ordered steps for one modality. Immutable: the editing methods return new pipelines."""

    modality: str
    steps: tuple[Step, ...] = ()

    def __post_init__(self) -> None:
        if self.modality not in MODALITIES:
            raise ValueError(f"unknown modality {self.modality!r}; use one of {', '.join(MODALITIES)}")
        object.__setattr__(self, "steps", tuple(self.steps))
        for step in self.steps:
            if not isinstance(step, Step):
                raise ValueError(f"a pipeline holds steps, got {type(step).__name__}")
            if self.modality not in step.modalities:
                raise ValueError(f"the step '{step.title}' does not work on {self.modality} data")
        tokenise = [i for i, s in enumerate(self.steps) if s.kind == "tokenise"]
        if len(tokenise) > 1:
            raise ValueError("a text pipeline can have only one Tokenise step")
        if tokenise and tokenise[0] != len(self.steps) - 1:
            raise ValueError("the Tokenise step must come last")

    # Editing ----------------------------------------------------------------
    def with_step(self, step: Step, index: int | None = None) -> Pipeline:
        """Insert ``step`` at ``index`` (default: the end, before a Tokenise step)."""
        steps = list(self.steps)
        if index is None:
            index = len(steps) - 1 if steps and steps[-1].kind == "tokenise" and step.kind != "tokenise" else len(steps)
        steps.insert(index, step)
        return Pipeline(self.modality, tuple(steps))

    def without(self, index: int) -> Pipeline:
        steps = list(self.steps)
        del steps[index]
        return Pipeline(self.modality, tuple(steps))

    def replaced(self, index: int, step: Step) -> Pipeline:
        steps = list(self.steps)
        steps[index] = step
        return Pipeline(self.modality, tuple(steps))

    def moved(self, index: int, to: int) -> Pipeline:
        steps = list(self.steps)
        steps.insert(to, steps.pop(index))
        return Pipeline(self.modality, tuple(steps))

    def enabled_steps(self) -> list[Step]:
        return [s for s in self.steps if s.enabled]

    def find(self, name: str) -> int | None:
        """Index of the first step called ``name``, or None."""
        return next((i for i, s in enumerate(self.steps) if s.name == name), None)

    # JSON -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "schema": SCHEMA_VERSION, "modality": self.modality,
                "steps": [s.to_dict() for s in self.steps]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Any) -> Pipeline:
        """Rebuild a saved pipeline; ValueError with a clear message on anything wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("not a pipeline: expected a JSON object")
        if "schema" not in data or "steps" not in data:
            raise ValueError("not a pipeline file: it needs 'schema', 'modality' and 'steps'")
        schema = data["schema"]
        if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
            raise ValueError(f"pipeline schema must be a positive whole number, got {schema!r}")
        if schema > SCHEMA_VERSION:
            raise ValueError(f"pipeline schema {schema} is newer than this app understands "
                             f"({SCHEMA_VERSION}); update the app")
        if data.get("format", FORMAT) != FORMAT:
            raise ValueError(f"not a pipeline file: format is {data.get('format')!r}")
        modality = data.get("modality")
        if modality not in MODALITIES:
            raise ValueError(f"pipeline modality must be one of {', '.join(MODALITIES)}; got {modality!r}")
        steps = data["steps"]
        if not isinstance(steps, list):
            raise ValueError("pipeline 'steps' must be a list")
        built = []
        for number, step in enumerate(steps, start=1):
            try:
                built.append(step_from_dict(modality, step))
            except ValueError as exc:
                raise ValueError(f"step {number}: {exc}") from None
        return cls(modality, tuple(built))

    def save(self, path: str | os.PathLike) -> None:
        """Write the pipeline as JSON, atomically."""
        write_text_atomic(path, self.to_json() + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> Pipeline:
        """Read a pipeline file; ValueError (one line) when it is missing or wrong."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ValueError(f"pipeline file not found: {p}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read pipeline file {p}: {exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{p.name} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
        try:
            return cls.from_dict(data)
        except ValueError as exc:
            raise ValueError(f"{p.name}: {exc}") from None

    def tokenizer(self) -> Tokenizer | None:
        """The trained tokenizer this pipeline carries, if any (see ``tokenizer_status``)."""
        for step in self.steps:
            if step.kind == "tokenise":
                return getattr(step, "trained", None)
        return None

    def tokenizer_status(self) -> str:
        """Whether the saved vocabulary fits the cleaning steps now before Tokenise.

        "untrained" (no Tokenise step or no vocabulary), "current", "stale"
        (the cleaning changed since it was trained: Prepare retrains) or
        "unknown" (saved before schema 2: used as saved).
        """
        step = next((s for s in self.steps if isinstance(s, Tokenise)), None)
        return "untrained" if step is None else step.status(cleaning_fingerprint(self.steps))


def make_step(modality: str, name: str, **params: Any) -> Step:
    """Build a registered step by name (``make_step("image", "resize", size=32)``)."""
    return step_from_dict(modality, {"name": name, "params": params})


def step_palette(modality: str) -> list[type[Step]]:
    """Step classes usable in a ``modality`` pipeline, in the order to offer them.

    Each class has ``name``, ``title``, ``help``, ``kind`` and ``params``
    (``Param`` specs: kind, default, low/high, choices, help); ``spec()`` gives it as plain data.
    """
    if modality not in MODALITIES:
        raise ValueError(f"unknown modality {modality!r}; use one of {', '.join(MODALITIES)}")
    order = _PALETTE_ORDER.get(modality, ())
    classes = step_classes(modality)
    return sorted(classes, key=lambda c: order.index(c.name) if c.name in order else len(order))


_LABEL_STEPS = ("keep_labels", "cap_per_label", "skew_labels")
_PALETTE_ORDER = {  # filters first (they make later steps cheaper), then shape, then values
    "image": (*_LABEL_STEPS, "dedupe", "drop_blank", "square", "colour", "resize", "augment", "normalise"),
    "audio": (*_LABEL_STEPS, "mono", "resample", "trim_silence", "normalise", "pad_crop", "augment"),
}


def with_labels(pipeline: Pipeline, labels: Iterable[str]) -> Pipeline:
    """The "data diet": ``pipeline`` keeping only items with these label names.

    Sets (and enables) the first Keep labels step, or puts one first.
    """
    names = list(labels)
    if isinstance(labels, str) or not names:
        raise ValueError("choose at least one label to keep")
    step = make_step(pipeline.modality, "keep_labels", labels=names)
    index = pipeline.find("keep_labels")
    if index is None:
        return pipeline.with_step(step, 0)
    return pipeline.replaced(index, step)


_DEFAULT_IMAGES = {
    "mnist-5k": ("gray", 28),
    "font-letters": ("gray", 28),
    "emoji-32": ("rgb", 32),
}


def default_pipeline(dataset: Any) -> Pipeline:
    """A sensible pipeline for ``dataset`` (any of the dataset types).

    Bundled image sets get their channels, size and [-1, 1]; other image sets
    are squared, resized to 32 (gray sets to 28) and scaled to [-1, 1]. Text is
    NFKC-normalised, whitespace-collapsed and character-tokenised. Audio becomes
    mono 16 kHz, peak-normalised, 2 s long (the bundled notes' length). Points pass through unchanged.
    """
    modality = dataset.modality
    name = str(getattr(dataset, "name", "")).lower()

    def step(step_name: str, **params: Any) -> Step:
        return make_step(modality, step_name, **params)

    if modality == "image":
        if name in _DEFAULT_IMAGES:
            mode, size = _DEFAULT_IMAGES[name]
            steps = [step("colour", mode=mode), step("resize", size=size, method="area")]
        else:
            sample = [dataset.image(i) for i in range(min(len(dataset), 64))]
            colour = any(s.ndim == 3 and s.shape[2] >= 3 for s in sample)
            mode, size = ("rgb", 32) if colour else ("gray", 28)
            steps = [step("square", mode="crop"), step("colour", mode=mode), step("resize", size=size, method="area")]
        return Pipeline("image", (*steps, step("normalise", mode="minus1_1")))
    if modality == "text":
        return Pipeline("text", (step("nfkc"), step("collapse_whitespace"), step("tokenise", kind="char")))
    if modality == "audio":
        return Pipeline("audio", (step("mono"), step("resample", rate=16000), step("normalise", mode="peak"),
                                  step("pad_crop", seconds=2.0)))
    if modality == "points":
        return Pipeline("points", ())
    raise ValueError(f"no default pipeline for modality {modality!r}")
