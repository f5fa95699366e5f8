"""Captions of the instrument notes, and reading prompts back into instrument, note and loudness."""

from __future__ import annotations

import pytest

from playground.core.data.note_captions import (
    BUNDLED_INSTRUMENTS,
    LOUDNESS_VELOCITY,
    TEMPLATES,
    caption_for,
    loudness_for_velocity,
    parse_caption,
)


def test_captions_name_the_instrument_and_the_note():
    assert caption_for("flute", 69, 120, 0) == "a flute playing A4"
    assert caption_for("cello", 48, 40, 1) == "cello, C3, soft"
    assert caption_for("flute", 69, 80, 2) == "A4 on a flute"
    assert caption_for("oboe", 70, 80, 0) == "an oboe playing A#4"
    assert caption_for("flute", 69, 80, len(TEMPLATES)) == caption_for("flute", 69, 80, 0)


@pytest.mark.parametrize("variant", range(len(TEMPLATES)))
def test_every_caption_parses_back(variant):
    for instrument in BUNDLED_INSTRUMENTS:
        for midi in (28, 61, 70, 100):
            for word, velocity in LOUDNESS_VELOCITY.items():
                caption = caption_for(instrument, midi, velocity, variant)
                prompt = parse_caption(caption)
                assert prompt.ok, (caption, prompt.problems)
                assert (prompt.instrument, prompt.midi) == (instrument, midi), caption
                assert prompt.loudness in (None, word), caption
    named = sum("{loudness}" in t or "{adverb}" in t for t in TEMPLATES)
    assert 0 < named < len(TEMPLATES)  # some phrasings leave the loudness open, as a plain prompt does


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a flute playing A4", ("flute", 69, None)),
        ("cello, C3, soft", ("cello", 48, "soft")),
        ("A4 on a flute", ("flute", 69, None)),
        ("a organ playing C#3", ("organ", 49, None)),
        ("The French Horn plays Bb2 loudly.", ("french horn", 46, "loud")),
        ("sax, Eb4", ("saxophone", 63, None)),
        ("quiet c-1 on the electric bass", ("bass", 0, "soft")),
        ("a medium G9 on the vibes", ("vibraphone", 127, "medium")),
    ],
)
def test_prompts_are_read(text, expected):
    prompt = parse_caption(text)
    assert prompt.ok and prompt.message() == ""
    assert (prompt.instrument, prompt.midi, prompt.loudness) == expected


def test_unknown_words_and_missing_parts_are_reported():
    prompt = parse_caption("a banjo playing A4 sweetly")
    assert prompt.instrument is None and prompt.midi == 69 and not prompt.ok
    assert prompt.unknown == ("banjo", "sweetly")
    assert "no instrument named; choose one of: piano, vibraphone" in prompt.message()
    assert "not understood: 'banjo', 'sweetly'" in prompt.message()
    assert parse_caption("a flute").problems == ("no note named; write one like A4, C#3 or Bb2 (C4 is middle C)",)
    assert "more than one note named (A4, C5)" in parse_caption("flute A4 C5").message()
    assert "more than one instrument named (flute, oboe)" in parse_caption("flute and oboe A4").message()
    assert "more than one loudness named" in parse_caption("flute A4 soft loud").message()
    assert parse_caption("flute A4 A4").ok  # the same note twice is still one note
    empty = parse_caption("")
    assert empty.instrument is None and empty.midi is None and len(empty.problems) == 2


def test_instruments_can_be_any_list():
    prompt = parse_caption("a kazoo playing D5", instruments=["kazoo", "flute"])
    assert (prompt.instrument, prompt.midi) == ("kazoo", 74)
    assert parse_caption("a horn playing D5", instruments=["kazoo"]).unknown == ("horn",)


def test_loudness_words_follow_velocity():
    assert [loudness_for_velocity(v) for v in (1, 59, 60, 99, 100, 127)] == [
        "soft", "soft", "medium", "medium", "loud", "loud"]
    assert all(loudness_for_velocity(v) == word for word, v in LOUDNESS_VELOCITY.items())
    with pytest.raises(ValueError, match="1-127"):
        loudness_for_velocity(0)
    with pytest.raises(ValueError, match="instrument name"):
        caption_for(" ", 60, 80)
