"""Note names, MIDI <-> Hz, and the YIN pitch tracker on synthetic tones."""

from __future__ import annotations

import numpy as np
import pytest

from playground.core.metrics.pitch import (
    YinConfig,
    cents_off,
    estimate_f0,
    hz_to_midi,
    midi_to_hz,
    note_name,
    parse_note,
)

RATE = 16000


def _tone(midi: float, seconds: float = 1.0, harmonics=(1.0, 0.5, 0.3, 0.2), amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    f0 = float(midi_to_hz(midi))
    wave = sum(a * np.sin(2 * np.pi * k * f0 * t + k) for k, a in enumerate(harmonics, 1) if k * f0 < RATE / 2)
    return amplitude * wave / np.abs(wave).max()


def test_note_names_follow_scientific_pitch_notation():
    assert note_name(60) == "C4" and note_name(61) == "C#4" and note_name(69) == "A4"
    assert note_name(0) == "C-1" and note_name(127) == "G9" and note_name(28) == "E1"
    assert all(parse_note(note_name(m)) == m for m in range(128))


@pytest.mark.parametrize(
    "text, midi",
    [("A4", 69), ("a4", 69), ("C#4", 61), ("Db4", 61), ("D♭4", 61), ("C♯4", 61), ("Bb3", 58),
     ("bb3", 58), ("Cb4", 59), ("B#3", 60), ("E#4", 65), ("C-1", 0), ("G9", 127), (" A4 ", 69)],
)
def test_parse_note_reads_sharps_flats_and_octaves(text, midi):
    assert parse_note(text) == midi


@pytest.mark.parametrize("text", ["H4", "A", "4", "A10", "A#", "A##4", "Ab-2", "", "A4x", "middle C"])
def test_bad_note_names_say_how_to_write_one(text):
    with pytest.raises(ValueError, match="not a note name; write a letter A-G"):
        parse_note(text)


@pytest.mark.parametrize("text", ["G#9", "Cb-1", "B9"])
def test_notes_outside_midi_are_refused(text):
    with pytest.raises(ValueError, match="outside the MIDI range C-1 to G9"):
        parse_note(text)
    with pytest.raises(ValueError, match="outside 0-127"):
        note_name(128)


def test_midi_and_hz_convert_both_ways():
    assert midi_to_hz(69) == 440.0 and midi_to_hz(81) == pytest.approx(880.0)
    assert midi_to_hz(60) == pytest.approx(261.6256, abs=1e-4)
    assert hz_to_midi(440.0) == 69.0 and hz_to_midi(27.5) == pytest.approx(21.0)
    notes = np.arange(0, 128, dtype=np.float64)
    assert np.allclose(hz_to_midi(midi_to_hz(notes)), notes)
    assert cents_off(446.0, 69) == pytest.approx(23.45, abs=0.01)
    with pytest.raises(ValueError, match="above 0 Hz"):
        hz_to_midi(0.0)


@pytest.mark.parametrize("midi", range(28, 101, 4))  # E1 (41 Hz) .. E7 (2637 Hz): the bundled range
def test_yin_finds_harmonic_tones_within_a_cent(midi):
    offset = 0.3 * (midi % 3 - 1)  # off the equal-tempered grid, so no lag lands on a sample by luck
    estimate = estimate_f0(_tone(midi + offset), RATE)
    assert estimate.voiced and estimate.voiced_share > 0.9
    assert abs(cents_off(estimate.f0, midi) - 100 * offset) < 1.0


@pytest.mark.parametrize("midi", [40, 57, 84])
def test_yin_hears_a_missing_fundamental(midi):
    estimate = estimate_f0(_tone(midi, harmonics=(0.0, 1.0, 0.8, 0.6, 0.4)), RATE)
    assert abs(cents_off(estimate.f0, midi)) < 2.0


def test_the_loud_body_of_a_note_outvotes_its_quiet_tail():
    # A plucked string loses its odd harmonics first: a short loud body at A2, then a long
    # quiet tail of even harmonics only, which on its own reads as A3.
    body = _tone(45, 0.5, harmonics=(1.0, 0.8, 0.5), amplitude=0.8)
    tail = _tone(45, 1.5, harmonics=(0.0, 1.0, 0.0, 0.3), amplitude=0.08)
    assert abs(cents_off(estimate_f0(tail, RATE).f0, 57)) < 5  # the tail alone: an octave up
    assert abs(cents_off(estimate_f0(np.concatenate([body, tail]), RATE).f0, 45)) < 5


def test_noise_and_silence_are_unvoiced():
    noise = np.random.default_rng(0).standard_normal(RATE) * 0.3
    assert not estimate_f0(noise, RATE).voiced
    silent = estimate_f0(np.zeros(RATE), RATE)
    assert not silent.voiced and np.isnan(silent.f0) and silent.voiced_share == 0.0


def test_stereo_is_averaged_and_bad_input_is_refused():
    tone = _tone(69)
    assert estimate_f0(np.stack([tone, tone], axis=1), RATE).f0 == pytest.approx(estimate_f0(tone, RATE).f0)
    with pytest.raises(ValueError, match="non-empty mono clip"):
        estimate_f0(np.zeros(0), RATE)
    with pytest.raises(ValueError, match="fmin < fmax"):
        YinConfig(fmin=500.0, fmax=100.0)
    with pytest.raises(ValueError, match="threshold"):
        YinConfig(threshold=0.5, voiced_max=0.2)
