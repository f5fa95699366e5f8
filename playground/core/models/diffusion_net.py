"""The diffusion model as one module: the UNet and the caption encoder it attends to.

The optimiser and the moving average hold both, and a checkpoint names them
together ("net", "ema"); ``eps`` gives the noise prediction a sampler needs,
whichever target (noise or v) the model was trained on.

A sound model with ``pitch_hint`` also reads the note its caption names ("a
flute playing A4") as a picture: two extra input channels marking the mel bands
of its fundamental and of all its partials, the same in every frame
(``note_bands``). Words alone left the bundled model at 8% of notes in tune
after 3,000 steps: a convolution sees where a harmonic is relative to its
neighbours, not which mel band it is in, and the ~70 note words are unrelated
ids to the text encoder. Conditioning on pitch apart from the rest of the
caption is what NSynth (Engel et al. 2017, arXiv:1704.01279) and GANSynth
(Engel et al. 2019, arXiv:1902.08710) do with a one-hot pitch; marking the
bands puts it where the spectrogram's harmonics go. The hint says where, never
how loud: how loud each partial is, the instrument's timbre, comes from the
words. The null caption has no hint (all zeros), so classifier-free guidance
guides pitch as it does words.
"""

from __future__ import annotations

from functools import lru_cache

import torch
from torch import nn

from playground.core.diffusion.schedule import NoiseSchedule
from playground.core.models.diffusion_config import DiffusionConfig
from playground.core.models.text_encoder import CaptionBatch, TextEncoder, TextFeatures
from playground.core.models.unet import UNet
from playground.core.preprocess.mel import hz_to_mel, mel_to_hz

HINT_CHANNELS = 2  # the fundamental's band; the bands of all its partials


def note_bands(config: DiffusionConfig) -> torch.Tensor:
    """float 128 x 2 x H in [0, 1]: per MIDI note, where its fundamental (channel 0) and its partials (channel 1)
    fall among the spectrogram's mel bands.

    A band's value is its triangular mel filter's response to the nearest such
    frequency (1 at the band's centre, 0 beyond its neighbours' centres): where
    the harmonics go, with no loudness per partial, so the hint carries the pitch
    and none of an instrument's timbre (a first version drew a 1/k tone, and the
    model's notes leaned towards brass).
    """
    return _note_bands(config.sample_rate, config.mel_bands).clone()


@lru_cache(maxsize=4)
def _note_bands(sample_rate: int, mel_bands: int) -> torch.Tensor:
    mel = DiffusionConfig(sample_rate=sample_rate, mel_bands=mel_bands).mel_config(sample_rate)
    low, high = hz_to_mel(torch.tensor([mel.fmin, mel.fmax], dtype=torch.float64))
    edges = mel_to_hz(torch.linspace(float(low), float(high), mel.n_mels + 2, dtype=torch.float64))  # as the filterbank

    def response(hz: torch.Tensor) -> torch.Tensor:  # frequencies (...,) -> (..., bands): triangular filters, peak 1
        f = hz[..., None]
        rising = (f - edges[:-2]) / (edges[1:-1] - edges[:-2])
        falling = (edges[2:] - f) / (edges[2:] - edges[1:-1])
        return torch.clamp(torch.minimum(rising, falling), min=0.0)

    f0 = 440.0 * 2.0 ** ((torch.arange(128, dtype=torch.float64) - 69) / 12)  # 128
    k = torch.arange(1, int(mel.fmax / float(f0[0])) + 1, dtype=torch.float64)  # partial numbers
    partials = f0[:, None] * k[None, :]  # 128 x K
    heard = response(partials) * (partials <= mel.fmax)[..., None]  # 128 x K x bands
    return torch.stack([response(f0), heard.amax(dim=1)], dim=1).float()  # 128 x 2 x bands


class DiffusionNet(nn.Module):
    def __init__(self, config: DiffusionConfig) -> None:
        super().__init__()
        self.unet = UNet(config.unet_config())
        self.text = TextEncoder(config.text_config())
        self.height, self.width = config.height, config.image_width
        # Not saved with the weights: made again from the config when a model is built.
        self.register_buffer("notes", note_bands(config) if config.uses_pitch_hint else None, persistent=False)

    def features(self, batch: CaptionBatch) -> TextFeatures:
        """The caption encoder's features of ``batch``, on this module's device."""
        device = self.text.null.device
        return self.text(batch.ids.to(device), batch.mask.to(device), batch.midi.to(device))

    def hint(self, midi: torch.Tensor | None, n: int) -> torch.Tensor | None:
        """float n x 2 x H x W: each caption's note bands in every frame (zeros where it names no note)."""
        if self.notes is None:
            return None
        hint = torch.zeros(n, *self.notes.shape[1:], device=self.notes.device)
        if midi is not None:
            named = torch.isfinite(midi) & (midi >= 0) & (midi <= 127)
            notes = torch.where(named, midi, 0.0).round().long()
            hint = torch.where(named[:, None, None], self.notes[notes], hint)
        return hint[:, :, :, None].expand(n, hint.shape[1], self.height, self.width)

    def forward(self, x: torch.Tensor, t: torch.Tensor, feats: TextFeatures) -> torch.Tensor:
        """The UNet's output (noise or v) for x (float N x C x H x W) at timesteps t (int64 (N,))."""
        return self.unet(x, t, feats.tokens, feats.mask, feats.pooled, self.hint(feats.midi, len(x)))

    def eps(self, schedule: NoiseSchedule, prediction: str, x: torch.Tensor, t: torch.Tensor,
            feats: TextFeatures) -> torch.Tensor:
        """The predicted noise for x (float N x C x H x W) at timesteps t (int64 (N,)) under caption features."""
        out = self(x, t, feats)
        return schedule.eps_from_v(x, t, out) if prediction == "v" else out
