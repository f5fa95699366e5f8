"""The GPT family: a small decoder-only transformer learning any text, token by token.

Presets: ``tiny`` (tests), ``default`` (sized for two CPU cores: it reaches
1.88 nats per character on the bundled Shakespeare within about 90 s of
training; see the README), ``long`` (the bundled Shakespeare model's shape),
``names`` (short texts such as the first names) and ``cuda`` (nanoGPT's
"baby GPT" shape for a GPU).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from playground.core.device import DEVICE_CHOICES
from playground.core.families.base import CurveGroup, Family, FormSpec
from playground.core.families.registry import register
from playground.core.models.text_model_config import TextModelConfig
from playground.core.training.run_config import LR_SCHEDULES, RunConfig
from playground.core.training.settings import Settings

if TYPE_CHECKING:
    import torch

    from playground.core.runs.checkpoint import Checkpoint
    from playground.core.training.trainer import Trainer


def _run(**changes: Any) -> RunConfig:
    return RunConfig(learning_rates={"model": 5e-3}, steps=1500, batch_size=16, lr_schedule="cosine", warmup_steps=50,
                     metrics_every=10, samples_every=250, checkpoint_every=500).replace(**changes)


PRESETS: dict[str, Settings] = {
    "tiny": Settings(TextModelConfig(block_size=16, n_layer=1, n_head=2, n_embd=16, eval_batches=2, sample_tokens=20),
                     _run(steps=6, batch_size=4, warmup_steps=0, metrics_every=1, samples_every=3, checkpoint_every=0)),
    # Measured on the bundled Shakespeare (the scratch runs are in the README): 3 layers of width 96 with a
    # 64-token context and lr 5e-3 reached 1.88 nats/char after ~1150 steps, faster than width 128 (whose
    # steps cost more) or 4 layers of 64; batch 32 learned less per second than 16.
    # Metrics every 25 steps (about 1.5 s): every 10 cost 1-3% of the speed in redraws and rollback copies.
    # One CPU thread: this small model's bare loop ran as fast on one as on two (22.9 and 23.1 steps/s; 21.4 and
    # 18.2 in another run), and one leaves the other core to the GUI: live against bare went from 0.93 to 1.0.
    "default": Settings(TextModelConfig(n_embd=96), _run(metrics_every=25, cpu_threads=1)),
    # The bundled Shakespeare model's first stage (its recipe then resumes it at a 256-token context). It overfits
    # (training loss 1.245 nats/char, 1.568 on the held-out 10% after 7,000 steps), but dropout 0.2 learned slower
    # still: 1.621 on the held-out 10% at step 5,000 against 1.579.
    "long": Settings(TextModelConfig(block_size=128, n_layer=4, n_head=6, n_embd=192, dropout=0.1),
                     _run(steps=7000, batch_size=32, learning_rates={"model": 3e-3}, warmup_steps=200,
                          samples_every=500, checkpoint_every=1000)),
    # 5,163 names overfit fast: validation was best near step 1500 (1.64) and 1.995 by 3000 without dropout.
    "names": Settings(TextModelConfig(block_size=32, n_layer=2, n_head=4, n_embd=64, dropout=0.1, sample_tokens=120),
                      _run(steps=1500, batch_size=32, samples_every=250)),
    "cuda": Settings(TextModelConfig(block_size=256, n_layer=6, n_head=6, n_embd=384, dropout=0.2),
                     _run(steps=5000, batch_size=64, learning_rates={"model": 1e-3}, warmup_steps=100,
                          samples_every=500, checkpoint_every=1000)),
}

FORM = FormSpec(
    fields=("steps", "minutes", "batch_size", "lr", "lr_schedule", "warmup_steps", "block_size", "n_layer", "n_head",
            "n_embd", "dropout", "weight_decay", "grad_clip", "seed", "device", "mixed_precision", "cpu_threads"),
    labels={"lr": "Learning rate", "lr_schedule": "Rate schedule", "warmup_steps": "Warm-up steps",
            "block_size": "Context (tokens)", "n_layer": "Layers", "n_head": "Heads per layer",
            "n_embd": "Width", "minutes": "Minutes (0: by steps)", "cpu_threads": "CPU threads (0: auto)"},
    choices={"device": DEVICE_CHOICES, "lr_schedule": LR_SCHEDULES},
    ranges={"steps": (1, 10_000_000), "minutes": (0.0, 1440.0), "batch_size": (1, 1024), "warmup_steps": (0, 100_000),
            "block_size": (4, 2048), "n_layer": (1, 48), "n_head": (1, 32), "n_embd": (8, 2048), "dropout": (0.0, 0.9),
            "weight_decay": (0.0, 1.0), "grad_clip": (0.0, 100.0), "seed": (0, 2**31 - 1), "cpu_threads": (0, 256)},
)

CURVES = (
    CurveGroup("Loss, nats per character (lower: better guesses)",
               (("train_nats_per_char", "training"), ("val_nats_per_char", "validation (unseen 10%)"))),
)


def _fit(settings: Settings, data: Any) -> Settings:
    return Settings(settings.model.for_data(data), settings.run)


def _resume_settings(saved: Settings, asked: Settings) -> Settings:
    """A resumed run keeps its network, except what leaves the trained weights usable: the dropout
    asked for now (a training setting, as the learning rate is), and a longer context (the position
    table grows; ``GPTTrainer.load_checkpoint_state``). A shorter context than the checkpoint's is not
    taken; the run keeps its own."""
    model = saved.model.replace(dropout=asked.model.dropout)
    if asked.model.block_size > model.block_size:
        model = model.replace(block_size=asked.model.block_size)
    return Settings(model, asked.run)


def _check_resume(checkpoint: Checkpoint, data: Any) -> None:
    if checkpoint.data.get("tokenizer") != data.tokenizer.to_dict():
        raise ValueError("that checkpoint was trained with another tokenizer (another vocabulary): prepare the text "
                         "with the same pipeline, or start a new run")


def _make_trainer(settings: Settings, data: Any, device: torch.device, extras: Mapping[str, Any]) -> Trainer:
    from playground.core.training.gpt_trainer import GPTTrainer

    return GPTTrainer(settings.model, settings.run, data, device)


def _load_generator(checkpoint: Checkpoint, device: torch.device) -> Any:
    from playground.core.generators.text_generator import TextGenerator

    return TextGenerator(checkpoint, TextModelConfig.from_dict(checkpoint.model_config), device)


GPT_FAMILY = register(Family(
    name="gpt",
    title="GPT: a transformer learns to predict the next token",
    config_class=TextModelConfig,
    presets=PRESETS,
    accepts=frozenset({"tokens"}),
    make_trainer=_make_trainer,
    load_generator=_load_generator,
    curves=CURVES,
    form=FORM,
    fit=_fit,
    resume_settings=_resume_settings,
    check_resume=_check_resume,
))
