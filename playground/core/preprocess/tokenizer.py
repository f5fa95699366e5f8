"""Tokenizers: characters, words, or byte-level BPE (Hugging Face ``tokenizers``).

One ``Tokenizer`` class wraps all three behind ``encode``/``decode``/``spans``
and saves to plain JSON (``to_dict``), so a pipeline file, and every
checkpoint that records its pipeline, carries the exact vocabulary.
``TokenizerCache`` keeps a few recently trained ones for the preview.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from typing import Any

import numpy as np

KINDS = ("char", "word", "bpe")
UNK = "<unk>"
UNK_TEXT = "\ufffd"  # what an unknown token decodes to
BYTE_ALPHABET = 256
# Words with their leading space, punctuation runs and whitespace (as GPT-2's pre-tokenizer).
WORD_PATTERN = re.compile(r" ?\w+| ?[^\w\s]+|\s+(?!\S)|\s+")

Span = tuple[int, int, int, str]  # (start, end, id, token text)


class Tokenizer:
    """Text <-> int ids. Build one with ``Tokenizer.train`` or ``from_dict``.

    ``char`` and ``word`` vocabularies end with ``<unk>`` for anything unseen
    in training; ``bpe`` starts from all 256 bytes, so it encodes any text.
    """

    def __init__(self, kind: str, vocab: Sequence[str] | None = None, hf: Any = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown tokenizer kind {kind!r}; use one of {', '.join(KINDS)}")
        self.kind = kind
        self._hf = hf
        self._vocab: list[str] = list(vocab or [])
        self._ids = {tok: i for i, tok in enumerate(self._vocab)}
        if kind == "char":
            chars = [t for t in self._vocab if t != UNK]
            self._codes = np.array([ord(c) for c in chars], dtype=np.uint32)
            self._code_ids = np.array([self._ids[c] for c in chars], dtype=np.int64)
            order = np.argsort(self._codes)
            self._codes, self._code_ids = self._codes[order], self._code_ids[order]

    # Training ---------------------------------------------------------------
    @classmethod
    def train(cls, kind: str, lines: Iterable[str] | str, vocab_size: int = 512) -> Tokenizer:
        """Learn a vocabulary from text (a string, or an iterator of lines).

        ``vocab_size`` caps word vocabularies and sets the BPE size (which must
        exceed the 256-byte alphabet); a character vocabulary is every character seen.
        """
        text_lines = [lines] if isinstance(lines, str) else lines
        if kind == "char":
            seen: set[str] = set()
            for line in text_lines:
                seen.update(line)
            return cls("char", sorted(seen) + [UNK])
        if kind == "word":
            counts: Counter[str] = Counter()
            for line in text_lines:
                counts.update(WORD_PATTERN.findall(line))
            words = sorted(counts, key=lambda w: (-counts[w], w))[: max(1, vocab_size - 1)]
            return cls("word", words + [UNK])
        if kind == "bpe":
            if vocab_size <= BYTE_ALPHABET:
                raise ValueError(f"a byte-level BPE vocabulary must be larger than its alphabet of "
                                 f"{BYTE_ALPHABET} bytes; got {vocab_size}; try 512")
            from tokenizers import Tokenizer as HFTokenizer
            from tokenizers import decoders, models, pre_tokenizers, trainers

            hf = HFTokenizer(models.BPE())
            hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
            hf.decoder = decoders.ByteLevel()
            trainer = trainers.BpeTrainer(vocab_size=vocab_size, show_progress=False, special_tokens=[],
                                          initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
            hf.train_from_iterator(text_lines, trainer)
            return cls("bpe", hf=hf)
        raise ValueError(f"unknown tokenizer kind {kind!r}; use one of {', '.join(KINDS)}")

    # Use --------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return int(self._hf.get_vocab_size()) if self.kind == "bpe" else len(self._vocab)

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``."""
        return self.encode_array(text).tolist()

    def encode_array(self, text: str) -> np.ndarray:
        """Token ids of ``text`` as int64 (fast for whole corpora)."""
        if self.kind == "bpe":
            # Line by line, in parallel: the same ids as one encode, because
            # training saw lines, so no merge crosses a line break.
            encodings = self._hf.encode_batch(text.splitlines(keepends=True))
            return np.fromiter((i for e in encodings for i in e.ids), dtype=np.int64)
        if self.kind == "char":
            codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            if len(self._codes) == 0:
                return np.full(len(codes), self._ids[UNK], dtype=np.int64)
            where = np.clip(np.searchsorted(self._codes, codes), 0, len(self._codes) - 1)
            found = self._codes[where] == codes
            return np.where(found, self._code_ids[where], self._ids[UNK]).astype(np.int64)
        unk = self._ids[UNK]
        return np.array([self._ids.get(w, unk) for w in WORD_PATTERN.findall(text)], dtype=np.int64)

    def decode(self, ids: Iterable[int]) -> str:
        """Text of token ids; unknown tokens become U+FFFD."""
        ids = [int(i) for i in ids]
        if self.kind == "bpe":
            return str(self._hf.decode(ids))
        return "".join(self.token_text(i) for i in ids)

    def token_text(self, token_id: int) -> str:
        """How one token reads (BPE byte pieces decode on their own)."""
        if self.kind == "bpe":
            return str(self._hf.decode([int(token_id)]))
        if not 0 <= token_id < len(self._vocab):
            raise ValueError(f"token id {token_id} is outside the vocabulary of {len(self._vocab)}")
        tok = self._vocab[token_id]
        return UNK_TEXT if tok == UNK else tok

    def unknown(self, text: str) -> list[str]:
        """The characters (char) or words (word) of ``text`` the vocabulary lacks, each once, in order;
        always empty for byte-level BPE, which encodes any text."""
        if self.kind == "bpe":
            return []
        unk = self._ids[UNK]
        pieces = [piece for _s, _e, token, piece in self.spans(text) if token == unk]
        return list(dict.fromkeys(pieces))

    def spans(self, text: str) -> list[Span]:
        """Each token of ``text`` as (start, end, id, token text), for a coloured view.

        ``start``/``end`` index characters of ``text``; BPE pieces of one character
        share that character's span.
        """
        if self.kind == "bpe":
            enc = self._hf.encode(text)
            return [(int(s), int(e), int(i), text[s:e]) for i, (s, e) in zip(enc.ids, enc.offsets)]
        if self.kind == "char":
            ids = self.encode_array(text)
            return [(k, k + 1, int(i), ch) for k, (i, ch) in enumerate(zip(ids, text))]
        unk = self._ids[UNK]
        return [(m.start(), m.end(), self._ids.get(m.group(), unk), m.group()) for m in WORD_PATTERN.finditer(text)]

    # JSON -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        if self.kind == "bpe":
            return {"kind": "bpe", "hf": self._hf.to_str()}
        return {"kind": self.kind, "vocab": list(self._vocab)}

    @classmethod
    def from_dict(cls, data: Any) -> Tokenizer:
        """Rebuild a saved tokenizer; ValueError when the data is not one."""
        if not isinstance(data, dict) or data.get("kind") not in KINDS:
            raise ValueError("the saved tokenizer is not valid: expected an object with kind char, word or bpe")
        if data["kind"] == "bpe":
            from tokenizers import Tokenizer as HFTokenizer

            if not isinstance(data.get("hf"), str):
                raise ValueError("the saved BPE tokenizer has no 'hf' text")
            try:
                return cls("bpe", hf=HFTokenizer.from_str(data["hf"]))
            except Exception as exc:  # the Rust side raises plain Exception
                raise ValueError(f"the saved BPE tokenizer could not be read: {exc}") from None
        vocab = data.get("vocab")
        if not isinstance(vocab, list) or not all(isinstance(t, str) for t in vocab) or UNK not in vocab:
            raise ValueError(f"the saved {data['kind']} tokenizer needs a 'vocab' list ending in {UNK}")
        if len(set(vocab)) != len(vocab):
            raise ValueError(f"the saved {data['kind']} tokenizer repeats a token")
        if data["kind"] == "char" and any(len(t) != 1 for t in vocab if t != UNK):
            raise ValueError("the saved char tokenizer has tokens longer than one character")
        return cls(data["kind"], vocab)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tokenizer) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((self.kind, self.vocab_size))

    def __repr__(self) -> str:
        return f"Tokenizer(kind={self.kind!r}, vocab_size={self.vocab_size})"


