"""Musical notes: names in scientific pitch notation, and MIDI numbers <-> frequencies.

C4 is middle C (MIDI 60, 261.63 Hz), A4 is 440 Hz (MIDI 69), sharps are
written ``C#4``; names parse with sharps or flats (``Db4``, ``D♭4``), octaves
-1 to 9 (MIDI 0-127). Captions, the pitch tracker and the app all name notes here.
"""

from __future__ import annotations

import re

import numpy as np

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_STEPS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_NOTE = re.compile(r"^([A-Ga-g])(#|♯|b|♭)?(-1|[0-9])$")
_HOW = "write a letter A-G, an optional # or b, and an octave from -1 to 9, like A4, C#3 or Bb2"


def midi_to_hz(midi: float | np.ndarray) -> float | np.ndarray:
    """Equal-tempered frequency of a (possibly fractional) MIDI note; A4 = 69 = 440 Hz."""
    hz = 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69.0) / 12.0)
    return hz if hz.ndim else float(hz)


def hz_to_midi(hz: float | np.ndarray) -> float | np.ndarray:
    """Fractional MIDI note of a frequency in Hz (> 0); 261.63 Hz -> 60.0."""
    f = np.asarray(hz, dtype=np.float64)
    if not np.all(f > 0):
        raise ValueError(f"a frequency must be above 0 Hz, got {hz}")
    midi = 69.0 + 12.0 * np.log2(f / 440.0)
    return midi if midi.ndim else float(midi)


def cents_off(hz: float, midi: int) -> float:
    """How far ``hz`` is from note ``midi``, in cents (100 per semitone; + is sharp)."""
    return 100.0 * (float(hz_to_midi(hz)) - midi)


def note_name(midi: int) -> str:
    """MIDI note 0-127 as a name: 60 -> "C4", 61 -> "C#4", 0 -> "C-1"."""
    midi = int(midi)
    if not 0 <= midi <= 127:
        raise ValueError(f"MIDI note {midi} is outside 0-127 (C-1 to G9)")
    return f"{NOTE_NAMES[midi % 12]}{midi // 12 - 1}"


def parse_note(text: str) -> int:
    """A note name as a MIDI number: "A4" -> 69, "C#4"/"Db4" -> 61, "C-1" -> 0.

    Raises:
        ValueError: not a note name, or outside MIDI 0-127 (C-1 to G9); the message
            says how to write one.
    """
    match = _NOTE.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a note name; {_HOW}")
    letter, accidental, octave = match.groups()
    shift = {"#": 1, "♯": 1, "b": -1, "♭": -1}.get(accidental or "", 0)
    midi = (int(octave) + 1) * 12 + _STEPS[letter.upper()] + shift
    if not 0 <= midi <= 127:
        raise ValueError(f"{text!r} is outside the MIDI range C-1 to G9 (0-127)")
    return midi


# YIN ---------------------------------------------------------------------------
