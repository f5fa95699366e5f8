"""Reading the user's audio files into an ``AudioDataset`` with ``soundfile`` (libsndfile).

Any format libsndfile reads is accepted (WAV, FLAC, OGG Vorbis/Opus, AIFF, and
MP3 with libsndfile 1.1 or newer). Samples become float32 in [-1, 1]; channels
are kept as stored (mono clips are 1-D, others L x channels). Clips longer than
``MAX_SECONDS`` are cropped to their first 30 s, so one long recording cannot
fill the memory; clips shorter than ``MIN_SECONDS`` are skipped. NaN or
infinite samples (float files) become silence or full scale, and float samples
past full scale are clipped; a note says which clips were changed and how.
Mixing channels and resampling happen later, in the preprocess steps.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from playground.core.data.dataset import AudioDataset
from playground.core.data.file_scan import numbered, open_regular, read_each, shown_path
from playground.core.data.skipped import DAMAGED, TOO_SHORT, WRONG_CONTENT, FileProblem, SkippedFile, some_names
from playground.core.jobs import Job, JobControl

EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".au", ".caf", ".w64")
MAX_SECONDS = 30.0  # longer clips are cropped to this
# Shorter clips are skipped. 50 ms is about one or two frames of a spectrogram (25-64 ms
# windows) and the shortest length "Pad or crop" offers: a shorter clip padded to a usable
# length is almost all silence, which teaches a model nothing about the sound.
MIN_SECONDS = 0.05


@dataclass(frozen=True)
class Clip:
    """One decoded file: float32 samples in [-1, 1], L (mono) or L x channels, and what was changed."""

    path: Path
    samples: np.ndarray
    rate: int  # Hz
    cropped: bool  # longer than the limit: only its start was kept
    not_finite: int  # NaN or infinite samples, replaced (NaN by 0, infinity by +-1)
    past_full_scale: int  # samples beyond [-1, 1] in a float file, clipped


def read_clip(path: Path, max_seconds: float = MAX_SECONDS, min_seconds: float = MIN_SECONDS) -> Clip:
    """Decode one audio file.

    Returns:
        The ``Clip``; at most ``max_seconds`` of it (``cropped`` says whether
        the file was longer).

    Raises:
        FileProblem: (a ``ValueError``) the file cannot be used, or is shorter
            than ``min_seconds``; the message is the reason.
    """
    fh, _size = open_regular(path)  # opened here, not by libsndfile, so errors read the same for every type
    try:
        with fh, sf.SoundFile(fh) as snd:
            rate = int(snd.samplerate)
            keep = max(1, int(max_seconds * rate))
            data = snd.read(frames=keep + 1, dtype="float32", always_2d=True)
    except sf.LibsndfileError as exc:
        detail = (exc.error_string or str(exc)).rstrip(".")
        words, kind = _plain(detail)
        raise FileProblem(f"not readable as audio: {words}", kind) from None
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a bad file, never a crash
        raise FileProblem(f"damaged audio file ({exc or type(exc).__name__})", DAMAGED) from None
    if len(data) == 0:
        raise FileProblem("no audio in the file (0 samples)", DAMAGED)
    if len(data) < min_seconds * rate:
        raise FileProblem(f"too short: {len(data)} sample(s), {len(data) / rate * 1000:.3g} ms "
                          f"(under {min_seconds * 1000:g} ms is too short to learn from)", TOO_SHORT)
    cropped = len(data) > keep
    data = data[:keep]
    finite = np.isfinite(data)
    not_finite = int(data.size - np.count_nonzero(finite))
    if not_finite:
        np.nan_to_num(data, copy=False, nan=0.0, posinf=1.0, neginf=-1.0)
    past = int(np.count_nonzero(np.abs(data) > 1.0))
    if past:
        np.clip(data, -1.0, 1.0, out=data)  # float files may go past full scale
    samples = data[:, 0].copy() if data.shape[1] == 1 else np.ascontiguousarray(data)
    return Clip(path, samples, rate, cropped, not_finite, past)


_PLAIN = {
    "Format not recognised": ("the format is not recognised (not a sound file, or a damaged header)",
                              WRONG_CONTENT),
    "File contains data in an unknown format": ("the format is not recognised", WRONG_CONTENT),
    "Unspecified internal error": ("the file is damaged", DAMAGED),
    "Error in WAV file. No 'data' chunk marker": ("damaged WAV file (no data section)", DAMAGED),
}


def _plain(detail: str) -> tuple[str, str]:
    for key, (words, kind) in _PLAIN.items():
        if detail.startswith(key):
            return words, kind
    return detail[:1].lower() + detail[1:], DAMAGED


def audio_job(
    entries: Sequence[tuple[Path, str]],
    *,
    name: str,
    source: str = "",
    skipped: Sequence[SkippedFile] = (),
    max_seconds: float = MAX_SECONDS,
    root: str = "",
) -> Job:
    """A job reading ``entries`` (file, label name) into an ``AudioDataset``.

    Yields ``Progress`` (files done, files total) at most 20 times a second and
    checks for cancel between files. Returns the dataset, possibly empty; bad
    files are listed in its ``skipped`` after the ``skipped`` passed in, and
    notes say what was changed (cropped, non-finite samples replaced, samples
    past full scale clipped), naming files relative to ``root``.
    """

    def job(control: JobControl) -> Generator[Any, None, AudioDataset]:
        read = yield from read_each(entries, lambda path: read_clip(path, max_seconds), control, skipped,
                                    "reading audio", root)
        clips, label_of, left_out, warned = read
        notes = _notes(clips, max_seconds, root) + warned
        label_names, labels = numbered(label_of)
        return AudioDataset(
            name=name,
            clips=[clip.samples for clip in clips],
            sample_rates=np.array([clip.rate for clip in clips], dtype=np.int64),
            labels=np.array(labels, dtype=np.int64),
            label_names=label_names,
            source=source,
            skipped=left_out,
            notes=notes,
        )

    return job


def _notes(clips: list[Clip], max_seconds: float, root: str) -> list[str]:
    """One line per kind of change, naming a few of the clips it touched."""
    notes = []

    def names(chosen: list[Clip]) -> str:
        return some_names([shown_path(c.path, root) for c in chosen])

    cropped = [c for c in clips if c.cropped]
    if cropped:
        notes.append(f"{len(cropped)} clip(s) longer than {max_seconds:g} s were cropped to {max_seconds:g} s: "
                     f"{names(cropped)}")
    broken = [c for c in clips if c.not_finite]
    if broken:
        count = sum(c.not_finite for c in broken)
        notes.append(f"{len(broken)} clip(s) had {count:,} NaN or infinite sample(s), replaced by silence (NaN) "
                     f"or full scale (infinity): {names(broken)}")
    loud = [c for c in clips if c.past_full_scale]
    if loud:
        count = sum(c.past_full_scale for c in loud)
        notes.append(f"{len(loud)} clip(s) had {count:,} sample(s) past full scale, clipped to [-1, 1]: "
                     f"{names(loud)}")
    return notes
