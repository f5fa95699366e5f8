"""Measure pitch on the bundled instrument notes, before and after the mel + Griffin-Lim round trip; print JSON.

Usage::

    python scripts/note_fidelity.py                      # a third of the clips, seed 0
    python scripts/note_fidelity.py --share 1            # all 1,992 clips (several minutes)
    python scripts/note_fidelity.py --n-mels 64 --no-round-trip

Each clip's f0 comes from the YIN tracker (``playground.core.metrics.pitch``); a clip
"keeps its pitch" when that f0 is within 50 cents of the labelled MIDI note. The
round trip is ``log_mel`` then ``mel_to_audio`` (NNLS, fast Griffin-Lim) with the
given mel settings. Output keys:

    clips                      clips measured (a seeded random share of the set)
    load_s                     seconds to load the bundled set
    real_within_50c            share of real clips within 50 cents of their label
    real_within_50c_any_octave the same, ignoring whole-octave errors
    round_trip_within_50c      share of round-tripped clips within 50 cents of their label
    round_trip_matches_real    share whose round-trip f0 is within 50 cents of the real clip's f0
    mel_to_audio_s_per_clip    seconds per 2 s clip, batches of 16, one torch thread
    yin_s_per_clip             seconds per 2 s clip
    per_instrument             {name: [real share, round-trip share]}
    real_misses                "instrument note (cents)" of each real clip that misses
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground.core.data.bundled import load_bundled  # noqa: E402
from playground.core.metrics.pitch import cents_off, estimate_f0, note_name  # noqa: E402
from playground.core.preprocess.mel import MelConfig, log_mel, mel_to_audio, pool_frames, unpool_frames  # noqa: E402


def _cents(clips: np.ndarray, rate: int, midi: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Cents from the label and f0 (nan when unvoiced) of each clip, and seconds per clip."""
    start = time.perf_counter()
    f0 = np.array([(e.f0 if e.voiced else np.nan) for e in (estimate_f0(c, rate) for c in clips)])
    seconds = (time.perf_counter() - start) / len(clips)
    cents = np.array([cents_off(f, int(m)) if np.isfinite(f) else np.nan for f, m in zip(f0, midi, strict=True)])
    return cents, f0, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--share", type=float, default=1 / 3, help="share of the clips to measure (0-1]")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-mels", type=int, default=MelConfig.n_mels)
    parser.add_argument("--pool", type=int, default=1, help="average this many frames (as a sound model draws them), "
                                                             "then interpolate back before Griffin-Lim")
    parser.add_argument("--n-fft", type=int, default=MelConfig.n_fft)
    parser.add_argument("--iterations", type=int, default=32, help="Griffin-Lim iterations")
    parser.add_argument("--nnls", type=int, default=50, help="NNLS steps from mel to magnitude (0: pseudo-inverse)")
    parser.add_argument("--no-round-trip", action="store_true", help="measure the real clips only")
    args = parser.parse_args(argv)
    if not 0 < args.share <= 1:
        parser.error("--share must be in (0, 1]")
    torch.set_num_threads(1)
    start = time.perf_counter()
    data = load_bundled("instrument-notes")
    load_s = time.perf_counter() - start
    assert data.pitches is not None
    rng = np.random.default_rng(args.seed)
    pick = np.sort(rng.choice(len(data), max(1, round(args.share * len(data))), replace=False))
    clips, midi, labels = np.stack([data.clips[i] for i in pick]), data.pitches[pick], data.labels[pick]
    rate = int(data.sample_rates[0])
    real, real_f0, yin_s = _cents(clips, rate, midi)
    out: dict = {"clips": len(pick), "load_s": round(load_s, 2)}
    out["real_within_50c"] = round(float(np.mean(np.abs(real) < 50)), 4)
    out["real_within_50c_any_octave"] = round(float(np.mean(np.abs((real + 600) % 1200 - 600) < 50)), 4)
    per = {name: [round(float(np.mean(np.abs(real[labels == k]) < 50)), 3)] for k, name in enumerate(data.label_names)}
    if not args.no_round_trip:
        config = MelConfig(n_mels=args.n_mels, n_fft=args.n_fft)
        rebuilt, spent = [], 0.0
        for b in range(0, len(clips), 16):
            spec = log_mel(torch.from_numpy(clips[b : b + 16]), config)
            spec = unpool_frames(pool_frames(spec, args.pool), args.pool, spec.shape[-1])
            t0 = time.perf_counter()
            wave = mel_to_audio(spec, config, iterations=args.iterations, nnls_iterations=args.nnls)
            spent += time.perf_counter() - t0
            rebuilt.append(wave.numpy())
        trip, trip_f0, _ = _cents(np.concatenate(rebuilt), rate, midi)
        out["round_trip_within_50c"] = round(float(np.mean(np.abs(trip) < 50)), 4)
        both = np.isfinite(real_f0) & np.isfinite(trip_f0)
        apart = np.abs(1200 * np.log2(trip_f0[both] / real_f0[both]))  # cents between real and round trip
        out["round_trip_matches_real"] = round(float(np.mean(apart < 50)), 4)
        out["mel_to_audio_s_per_clip"] = round(spent / len(clips), 4)
        out["mel"] = {"n_mels": config.n_mels, "n_fft": config.n_fft, "hop": config.hop, "pool": args.pool,
                      "frames": config.frames(clips.shape[1]), "iterations": args.iterations, "nnls": args.nnls}
        for k, name in enumerate(data.label_names):
            per[name].append(round(float(np.mean(np.abs(trip[labels == k]) < 50)), 3))
    out["yin_s_per_clip"] = round(yin_s, 4)
    out["per_instrument"] = per
    misses = [f"{data.label_names[k]} {note_name(int(m))} ({f'{c:+.0f} c' if np.isfinite(c) else 'unvoiced'})"
              for k, m, c in zip(labels, midi, real, strict=True) if not abs(c) < 50]
    out["real_misses"] = sorted(set(misses))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
