"""Listing a user's folder safely: each real folder once, links followed once, odd files reported.

A folder can hold links that lead back into itself (``self -> .``,
``sub/loop -> ..``); following them blindly lists the same files under ever
longer paths until the system's 40-link limit, 2^40 paths for two such links.
So every folder is recorded by its device and inode number and listed once:

* The real folders under the chosen one are listed first; links to folders are
  followed afterwards, in sorted order, and only to folders not listed yet. A
  link to a folder above it is reported as a loop; a link to a folder already
  listed (through another path) as a repeat. Links to folders outside the
  chosen one are followed, and their files labelled by where the link sits.
* A link to a file is kept unless it leads to a file already listed.
* Broken links, named pipes (FIFOs), device files and sockets are reported and
  never opened: opening a pipe with no writer blocks forever, and reading
  ``/dev/zero`` never ends.
* Hidden files and folders (names starting with ".") are ignored, not reported.

Cancel is checked after each folder and every ``_CHECK_EVERY`` entries, and
``Progress`` (done 0, total 0: the count is unknown) is yielded while listing.
"""

from __future__ import annotations

import errno
import heapq
import os
import stat
from collections.abc import Generator
from pathlib import Path

from playground.core.data.skipped import LINK, SPECIAL, UNREADABLE, SkippedFile
from playground.core.jobs import JobControl, Progress, Throttle

_CHECK_EVERY = 1000  # entries of one folder between cancel checks
Key = tuple[int, int | str]  # (device, inode): one real file or folder

Listing = tuple[list[Path], list[SkippedFile]]


