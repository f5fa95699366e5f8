"""Reading a list of files one by one in a job: progress, cancel, and a reason per skipped file."""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import TypeVar

from playground.core.data.dataset import SkippedFile
from playground.core.jobs import JobControl, Progress, Throttle

T = TypeVar("T")


def read_each(
    entries: Sequence[tuple[Path, str]],
    read: Callable[[Path], T],
    control: JobControl,
    skipped: Sequence[SkippedFile] = (),
    verb: str = "reading",
) -> Generator[Progress, None, tuple[list[T], list[str], list[SkippedFile]]]:
    """Read each (file, label name) with ``read``; a ``ValueError`` skips the file with its message.

    Yields ``Progress`` (files done, files total) at most 20 times a second and
    checks for cancel between files. Returns (items, their labels, skipped
    files: those passed in, then the new ones).
    """
    throttle = Throttle(0.05)
    items: list[T] = []
    label_of: list[str] = []
    left_out = list(skipped)
    total = len(entries)
    for done, (path, label) in enumerate(entries, start=1):
        control.checkpoint()
        try:
            items.append(read(path))
            label_of.append(label)
        except ValueError as exc:
            left_out.append(SkippedFile(str(path), str(exc)))
        if throttle.ready(force=done == total):
            yield Progress(done, total, f"{verb}: {path.name}")
    return items, label_of, left_out


def numbered(label_of: list[str]) -> tuple[list[str], list[int]]:
    """Label names in sorted order, and each item's index into them."""
    names = sorted(set(label_of))
    index = {label: i for i, label in enumerate(names)}
    return names, [index[label] for label in label_of]


