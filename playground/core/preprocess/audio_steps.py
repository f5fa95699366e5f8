"""Audio steps on float32 clips in [-1, 1]: L samples (mono) or L x channels."""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from playground.core.preprocess.report import StepReport
from playground.core.preprocess.steps import Param, RunContext, Step, StepRun, register

CHUNK = 64  # clips between progress reports


@dataclass(frozen=True)
class AudioState:
    """Clips part-way through a pipeline."""

    clips: list[np.ndarray]  # float32, L or L x channels
    rates: np.ndarray  # int64 N, Hz
    labels: np.ndarray
    index: np.ndarray  # original dataset index of each clip

    def __len__(self) -> int:
        return len(self.clips)

    def select(self, keep: np.ndarray) -> AudioState:
        where = np.flatnonzero(keep)
        return dataclasses.replace(self, clips=[self.clips[i] for i in where], rates=self.rates[where],
                                   labels=self.labels[where], index=self.index[where])


class AudioMapStep(Step):
    """A step that turns each clip into one new clip (``map_clip``)."""

    kind: ClassVar[str] = "map"

    def map_clip(self, clip: np.ndarray, rate: int) -> tuple[np.ndarray, int]:
        raise NotImplementedError

    def run(self, state: AudioState, ctx: RunContext) -> StepRun:
        report = StepReport(self.name, self.title)
        clips: list[np.ndarray] = []
        rates = np.empty(len(state), dtype=np.int64)
        for i, (clip, rate) in enumerate(zip(state.clips, state.rates)):
            new, new_rate = self.map_clip(clip, int(rate))
            if new is not clip or new_rate != rate:
                report.changed += 1
            clips.append(new)
            rates[i] = new_rate
            if i % CHUNK == CHUNK - 1:
                yield i + 1, len(state)
        return dataclasses.replace(state, clips=clips, rates=rates), report


def _clips(n: int) -> str:
    return "clip" if n == 1 else "clips"


