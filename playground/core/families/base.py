"""What a model family is: the registry entry that lets the loop, checkpoints, CLI and Train tab serve it.

In the spirit of the preprocessing step registry: a family registers plain
data (names, presets, the kinds of data it accepts, which curves to plot, how
to show its settings) and factories (a trainer for the one training loop, a
generator for sampling), and everything else is shared.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from playground.core.training.run_config import RunConfig
from playground.core.training.settings import Settings

if TYPE_CHECKING:
    import torch

    from playground.core.jobs import JobControl
    from playground.core.runs.checkpoint import Checkpoint
    from playground.core.training.trainer import Trainer


@dataclass(frozen=True)
class CurveGroup:
    """One plot on the Train tab: ``series`` are (metric key, legend label)."""

    title: str
    series: tuple[tuple[str, str], ...]
    y_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class FormSpec:
    """How the Train tab shows a family's settings (plain data; the UI builds the widgets)."""

    fields: tuple[str, ...]  # flat setting names shown, in order (the rest are reachable with --set)
    labels: Mapping[str, str] = field(default_factory=dict)  # field -> label (default: from its name)
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # field -> allowed words (combo box)
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # field -> (low, high)
    only_for: Mapping[str, frozenset[str]] = field(default_factory=dict)  # field -> data kinds it matters for


def _same_settings(saved: Settings, new: Settings) -> Settings:
    return Settings(saved.model, new.run)


def _no_check(checkpoint: Checkpoint, data: Any) -> None:
    return None


def _as_is(settings: Settings, data: Any) -> Settings:
    return settings


@dataclass(frozen=True)
class Family:
    """A model family. Only ``name`` to ``load_generator`` are required; the rest have defaults.

    Attributes:
        name: registry name, also written into checkpoints ("gan").
        title: one line for the user ("GAN: a generator against a discriminator").
        config_class: the family's frozen settings dataclass (``from_dict``/``to_dict``).
        presets: preset name -> Settings; the first is the default ("tiny" is for tests).
        accepts: data kinds it trains on (``playground.core.preprocess.prepared.DATA_KINDS``).
        make_trainer: (settings fitted to the data, prepared data, device, extras) -> Trainer.
        load_generator: (checkpoint loaded without optimisers, device) -> a generator.
        curves: what the Train tab plots.
        form: how the Train tab shows the settings.
        parts: what Step once can train (the trainer's ``parts``).
        preset_for: data kinds -> the preset to start from.
        fit: settings -> settings with what the data decides (image size, classes, vocabulary).
        resume_settings: (saved, asked) -> the settings a resumed run uses (default: the saved
            model settings with the asked run settings).
        check_resume: raises ValueError when a checkpoint cannot continue on this data.
        extras: a phase before training, e.g. training a judge: (data, settings, control) ->
            a generator of events returning a dict handed to ``make_trainer``; None for none.
        settings_from: checkpoint -> its Settings (default: ``config_class.from_dict`` and ``RunConfig``).
    """

    name: str
    title: str
    config_class: type
    presets: Mapping[str, Settings]
    accepts: frozenset[str]
    make_trainer: Callable[[Settings, Any, torch.device, Mapping[str, Any]], Trainer]
    load_generator: Callable[[Checkpoint, torch.device], Any]
    curves: tuple[CurveGroup, ...] = ()
    form: FormSpec = FormSpec(())
    parts: tuple[str, ...] = ("all",)
    preset_for: Callable[[frozenset[str]], str] | None = None
    fit: Callable[[Settings, Any], Settings] = _as_is
    resume_settings: Callable[[Settings, Settings], Settings] = _same_settings
    check_resume: Callable[[Checkpoint, Any], None] = _no_check
    extras: Callable[[Any, Settings, JobControl], Generator[Any, None, dict[str, Any]]] | None = None
    settings_from: Callable[[Checkpoint], Settings] | None = None

    def preset(self, name: str, **changes: Any) -> Settings:
        """A preset with some flat fields changed; ValueError names the choices."""
        if name not in self.presets:
            raise ValueError(f"unknown {self.name} preset {name!r}: choose one of {', '.join(self.presets)}")
        settings = self.presets[name]
        return settings.replace(**changes) if changes else settings

    def default_preset(self, kinds: frozenset[str] = frozenset()) -> str:
        if self.preset_for is not None:
            return self.preset_for(kinds)
        return next((name for name in self.presets if name != "tiny"), next(iter(self.presets)))

    def checkpoint_settings(self, checkpoint: Checkpoint) -> Settings:
        """The Settings a checkpoint was trained with (ValueError when they cannot be read)."""
        if self.settings_from is not None:
            return self.settings_from(checkpoint)
        return Settings(self.config_class.from_dict(checkpoint.model_config), RunConfig.from_dict(checkpoint.run_config))
