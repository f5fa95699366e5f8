"""The diffusion family: a small UNet learns to turn noise into pictures of what a caption says.

Presets: ``tiny`` (tests), ``default`` (sized for two CPU cores: ten minutes,
or 3,000 steps where they come sooner; digits recognised as asked 99% of the time), ``digits``, ``emoji`` and ``instruments`` (the bundled
models' recipes: the same networks trained longer, a wider one for colour),
``large`` (wider still, for a patient CPU) and ``cuda`` (for a GPU).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from playground.core.device import DEVICE_CHOICES
from playground.core.families.base import CurveGroup, Family, FormSpec
from playground.core.families.registry import register
from playground.core.models.diffusion_config import PREDICTIONS, SAMPLERS, DiffusionConfig
from playground.core.training.run_config import LR_SCHEDULES, RunConfig
from playground.core.training.settings import Settings

if TYPE_CHECKING:
    import torch

    from playground.core.runs.checkpoint import Checkpoint
    from playground.core.training.trainer import Trainer


def _run(**changes: Any) -> RunConfig:
    return RunConfig(learning_rates={"model": 2e-3}, steps=3000, batch_size=64, lr_schedule="cosine", warmup_steps=100,
                     metrics_every=10, samples_every=250, checkpoint_every=500).replace(**changes)


PRESETS: dict[str, Settings] = {
    "tiny": Settings(DiffusionConfig(width=8, mults=(1, 2), attention_levels=(1,), text_dim=16, text_layers=0,
                                     max_caption=8, sample_steps=4, grid_seeds=2),
                     _run(steps=6, batch_size=4, warmup_steps=0, metrics_every=1, samples_every=3, checkpoint_every=0)),
    "default": Settings(DiffusionConfig(), _run(minutes=10.0)),  # 10 minutes or 3,000 steps, whichever comes first
    # The shipped digits and instruments models were trained before Min-SNR weighting: their recipes keep it off.
    "digits": Settings(DiffusionConfig(min_snr=0.0), _run(steps=4000, samples_every=500, checkpoint_every=1000)),
    # v-prediction: an eps model's colours drifted (backgrounds tinted the object's complement even unguided).
    # Focus: the 64 emoji named heart, circle, square or diamond drawn 8x as often; shapes came out as blobs without.
    # Augmentation: drawn 8x as often, those 64 came back as copies of themselves; moved and shrunk, never twice alike.
    "emoji": Settings(DiffusionConfig(prediction="v", focus_words="heart,circle,square,diamond", focus_times=8,
                                      augment_shift=2, augment_zoom=0.1),
                      _run(steps=4000, samples_every=500, checkpoint_every=1000)),
    "instruments": Settings(DiffusionConfig(min_snr=0.0), _run(steps=3000, batch_size=32, samples_every=500,
                                                   checkpoint_every=1000)),
    "large": Settings(DiffusionConfig(width=32), _run(steps=12_000, samples_every=500, checkpoint_every=1000)),
    "cuda": Settings(DiffusionConfig(width=64, blocks=2, text_dim=128, text_layers=2),
                     _run(steps=20_000, batch_size=128, learning_rates={"model": 1e-3}, samples_every=1000,
                          checkpoint_every=2000)),
}

FORM = FormSpec(
    fields=("steps", "minutes", "batch_size", "lr", "lr_schedule", "warmup_steps", "width", "text_layers",
            "prediction", "min_snr", "caption_dropout", "ema_decay", "focus_words", "focus_times", "augment_shift",
            "augment_zoom", "sampler",
            "sample_steps", "guidance", "guidance_until", "seed", "device", "cpu_threads"),
    labels={"lr": "Learning rate", "lr_schedule": "Rate schedule", "warmup_steps": "Warm-up steps",
            "width": "UNet width", "text_layers": "Caption encoder layers", "prediction": "Predicts",
            "caption_dropout": "Caption dropout (for guidance)",
            "focus_words": "Draw more often: captions with", "focus_times": "... this many times as often",
            "augment_shift": "Move images up to (px)", "augment_zoom": "Shrink images by up to",
            "min_snr": "Min-SNR weighting (0: off)", "ema_decay": "EMA (decay)",
            "sample_steps": "Sampling steps", "guidance_until": "Guide only above noise (0-1)",
            "minutes": "Minutes (0: by steps)", "cpu_threads": "CPU threads (0: auto)"},
    choices={"device": DEVICE_CHOICES, "lr_schedule": LR_SCHEDULES, "prediction": PREDICTIONS, "sampler": SAMPLERS},
    ranges={"steps": (1, 10_000_000), "minutes": (0.0, 1440.0), "batch_size": (1, 1024), "warmup_steps": (0, 100_000),
            "width": (8, 256), "text_layers": (0, 8), "caption_dropout": (0.0, 0.9), "min_snr": (0.0, 100.0), "ema_decay": (0.0, 0.9999),
            "focus_times": (1, 1000), "augment_shift": (0, 16), "augment_zoom": (0.0, 0.5),
            "sample_steps": (1, 1000), "guidance": (0.0, 30.0), "guidance_until": (0.0, 1.0), "seed": (0, 2**31 - 1),
            "cpu_threads": (0, 256)},
)

CURVES = (CurveGroup("Loss: how far the predicted noise is from the real noise", (("loss", "mean squared error"),)),)


def _fit(settings: Settings, data: Any) -> Settings:
    from playground.core.models.text_encoder import train_caption_tokenizer
    from playground.core.training.diffusion_trainer import training_captions

    _kept, captions = training_captions(data)
    vocab = train_caption_tokenizer(captions).vocab_size  # the trainer trains the same one
    return Settings(settings.model.for_data(data, vocab), settings.run)


def _check_resume(checkpoint: Checkpoint, data: Any) -> None:
    kind = "audio" if getattr(data, "sample_rate", None) is not None else "image"
    if checkpoint.data.get("kind", "image") != kind:
        raise ValueError(f"that checkpoint learned {checkpoint.data.get('kind')}, this data is {kind}")
    if kind == "image" and tuple(checkpoint.data.get("image_shape", ())) != tuple(data.x.shape[1:]):
        raise ValueError(f"that checkpoint was trained on {tuple(checkpoint.data.get('image_shape', ()))} images, "
                         f"this data is {tuple(data.x.shape[1:])}")


def _make_trainer(settings: Settings, data: Any, device: torch.device, extras: Mapping[str, Any]) -> Trainer:
    from playground.core.training.diffusion_trainer import DiffusionTrainer

    return DiffusionTrainer(settings.model, settings.run, data, device)


def _load_generator(checkpoint: Checkpoint, device: torch.device) -> Any:
    from playground.core.generators.diffusion_generator import DiffusionGenerator

    return DiffusionGenerator(checkpoint, DiffusionConfig.from_dict(checkpoint.model_config), device)


DIFFUSION = register(Family(
    name="diffusion",
    title="Diffusion: a network learns to turn noise into what a caption says",
    config_class=DiffusionConfig,
    presets=PRESETS,
    accepts=frozenset({"captioned_images", "captioned_audio"}),
    make_trainer=_make_trainer,
    load_generator=_load_generator,
    curves=CURVES,
    form=FORM,
    fit=_fit,
    check_resume=_check_resume,
))