def _joined(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def resample(clip: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Band-limited resampling through the FFT (as scipy.signal.resample).

    Dropping the bins above the new Nyquist frequency is the anti-alias filter.
    Silence padded on both sides keeps the FFT from wrapping the end of the
    clip round to its start.
    """
    if rate == target or len(clip) == 0:
        return clip
    n = len(clip)
    pad = max(64, n // 16)
    padded = np.pad(clip.astype(np.float64), ((pad, pad),) + ((0, 0),) * (clip.ndim - 1))
    n_total = int(round(len(padded) * target / rate))
    spectrum = np.fft.rfft(padded, axis=0)
    keep = n_total // 2 + 1
    if spectrum.shape[0] > keep:
        spectrum = spectrum[:keep]
    out = np.fft.irfft(spectrum, n=n_total, axis=0) * (n_total / len(padded))
    start = int(round(pad * target / rate))
    n_out = max(1, int(round(n * target / rate)))
    return np.clip(out[start:start + n_out], -1.0, 1.0).astype(np.float32)


@register
class Mono(AudioMapStep):
    name = "mono"
    title = "Mix to mono"
    modalities = ("audio",)
    help = "Average the channels into one."

    def map_clip(self, clip: np.ndarray, rate: int) -> tuple[np.ndarray, int]:
        if clip.ndim == 1:
            return clip, rate
        return clip.mean(axis=1, dtype=np.float32), rate

    def run(self, state: AudioState, ctx: RunContext) -> StepRun:
        new_state, report = yield from super().run(state, ctx)
        channels = Counter(c.shape[1] for c in state.clips if c.ndim == 2)
        if channels:
            parts = [f"{n} {_clips(n)} with {ch} channels" for ch, n in sorted(channels.items(), reverse=True)]
            report.notes.append(f"{_joined(parts)} mixed down to mono")
        return new_state, report


@register
class Resample(AudioMapStep):
    name = "resample"
    title = "Resample"
    modalities = ("audio",)
    help = ("Change the number of samples per second. 16 kHz keeps speech and most notes; "
            "8 kHz is telephone quality but half the data.")
    params = (Param("rate", "choice", 16000, "Rate (Hz)", "Samples per second.", choices=(8000, 16000)),)

    def map_clip(self, clip: np.ndarray, rate: int) -> tuple[np.ndarray, int]:
        return resample(clip, rate, self["rate"]), self["rate"]

    def run(self, state: AudioState, ctx: RunContext) -> StepRun:
        new_state, report = yield from super().run(state, ctx)
        target = self["rate"]
        rates = Counter(int(r) for r in state.rates if int(r) != target)
        for rate, n in sorted(rates.items(), reverse=True):
            lower = " (upsampling adds no detail above the old rate's limit)" if rate < target else ""
            report.notes.append(f"{n} {_clips(n)} resampled from {rate} Hz to {target} Hz{lower}")
        return new_state, report


@register
class NormaliseAudio(AudioMapStep):
    name = "normalise"
    title = "Normalise loudness"
    modalities = ("audio",)
    help = ("Make clips equally loud: 'peak' scales the loudest sample to the peak level, 'rms' "
            "scales the average power to the RMS level (samples past full scale are clipped).")
    params = (
        Param("mode", "choice", "peak", "Mode", "peak or rms.", choices=("peak", "rms")),
        Param("peak_db", "float", -1.0, "Peak level (dB)", "Loudest sample, dB below full scale.",
              low=-40.0, high=0.0, increment=0.5),
        Param("rms_db", "float", -20.0, "RMS level (dB)", "Average level, dB below full scale.",
              low=-60.0, high=-3.0, increment=0.5),
    )

    def map_clip(self, clip: np.ndarray, rate: int) -> tuple[np.ndarray, int]:
        if self["mode"] == "peak":
            level = float(np.abs(clip).max()) if clip.size else 0.0
            target = 10 ** (self["peak_db"] / 20)
        else:
            level = float(np.sqrt(np.mean(np.square(clip, dtype=np.float64)))) if clip.size else 0.0
            target = 10 ** (self["rms_db"] / 20)
        if level < 1e-8:  # silence stays silence
            return clip, rate
        return np.clip(clip * np.float32(target / level), -1.0, 1.0).astype(np.float32), rate


@register
class TrimSilence(AudioMapStep):
    name = "trim_silence"
    title = "Trim silence"
    modalities = ("audio",)
    help = "Cut quiet audio at the start and end: samples below the threshold."
    params = (
        Param("threshold_db", "float", -40.0, "Threshold (dB)", "Quieter than this counts as silence.",
              low=-80.0, high=-6.0, increment=1.0),
        Param("keep_ms", "float", 10.0, "Margin (ms)", "Audio kept either side of the sound.",
              low=0.0, high=500.0, increment=5.0),
    )

    def map_clip(self, clip: np.ndarray, rate: int) -> tuple[np.ndarray, int]:
        level = np.abs(clip) if clip.ndim == 1 else np.abs(clip).max(axis=1)
        loud = np.flatnonzero(level >= 10 ** (self["threshold_db"] / 20))
        if len(loud) == 0:
            return clip, rate
        margin = int(round(self["keep_ms"] * rate / 1000))
        start, end = max(0, loud[0] - margin), min(len(clip), loud[-1] + 1 + margin)
        if start == 0 and end == len(clip):
            return clip, rate
        return clip[start:end].copy(), rate


@register
class PadOrCrop(AudioMapStep):
    name = "pad_crop"
    title = "Pad or crop"
    modalities = ("audio",)
    help = "Give every clip the same length: longer clips are cut, shorter ones padded with silence."
    params = (
        Param("seconds", "float", 1.0, "Length (s)", "Length of every clip.", low=0.05, high=30.0, increment=0.05),
        Param("align", "choice", "start", "Keep", "Which part of a long clip to keep (and where "
              "a short one sits).", choices=("start", "centre")),
    )

    def map_clip(self, clip: np.ndarray, rate: int) -> tuple[np.ndarray, int]:
        length = max(1, int(round(self["seconds"] * rate)))
        n = len(clip)
        if n == length:
            return clip, rate
        offset = 0 if self["align"] == "start" else abs(n - length) // 2
        if n > length:
            return clip[offset:offset + length].copy(), rate
        out = np.zeros((length,) + clip.shape[1:], dtype=np.float32)
        out[offset:offset + n] = clip
        return out, rate


@register
class AugmentAudio(Step):
    name = "augment"
    title = "Augment"
    modalities = ("audio",)
    kind = "augment"
    help = ("Random gain, background noise and time shift, seeded per clip (seed, clip index, copy) "
            "so Prepare is repeatable; 'copies' enlarges the set.")
    params = (
        Param("gain_db", "float", 3.0, "Gain (dB)", "Largest change of loudness either way.",
              low=0.0, high=12.0, increment=0.5),
        Param("noise", "float", 0.0, "Noise", "Standard deviation of added white noise.",
              low=0.0, high=0.1, increment=0.001),
        Param("shift_ms", "float", 0.0, "Shift (ms)", "Largest move earlier or later (gap filled "
              "with silence).", low=0.0, high=500.0, increment=5.0),
        Param("copies", "int", 1, "Copies", "Augmented copies of each clip.", low=1, high=10),
        Param("seed", "int", 0, "Seed", "Makes the random changes repeatable.", low=0, high=2**31 - 1),
    )

    def augment_clip(self, clip: np.ndarray, rate: int, rng: np.random.Generator) -> np.ndarray:
        gain = 10 ** (rng.uniform(-1, 1) * self["gain_db"] / 20)
        out = clip.astype(np.float32) * np.float32(gain)
        shift = int(round(rng.uniform(-1, 1) * self["shift_ms"] * rate / 1000))
        if shift:
            moved = np.zeros_like(out)
            if shift > 0:
                moved[shift:] = out[:-shift]
            else:
                moved[:shift] = out[-shift:]
            out = moved
        if self["noise"]:
            out = out + rng.normal(0.0, self["noise"], size=out.shape).astype(np.float32)
        return np.clip(out, -1.0, 1.0).astype(np.float32)

    def run(self, state: AudioState, ctx: RunContext) -> StepRun:
        copies = 1 if ctx.preview else self["copies"]
        clips: list[np.ndarray] = []
        for i, (clip, rate, original) in enumerate(zip(state.clips, state.rates, state.index)):
            for copy in range(copies):
                rng = np.random.default_rng([self["seed"], int(original), copy])
                clips.append(self.augment_clip(clip, int(rate), rng))
            if i % CHUNK == CHUNK - 1:
                yield i + 1, len(state)
        report = StepReport(self.name, self.title, changed=len(clips))
        if copies > 1:
            report.notes.append(f"{copies} augmented copies of each clip ({len(clips)} clips)")
        new = dataclasses.replace(state, clips=clips, rates=np.repeat(state.rates, copies),
                                  labels=np.repeat(state.labels, copies), index=np.repeat(state.index, copies))
        return new, report


def finish_audio(state: AudioState) -> tuple[np.ndarray, int]:
    """Stack clips: float32 N x L at one rate; ValueError when they still differ."""
    if not state.clips:
        raise ValueError("no clips left to prepare")
    if any(c.ndim != 1 for c in state.clips):
        raise ValueError("some clips have several channels; add a 'Mix to mono' step")
    rates = {int(r) for r in state.rates}
    if len(rates) > 1:
        raise ValueError(f"clips have different sample rates ({', '.join(map(str, sorted(rates)))} Hz); "
                         "add a Resample step")
    if len({len(c) for c in state.clips}) > 1:
        raise ValueError("clips have different lengths; add a 'Pad or crop' step")
    return np.stack(state.clips).astype(np.float32), rates.pop()
