"""Reading a list of files one by one in a job: progress, cancel, a reason per skipped file, a note per warning."""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TypeVar

from playground.core.data.folder_listing import special_kind
from playground.core.data.skipped import DAMAGED, SPECIAL, UNREADABLE, FileProblem, SkippedFile, skip_of
from playground.core.jobs import JobControl, Progress, Throttle

T = TypeVar("T")


def _no_block(path: str, flags: int) -> int:
    # Opening a named pipe for reading waits for a writer, forever if none comes;
    # O_NONBLOCK returns at once. It has no effect on regular files (POSIX).
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def open_regular(path: str | os.PathLike[str]) -> tuple[BinaryIO, int]:
    """Open a regular, non-empty file for reading in binary, never blocking on a pipe or device.

    Returns:
        ``(file, size in bytes)``; the caller closes the file.

    Raises:
        FileProblem: permission denied, missing, empty, or not a regular file.
    """
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):  # refused before it is even opened
            raise FileProblem(f"{special_kind(mode) or 'a folder'}, not a file; never opened", SPECIAL)
        fh = open(path, "rb", opener=_no_block)  # noqa: SIM115 - returned to the caller
    except PermissionError:
        raise FileProblem("permission denied", UNREADABLE) from None
    except OSError as exc:
        raise FileProblem(f"cannot read the file ({exc.strerror or exc})", UNREADABLE) from None
    st = os.fstat(fh.fileno())  # the file opened, in case it was swapped after the check above
    if not stat.S_ISREG(st.st_mode):
        fh.close()
        raise FileProblem(f"{special_kind(st.st_mode) or 'a folder'}, not a file; not read", SPECIAL)
    if st.st_size == 0:
        fh.close()
        raise FileProblem("empty file (0 bytes)", DAMAGED)
    return fh, st.st_size


@contextmanager
def caught_warnings() -> Iterator[list[str]]:
    """Collect the warnings raised inside (Pillow's "Possibly corrupt EXIF data", ...) as lines.

    The list is filled when the block ends, each distinct message once, so a
    file's warnings become a note or part of its skip reason instead of text on
    stderr. ``warnings.catch_warnings`` is process-wide: while one file is read,
    a warning from another thread lands in this list too, which is better than
    losing it.
    """
    lines: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield lines
    finally:
        for w in caught:
            line = " ".join(str(w.message).split())
            if line and line not in lines:
                lines.append(line)


def shown_path(path: str | os.PathLike[str], root: str) -> str:
    """``path`` relative to the folder ``root`` when it lies inside it, else as given."""
    if root:
        try:
            relative = os.path.relpath(path, root)
        except ValueError:  # another drive (Windows)
            return os.fspath(path)
        if relative != os.pardir and not relative.startswith(os.pardir + os.sep):
            return relative
    return os.fspath(path)


def read_each(
    entries: Sequence[tuple[Path, str]],
    read: Callable[[Path], T],
    control: JobControl,
    skipped: Sequence[SkippedFile] = (),
    verb: str = "reading",
    root: str = "",
) -> Generator[Progress, None, tuple[list[T], list[str], list[SkippedFile], list[str]]]:
    """Read each (file, label name) with ``read``; a ``ValueError`` skips the file with its message.

    Warnings raised while reading a file never reach stderr: for a file that was
    read they become a note "cats/a.jpg: Possibly corrupt EXIF data ...", for one
    that was skipped they are added to its reason.

    Yields ``Progress`` (files done, files total) at most 20 times a second and
    checks for cancel between files.

    Returns:
        ``(items, their labels, skipped files: those passed in, then the new
        ones, notes)``; notes name files relative to ``root`` when given.
    """
    throttle = Throttle(0.05)
    items: list[T] = []
    label_of: list[str] = []
    left_out = list(skipped)
    notes: list[str] = []
    total = len(entries)
    for done, (path, label) in enumerate(entries, start=1):
        control.checkpoint()
        error: ValueError | None = None
        with caught_warnings() as warned:
            try:
                items.append(read(path))
                label_of.append(label)
            except ValueError as exc:
                error = exc
        if error is not None:
            skip = skip_of(str(path), error)
            if warned:
                skip = SkippedFile(skip.path, f"{skip.reason} (warnings: {'; '.join(warned)})", skip.kind)
            left_out.append(skip)
        elif warned:
            notes.append(f"{shown_path(path, root)}: {'; '.join(warned)}")
        if throttle.ready(force=done == total):
            yield Progress(done, total, f"{verb}: {path.name}")
    return items, label_of, left_out, notes


def numbered(label_of: list[str]) -> tuple[list[str], list[int]]:
    """Label names in sorted order, and each item's index into them."""
    names = sorted(set(label_of))
    index = {label: i for i, label in enumerate(names)}
    return names, [index[label] for label in label_of]
