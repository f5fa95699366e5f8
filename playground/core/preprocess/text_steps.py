"""Text steps: clean the corpus line by line, then tokenise it (last step)."""

from __future__ import annotations

import hashlib
import html
import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any, ClassVar

from playground.core.preprocess.report import StepReport
from playground.core.preprocess.steps import Param, RunContext, Step, StepRun, register
from playground.core.preprocess.tokenizer import BYTE_ALPHABET, KINDS, Tokenizer

_BLOCKS = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<![^<>]*>")
_SPACES = re.compile(r"[^\S\n]+")  # whitespace except newlines


def _changed_lines(before: list[str], after: list[str]) -> int:
    if len(before) == len(after):
        return sum(1 for a, b in zip(before, after) if a != b)
    old = set(before)
    return sum(1 for line in after if line not in old)


class TextStep(Step):
    """A step from corpus to corpus (``transform``)."""

    kind: ClassVar[str] = "text"
    empty_hint: ClassVar[str] = "loosen its settings"

    def transform(self, text: str) -> tuple[str, list[str]]:
        """New text and notes for the report."""
        raise NotImplementedError

    def run(self, state: str, ctx: RunContext) -> StepRun:
        yield 0, 1
        new, notes = self.transform(state)
        before, after = state.split("\n"), new.split("\n")
        report = StepReport(self.name, self.title, removed=max(0, len(state) - len(new)),
                            changed=_changed_lines(before, after), notes=notes)
        if len(after) < len(before):
            report.notes.insert(0, f"{len(before) - len(after)} lines removed")
        if state.strip() and not new.strip() and not ctx.preview:
            raise ValueError(f"the {self.title.lower()} step removed all the text; {self.empty_hint}")
        return new, report


@register
class StripMarkup(TextStep):
    name = "strip_markup"
    title = "Strip markup"
    modalities = ("text",)
    help = "Remove HTML/XML tags, scripts and comments, and turn entities like &amp; into characters."

    def transform(self, text: str) -> tuple[str, list[str]]:
        out = _BLOCKS.sub("", text)
        tags = len(_TAG.findall(out))
        out = html.unescape(_TAG.sub("", out))
        return out, [f"{tags} tags removed"] if tags else []


@register
class Nfkc(TextStep):
    name = "nfkc"
    title = "Unicode NFKC"
    modalities = ("text",)
    help = ("Unicode compatibility normalisation: ligatures (ﬁ), full-width letters and other "
            "look-alikes become their plain forms, so the same word is always the same characters.")

    def transform(self, text: str) -> tuple[str, list[str]]:
        return unicodedata.normalize("NFKC", text), []


@register
class Lowercase(TextStep):
    name = "lowercase"
    title = "Lowercase"
    modalities = ("text",)
    help = "Lower-case everything: a smaller vocabulary, but the model can no longer write capitals."

    def transform(self, text: str) -> tuple[str, list[str]]:
        return text.lower(), []


@register
class CollapseWhitespace(TextStep):
    name = "collapse_whitespace"
    title = "Collapse whitespace"
    modalities = ("text",)
    help = "Turn runs of spaces and tabs into one space, trim line ends and limit blank lines."
    params = (
        Param("keep_newlines", "bool", True, "Keep line breaks", "Off: the text becomes one line."),
        Param("max_blank_lines", "int", 1, "Blank lines", "Most blank lines in a row.", low=0, high=10),
    )

    def transform(self, text: str) -> tuple[str, list[str]]:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if not self["keep_newlines"]:
            return _SPACES.sub(" ", text.replace("\n", " ")).strip(), []
        lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
        out: list[str] = []
        blank = 0
        for line in lines:
            blank = blank + 1 if not line else 0
            if blank <= self["max_blank_lines"]:
                out.append(line)
        return "\n".join(out), []


@register
class DedupeLines(TextStep):
    name = "dedupe_lines"
    title = "Remove duplicate lines"
    modalities = ("text",)
    help = "Keep the first of each repeated line (blank lines are never counted as repeats)."
    params = (Param("ignore_case", "bool", False, "Ignore case", "Treat 'Hello' and 'hello' as the same line."),)

    def transform(self, text: str) -> tuple[str, list[str]]:
        seen: set[str] = set()
        out = []
        for line in text.split("\n"):
            key = line.strip().lower() if self["ignore_case"] else line.strip()
            if key and key in seen:
                continue
            seen.add(key)
            out.append(line)
        return "\n".join(out), []


@register
class FilterLines(TextStep):
    name = "filter_lines"
    title = "Filter lines by length"
    modalities = ("text",)
    help = "Drop lines shorter or longer than the limits (in characters)."
    params = (
        Param("min_chars", "int", 1, "Shortest", "Shorter lines are dropped.", low=0, high=10_000),
        Param("max_chars", "int", 1000, "Longest", "Longer lines are dropped.", low=1, high=1_000_000),
        Param("keep_blank", "bool", True, "Keep blank lines", "Blank lines separate paragraphs."),
    )
    empty_hint = "widen the length range"

    def validate(self) -> None:
        if self["min_chars"] > self["max_chars"]:
            raise ValueError(f"Filter lines: the shortest length ({self['min_chars']}) is more than "
                             f"the longest ({self['max_chars']})")

    def transform(self, text: str) -> tuple[str, list[str]]:
        lo, hi = self["min_chars"], self["max_chars"]
        out = [line for line in text.split("\n")
               if (not line.strip() and self["keep_blank"]) or lo <= len(line) <= hi]
        return "\n".join(out), []


