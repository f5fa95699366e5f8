"""Files a loader left out: why each one was skipped, and the report grouped by kind of problem.

A folder of a few real photos can hold hundreds of files of other types; listing
skipped files alphabetically hides the few damaged ones among them. Each
``SkippedFile`` therefore carries a ``kind`` as well as its reason in words, and
``group_skipped`` orders the kinds so that what a user can fix (damaged files,
permissions, links) comes before the long tail of files we simply do not read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Kinds of skip, in the order a report shows them: problems with a user's data first.
DAMAGED = "damaged"
TOO_LARGE = "too_large"
WRONG_CONTENT = "wrong_content"
TOO_SHORT = "too_short"
UNREADABLE = "unreadable"
SPECIAL = "special"
LINK = "link"
OTHER = "other"
OTHER_TYPE = "other_type"

KIND_TITLES = {
    DAMAGED: "Damaged, truncated or empty",
    TOO_LARGE: "Too large to decode safely",
    WRONG_CONTENT: "Content does not match the file name",
    TOO_SHORT: "Too short to use",
    UNREADABLE: "Could not be read (permissions, I/O errors)",
    SPECIAL: "Not a regular file (pipe, device, socket)",
    LINK: "Links not followed (loops, repeats, broken links)",
    OTHER: "Other problems",
    OTHER_TYPE: "Not a file type read here",
}

# Each kind counted in a one-line summary: (one, several).
KIND_COUNTED = {
    DAMAGED: ("damaged", "damaged"),
    TOO_LARGE: ("too large", "too large"),
    WRONG_CONTENT: ("not what its name says", "not what their names say"),
    TOO_SHORT: ("too short", "too short"),
    UNREADABLE: ("unreadable", "unreadable"),
    SPECIAL: ("pipe or device", "pipes or devices"),
    LINK: ("link not followed", "links not followed"),
    OTHER: ("other problem", "other problems"),
    OTHER_TYPE: ("file of another type", "files of other types"),
}


@dataclass(frozen=True)
class SkippedFile:
    """A file a loader left out, and why, in words a user can act on.

    ``kind`` is one of the keys of ``KIND_TITLES``; reports group by it, so no
    code ever has to parse ``reason``.
    """

    path: str
    reason: str
    kind: str = OTHER


class FileProblem(ValueError):
    """A file cannot be used; ``str(exc)`` is the reason in words, ``kind`` its group."""

    def __init__(self, reason: str, kind: str = OTHER) -> None:
        super().__init__(reason)
        self.kind = kind


def skip_of(path: str, exc: ValueError) -> SkippedFile:
    """The ``SkippedFile`` for a reader's ``ValueError`` (a ``FileProblem`` keeps its kind)."""
    return SkippedFile(path, str(exc), getattr(exc, "kind", OTHER))


@dataclass(frozen=True)
class SkipGroup:
    """All skipped files of one kind, in the order they were skipped."""

    kind: str
    title: str
    files: tuple[SkippedFile, ...]

    @property
    def count(self) -> int:
        return len(self.files)


def group_skipped(skipped: Sequence[SkippedFile]) -> list[SkipGroup]:
    """Skipped files grouped by kind: damaged files first, other file types last.

    Groups with no files are left out; within a group files keep their order.
    """
    order = {kind: i for i, kind in enumerate(KIND_TITLES)}
    by_kind: dict[str, list[SkippedFile]] = {}
    for item in skipped:
        kind = item.kind if item.kind in KIND_TITLES else OTHER
        by_kind.setdefault(kind, []).append(item)
    return [SkipGroup(kind, KIND_TITLES[kind], tuple(files))
            for kind, files in sorted(by_kind.items(), key=lambda kv: order[kv[0]])]


def summary(groups: Sequence[SkipGroup]) -> str:
    """One line such as "29 damaged; 1 link not followed; 300 files of other types"."""
    return "; ".join(f"{g.count:,} {KIND_COUNTED[g.kind][g.count != 1]}" for g in groups)


def some_names(names: Sequence[str], shown: int = 3) -> str:
    """ "a, b, c and 4 more": a few names for a note, so a note stays one readable line."""
    head = ", ".join(names[:shown])
    return f"{head} and {len(names) - shown} more" if len(names) > shown else head
