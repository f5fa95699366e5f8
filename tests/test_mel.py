"""Log-mel spectrograms and their inverse: shapes, the filterbank, pitch kept through a round trip."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from playground.core.metrics.pitch import cents_off, estimate_f0, midi_to_hz
from playground.core.preprocess.mel import (
    MelConfig,
    denormalise_log_mel,
    griffin_lim,
    hz_to_mel,
    log_mel,
    mel_filterbank,
    mel_to_audio,
    mel_to_hz,
    mel_to_magnitude,
    normalise_log_mel,
)

CFG = MelConfig()
RATE = CFG.sample_rate


def _note(midi: float, seconds: float = 1.0, amplitude: float = 0.5) -> torch.Tensor:
    """A harmonic tone with an attack and a decay, float32 (L,)."""
    t = torch.arange(int(seconds * RATE), dtype=torch.float64) / RATE
    f0 = float(midi_to_hz(midi))
    wave = sum(a * torch.sin(2 * math.pi * k * f0 * t) for k, a in enumerate((1.0, 0.6, 0.4, 0.25, 0.15), 1)
               if k * f0 < RATE / 2)
    envelope = torch.clamp(t / 0.01, max=1.0) * torch.exp(-1.5 * t)
    return (amplitude * wave * envelope / (wave * envelope).abs().max()).float()


def test_shapes_two_seconds_make_the_model_image():
    wave = torch.zeros(2, 2 * RATE)
    assert log_mel(wave).shape == (2, CFG.n_mels, 128)
    assert log_mel(wave[0]).shape == (CFG.n_mels, 128)
    assert CFG.frames(2 * RATE) == 128 and CFG.samples(128) == 2 * RATE and 128 % 8 == 0
    assert mel_to_audio(log_mel(wave[:, :RATE]), iterations=2).shape == (2, RATE)
    with pytest.raises(ValueError, match="needs more than"):
        log_mel(torch.zeros(100))
    with pytest.raises(ValueError, match="mel bands"):
        mel_to_magnitude(torch.zeros(CFG.n_mels + 1, 10))
    with pytest.raises(ValueError, match="dimensions"):
        log_mel(torch.zeros(1, 1, RATE))


def test_the_slaney_scale_is_linear_to_1khz_then_logarithmic():
    hz = torch.tensor([0.0, 500.0, 1000.0, 6400.0], dtype=torch.float64)
    assert torch.allclose(hz_to_mel(hz), torch.tensor([0.0, 7.5, 15.0, 42.0], dtype=torch.float64))
    grid = torch.linspace(0, 8000, 81, dtype=torch.float64)
    assert torch.allclose(mel_to_hz(hz_to_mel(grid)), grid)


def test_filterbank_rows_are_unit_area_triangles_in_order():
    bank = mel_filterbank(CFG).double()
    spacing = RATE / CFG.n_fft
    assert bank.shape == (CFG.n_mels, CFG.n_fft // 2 + 1) and bank.min() >= 0
    peaks = bank.argmax(dim=1)
    assert torch.all(peaks[1:] >= peaks[:-1]) and peaks[-1] > peaks[0]
    centres = mel_to_hz(torch.linspace(float(hz_to_mel(torch.tensor(CFG.fmin))),
                                       float(hz_to_mel(torch.tensor(CFG.fmax))), CFG.n_mels + 2))[1:-1]
    assert torch.all((peaks * spacing - centres).abs() <= spacing)
    wide = (bank > 0).sum(dim=1) >= 8  # a triangle sampled by 8+ bins integrates to about 1
    area = bank.sum(dim=1) * spacing
    assert wide.sum() >= 32 and torch.allclose(area[wide], torch.ones(int(wide.sum()), dtype=torch.float64), atol=0.05)
    assert torch.all(bank[:, : int(CFG.fmin / spacing)] == 0)


def test_filterbank_matches_librosa_when_it_is_installed():
    librosa = pytest.importorskip("librosa")  # an oracle only: pip install --target /work/oracle librosa
    for cfg in (CFG, MelConfig(n_fft=2048, n_mels=64, fmin=0.0, fmax=7600.0)):
        ours = mel_filterbank(cfg).numpy()
        theirs = librosa.filters.mel(sr=cfg.sample_rate, n_fft=cfg.n_fft, n_mels=cfg.n_mels, fmin=cfg.fmin,
                                     fmax=cfg.fmax, htk=False, norm="slaney")
        assert np.allclose(ours, theirs, atol=1e-6, rtol=1e-4)


def test_log_mel_is_calibrated_and_floored():
    tone = _note(69)
    loud, soft = log_mel(tone), log_mel(tone * 0.1)
    audible = soft > math.log(CFG.log_floor) + 1
    assert audible.sum() > 100
    assert torch.allclose((loud - soft)[audible], torch.full((int(audible.sum()),), math.log(10.0)), atol=1e-3)
    assert log_mel(torch.zeros(RATE)).max() == pytest.approx(math.log(CFG.log_floor))
    assert loud.max() < math.log(CFG.log_ceiling)


@pytest.mark.parametrize("midi", [33, 45, 57, 69, 81, 93])  # A1 (55 Hz) .. A6 (1760 Hz)
def test_a_note_keeps_its_pitch_through_mel_and_griffin_lim(midi):
    rebuilt = mel_to_audio(log_mel(_note(midi)))
    assert rebuilt.shape == (RATE,) and rebuilt.abs().max() <= 1.0
    estimate = estimate_f0(rebuilt.numpy(), RATE)
    assert estimate.voiced and abs(cents_off(estimate.f0, midi)) < 25


def test_silence_stays_silent_and_a_quiet_note_stays_quiet():
    assert mel_to_audio(log_mel(torch.zeros(RATE)), iterations=4).abs().max() == 0
    quiet = _note(81, amplitude=0.005)  # a soft high note, -46 dB: the mel floor must not drown it in noise
    rebuilt = mel_to_audio(log_mel(quiet))
    assert 0.5 < float(rebuilt.square().mean().sqrt() / quiet.square().mean().sqrt()) < 1.5
    assert abs(cents_off(estimate_f0(rebuilt.numpy(), RATE).f0, 81)) < 25


def _inconsistency(wave: torch.Tensor, magnitude: torch.Tensor) -> float:
    """How far the waveform's STFT magnitude is from the target (spectral convergence)."""
    spec = torch.stft(wave, CFG.n_fft, CFG.hop, window=torch.hann_window(CFG.n_fft), return_complex=True)
    again = spec.abs()[:, : magnitude.shape[-1]] * (2.0 / (CFG.n_fft / 2))
    return float((again - magnitude).norm() / magnitude.norm())