def cleaning_fingerprint(steps: Iterable[Step]) -> str:
    """A short hex digest of the enabled cleaning steps (names and values), Tokenise left out.

    A trained vocabulary records it, to tell when the text it would see has
    changed. Switched-off steps do not change the text, so they do not count.
    """
    enabled = [{"name": s.name, "params": s.to_dict()["params"]} for s in steps if s.enabled and s.kind != "tokenise"]
    data = json.dumps(enabled, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


@register
class Tokenise(Step):
    name = "tokenise"
    title = "Tokenise"
    modalities = ("text",)
    kind = "tokenise"
    help = ("Split text into the pieces a model predicts: characters (small vocabulary, long "
            "sequences), words (huge vocabulary), or byte-level BPE learned from the corpus (a "
            "middle ground; the vocabulary size sets how many merged pieces it learns).")
    params = (
        Param("kind", "choice", "char", "Tokens", "char, word or bpe.", choices=KINDS),
        Param("vocab_size", "int", 512, "Vocabulary size", "Tokens in the vocabulary (word and bpe; "
              "bpe needs more than 256, its byte alphabet).", low=16, high=65_536),
    )

    def __init__(self, enabled: bool = True, **values: Any) -> None:
        super().__init__(enabled=enabled, **values)
        self.trained: Tokenizer | None = None
        self.upstream: str | None = None  # cleaning_fingerprint of the steps its vocabulary was trained after

    def validate(self) -> None:
        if self["kind"] == "bpe" and self["vocab_size"] <= BYTE_ALPHABET:
            raise ValueError(f"Tokenise: a byte-level BPE vocabulary must be larger than its alphabet "
                             f"of {BYTE_ALPHABET} bytes; got {self['vocab_size']}; try 512")

    @classmethod
    def from_trained(cls, trained: Any, enabled: bool = True, upstream: Any = None, **values: Any) -> Tokenise:
        """Rebuild a saved trained step; ``upstream`` None (files before schema 2) means not recorded."""
        step = cls(enabled=enabled, **values)
        tokenizer = Tokenizer.from_dict(trained)
        if tokenizer.kind != step["kind"]:
            raise ValueError(f"Tokenise: the saved tokenizer is {tokenizer.kind}, but the step says {step['kind']}")
        if upstream is not None and not isinstance(upstream, str):
            raise ValueError(f"Tokenise: 'upstream' must be text, got {upstream!r}")
        step.trained, step.upstream = tokenizer, upstream
        return step

    def with_tokenizer(self, tokenizer: Tokenizer, upstream: str | None) -> Tokenise:
        """A copy that carries a tokenizer trained after the cleaning ``upstream`` (saved with the pipeline)."""
        step = type(self)(enabled=self.enabled, **self.values)
        step.trained, step.upstream = tokenizer, upstream
        return step

    def replace(self, **changes: Any) -> Step:
        step = super().replace(**changes)
        if self.trained is not None and step.values == self.values:
            assert isinstance(step, Tokenise)
            # Only 'enabled' changed: the vocabulary still fits.
            step.trained, step.upstream = self.trained, self.upstream
        return step

    def status(self, upstream: str) -> str:
        """How the saved vocabulary fits text cleaned by steps with fingerprint ``upstream``.

        "untrained" (none saved), "current" (trained after the same cleaning),
        "stale" (the cleaning changed since: Prepare trains a new one) or
        "unknown" (a file from before the cleaning was recorded: it is used as saved).
        """
        if self.trained is None:
            return "untrained"
        if self.upstream is None:
            return "unknown"
        return "current" if self.upstream == upstream else "stale"

    def saved_for(self, upstream: str) -> Tokenizer | None:
        """The saved tokenizer if it may be used after the cleaning ``upstream``, else None."""
        return self.trained if self.status(upstream) in ("current", "unknown") else None

    def build(self, text: str, upstream: str) -> tuple[Tokenizer, bool]:
        """The tokenizer for ``text`` (cleaned by steps with fingerprint ``upstream``), and whether it is new.

        The saved one unless it is missing or stale; otherwise one trained on ``text`` now.
        """
        saved = self.saved_for(upstream)
        if saved is not None:
            return saved, False
        return Tokenizer.train(self["kind"], text.splitlines(keepends=True), self["vocab_size"]), True

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.trained is not None:
            out["trained"] = self.trained.to_dict()
            if self.upstream is not None:
                out["upstream"] = self.upstream
        return out

    def run(self, state: str, ctx: RunContext) -> StepRun:  # the runner tokenises; see prepare
        yield 0, 1
        return state, StepReport(self.name, self.title)
