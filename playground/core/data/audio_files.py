"""Reading the user's audio files into an ``AudioDataset`` with ``soundfile`` (libsndfile).

Any format libsndfile reads is accepted (WAV, FLAC, OGG Vorbis/Opus, AIFF, and
MP3 with libsndfile 1.1 or newer). Samples become float32 in [-1, 1]; channels
are kept as stored (mono clips are 1-D, others L x channels). Clips longer than
``MAX_SECONDS`` are cropped to their first 30 s, so one long recording cannot
fill the memory; a note says how many were cropped.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from playground.core.data.file_scan import numbered, read_each
from playground.core.data.dataset import AudioDataset, SkippedFile
from playground.core.jobs import Job, JobControl

EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".au", ".caf", ".w64")
MAX_SECONDS = 30.0  # longer clips are cropped to this


def read_clip(path: Path, max_seconds: float = MAX_SECONDS) -> tuple[np.ndarray, int, bool]:
    """Decode one audio file.

    Returns:
        ``(clip, sample_rate, cropped)``: clip is float32 in [-1, 1], L (mono)
        or L x channels; ``cropped`` is True when the file was longer than
        ``max_seconds``.

    Raises:
        ValueError: the file cannot be used; the message is the reason.
    """
    try:
        size = path.stat().st_size
    except PermissionError:
        raise ValueError("permission denied") from None
    except OSError as exc:
        raise ValueError(f"cannot read the file ({exc.strerror or exc})") from None
    if size == 0:
        raise ValueError("empty file (0 bytes)")
    try:
        # Opened here, not by libsndfile, so "permission denied" reads the same for every type.
        with open(path, "rb") as fh, sf.SoundFile(fh) as snd:
            rate = int(snd.samplerate)
            keep = max(1, int(max_seconds * rate))
            data = snd.read(frames=keep + 1, dtype="float32", always_2d=True)
    except PermissionError:
        raise ValueError("permission denied") from None
    except sf.LibsndfileError as exc:
        detail = (exc.error_string or str(exc)).rstrip(".")
        raise ValueError(f"not readable as audio: {_plain(detail)}") from None
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a bad file, never a crash
        raise ValueError(f"damaged audio file ({exc or type(exc).__name__})") from None
    if len(data) == 0:
        raise ValueError("no audio in the file (0 samples)")
    cropped = len(data) > keep
    data = data[:keep]
    np.nan_to_num(data, copy=False, nan=0.0, posinf=1.0, neginf=-1.0)
    np.clip(data, -1.0, 1.0, out=data)  # float files may go past full scale
    clip = data[:, 0].copy() if data.shape[1] == 1 else np.ascontiguousarray(data)
    return clip, rate, cropped


_PLAIN = {
    "Format not recognised": "the format is not recognised (not a sound file, or a damaged header)",
    "File contains data in an unknown format": "the format is not recognised",
    "Unspecified internal error": "the file is damaged",
    "Error in WAV file. No 'data' chunk marker": "damaged WAV file (no data section)",
}


def _plain(detail: str) -> str:
    for key, words in _PLAIN.items():
        if detail.startswith(key):
            return words
    return detail[:1].lower() + detail[1:]


def audio_job(
    entries: Sequence[tuple[Path, str]],
    *,
    name: str,
    source: str = "",
    skipped: Sequence[SkippedFile] = (),
    max_seconds: float = MAX_SECONDS,
) -> Job:
    """A job reading ``entries`` (file, label name) into an ``AudioDataset``.

    Yields ``Progress`` (files done, files total) at most 20 times a second and
    checks for cancel between files. Returns the dataset, possibly empty; bad
    files are listed in its ``skipped`` after the ``skipped`` passed in.
    """

    def job(control: JobControl) -> Generator[Any, None, AudioDataset]:
        read = yield from read_each(entries, lambda path: read_clip(path, max_seconds), control, skipped, "reading audio")
        results, label_of, left_out = read
        cropped = sum(was_cropped for _clip, _rate, was_cropped in results)
        notes = []
        if cropped:
            notes.append(f"{cropped} clip(s) longer than {max_seconds:g} s were cropped to {max_seconds:g} s")
        label_names, labels = numbered(label_of)
        return AudioDataset(
            name=name,
            clips=[clip for clip, _rate, _cropped in results],
            sample_rates=np.array([rate for _clip, rate, _cropped in results], dtype=np.int64),
            labels=np.array(labels, dtype=np.int64),
            label_names=label_names,
            source=source,
            skipped=left_out,
            notes=notes,
        )

    return job
