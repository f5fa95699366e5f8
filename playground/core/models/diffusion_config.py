"""The diffusion family's own settings: the UNet, the caption encoder, the noise schedule and sampling.

The networks are ``playground.core.models.unet.UNet`` and
``playground.core.models.text_encoder.TextEncoder``; the schedule and the
samplers are in ``playground.core.diffusion``. Image shape and vocabulary
come from the data (``for_data``). Run settings (steps, batch, learning rate,
seed, device) are in ``RunConfig``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from playground.core.config_fields import config_from_dict, config_to_dict

if TYPE_CHECKING:  # the model modules import torch; the config must not
    from playground.core.diffusion.samplers import SamplerConfig
    from playground.core.diffusion.schedule import ScheduleConfig
    from playground.core.models.text_encoder import TextEncoderConfig
    from playground.core.models.unet import UNetConfig

PREDICTIONS = ("eps", "v")
SAMPLERS = ("ddim", "ddpm", "dpm++2m")


# Settings added after models were saved without them, with the meaning those models had: guidance on every step.
ADDED_SETTINGS = {"guidance_until": 0.0, "pitch_hint": False, "min_snr": 0.0}


@dataclass(frozen=True)
class DiffusionConfig:
    width: int = 16  # UNet feature channels at full resolution
    mults: tuple[int, ...] = (1, 2, 4)  # width multiplier per UNet level (each level after the first halves H and W)
    blocks: int = 1  # ResNet blocks per UNet level
    attention_levels: tuple[int, ...] = (2,)  # UNet levels with self- and cross-attention to the caption
    text_dim: int = 64  # size of the caption features
    text_layers: int = 1  # transformer layers of the caption encoder (0: embeddings and mean pooling)
    max_caption: int = 12  # longest caption in tokens; longer ones are cut
    schedule: str = "cosine"  # noise schedule: "cosine" (Nichol & Dhariwal) or "linear" (Ho et al.)
    prediction: str = "eps"  # what the UNet predicts: the noise ("eps") or v (Salimans & Ho 2022)
    # Min-SNR-gamma loss weighting (Hang et al. 2023); 0: every timestep weighs the same. At 5, the default preset's
    # 1,300 steps (10 CPU minutes) of digits were recognised as asked 99.0% of the time, against 88.1% unweighted.
    min_snr: float = 5.0
    caption_dropout: float = 0.1  # share of captions replaced by the empty one (for classifier-free guidance)
    ema_decay: float = 0.999  # moving average of the weights for sampling; 0 switches it off
    grad_clip: float = 1.0  # clip the gradient norm to this (0: off)
    # Skew the data on purpose: images whose caption has one of these words (commas between them) are drawn
    # focus_times as often. A few dozen geometric emoji ("red heart", "blue circle") among 1,870 need it.
    focus_words: str = ""  # caption words to draw more often, like heart,circle (empty: every image alike)
    focus_times: int = 1  # how many times as often an image with a focus word is drawn
    # Images only: each time an image is drawn for a step, it is moved by up to augment_shift whole pixels each way
    # and shrunk by up to augment_zoom (0.1: to 90-100% of its size), its edges repeated, so an image drawn many
    # times is never twice the same (focused emoji were learned by heart without it). Not grown: a grown emoji is
    # cut by the frame, and a build scaled 90-110% drew frame-filling squares on tinted backgrounds.
    augment_shift: int = 0  # largest random shift, in pixels (0: none)
    augment_zoom: float = 0.0  # largest random shrink, as a fraction of the size (0: none)
    # Sampling defaults, judged on the bundled digits (scripts/judge_diffusion.py): DPM-Solver++(2M) in 11 steps at
    # guidance 5, guided only above 30% noise, recognised 99.2% (worst digit 93%) at half the time of 20 DDIM steps.
    sampler: str = "dpm++2m"  # default sampler: "ddim", "ddpm" or "dpm++2m"
    sample_steps: int = 11  # default number of denoising steps
    guidance: float = 5.0  # default classifier-free guidance scale (0: unguided, 1: conditional)
    guidance_until: float = 0.3  # guide only at timesteps t >= this share of T (the last steps: conditional alone)
    grid_seeds: int = 6  # samples per prompt in the training grid
    mel_bands: int = 96  # sound: mel bands of the spectrogram the model draws (its height)
    mel_pool: int = 4  # sound: spectrogram frames (15.6 ms apart) averaged into one the model draws (2 s: 32 wide)
    pitch_hint: bool = True  # sound: also show the UNet the note a caption names, drawn as a plain tone's spectrum
    sample_rate: int = 0  # sound: Hz of the clips (set from the data); 0 for images
    channels: int = 1  # image channels (set from the data)
    height: int = 28  # image height (set from the data)
    image_width: int = 28  # image width (set from the data)
    vocab_size: int = 0  # caption words known (set from the data)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mults", tuple(int(m) for m in self.mults))
        object.__setattr__(self, "attention_levels", tuple(int(a) for a in self.attention_levels))
        for name in ("width", "blocks", "text_dim", "max_caption", "sample_steps", "grid_seeds", "channels", "height",
                     "image_width", "mel_bands", "mel_pool"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not self.mults or min(self.mults) < 1:
            raise ValueError("mults needs one whole number of at least 1 per level, like 1,2,4")
        if self.text_layers < 0:
            raise ValueError("text_layers must be 0 or more")
        if self.schedule not in ("cosine", "linear"):
            raise ValueError(f"unknown noise schedule {self.schedule!r}: choose cosine or linear")
        if self.prediction not in PREDICTIONS:
            raise ValueError(f"unknown prediction {self.prediction!r}: choose {' or '.join(PREDICTIONS)}")
        if not (math.isfinite(self.min_snr) and self.min_snr >= 0):
            raise ValueError(f"min_snr must be 0 (off) or more, got {self.min_snr}")
        if not (0.0 <= self.caption_dropout < 1.0):
            raise ValueError(f"caption_dropout must be in [0, 1), got {self.caption_dropout}")
        if not (0.0 <= self.ema_decay < 1.0):
            raise ValueError(f"ema_decay must be in [0, 1) (0 switches it off), got {self.ema_decay}")
        if self.focus_times < 1:
            raise ValueError(f"focus_times must be at least 1 (1: no focus), got {self.focus_times}")
        if self.augment_shift < 0:
            raise ValueError(f"augment_shift is a number of pixels, 0 or more, not {self.augment_shift}")
        if not (math.isfinite(self.augment_zoom) and 0.0 <= self.augment_zoom <= 0.5):
            raise ValueError(f"augment_zoom is a fraction from 0 to 0.5, not {self.augment_zoom}")
        if not (math.isfinite(self.grad_clip) and self.grad_clip >= 0):
            raise ValueError("grad_clip must be 0 (off) or more")
        if self.sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.sampler!r}: choose one of {', '.join(SAMPLERS)}")
        if not (math.isfinite(self.guidance) and 0 <= self.guidance <= 30):
            raise ValueError(f"guidance must be between 0 and 30, got {self.guidance}")
        if not 0.0 <= self.guidance_until <= 1.0:
            raise ValueError(f"guidance_until is a share of the timesteps, from 0 to 1, not {self.guidance_until}")
        if self.sample_rate < 0:
            raise ValueError("sample_rate must be 0 (images) or a rate in Hz")
        if self.vocab_size < 0:
            raise ValueError("vocab_size must be 0 (from the data) or more")

    @property
    def augments(self) -> bool:
        """Whether training moves or scales the images it draws."""
        return self.augment_shift > 0 or self.augment_zoom > 0

    @property
    def focus(self) -> frozenset[str]:
        """The focus words, lower-cased."""
        return frozenset(w.strip().lower() for w in self.focus_words.replace(",", " ").split() if w.strip())

    def replace(self, **changes: Any) -> DiffusionConfig:
        return dataclasses.replace(self, **changes)

    def for_data(self, data: Any, vocab_size: int) -> DiffusionConfig:
        """Take the image shape from prepared images (float32 N x C x H x W), or the spectrogram's from prepared
        sound (N x L samples), and the caption vocabulary size."""
        if getattr(data, "sample_rate", None) is not None:  # sound: a spectrogram is a 1-channel image
            frames = self.mel_config(int(data.sample_rate)).frames(int(data.x.shape[1])) // self.mel_pool
            return dataclasses.replace(self, channels=1, height=self.mel_bands, image_width=frames,
                                       vocab_size=int(vocab_size), sample_rate=int(data.sample_rate))
        c, h, w = (int(v) for v in data.x.shape[1:])
        return dataclasses.replace(self, channels=c, height=h, image_width=w, vocab_size=int(vocab_size), sample_rate=0)

    def mel_config(self, sample_rate: int = 16000) -> Any:
        """The spectrogram a sound model draws (``playground.core.preprocess.mel.MelConfig``)."""
        from playground.core.preprocess.mel import MelConfig

        return MelConfig(sample_rate=sample_rate, n_mels=self.mel_bands, fmax=sample_rate / 2)

    def unet_config(self) -> UNetConfig:
        from playground.core.models.unet import UNetConfig

        return UNetConfig(channels=self.channels, width=self.width, mults=self.mults, blocks=self.blocks,
                          attention_levels=self.attention_levels, text_dim=self.text_dim,
                          groups=min(8, self.width), hint_channels=int(self.uses_pitch_hint))

    @property
    def uses_pitch_hint(self) -> bool:
        """Whether the UNet reads the caption's note as an extra channel (sound models with ``pitch_hint``)."""
        return self.pitch_hint and self.sample_rate > 0

    def text_config(self) -> TextEncoderConfig:
        from playground.core.models.text_encoder import TextEncoderConfig

        if self.vocab_size < 1:
            raise ValueError("the caption vocabulary is not known yet: fit the settings to the data first")
        return TextEncoderConfig(vocab_size=self.vocab_size, dim=self.text_dim, max_len=self.max_caption,
                                 layers=self.text_layers)

    def schedule_config(self) -> ScheduleConfig:
        from playground.core.diffusion.schedule import ScheduleConfig

        return ScheduleConfig(kind=self.schedule)

    def sampler_config(self, **changes: Any) -> SamplerConfig:
        from playground.core.diffusion.samplers import SamplerConfig

        fields = {"sampler": self.sampler, "steps": self.sample_steps, "guidance": self.guidance,
                  "guidance_until": self.guidance_until, **changes}
        return SamplerConfig(**fields)

    def to_dict(self) -> dict[str, Any]:
        return config_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DiffusionConfig:
        """Inverse of ``to_dict``; unknown or mistyped fields raise ``ValueError``. A field the file lacks
        takes its old meaning (``ADDED_SETTINGS``), so an older model samples as it did when it was saved."""
        return config_from_dict(cls, data, "diffusion", ADDED_SETTINGS)
