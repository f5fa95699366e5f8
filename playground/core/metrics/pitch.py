"""Pitch: the YIN fundamental-frequency estimator (note names and MIDI <-> Hz are in
``playground.core.data.notes`` and re-exported here).

YIN: A. de Cheveigné and H. Kawahara, "YIN, a fundamental frequency estimator for
speech and music", J. Acoust. Soc. Am. 111(4), 2002. Steps 1-5 of the paper are
implemented (difference function, cumulative mean normalised difference, absolute
threshold, parabolic interpolation); step 6 (best local estimate) is replaced by the
power-weighted median over voiced frames, since a bundled note holds one pitch. Every frame is
computed at once with numpy FFTs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from playground.core.data.notes import NOTE_NAMES, cents_off, hz_to_midi, midi_to_hz, note_name, parse_note

__all__ = ["NOTE_NAMES", "PitchEstimate", "YinConfig", "cents_off", "estimate_f0", "hz_to_midi", "midi_to_hz",
           "note_name", "parse_note", "yin_track"]

@dataclass(frozen=True)
class YinConfig:
    """Settings of the YIN tracker; the defaults cover B0 (31 Hz) to G#7 (3322 Hz) at 16 kHz."""

    fmin: float = 30.0  # Hz; lowest f0 searched (sets the longest lag)
    fmax: float = 3400.0  # Hz; highest f0 searched (above A7 a period is under 5 samples at 16 kHz)
    window: float = 0.04  # s; integration window W of the difference function
    hop: float = 0.01  # s between frames
    threshold: float = 0.1  # absolute threshold on the normalised difference (paper: 0.1)
    voiced_max: float = 0.3  # a frame is voiced when its normalised dip is below this ...
    silence_db: float = -40.0  # ... and its energy is within this many dB of the loudest frame

    def __post_init__(self) -> None:
        if not 0 < self.fmin < self.fmax:
            raise ValueError(f"need 0 < fmin < fmax, got fmin={self.fmin}, fmax={self.fmax}")
        if self.window <= 0 or self.hop <= 0:
            raise ValueError("window and hop must be positive seconds")
        if not 0 < self.threshold <= self.voiced_max <= 1:
            raise ValueError("need 0 < threshold <= voiced_max <= 1")
        if self.silence_db >= 0:
            raise ValueError("silence_db must be negative (dB below the loudest frame)")


@dataclass(frozen=True)
class PitchEstimate:
    """The pitch of one clip."""

    f0: float  # Hz, median over voiced frames weighted by their power; nan when none is voiced
    voiced: bool  # at least a tenth of the frames (and 3 or more) are voiced
    voiced_share: float  # in [0, 1], share of frames that are voiced
    frames_f0: np.ndarray  # float64 (T,), per-frame f0 in Hz, nan where unvoiced


