"""The diffusion model as one module: the UNet and the caption encoder it attends to.

The optimiser and the moving average hold both, and a checkpoint names them
together ("net", "ema"); ``eps`` gives the noise prediction a sampler needs,
whichever target (noise or v) the model was trained on.

A sound model with ``pitch_hint`` also reads the note its caption names ("a
flute playing A4") as a picture: an extra input channel holding the log-mel
spectrum of a plain harmonic tone at that pitch (partials at 1/k loudness), the
same in every frame. Words alone left the bundled model at 8% of notes in tune
after 3,000 steps: a convolution sees where a harmonic is relative to its
neighbours, not which mel band it is in, and the ~70 note words are unrelated
ids to the text encoder. Conditioning on pitch apart from the rest of the
caption is what NSynth (Engel et al. 2017, arXiv:1704.01279) and GANSynth
(Engel et al. 2019, arXiv:1902.08710) do with a one-hot pitch; the tone's
spectrum puts it where the spectrogram's harmonics go. The null caption has no
hint (all zeros), so classifier-free guidance guides pitch as it does words.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
from torch import nn

from playground.core.diffusion.schedule import NoiseSchedule
from playground.core.models.diffusion_config import DiffusionConfig
from playground.core.models.text_encoder import CaptionBatch, TextEncoder, TextFeatures
from playground.core.models.unet import UNet
from playground.core.preprocess.mel import log_mel, normalise_log_mel, pool_frames

_TONE_SECONDS = 0.25


def tone_spectra(config: DiffusionConfig) -> torch.Tensor:
    """float 128 x H in [0, 1]: per MIDI note, the pooled log-mel column of a plain harmonic tone at that pitch."""
    return _tone_spectra(config.sample_rate, config.mel_bands, config.mel_pool).clone()


@lru_cache(maxsize=4)
def _tone_spectra(sample_rate: int, mel_bands: int, mel_pool: int) -> torch.Tensor:
    config = DiffusionConfig(sample_rate=sample_rate, mel_bands=mel_bands, mel_pool=mel_pool)
    mel = config.mel_config(sample_rate)
    rate = mel.sample_rate
    t = torch.arange(int(rate * _TONE_SECONDS), dtype=torch.float32) / rate
    f0 = 440.0 * 2.0 ** ((torch.arange(128, dtype=torch.float64) - 69) / 12)  # 128
    waves = torch.zeros(128, len(t))
    for k in range(1, int(0.95 * rate / 2 / float(f0[0])) + 1):  # partial k at 1/k, below Nyquist
        below = torch.nonzero(k * f0 < 0.95 * rate / 2).flatten()
        phase = (2 * math.pi * k * f0[below, None].float()) * t[None, :]
        waves[below] += torch.sin(phase) / k
    waves = 0.5 * waves / waves.abs().amax(dim=1, keepdim=True).clamp(min=1e-9)
    spec = normalise_log_mel(pool_frames(log_mel(waves, mel), config.mel_pool), mel)  # 128 x H x frames
    column = spec[:, :, 1:-1].mean(dim=2) if spec.shape[2] > 2 else spec.mean(dim=2)  # away from the clip's edges
    return ((column + 1.0) / 2.0).clamp(0.0, 1.0)


class DiffusionNet(nn.Module):
    def __init__(self, config: DiffusionConfig) -> None:
        super().__init__()
        self.unet = UNet(config.unet_config())
        self.text = TextEncoder(config.text_config())
        self.height, self.width = config.height, config.image_width
        # Not saved with the weights: made again from the config when a model is built.
        self.register_buffer("tones", tone_spectra(config) if config.uses_pitch_hint else None, persistent=False)

    def features(self, batch: CaptionBatch) -> TextFeatures:
        """The caption encoder's features of ``batch``, on this module's device."""
        device = self.text.null.device
        return self.text(batch.ids.to(device), batch.mask.to(device), batch.midi.to(device))

    def hint(self, midi: torch.Tensor | None, n: int) -> torch.Tensor | None:
        """float n x 1 x H x W: each caption's tone spectrum in every frame (zeros where it names no note)."""
        if self.tones is None:
            return None
        hint = torch.zeros(n, self.tones.shape[1], device=self.tones.device)
        if midi is not None:
            named = torch.isfinite(midi) & (midi >= 0) & (midi <= 127)
            notes = torch.where(named, midi, 0.0).round().long()
            hint = torch.where(named[:, None], self.tones[notes], hint)
        return hint[:, None, :, None].expand(n, 1, self.height, self.width)

    def forward(self, x: torch.Tensor, t: torch.Tensor, feats: TextFeatures) -> torch.Tensor:
        """The UNet's output (noise or v) for x (float N x C x H x W) at timesteps t (int64 (N,))."""
        return self.unet(x, t, feats.tokens, feats.mask, feats.pooled, self.hint(feats.midi, len(x)))

    def eps(self, schedule: NoiseSchedule, prediction: str, x: torch.Tensor, t: torch.Tensor,
            feats: TextFeatures) -> torch.Tensor:
        """The predicted noise for x (float N x C x H x W) at timesteps t (int64 (N,)) under caption features."""
        out = self(x, t, feats)
        return schedule.eps_from_v(x, t, out) if prediction == "v" else out