class ListingError(OSError):
    """The chosen folder itself cannot be listed; ``reason`` is "permission denied" or the system's words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def special_kind(mode: int) -> str | None:
    """Words for a file that is neither a regular file nor a folder ("a named pipe (FIFO)"), else None."""
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device file"
    if stat.S_ISBLK(mode):
        return "a block device file"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return "not a regular file"


def _key(st: os.stat_result, path: str) -> Key:
    # Some network and FUSE file systems report inode 0 for everything; fall back to the real path.
    return (st.st_dev, st.st_ino) if st.st_ino else (st.st_dev, os.path.realpath(path))


def _why_not(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or str(exc)


def scan_folder(root: Path, control: JobControl | None = None) -> Generator[Progress, None, Listing]:
    """List every non-hidden regular file under ``root``, following links once per real folder.

    Yields:
        ``Progress(0, 0, "listing: N files in M folders")``, throttled to about 20 a second.

    Returns:
        ``(files, skipped)``: files sorted by their path relative to ``root``
        (through links, the link's path); ``skipped`` lists folders that could
        not be read, links not followed and files that are not regular files.

    Raises:
        ListingError: ``root`` itself cannot be listed.
        JobCancelled: cancel was asked.
    """
    return (yield from _Scan(root, control).run())


class _Scan:
    """The state of one listing; ``run`` is ``scan_folder``."""

    def __init__(self, root: Path, control: JobControl | None) -> None:
        self.root = root
        self.control = control
        self.files: list[Path] = []
        self.file_keys: dict[Key, Path] = {}  # real file -> the path it was listed under
        self.linked_files: list[tuple[tuple[str, ...], Path, Key]] = []  # decided once every real file is known
        self.skipped: list[SkippedFile] = []
        self.listed: dict[Key, Path] = {}  # real folder -> the path it was listed under
        # Links to folders, a heap by relative path: (path parts, link, target, keys of the folders above it).
        self.links: list[tuple[tuple[str, ...], Path, Key, tuple[Key, ...]]] = []

    def run(self) -> Generator[Progress, None, Listing]:
        throttle = Throttle(0.05)
        try:
            root_key = _key(os.stat(self.root), str(self.root))
        except OSError as exc:
            raise ListingError(_why_not(exc)) from None
        self.listed[root_key] = self.root
        stack: list[tuple[Path, tuple[Key, ...]]] = [(self.root, (root_key,))]
        while stack or self.links:
            if not stack:
                followed = self._next_link()
                if followed is not None:
                    stack.append(followed)
                continue
            folder, ancestors = stack.pop()
            if self.control is not None:
                self.control.checkpoint()
            stack.extend(reversed(self._list(folder, ancestors)))
            if throttle.ready():
                yield Progress(0, 0, f"listing: {len(self.files):,} files in {len(self.listed):,} folders")
        for _, path, key in sorted(self.linked_files):
            if key in self.file_keys:
                self._skip(path, f"link to a file already listed ({self._shown(self.file_keys[key])})", LINK)
            else:
                self.file_keys[key] = path
                self.files.append(path)
        self.files.sort(key=self._rel)
        return self.files, self.skipped

    def _list(self, folder: Path, ancestors: tuple[Key, ...]) -> list[tuple[Path, tuple[Key, ...]]]:
        """Sort one folder's entries into files, subfolders (returned), links and skips."""
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            if folder == self.root:
                raise ListingError(_why_not(exc)) from None
            self._skip(folder, f"folder not searched ({_why_not(exc)})", UNREADABLE)
            return []
        subfolders = []
        for count, entry in enumerate(entries, start=1):
            if self.control is not None and count % _CHECK_EVERY == 0:
                self.control.checkpoint()
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                # The d_type answers of is_symlink/is_dir/is_file cost no system call; only
                # folders and odd files need a stat, so a folder of 60,000 images lists fast.
                if entry.is_symlink():
                    self._follow(path, ancestors)
                elif entry.is_file(follow_symlinks=False):
                    self.files.append(path)
                    device, inode = ancestors[-1][0], entry.inode()
                    self.file_keys.setdefault((device, inode or os.path.realpath(entry.path)), path)
                elif entry.is_dir(follow_symlinks=False):
                    key = _key(entry.stat(follow_symlinks=False), entry.path)
                    if key in self.listed:  # a bind mount of a folder above, or one listed through a link
                        self._skip(path, f"same folder as {self._shown(self.listed[key])}, not listed twice", LINK)
                    else:
                        self.listed[key] = path
                        subfolders.append((path, ancestors + (key,)))
                else:
                    odd = special_kind(entry.stat(follow_symlinks=False).st_mode)
                    self._skip(path, f"{odd}, not a file; never opened", SPECIAL)
            except OSError as exc:
                self._skip(path, f"cannot look at it ({_why_not(exc)})", UNREADABLE)
        return subfolders

    def _follow(self, path: Path, ancestors: tuple[Key, ...]) -> None:
        """Look where a link leads: queue a folder or a file, or report a broken link or an odd file."""
        try:
            target = os.stat(path)  # follows the link, and any chain of links
        except FileNotFoundError:
            self._skip(path, f"broken link (leads to {_readlink(path)}, which does not exist)", LINK)
            return
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                self._skip(path, "link loop: the link leads to itself through other links", LINK)
            else:
                self._skip(path, f"cannot follow the link ({_why_not(exc)})", UNREADABLE)
            return
        key = _key(target, str(path))
        if stat.S_ISDIR(target.st_mode):
            heapq.heappush(self.links, (self._rel(path), path, key, ancestors))
        elif stat.S_ISREG(target.st_mode):
            self.linked_files.append((self._rel(path), path, key))
        else:
            self._skip(path, f"link to {special_kind(target.st_mode)} ({_readlink(path)}); never opened", SPECIAL)

    def _next_link(self) -> tuple[Path, tuple[Key, ...]] | None:
        """The next link to a folder not listed yet, to list; loops and repeats are reported."""
        _, link, target, ancestors = heapq.heappop(self.links)
        if target in self.listed:
            where = self._shown(self.listed[target])
            if target in ancestors:
                self._skip(link, f"link loop: leads back to {where}, not followed", LINK)
            else:
                self._skip(link, f"link to a folder already listed ({where}), not listed twice", LINK)
            return None
        self.listed[target] = link
        return link, ancestors + (target,)

    def _skip(self, path: Path, reason: str, kind: str) -> None:
        self.skipped.append(SkippedFile(str(path), reason, kind))

    def _rel(self, path: Path) -> tuple[str, ...]:
        return path.relative_to(self.root).parts

    def _shown(self, path: Path) -> str:
        return os.path.relpath(path, self.root) if path != self.root else "the chosen folder"


def _readlink(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "somewhere unreadable"


def list_files(root: Path, control: JobControl | None = None) -> Listing:
    """``scan_folder`` run to the end, without its progress events."""
    scan = scan_folder(root, control)
    while True:
        try:
            next(scan)
        except StopIteration as stop:
            return stop.value