def test_fast_griffin_lim_converges_faster_than_plain_griffin_lim():
    magnitude = mel_to_magnitude(log_mel(_note(57)))
    start = _inconsistency(griffin_lim(magnitude, iterations=0), magnitude)
    plain = _inconsistency(griffin_lim(magnitude, iterations=16, momentum=0.0), magnitude)
    fast = _inconsistency(griffin_lim(magnitude, iterations=16, momentum=0.99), magnitude)
    assert fast < plain < start


def test_griffin_lim_is_seeded():
    magnitude = mel_to_magnitude(log_mel(_note(64)))
    a, b = griffin_lim(magnitude, iterations=4, seed=3), griffin_lim(magnitude, iterations=4, seed=3)
    assert torch.equal(a, b) and not torch.equal(a, griffin_lim(magnitude, iterations=4, seed=4))


def test_non_negative_least_squares_fits_the_mel_better_than_the_clipped_pseudo_inverse():
    spec = log_mel(_note(40) + _note(76, amplitude=0.2))
    bank = mel_filterbank(CFG)
    target = torch.exp(spec)

    def residual(magnitude: torch.Tensor) -> float:
        return float((bank @ magnitude - target).norm() / target.norm())

    pinv, nnls = mel_to_magnitude(spec, iterations=0), mel_to_magnitude(spec)
    assert nnls.min() >= 0 and pinv.min() >= 0
    assert residual(nnls) < 0.5 * residual(pinv)


def test_normalisation_round_trips_and_clips_overshoot():
    spec = log_mel(_note(60))
    x = normalise_log_mel(spec)
    assert x.min() >= -1.0 and x.max() <= 1.0 and x.min() == pytest.approx(-1.0)
    assert torch.allclose(denormalise_log_mel(x), spec, atol=1e-5)
    ends = torch.tensor([math.log(CFG.log_floor), math.log(CFG.log_ceiling)])
    assert torch.allclose(normalise_log_mel(ends), torch.tensor([-1.0, 1.0]))
    assert torch.equal(denormalise_log_mel(torch.tensor([1.7, -3.0])), denormalise_log_mel(torch.tensor([1.0, -1.0])))


@pytest.mark.parametrize(
    "kwargs, message",
    [({"n_fft": 1000}, "power of two"), ({"hop": 0}, "hop"), ({"fmax": 9000.0}, "fmax"),
     ({"n_mels": 0}, "n_mels"), ({"log_floor": 0.0}, "log_floor"), ({"sample_rate": 0}, "sample_rate")],
)
def test_bad_configs_say_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MelConfig(**kwargs)
