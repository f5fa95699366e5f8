"""Captions of the bundled instrument notes, and a parser for prompts written like them.

A caption names an instrument and a note in scientific pitch notation, sometimes a
loudness: "a flute playing A4", "cello, C3, soft", "A4 on a flute". ``caption_for``
writes them (the asset build uses it); ``parse_caption`` reads a prompt back into
(instrument, MIDI note, loudness) and lists what it could not use, so the keyboard
strip and the evaluation can say exactly what is wrong with a prompt. The model
reads only ``caption_midi``: the one note a caption names, which a sound model
also sees drawn as a tone (``playground.core.models.diffusion_net``); the
instrument and the loudness it learns from the caption's words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from playground.core.data.notes import note_name, parse_note

# The 16 instruments of the bundled set, in label order.
BUNDLED_INSTRUMENTS = (
    "piano", "vibraphone", "organ", "accordion", "guitar", "bass", "violin", "cello",
    "harp", "trumpet", "trombone", "french horn", "saxophone", "oboe", "clarinet", "flute",
)
# Other names a prompt may use for them.
ALIASES = {
    "grand piano": "piano", "vibes": "vibraphone", "church organ": "organ", "acoustic guitar": "guitar",
    "bass guitar": "bass", "electric bass": "bass", "horn": "french horn", "sax": "saxophone",
    "alto sax": "saxophone", "alto saxophone": "saxophone",
}
# MIDI velocity rendered for each loudness word: near the p (49), mf (80) and fff (127)
# velocities of common notation software; a velocity maps back to the nearest word.
LOUDNESS_VELOCITY = {"soft": 40, "medium": 80, "loud": 120}
_LOUDNESS_WORDS = {
    "soft": "soft", "softly": "soft", "quiet": "soft", "quietly": "soft",
    "medium": "medium", "moderate": "medium", "moderately": "medium",
    "loud": "loud", "loudly": "loud", "strong": "loud", "strongly": "loud",
}
_ADVERB = {"soft": "softly", "medium": "moderately", "loud": "loudly"}
_FILLER = frozenset("a an the on of at in with by is playing plays played play note tone sound sounding".split())
# Caption phrasings; loudness is named in four of the seven. Seven is prime to the three
# loudnesses, so cycling through them gives every loudness every phrasing.
TEMPLATES = (
    "{a} {instrument} playing {note}",
    "{instrument}, {note}, {loudness}",
    "{note} on {a} {instrument}",
    "a {loudness} {note} on the {instrument}",
    "{instrument} playing {note}, {loudness}",
    "the {instrument} plays {note} {adverb}",
    "{instrument} note {note}",
)


def loudness_for_velocity(velocity: int) -> str:
    """The loudness word of a MIDI velocity 1-127: below 60 soft, below 100 medium, else loud."""
    if not 1 <= int(velocity) <= 127:
        raise ValueError(f"a MIDI velocity is 1-127, got {velocity}")
    return "soft" if velocity < 60 else "medium" if velocity < 100 else "loud"


def caption_for(instrument: str, midi: int, velocity: int, variant: int = 0) -> str:
    """A caption naming the instrument and note: ("flute", 69, 120, 1) -> "flute, A4, loud".

    ``variant`` picks one of ``TEMPLATES`` (taken modulo their number).
    """
    if not instrument.strip():
        raise ValueError("a caption needs an instrument name")
    loudness = loudness_for_velocity(velocity)
    article = "an" if instrument[0].lower() in "aeiou" else "a"
    return TEMPLATES[variant % len(TEMPLATES)].format(
        a=article, instrument=instrument, note=note_name(midi), loudness=loudness, adverb=_ADVERB[loudness])


@dataclass(frozen=True)
class NotePrompt:
    """What a prompt asks for; ``problems`` says, in words, what is missing or not understood."""

    instrument: str | None  # one of the instrument names given to the parser
    midi: int | None  # MIDI note 0-127
    loudness: str | None  # "soft" | "medium" | "loud", or None when the prompt names none
    unknown: tuple[str, ...]  # words the parser could not place
    problems: tuple[str, ...]  # one sentence each; empty when the prompt is usable

    @property
    def ok(self) -> bool:
        return not self.problems

    def message(self) -> str:
        """All problems on one line ("" when there are none)."""
        return "; ".join(self.problems)


def _words(text: str) -> list[str]:
    """A prompt's words, split at spaces and punctuation other than a note's sharp ("C#4")."""
    return [w for w in re.split(r"[\s,;:.!?()\"]+", text.strip()) if w]


def caption_midi(text: str) -> int | None:
    """The one note a caption names, as a MIDI number ("a flute playing A4" -> 69); None for none or several.

    Unlike ``parse_caption`` it needs no instrument: any caption ("a dog barking",
    "wind chimes, C5") is read, and only its note name is taken.
    """
    notes = set()
    for word in _words(text):
        try:
            notes.add(parse_note(word))
        except ValueError:
            pass
    return notes.pop() if len(notes) == 1 else None


def _phrases(instruments: Sequence[str]) -> dict[tuple[str, ...], str]:
    names = {name.lower(): name for name in instruments}
    table = {tuple(key.split()): name for key, name in names.items()}
    for alias, name in ALIASES.items():
        if name in instruments and alias not in names:
            table[tuple(alias.split())] = name
    return table


def parse_caption(text: str, instruments: Sequence[str] = BUNDLED_INSTRUMENTS) -> NotePrompt:
    """Read "a flute playing A4" or "cello, C3, soft" into instrument, note and loudness.

    Case is ignored; notes may use sharps or flats ("C#3", "Db3"); articles and words
    like "playing", "on", "note" are skipped; ``ALIASES`` ("sax", "horn") name
    instruments too. Never raises on text: anything wrong is in ``problems``.
    """
    words = _words(text)
    phrases = _phrases(instruments)
    longest = max((len(p) for p in phrases), default=1)
    found_instruments: list[str] = []
    notes: list[str] = []
    loudness: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            name = phrases.get(tuple(w.lower() for w in words[i : i + size]))
            if name is not None:
                found_instruments.append(name)
                i += size
                break
        else:
            word, lower = words[i], words[i].lower()
            if lower in _LOUDNESS_WORDS:
                loudness.append(_LOUDNESS_WORDS[lower])
            elif lower not in _FILLER:
                try:
                    notes.append(note_name(parse_note(word)))
                except ValueError:
                    unknown.append(word)
            i += 1
    problems = []
    if len(set(found_instruments)) > 1:
        problems.append(f"more than one instrument named ({', '.join(dict.fromkeys(found_instruments))}); ask for one")
    elif not found_instruments:
        problems.append(f"no instrument named; choose one of: {', '.join(instruments)}")
    if len(set(notes)) > 1:
        problems.append(f"more than one note named ({', '.join(dict.fromkeys(notes))}); ask for one")
    elif not notes:
        problems.append("no note named; write one like A4, C#3 or Bb2 (C4 is middle C)")
    if len(set(loudness)) > 1:
        problems.append(f"more than one loudness named ({', '.join(dict.fromkeys(loudness))}); ask for one")
    if unknown:
        problems.append(f"not understood: {', '.join(repr(w) for w in unknown)}")
    return NotePrompt(
        instrument=found_instruments[0] if len(set(found_instruments)) == 1 else None,
        midi=parse_note(notes[0]) if len(set(notes)) == 1 else None,
        loudness=loudness[0] if len(set(loudness)) == 1 else None,
        unknown=tuple(unknown),
        problems=tuple(problems),
    )
