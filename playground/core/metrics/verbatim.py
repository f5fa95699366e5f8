"""Copied or new: the stretches of a generated text found word for word in the training text.

    index = VerbatimIndex(load_bundled("shakespeare").text)  # once, about a second
    report = index.find(generated)  # milliseconds
    report.spans, report.copied_chars, report.new_chars

A stretch counts as copied when at least ``min_chars`` characters in a row
occur somewhere in the corpus. Each reported span is a maximal exact match
(it cannot grow left or right and still be in the corpus); spans may overlap
when two different places in the corpus each explain part of the output.

Method: a suffix array of the corpus (Manber & Myers 1993, "Suffix Arrays: A
New Method for On-Line String Searches"), built by prefix doubling over only
the still-tied groups (Larsson & Sadakane 2007, "Faster Suffix Sorting").
For each output position a binary search finds the longest prefix of the rest
of the output that occurs in the corpus (its "matching statistic", Chang &
Lawler 1994); the longest match with any suffix is with a neighbour of the
insertion point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def suffix_array(text: str) -> np.ndarray:
    """Start positions of the suffixes of ``text`` in sorted order (code-point
    order, a prefix before its extensions, as Python compares strings): int32 (n,)."""
    n = len(text)
    if n == 0:
        return np.zeros(0, dtype=np.int32)
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    dense = np.cumsum(np.bincount(points) > 0)  # code point -> 1, 2, ... in order; 0 is the end of the text
    codes = dense[points].astype(np.int64)
    bits = int(codes.max()).bit_length()
    width = max(1, 62 // bits)  # characters packed in one int64 key, the first in the high bits
    key = np.zeros(n, dtype=np.int64)
    for j in range(width):
        key <<= bits
        if j < n:
            key[: n - j] |= codes[j:]
    del codes, points
    order = np.argsort(key)  # the order inside a tie does not matter: ties are sorted next
    key = key[order]
    new = np.ones(n, dtype=bool)
    new[1:] = key[1:] != key[:-1]
    del key
    sa = order.astype(np.int32)
    del order
    rank = np.empty(n, dtype=np.int32)  # a group's rank: its first index in sa
    rank[sa] = np.maximum.accumulate(np.where(new, np.arange(n, dtype=np.int32), 0))
    active = np.flatnonzero(~_singletons(new))  # indices in sa whose group is still tied
    h = width
    while len(active):  # suffixes agree on their first h characters within a group
        s = sa[active]
        second = np.zeros(len(s), dtype=np.int64)  # the rank of the suffix h further on, + 1 (0: past the end)
        inside = s + h < n
        second[inside] = rank[s[inside] + h] + 1
        combined = rank[s].astype(np.int64) * (n + 1) + second  # < (n + 1)^2: fits int64 for any text that fits in memory
        order = np.argsort(combined)
        s, combined = s[order], combined[order]
        sa[active] = s
        new = np.ones(len(s), dtype=bool)
        new[1:] = combined[1:] != combined[:-1]
        rank[s] = np.maximum.accumulate(np.where(new, active, 0))
        active = active[~_singletons(new)]
        h *= 2
    return sa


def _singletons(new: np.ndarray) -> np.ndarray:
    """Which members of sorted groups are alone in theirs, given where groups start."""
    alone = new.copy()
    alone[:-1] &= new[1:]
    return alone


@dataclass(frozen=True)
class VerbatimSpan:
    start: int  # first character of the stretch in the output
    end: int  # one past its last character
    corpus_start: int  # where the same characters first occur in the corpus

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class VerbatimReport:
    spans: tuple[VerbatimSpan, ...]  # maximal copied stretches, by start (they may overlap)
    copied_chars: int  # output characters inside at least one span
    new_chars: int  # the other characters
    min_chars: int  # the shortest stretch that counted

    @property
    def copied_share(self) -> float:
        """Copied characters over all characters, in [0, 1] (0 for an empty output)."""
        total = self.copied_chars + self.new_chars
        return self.copied_chars / total if total else 0.0


class VerbatimIndex:
    """A corpus indexed for ``find``; build once (a 1.2 M-character corpus:
    about a second and 5 MB besides the text)."""

    def __init__(self, corpus: str) -> None:
        self.corpus = corpus
        self._sa = suffix_array(corpus)
        self._at = memoryview(self._sa)  # fast int reads in the search loop

    def _common(self, a: int, text: str, i: int, limit: int) -> int:
        """Length of the common prefix of corpus[a:] and text[i:], at most ``limit``."""
        corpus, lo, hi, step = self.corpus, 0, min(limit, len(self.corpus) - a), 16

        def same(p: int, q: int) -> bool:  # a slice comparison runs at C speed
            return corpus[a + p : a + q] == text[i + p : i + q]

        while lo < hi:  # gallop: the common prefix is at least lo, at most hi
            probe = min(hi, lo + step)
            if not same(lo, probe):
                hi = probe - 1
                break
            lo, step = probe, step * 2
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if same(lo, mid):
                lo = mid
            else:
                hi = mid - 1
        return lo

    def longest_match(self, text: str, i: int) -> int:
        """Length of the longest prefix of ``text[i:]`` that occurs in the corpus."""
        at, corpus, n = self._at, self.corpus, len(self._sa)
        rest = len(text) - i
        lo, hi, probe = 0, n, min(rest, 64)
        query = text[i : i + probe]
        while lo < hi:  # first suffix >= text[i:]
            mid = (lo + hi) // 2
            a = at[mid]
            piece = corpus[a : a + probe]
            if piece == query and probe < rest:
                piece, q = corpus[a : a + rest], text[i:]
            else:
                q = query
            if piece < q:
                lo = mid + 1
            else:
                hi = mid
        best = 0
        for k in (lo - 1, lo):
            if 0 <= k < n:
                best = max(best, self._common(at[k], text, i, rest))
        return best

    def first_occurrence(self, pattern: str) -> int:
        """The smallest corpus position where ``pattern`` occurs, or -1."""
        at, corpus, m, n = self._at, self.corpus, len(pattern), len(self._sa)
        lo, hi = 0, n
        while lo < hi:
            mid = (lo + hi) // 2
            if corpus[at[mid] : at[mid] + m] < pattern:
                lo = mid + 1
            else:
                hi = mid
        start, hi = lo, n
        while lo < hi:
            mid = (lo + hi) // 2
            if corpus[at[mid] : at[mid] + m] <= pattern:
                lo = mid + 1
            else:
                hi = mid
        return int(self._sa[start:lo].min()) if lo > start else -1

    def find(self, text: str, min_chars: int = 30) -> VerbatimReport:
        """The stretches of ``text`` that occur verbatim in the corpus.

        Args:
            text: the generated output.
            min_chars: the shortest stretch that counts as copied, >= 1.
        Returns:
            a ``VerbatimReport``: maximal matches of at least ``min_chars``
            characters, sorted by start, and the copied / new character counts.
        """
        if min_chars < 1:
            raise ValueError(f"a copied stretch must be at least 1 character long, got {min_chars}")
        spans: list[VerbatimSpan] = []
        covered = np.zeros(len(text), dtype=bool)
        last_end = 0
        for i in range(len(text)):
            if len(text) - i < min_chars:
                break
            end = i + self.longest_match(text, i)
            if end > last_end and end - i >= min_chars:  # not inside the previous match (ends never go back)
                spans.append(VerbatimSpan(i, end, self.first_occurrence(text[i:end])))
                covered[i:end] = True
            last_end = max(last_end, end)
        copied = int(covered.sum())
        return VerbatimReport(tuple(spans), copied, len(text) - copied, min_chars)
