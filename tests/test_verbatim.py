"""Copied or new: the suffix array, the verbatim finder against brute force, the real-word share."""

from __future__ import annotations

import random

import pytest

from playground.core.data.bundled import load_bundled
from playground.core.metrics.text_quality import corpus_vocabulary, real_word_share, words
from playground.core.metrics.verbatim import VerbatimIndex, VerbatimSpan, suffix_array


def brute_force(corpus: str, text: str, m: int) -> tuple[list[tuple[int, int, int]], int]:
    """Maximal exact matches of at least m characters, straight from the definition."""
    def occurs(i: int, j: int) -> bool:
        return text[i:j] in corpus

    spans, covered = [], set()
    for i in range(len(text)):
        for j in range(i + m, len(text) + 1):
            if not occurs(i, j):
                break
            covered.update(range(i, j))
            left_stuck = i == 0 or not occurs(i - 1, j)
            right_stuck = j == len(text) or not occurs(i, j + 1)
            if left_stuck and right_stuck:
                spans.append((i, j, corpus.find(text[i:j])))
    return spans, len(covered)


def as_tuples(spans: tuple[VerbatimSpan, ...]) -> list[tuple[int, int, int]]:
    return [(s.start, s.end, s.corpus_start) for s in spans]


@pytest.mark.parametrize("text", ["", "x", "banana", "aaaaaaaaa", "abracadabra", "mississippi$",
                                  "é中😀ab😀é中", "ba\nab\n\nb"])
def test_suffix_array_sorts_like_python(text):
    assert suffix_array(text).tolist() == sorted(range(len(text)), key=lambda i: text[i:])


def test_suffix_array_on_random_texts():
    rng = random.Random(0)
    for trial in range(200):
        alphabet = "ab" if trial % 3 == 0 else "abcdefghij"[: rng.randint(1, 10)]
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 300)))
        assert suffix_array(text).tolist() == sorted(range(len(text)), key=lambda i: text[i:]), text


def test_finder_matches_brute_force_on_random_corpora():
    rng = random.Random(1)
    for trial in range(150):
        alphabet = "ab" if trial % 2 else "abcd"
        corpus = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 200)))
        index = VerbatimIndex(corpus)
        parts = []
        for _ in range(rng.randint(1, 5)):  # corpus pieces, back to back or with noise between
            if rng.random() < 0.6:
                a = rng.randrange(len(corpus))
                parts.append(corpus[a : a + rng.randint(1, 25)])
            else:
                parts.append("".join(rng.choice(alphabet + "xy") for _ in range(rng.randint(0, 6))))
        text = "".join(parts)
        m = rng.randint(1, 9)
        report = index.find(text, min_chars=m)
        spans, copied = brute_force(corpus, text, m)
        assert as_tuples(report.spans) == spans, (corpus, text, m)
        assert (report.copied_chars, report.new_chars) == (copied, len(text) - copied)


def test_overlapping_adjacent_and_edge_spans():
    corpus = "the cat sat|on the mat|a dog ran far"
    index = VerbatimIndex(corpus)
    report = index.find("the cat saton the mat", min_chars=5)  # adjacent, at both ends
    assert as_tuples(report.spans) == [(0, 11, 0), (11, 21, 12)]
    assert (report.copied_chars, report.new_chars, report.copied_share) == (21, 0, 1.0)
    report = index.find("xx on the mat|a dog yy", min_chars=5)
    assert as_tuples(report.spans) == [(3, 20, 12)]
    assert report.copied_chars == 17
    index = VerbatimIndex("abcdefgh|defghijk")
    report = index.find("abcdefghijk", min_chars=4)  # two stretches share "defgh"
    assert as_tuples(report.spans) == [(0, 8, 0), (3, 11, 9)]
    assert report.copied_chars == 11


def test_the_first_occurrence_is_reported_and_short_runs_are_new():
    index = VerbatimIndex("zz hello world zz hello world")
    report = index.find("say hello world now")
    assert report.spans == ()
    assert (report.copied_chars, report.new_chars) == (0, 19)
    report = index.find("say hello world now", min_chars=8)
    assert as_tuples(report.spans) == [(3, 16, 2)]
    assert index.first_occurrence("hello") == 3 and index.first_occurrence("nope") == -1
    empty = index.find("")
    assert empty.spans == () and empty.copied_share == 0.0
    with pytest.raises(ValueError, match="at least 1 character"):
        index.find("abc", min_chars=0)
    assert VerbatimIndex("").find("abc", min_chars=1).new_chars == 3


def test_bundled_shakespeare():
    corpus = load_bundled("shakespeare").text
    index = VerbatimIndex(corpus)
    a, b = 200_000, 700_000
    text = corpus[a : a + 120] + "\u2603 snowmen \u2603" + corpus[b : b + 80]
    report = index.find(text)
    assert [(s.start, s.end) for s in report.spans] == [(0, 120), (131, 211)]
    for span in report.spans:
        assert corpus[span.corpus_start : span.corpus_start + span.length] == text[span.start : span.end]
        assert corpus.find(text[span.start : span.end]) == span.corpus_start
    assert report.new_chars == 11


def test_real_word_share():
    vocab = corpus_vocabulary("Thou art more lovely, and more temperate: o'er 12 hills_")
    assert words("O'er THOU 12 x_y") == ["o", "er", "thou", "x", "y"]
    assert real_word_share("thou ART lovely", vocab) == 1.0
    assert real_word_share("thou arx lovelz", vocab) == pytest.approx(1 / 3)
    assert real_word_share("12, ...", vocab) == 0.0
    assert "hills" in vocab and "12" not in vocab
