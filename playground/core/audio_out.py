"""Audio playback through PortAudio (sounddevice), with plain messages when there is none."""

from __future__ import annotations

import numpy as np


class AudioUnavailable(RuntimeError):
    """No PortAudio library or no output device: the message says which."""


def _sounddevice():
    try:
        import sounddevice
    except OSError as exc:  # the PortAudio shared library is missing
        raise AudioUnavailable(f"Sound is unavailable: PortAudio is not installed ({exc}).") from exc
    return sounddevice


def output_device_name() -> str:
    """The default output device's name; raises ``AudioUnavailable`` if none."""
    sd = _sounddevice()
    try:
        info = sd.query_devices(kind="output")
    except Exception as exc:  # PortAudioError, ValueError: no default output device
        raise AudioUnavailable("Sound is unavailable: no audio output device was found.") from exc
    return str(info["name"])


def play(clip: np.ndarray, sample_rate: int) -> float:
    """Start playing ``clip`` (float32 in [-1, 1], L or L x ch) and return its length in s.

    Returns at once; playback continues in PortAudio's own thread. A second
    call stops the first clip.
    """
    sd = _sounddevice()
    data = np.clip(np.asarray(clip, dtype=np.float32), -1.0, 1.0)
    try:
        sd.stop()
        sd.play(data, int(sample_rate))
    except Exception as exc:  # PortAudioError when no device can be opened
        raise AudioUnavailable(f"Sound is unavailable: {exc}") from exc
    return len(data) / float(sample_rate)


def stop() -> None:
    try:
        _sounddevice().stop()
    except Exception:  # nothing is playing, or there is no sound at all
        pass
