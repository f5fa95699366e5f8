"""The keyboard strip's contents: which instruments and notes a sound model's captions name, and which
instrument-and-note pairs it never heard.

    keys = keyboard_for(training_captions, label_names)
    keys.notes("flute")            # MIDI notes from its lowest to its highest heard
    keys.heard_note("flute", 74)   # False for a pair held out of training
    keys.prompt("flute", 69)       # "a flute playing A4"

A note inside an instrument's range that no training caption pairs with it was
kept out of training (the bundled set holds out whole instrument-and-note
pairs: ``heldout_rule`` in its index), so asking for it tests whether the model
can combine an instrument and a note it only heard apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from playground.core.data.note_captions import BUNDLED_INSTRUMENTS, caption_for, parse_caption
from playground.core.data.notes import note_name

VELOCITY = 80  # the loudness a key asks for: medium, which the prompt then leaves unsaid
FALLBACK_RANGE = (36, 84)  # C2-C6, offered when the captions name no notes


@dataclass(frozen=True)
class Keyboard:
    instruments: tuple[str, ...]  # the instruments offered, in the model's label order
    ranges: Mapping[str, tuple[int, int]]  # per instrument, its (lowest, highest) MIDI note in the captions
    heard: frozenset[tuple[str, int]]  # every (instrument, MIDI note) pair the captions name
    from_captions: bool  # False: the captions name no notes, so every key is offered unmarked

    def notes(self, instrument: str) -> tuple[int, ...]:
        """The keys of ``instrument``: every semitone from its lowest to its highest heard note."""
        low, high = self.ranges.get(instrument, FALLBACK_RANGE)
        return tuple(range(low, high + 1))

    def heard_note(self, instrument: str, midi: int) -> bool:
        """True when the model heard ``instrument`` play ``midi`` (always, without caption information)."""
        return not self.from_captions or (instrument, int(midi)) in self.heard

    def prompt(self, instrument: str, midi: int) -> str:
        """The prompt a key writes: "a flute playing A4"."""
        return caption_for(instrument, int(midi), VELOCITY, 0)

    def why_unheard(self, instrument: str, midi: int) -> str:
        """A tooltip for a key the model never heard on this instrument."""
        name = note_name(midi)
        elsewhere = sorted(i for i in self.instruments if i != instrument and (i, int(midi)) in self.heard)
        other = (f"It heard {name} on {', '.join(elsewhere[:3])}{' and others' if len(elsewhere) > 3 else ''}, "
                 f"and the {instrument} on other notes: ask, and hear whether it can put them together."
                 if elsewhere else f"It heard the {instrument} on other notes only.")
        return f"The model never heard a {instrument} play {name}: that pair was held out of its training. {other}"


def keyboard_for(captions: Sequence[str], label_names: Sequence[str] = ()) -> Keyboard:
    """The keyboard of a model whose training captions are ``captions`` (names: its instrument labels)."""
    names = [str(n) for n in label_names] or list(BUNDLED_INSTRUMENTS)
    heard: set[tuple[str, int]] = set()
    for caption in captions:
        parsed = parse_caption(caption, names)
        if parsed.instrument is not None and parsed.midi is not None:
            heard.add((parsed.instrument, parsed.midi))
    if not heard:
        return Keyboard(tuple(names), {}, frozenset(), False)
    instruments = tuple(n for n in names if any(i == n for i, _ in heard))
    ranges = {i: (min(m for j, m in heard if j == i), max(m for j, m in heard if j == i)) for i in instruments}
    return Keyboard(instruments, ranges, frozenset(heard), True)
