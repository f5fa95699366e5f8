"""Calibrate a trained GPT: fit one temperature on its validation split and fold it into its weights.

    result = calibrate_text("runs/gpt")   # rewrites runs/gpt/checkpoint in place (atomically)
    result.temperature, result.before, result.after, result.cross_fitted
    calibrate_copy("shakespeare", "runs/shakespeare-calibrated")   # leaves the source as it was

A model that overfits its training text (the bundled Shakespeare model:
training loss near 1.20 nats per character, validation 1.56) is too sure of
itself on text it never saw. Dividing its logits by the temperature that fits
the validation split best (``metrics.calibration``) makes its probabilities
honest there; the token it ranks first never changes. The temperature is folded
into the final layer norm (``models.gpt.divide_logits``), so everything that
reads the model, generation, the probability chart and ``eval text`` alike,
sees the calibrated model; ``extra["calibration"]`` in the checkpoint records
what was done. Its default writing temperature (``sample_temperature``) is
divided by the same number, so that by default it writes as it did. A model
that did not overfit gets a temperature near 1.

The fit and the score use the same text, as Guo et al. (2017) fit theirs on the
validation set; ``cross_fitted`` scores each half at the temperature fitted on
the other, to show what that could flatter.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from playground.core.generators.text_generator import TextGenerator
from playground.core.metrics.calibration import cross_fitted_nats, fit_temperature, mean_nats
from playground.core.models.gpt import divide_logits
from playground.core.models.text_model_config import TextModelConfig
from playground.core.runs.bundled_models import resolve_model
from playground.core.runs.checkpoint import SUBFOLDER, CheckpointError, find_checkpoint, load_checkpoint, save_checkpoint

FITTED_ON = "the validation split (the last 10% of the training text), in windows of the model's context"
MAX_LOGITS = 50_000_000  # held in memory at once (200 MB): a longer validation split is fitted on its start


@dataclass(frozen=True)
class Calibration:
    temperature: float  # this calibration divided the logits by it
    total_temperature: float  # with any earlier calibration's: the logits as trained, divided by this
    before: float  # validation nats per character before
    after: float  # and after (measured on the weights as saved)
    cross_fitted: float  # each half of the validation split at the temperature fitted on the other half
    characters: int  # characters scored
    sample_temperature: tuple[float, float]  # the temperature it writes at by default, before and after
    fitted_on: str = FITTED_ON


def earlier_temperature(extra: dict) -> float:
    """The total temperature a checkpoint's weights were calibrated by already (1: not calibrated)."""
    try:
        value = float(extra["calibration"]["total_temperature"])
    except (KeyError, TypeError, ValueError):
        return 1.0
    return value if value > 0 else 1.0


def _validation_ids(gen: TextGenerator) -> list[int]:
    """The model's validation split as token ids (its first ``MAX_LOGITS / V`` tokens, when longer)."""
    ids = gen.validation_ids()
    if ids is None:
        raise ValueError(f"checkpoint {gen.checkpoint.path} did not keep its training text, so its validation "
                         "split is unknown: calibration needs it")
    if len(ids) < 3:
        raise ValueError(f"the validation split of checkpoint {gen.checkpoint.path} is too short to calibrate on "
                         f"({len(ids)} tokens)")
    return ids[: max(3, MAX_LOGITS // gen.config.vocab_size)]


def _logits(gen: TextGenerator, ids: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """The model's logits (N x V) and targets (N) over ``ids``, on the CPU."""
    parts = list(gen.window_logits(ids))
    return torch.cat([p[0] for p in parts]).float().cpu(), torch.cat([p[1] for p in parts]).cpu()


def calibrate_text(path: str | os.PathLike, device: torch.device | str = "cpu") -> Calibration:
    """Fit the temperature of the GPT checkpoint at ``path`` and save it folded in, in place.

    Raises:
        CheckpointError: missing, damaged, or not a GPT checkpoint.
        ValueError: the checkpoint keeps no training text (so no validation split).
    """
    ckpt = load_checkpoint(path)
    if ckpt.family != "gpt":
        raise CheckpointError(f"checkpoint {ckpt.path} is a {ckpt.family} model; calibration is for text models (GPT)")
    config = TextModelConfig.from_dict(ckpt.model_config)
    device = torch.device(device)
    gen = TextGenerator(ckpt, config, device)
    ids = _validation_ids(gen)
    logits, targets = _logits(gen, ids)
    chars = len(gen.tokenizer.decode(ids[1:]))
    per_char = len(targets) / chars  # nats per token -> nats per character
    temperature = fit_temperature(logits, targets)
    before = mean_nats(logits, targets) * per_char
    cross = cross_fitted_nats(logits, targets) * per_char
    ckpt.networks["gpt"] = divide_logits(ckpt.networks["gpt"], temperature)
    # The temperature it writes at by default (the Generate tab's and the CLI's, its own samples') divided too,
    # so that its text reads as before: only what its probabilities say changes, not how it writes.
    writes_at = config.sample_temperature
    ckpt.model_config = {**ckpt.model_config, "sample_temperature": round(writes_at / temperature, 2)}
    after_logits, after_targets = _logits(TextGenerator(ckpt, config, device), ids)  # the weights as stored
    after = mean_nats(after_logits, after_targets) * per_char
    total = temperature * earlier_temperature(ckpt.extra)
    result = Calibration(temperature, total, before, after, cross, chars,
                         (writes_at, ckpt.model_config["sample_temperature"]))
    ckpt.extra["calibration"] = {**asdict(result), "step": ckpt.step}
    save_checkpoint(ckpt.path, ckpt)
    return result


def copy_source(source: str | os.PathLike) -> Path:
    """What a calibrated copy of ``source`` (a bundled model's name, a run or a checkpoint folder) copies: the
    run folder around its checkpoint (with its snapshots, for time travel), or the checkpoint folder alone."""
    found = find_checkpoint(resolve_model(source))
    return found.parent if found.name == SUBFOLDER else found


def free_folder(wanted: str | os.PathLike) -> Path:
    """``wanted``, or ``wanted-2``, ``wanted-3``, ... : the first that does not exist yet."""
    path, n = Path(wanted), 2
    while path.exists():
        path, n = Path(f"{wanted}-{n}"), n + 1
    return path


def calibrate_copy(source: str | os.PathLike, dest: str | os.PathLike,
                   device: torch.device | str = "cpu") -> Calibration:
    """Copy the GPT at ``source`` to the new folder ``dest`` and calibrate the copy; ``source`` is left as it
    was (outputs saved from it still verify). ``dest`` appears complete or not at all.

    Raises:
        CheckpointError, ValueError: as ``calibrate_text``; ValueError also when ``dest`` exists.
        OSError: the copy cannot be written.
    """
    top, target = copy_source(source), Path(dest)
    if target.exists():
        raise ValueError(f"{target} exists already: pick a new folder for the calibrated copy")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        shutil.copytree(top, work)
        result = calibrate_text(work, device)
        os.replace(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result
