"""How word-like a generated text is: the share of its words that the corpus uses.

A character-level model at a low temperature writes mostly real words; as the
temperature rises, more of its "words" are inventions. Words are runs of
letters (any script), compared case-folded, so "Thou", "thou" and "THOU" are
one word and "o'er" is the two words "o" and "er" on both sides.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+")  # letters only: no digits, no underscore


def words(text: str) -> list[str]:
    """The words of ``text``, case-folded, in order."""
    return [w.casefold() for w in _WORD.findall(text)]


def corpus_vocabulary(corpus: str) -> frozenset[str]:
    """Every word the corpus uses (build once, then score many outputs)."""
    return frozenset(words(corpus))


def real_word_share(text: str, vocabulary: frozenset[str] | set[str]) -> float:
    """Share of the words in ``text`` that occur as words in the corpus.

    Args:
        text: a generated output.
        vocabulary: from ``corpus_vocabulary``.
    Returns:
        float in [0, 1]; 0 when ``text`` has no words at all.
    """
    found = words(text)
    if not found:
        return 0.0
    return sum(w in vocabulary for w in found) / len(found)