CacheKey = tuple[str, int, bytes]  # (kind, vocab size, digest of the training text)


class TokenizerCache:
    """The last few tokenizers trained for previews, shared safely between threads.

    Preview jobs run in worker threads and a newer one may start while an older
    one is still training. The lock guards only the table: training runs
    outside it, so different texts train in parallel, and a caller asking for
    a tokenizer that another thread is training waits for that one instead of
    training it again.
    """

    def __init__(self, size: int = 4) -> None:
        if size < 1:
            raise ValueError(f"a tokenizer cache needs room for at least one tokenizer, got {size}")
        self._size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict[CacheKey, Future[Tokenizer]] = OrderedDict()  # oldest first

    def get(self, kind: str, vocab_size: int, text: str) -> Tokenizer:
        """What ``Tokenizer.train`` makes of ``text``'s lines: trained once, then kept while it is recent."""
        key = (kind, vocab_size, hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest())
        with self._lock:
            owner = key not in self._entries
            if owner:
                self._entries[key] = Future()
            else:
                self._entries.move_to_end(key)
            future = self._entries[key]
        if not owner:
            return future.result()
        try:
            tokenizer = Tokenizer.train(kind, text.splitlines(keepends=True), vocab_size)
        except BaseException as exc:
            with self._lock:
                if self._entries.get(key) is future:
                    del self._entries[key]  # the next call tries again
            future.set_exception(exc)
            raise
        future.set_result(tokenizer)
        with self._lock:
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)  # the least recently asked for; its waiters hold it already
        return tokenizer

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