def _frames(x: np.ndarray, length: int, hop: int) -> np.ndarray:
    """Overlapping frames T x length (a strided view; zero-padded at the end)."""
    count = max(1, 1 + (len(x) - length + hop - 1) // hop)
    padded = np.zeros((count - 1) * hop + length, dtype=np.float64)
    padded[: len(x)] = x[: len(padded)]
    return np.lib.stride_tricks.sliding_window_view(padded, length)[::hop]


def _vertex(left: np.ndarray, mid: np.ndarray, right: np.ndarray, step: float) -> np.ndarray:
    """Offset (in lags, within +-step) of the vertex of the parabola through three values."""
    curve = left - 2.0 * mid + right
    shift = np.where(curve > 0, 0.5 * (left - right) / np.where(curve > 0, curve, 1.0), 0.0)
    return step * np.clip(shift, -1.0, 1.0)


def _cumulative_at(energy: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Row-wise linear interpolation of cumulative energy T x P at fractional positions (T,)."""
    low = np.clip(np.floor(position).astype(np.int64), 0, energy.shape[1] - 2)
    rows = np.arange(len(energy))
    frac = position - low
    return energy[rows, low] * (1.0 - frac) + energy[rows, low + 1] * frac


def _diff_at(spec: np.ndarray, energy: np.ndarray, width: int, n_fft: int, lags: np.ndarray) -> np.ndarray:
    """The difference function at fractional lags T x K, from the cross spectrum T x F."""
    k = np.arange(spec.shape[1])
    weight = np.where((k == 0) | (k == n_fft // 2), 1.0, 2.0)
    out = np.empty(lags.shape)
    for j in range(lags.shape[1]):
        phase = np.exp(2j * np.pi * lags[:, j : j + 1] * k / n_fft)  # T x F
        corr = (weight * (spec * phase).real).sum(axis=1) / n_fft
        e_tau = _cumulative_at(energy, lags[:, j] + width) - _cumulative_at(energy, lags[:, j])
        out[:, j] = energy[:, width] + e_tau - 2.0 * corr
    return out


def yin_track(
    clip: np.ndarray, sample_rate: int, config: YinConfig = YinConfig()
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame f0, aperiodicity and power of a mono clip.

    Args:
        clip: float (L,), any scale.
        sample_rate: Hz.
    Returns:
        ``(f0, dip, power)``: float64 (T,) each; f0 in Hz (the YIN estimate of every
        frame, voiced or not), the normalised difference at the chosen lag (0 =
        perfectly periodic) and the mean square of the frame's window. Frames are
        ``config.hop`` apart.
    """
    x = np.asarray(clip, dtype=np.float64).reshape(-1)
    tau_min = max(2, int(sample_rate / config.fmax))
    tau_max = int(np.ceil(sample_rate / config.fmin))
    width = max(tau_max, int(round(config.window * sample_rate)))
    frames = _frames(x, width + tau_max + 1, max(1, int(round(config.hop * sample_rate))))  # T x (W + tau_max + 1)
    n_fft = 1 << int(np.ceil(np.log2(frames.shape[1] + width)))
    # Step 2, difference function d(tau) = E(0) + E(tau) - 2 r(tau), every lag at once.
    spec = np.fft.rfft(frames, n_fft) * np.conj(np.fft.rfft(frames[:, :width], n_fft))
    corr = np.fft.irfft(spec, n_fft)[:, : tau_max + 2]  # T x (tau_max + 2)
    energy = np.concatenate([np.zeros((len(frames), 1)), np.cumsum(frames**2, axis=1)], axis=1)
    lags = np.arange(tau_max + 2)
    e_tau = energy[:, lags + width] - energy[:, lags]
    diff = np.maximum(e_tau[:, :1] + e_tau - 2.0 * corr, 0.0)
    # Step 3, cumulative mean normalised difference d'(tau); d'(0) = 1.
    running = np.cumsum(diff[:, 1:], axis=1) / lags[1:]
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] / np.maximum(running, 1e-12)
    # Step 4, the first dip below the threshold, followed down to its local minimum. A dip
    # is judged by its parabola-interpolated depth: for short periods (high notes) the true
    # minimum falls between integer lags, and the sampled value alone would miss it.
    left, mid = cmnd[:, tau_min - 1 : tau_max], cmnd[:, tau_min : tau_max + 1]
    right = cmnd[:, tau_min + 1 : tau_max + 2]
    curve = left - 2.0 * mid + right
    is_min = (mid <= left) & (mid <= right) & (curve > 0)
    depth = np.where(is_min, mid - (left - right) ** 2 / (8.0 * np.where(is_min, curve, 1.0)), mid)
    below = depth < config.threshold
    found = below.any(axis=1)
    first = np.where(found, below.argmax(axis=1), depth.argmin(axis=1))
    cols = np.arange(mid.shape[1])
    best = np.where(found, ((right >= mid) & (cols >= first[:, None])).argmax(axis=1), first)
    rows = np.arange(len(frames))
    tau = best + tau_min
    # Step 5, parabolic interpolation of d(tau), then once more on a quarter-sample grid of
    # band-limited (Fourier-interpolated) lags, which removes the bias a parabola has on
    # the narrow dips of periods of a few samples.
    period = tau + _vertex(diff[rows, tau - 1], diff[rows, tau], diff[rows, tau + 1], 1.0)
    fine = period[:, None] + np.array([-0.25, 0.0, 0.25])  # T x 3 lags
    d_fine = _diff_at(spec, energy, width, n_fft, fine)
    period = period + _vertex(d_fine[:, 0], d_fine[:, 1], d_fine[:, 2], 0.25)
    dip = np.clip(depth[rows, best], 0.0, None)
    return sample_rate / period, dip, energy[:, width] / width


def estimate_f0(clip: np.ndarray, sample_rate: int, config: YinConfig = YinConfig()) -> PitchEstimate:
    """The fundamental frequency of a clip that holds one note (YIN, median over voiced frames).

    The median is weighted by frame power, so the body of the note outvotes its quiet
    tail, where odd harmonics of plucked strings die first and YIN tends to read the
    octave above.

    Args:
        clip: float (L,) mono, or L x channels (averaged to mono).
        sample_rate: Hz.
    Returns:
        A ``PitchEstimate``; ``f0`` is nan when no frame is voiced.
    """
    x = np.asarray(clip, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if x.ndim != 1 or len(x) == 0:
        raise ValueError(f"need a non-empty mono clip (L,) or L x channels, got shape {np.shape(clip)}")
    f0, dip, power = yin_track(x, sample_rate, config)
    loud = 10.0 * np.log10(np.maximum(power, 1e-20) / max(float(power.max()), 1e-20)) > config.silence_db
    voiced = (dip < config.voiced_max) & loud & (power > 1e-12)
    share = float(voiced.mean())
    is_voiced = bool(voiced.sum() >= max(3, 0.1 * len(voiced)))
    f0_clip = _weighted_median(f0[voiced], power[voiced])
    return PitchEstimate(f0_clip, is_voiced, share, np.where(voiced, f0, np.nan))


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The value at half the total weight (nan for no values)."""
    if len(values) == 0:
        return float("nan")
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])
