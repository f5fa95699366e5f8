"""Log-mel spectrograms and their inverse (mel -> magnitude -> waveform), in torch only.

The forward transform is the usual one: a Hann-windowed STFT (``torch.stft``, centred
frames), magnitudes scaled so a full-scale sine reads 1.0, a mel filterbank, and a
natural log with a floor. Frame ``k`` is centred on sample ``k * hop`` and a clip of
``L`` samples gives ``L // hop`` frames (the frame centred on the very last sample is
dropped, so 2 s at 16 kHz with hop 250 is exactly 128 frames).

The mel filterbank uses Slaney's mel scale (linear below 1 kHz, logarithmic above) and
his area normalisation, as in M. Slaney, "Auditory Toolbox", Interval Research Technical
Report 1998-010 (the ``htk=False, norm="slaney"`` default of librosa.filters.mel).

The inverse maps the mel spectrogram back to a linear magnitude by non-negative least
squares (the pseudo-inverse, clipped at zero, refined by Lee-Seung multiplicative
updates: D. Lee and H. S. Seung, "Algorithms for non-negative matrix factorization",
NIPS 2000), then recovers a phase with the fast Griffin-Lim algorithm: N. Perraudin,
P. Balazs and P. L. Søndergaard, "A fast Griffin-Lim algorithm", IEEE WASPAA 2013
(Griffin-Lim itself: D. Griffin and J. Lim, IEEE Trans. ASSP 32(2), 1984).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import torch


@dataclass(frozen=True)
class MelConfig:
    """How a waveform becomes a log-mel spectrogram (and back)."""

    sample_rate: int = 16000  # Hz of the waveforms
    n_fft: int = 1024  # STFT size: 64 ms at 16 kHz, bins 15.6 Hz apart (2048 measured no better)
    hop: int = 250  # samples between frames: 15.6 ms; 2 s -> 128 frames
    n_mels: int = 128  # mel bands (image height); 64 keeps the pitch of 90% of bundled notes, 128 of 98%
    fmin: float = 20.0  # Hz, lower edge of the lowest band (the lowest bundled note, E1, is 41 Hz)
    fmax: float = 8000.0  # Hz, upper edge of the highest band (at most sample_rate / 2)
    log_floor: float = 1e-5  # smallest mel value before the log; silence normalises to -1
    log_ceiling: float = 0.05  # mel value that normalises to +1: above a full-scale sine in the narrowest band

    def __post_init__(self) -> None:
        if self.sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {self.sample_rate}")
        if self.n_fft < 16 or self.n_fft & (self.n_fft - 1):
            raise ValueError(f"n_fft must be a power of two of 16 or more, got {self.n_fft}")
        if not 0 < self.hop <= self.n_fft:
            raise ValueError(f"hop must be in 1..n_fft ({self.n_fft}), got {self.hop}")
        if not 1 <= self.n_mels <= self.n_fft // 2:
            raise ValueError(f"n_mels must be in 1..{self.n_fft // 2}, got {self.n_mels}")
        if not 0 <= self.fmin < self.fmax <= self.sample_rate / 2:
            raise ValueError(f"need 0 <= fmin < fmax <= {self.sample_rate / 2:g} Hz, got {self.fmin}, {self.fmax}")
        if not 0 < self.log_floor < self.log_ceiling:
            raise ValueError(f"need 0 < log_floor < log_ceiling, got {self.log_floor}, {self.log_ceiling}")

    def frames(self, samples: int) -> int:
        """Mel frames of a clip of ``samples`` samples."""
        return samples // self.hop

    def samples(self, frames: int) -> int:
        """Samples of the waveform that ``frames`` mel frames invert to."""
        return frames * self.hop


# Slaney's mel scale: 3 mels per 200 Hz up to 1 kHz (15 mels), then 27 mels per factor 6.4.
_LINEAR_HZ, _LINEAR_MELS, _LOG_STEP = 200.0 / 3.0, 15.0, math.log(6.4) / 27.0


def hz_to_mel(hz: torch.Tensor) -> torch.Tensor:
    """Slaney mel of frequencies in Hz (float64 tensor of any shape)."""
    linear = hz / _LINEAR_HZ
    log = _LINEAR_MELS + torch.log(torch.clamp(hz, min=1e-10) / 1000.0) / _LOG_STEP
    return torch.where(hz >= 1000.0, log, linear)


def mel_to_hz(mel: torch.Tensor) -> torch.Tensor:
    """Frequencies in Hz of Slaney mels (the inverse of ``hz_to_mel``)."""
    return torch.where(mel >= _LINEAR_MELS, 1000.0 * torch.exp(_LOG_STEP * (mel - _LINEAR_MELS)), mel * _LINEAR_HZ)


def mel_filterbank(config: MelConfig) -> torch.Tensor:
    """Triangular Slaney mel filters with area normalisation.

    Returns:
        float32 n_mels x (n_fft // 2 + 1); row ``m`` rises from band edge ``m`` to
        its centre ``m + 1`` and falls to edge ``m + 2`` (edges equally spaced in mels
        from ``fmin`` to ``fmax``), scaled by 2 / (edge ``m + 2`` - edge ``m``) in Hz.
    """
    return _filterbank(config.sample_rate, config.n_fft, config.n_mels, config.fmin, config.fmax).clone()


@lru_cache(maxsize=8)
def _filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> torch.Tensor:
    bins = torch.linspace(0.0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)
    low, high = hz_to_mel(torch.tensor([fmin, fmax], dtype=torch.float64))
    edges = mel_to_hz(torch.linspace(float(low), float(high), n_mels + 2, dtype=torch.float64))
    widths = edges[1:] - edges[:-1]  # n_mels + 1
    rising = (bins[None, :] - edges[:-2, None]) / widths[:-1, None]  # n_mels x F
    falling = (edges[2:, None] - bins[None, :]) / widths[1:, None]
    weights = torch.clamp(torch.minimum(rising, falling), min=0.0)
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.to(torch.float32)


def _bank(config: MelConfig, device: torch.device) -> torch.Tensor:
    return _filterbank(config.sample_rate, config.n_fft, config.n_mels, config.fmin, config.fmax).to(device)


@lru_cache(maxsize=8)
def _pseudo_inverse(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> torch.Tensor:
    return torch.linalg.pinv(_filterbank(sample_rate, n_fft, n_mels, fmin, fmax))  # F x n_mels


def _window(config: MelConfig, device: torch.device) -> torch.Tensor:
    return torch.hann_window(config.n_fft, periodic=True, dtype=torch.float32, device=device)


def _stft(wave: torch.Tensor, config: MelConfig) -> torch.Tensor:
    """Complex STFT B x F x (L // hop + 1), scaled so a full-scale sine peaks at 1."""
    window = _window(config, wave.device)
    spec = torch.stft(wave, config.n_fft, config.hop, window=window, center=True, pad_mode="reflect",
                      return_complex=True)
    return spec * (2.0 / window.sum())


def _istft(spec: torch.Tensor, config: MelConfig, length: int) -> torch.Tensor:
    window = _window(config, spec.device)
    return torch.istft(spec * (window.sum() / 2.0), config.n_fft, config.hop, window=window, center=True,
                       length=length)


def _batched(x: torch.Tensor, dims: int, what: str) -> tuple[torch.Tensor, bool]:
    x = torch.as_tensor(x, dtype=torch.float32)
    if x.dim() == dims - 1:
        return x.unsqueeze(0), True
    if x.dim() != dims:
        raise ValueError(f"{what} must have {dims - 1} or {dims} dimensions, got shape {tuple(x.shape)}")
    return x, False


def log_mel(wave: torch.Tensor, config: MelConfig = MelConfig()) -> torch.Tensor:
    """Natural-log mel spectrogram of mono waveforms.

    Args:
        wave: float (L,) or B x L at ``config.sample_rate``, samples in [-1, 1];
            L must exceed ``n_fft // 2`` (the reflection padding needs it).
    Returns:
        float32 n_mels x T (or B x n_mels x T), T = L // hop, values in
        [ln(log_floor), about ln(log_ceiling)] (the bundled notes reach about -4.2).
    """
    x, single = _batched(wave, 2, "a waveform")
    if x.shape[-1] <= config.n_fft // 2 or x.shape[-1] < config.hop:
        raise ValueError(f"a waveform needs more than {max(config.n_fft // 2, config.hop - 1)} samples, "
                         f"got {x.shape[-1]}")
    frames = config.frames(x.shape[-1])
    magnitude = _stft(x, config).abs()[..., :frames]  # B x F x T
    mel = torch.matmul(_bank(config, x.device), magnitude)  # B x n_mels x T
    out = torch.log(torch.clamp(mel, min=config.log_floor))
    return out[0] if single else out


def mel_to_magnitude(log_mel_spec: torch.Tensor, config: MelConfig = MelConfig(), *,
                     iterations: int = 50) -> torch.Tensor:
    """Linear STFT magnitude whose mel spectrogram matches ``log_mel_spec`` (non-negative least squares).

    Starts from the pseudo-inverse clipped at zero and takes ``iterations`` Lee-Seung
    multiplicative steps on ||M x - y||^2 with x >= 0 (0 keeps the clipped pseudo-inverse).
    Mel values at ``log_floor`` count as silence (y is the mel value minus the floor).

    Args:
        log_mel_spec: float n_mels x T or B x n_mels x T, as ``log_mel`` returns.
    Returns:
        float32 (B x) F x T magnitudes, F = n_fft // 2 + 1, in ``log_mel``'s scale.
    """
    y, single = _batched(log_mel_spec, 3, "a log-mel spectrogram")
    if y.shape[1] != config.n_mels:
        raise ValueError(f"the spectrogram has {y.shape[1]} mel bands but the config says {config.n_mels}")
    if iterations < 0:
        raise ValueError(f"iterations must be >= 0, got {iterations}")
    basis = _bank(config, y.device)
    inverse = _pseudo_inverse(config.sample_rate, config.n_fft, config.n_mels, config.fmin, config.fmax).to(y.device)
    # The floor is silence, not a faint sound: left in, it would come back as broadband noise,
    # loudest in the wide high bands (whose area-normalised filters are lowest).
    target = torch.clamp(torch.exp(y) - config.log_floor, min=0.0)  # B x n_mels x T
    x = torch.clamp(torch.matmul(inverse, target), min=0.0) + 1e-8  # B x F x T
    numerator = torch.matmul(basis.T, target)  # B x F x T
    for _ in range(iterations):  # M^T (M x), not (M^T M) x: n_mels << F makes this far cheaper
        x = x * numerator / (torch.matmul(basis.T, torch.matmul(basis, x)) + 1e-12)
    return x[0] if single else x


def griffin_lim(magnitude: torch.Tensor, config: MelConfig = MelConfig(), *, iterations: int = 32,
                momentum: float = 0.99, seed: int = 0) -> torch.Tensor:
    """A waveform whose STFT magnitude is close to ``magnitude`` (fast Griffin-Lim).

    Each step projects onto consistent spectrograms (istft then stft) after imposing the
    magnitude, and extrapolates by ``momentum`` times the last change (Perraudin et al.'s
    alpha; 0 is the original Griffin-Lim).

    Args:
        magnitude: float F x T or B x F x T, T frames as ``log_mel`` makes them.
        seed: seeds the random initial phase, so the same input gives the same waveform.
    Returns:
        float32 (L,) or B x L with L = T * hop samples.
    """
    mag, single = _batched(magnitude, 3, "a magnitude spectrogram")
    if mag.shape[1] != config.n_fft // 2 + 1:
        raise ValueError(f"the magnitude has {mag.shape[1]} bins; n_fft {config.n_fft} needs {config.n_fft // 2 + 1}")
    if iterations < 0 or not 0 <= momentum < 1:
        raise ValueError("iterations must be >= 0 and momentum in [0, 1)")
    length = config.samples(mag.shape[-1])
    mag = torch.cat([mag, torch.zeros_like(mag[..., :1])], dim=-1)  # the dropped last frame, silent
    generator = torch.Generator().manual_seed(seed)
    phase = torch.rand(mag.shape, generator=generator).to(mag.device) * (2 * math.pi)
    spec = torch.polar(torch.ones_like(mag), phase)
    previous = torch.zeros_like(spec)
    for _ in range(iterations):
        rebuilt = _stft(_istft(mag * spec, config, length), config)  # consistent projection
        spec = rebuilt + momentum * (rebuilt - previous)
        previous = rebuilt
        spec = torch.sgn(spec)  # unit phasors z / |z| (0 where z is 0)
    wave = _istft(mag * spec, config, length)
    return wave[0] if single else wave


def mel_to_audio(log_mel_spec: torch.Tensor, config: MelConfig = MelConfig(), *, iterations: int = 32,
                 momentum: float = 0.99, nnls_iterations: int = 50, seed: int = 0) -> torch.Tensor:
    """Waveform of a log-mel spectrogram: ``mel_to_magnitude`` then ``griffin_lim``.

    Returns:
        float32 (L,) or B x L, L = T * hop, clipped to [-1, 1].
    """
    magnitude = mel_to_magnitude(log_mel_spec, config, iterations=nnls_iterations)
    wave = griffin_lim(magnitude, config, iterations=iterations, momentum=momentum, seed=seed)
    return torch.clamp(wave, -1.0, 1.0)


def normalise_log_mel(log_mel_spec: torch.Tensor, config: MelConfig = MelConfig()) -> torch.Tensor:
    """Log-mel -> model scale: ln(log_floor) -> -1, ln(log_ceiling) -> +1, linear between (not clipped)."""
    low, high = math.log(config.log_floor), math.log(config.log_ceiling)
    return (torch.as_tensor(log_mel_spec, dtype=torch.float32) - low) * (2.0 / (high - low)) - 1.0


def denormalise_log_mel(x: torch.Tensor, config: MelConfig = MelConfig()) -> torch.Tensor:
    """Model scale -> log-mel; the inverse of ``normalise_log_mel`` after clipping ``x`` to [-1, 1]
    (a sampler can overshoot, and an overshoot would be an exponentially loud band)."""
    low, high = math.log(config.log_floor), math.log(config.log_ceiling)
    return (torch.clamp(torch.as_tensor(x, dtype=torch.float32), -1.0, 1.0) + 1.0) * ((high - low) / 2.0) + low


def pool_frames(log_mel_spec: torch.Tensor, pool: int) -> torch.Tensor:
    """Average every ``pool`` frames of a log-mel spectrogram ((B x) n_mels x T -> (B x) n_mels x T // pool).

    A diffusion model draws the coarser spectrogram (a quarter of the pixels at
    ``pool`` 4); ``unpool_frames`` brings it back to Griffin-Lim's frame rate.
    """
    if pool < 1:
        raise ValueError(f"pool must be at least 1, got {pool}")
    if pool == 1:
        return log_mel_spec
    frames = log_mel_spec.shape[-1] // pool
    trimmed = log_mel_spec[..., : frames * pool]
    return trimmed.reshape(*trimmed.shape[:-1], frames, pool).mean(-1)


def unpool_frames(log_mel_spec: torch.Tensor, pool: int, frames: int) -> torch.Tensor:
    """Linear interpolation in time back to ``frames`` frames (the inverse of ``pool_frames``, smoothed)."""
    if pool == 1 and log_mel_spec.shape[-1] == frames:
        return log_mel_spec
    x, single = _batched(log_mel_spec, 3, "a log-mel spectrogram")
    out = torch.nn.functional.interpolate(x, size=frames, mode="linear", align_corners=False)
    return out[0] if single else out
