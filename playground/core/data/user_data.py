"""Loading the user's own files or folders: what kind of data it is, and a job that reads it.

A folder is searched recursively (``folder_listing``: each real folder once,
links that loop reported, pipes and devices never opened); hidden files and
folders (names starting with ".") are ignored. Its modality is the one most of
its recognised files have (ties go to image, then audio, then text); files of
other types are listed as skipped, never silently dropped. For images and audio
the first-level subfolders are the labels (``cats/a.png`` and ``cats/x/b.png`` are both "cats");
files directly in the chosen folder get the label ``"(none)"``, and so does a
single file.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

from playground.core.data import audio_files, folder_listing, image_files, text_files
from playground.core.data.dataset import AudioDataset, ImageDataset, TextDataset
from playground.core.data.folder_listing import ListingError, scan_folder, special_kind
from playground.core.data.skipped import OTHER_TYPE, SkippedFile, group_skipped
from playground.core.jobs import Job, JobControl, Progress, run_to_end

EXTENSIONS = {
    "image": image_files.EXTENSIONS,
    "audio": audio_files.EXTENSIONS,
    "text": text_files.EXTENSIONS,
}  # in tie-break order
NO_LABEL = image_files.NO_LABEL
_NOUN = {"image": "images", "text": "text files", "audio": "audio files"}
_A_TYPE = {"image": "an image", "text": "a text", "audio": "an audio"}

UserDataset = ImageDataset | TextDataset | AudioDataset


class DataError(ValueError):
    """The path holds nothing usable; the message is one line a user can act on.

    ``skipped`` lists the files that were tried and why each was left out.
    """

    def __init__(self, message: str, skipped: Sequence[SkippedFile] = ()) -> None:
        super().__init__(message)
        self.skipped: list[SkippedFile] = list(skipped)


def modality_of_file(path: str | os.PathLike[str]) -> str | None:
    """"image", "text" or "audio" from the file's extension; None if not one we read."""
    suffix = Path(path).suffix.lower()
    for modality, extensions in EXTENSIONS.items():
        if suffix in extensions:
            return modality
    return None


def _kinds_we_read() -> str:
    return ", ".join(f"{_NOUN[m]} ({' '.join(exts)})" for m, exts in EXTENSIONS.items())


def _check_exists(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except PermissionError:
        raise DataError(f"permission denied: {path}") from None
    except FileNotFoundError:
        raise DataError(f"no such file or folder: {path}") from None
    except OSError as exc:
        raise DataError(f"cannot open {path}: {exc.strerror or exc}") from None
    odd = special_kind(mode)
    if odd is not None:
        raise DataError(f"{path} is {odd}, not a file or folder; the playground reads files and folders only")


def _list(root: Path, control: JobControl | None) -> Generator[Progress, None, tuple[list[Path], list[SkippedFile]]]:
    try:
        return (yield from scan_folder(root, control))
    except ListingError as exc:
        raise DataError(f"cannot list the folder {root}: {exc.reason}") from None


def list_files(root: Path, control: JobControl | None = None) -> tuple[list[Path], list[SkippedFile]]:
    """Every non-hidden regular file under ``root``, sorted by relative path (see ``folder_listing``).

    Returns:
        ``(files, problems)``: ``problems`` lists subfolders that could not be
        read, links not followed (loops, repeats, broken) and pipes or devices.

    Raises:
        DataError: ``root`` itself cannot be listed.
        JobCancelled: cancel was asked.
    """
    try:
        return folder_listing.list_files(root, control)
    except ListingError as exc:
        raise DataError(f"cannot list the folder {root}: {exc.reason}") from None


def _majority(files: Sequence[Path], root: Path, problems: Sequence[SkippedFile] = ()) -> str:
    if not files and problems:
        first = problems[0]
        raise DataError(f"no files in {root}: {len(problems)} entries skipped, e.g. "
                        f"{os.path.relpath(first.path, root)}: {first.reason}", problems)
    if not files:
        raise DataError(f"empty folder: {root} has no files")
    counts = Counter(modality_of_file(f) for f in files)
    counts.pop(None, None)
    if not counts:
        raise DataError(
            f"nothing usable in {root}: {len(files)} file(s), none of them {_kinds_we_read()}",
            [*problems, *(SkippedFile(str(f), f"not a file type the playground reads ({f.suffix or 'no extension'})",
                                      OTHER_TYPE) for f in files)],
        )
    return max(EXTENSIONS, key=lambda m: counts.get(m, 0))  # max keeps the first of equals


def detect_modality(path: str | os.PathLike[str], control: JobControl | None = None) -> str:
    """"image", "text" or "audio" for a file (by extension) or a folder (by majority).

    Args:
        path: a file or folder.
        control: checked for cancel while a folder is listed.

    Raises:
        DataError: the path does not exist, cannot be read, is an empty folder,
            or holds no file type the playground reads.
        JobCancelled: cancel was asked.
    """
    path = Path(path).expanduser()
    _check_exists(path)
    if path.is_file():
        modality = modality_of_file(path)
        if modality is None:
            raise DataError(
                f"{path} is not a file type the playground reads ({path.suffix or 'no extension'}); "
                f"use {_kinds_we_read()}"
            )
        return modality
    files, problems = list_files(path, control)
    return _majority(files, path, problems)


def _labelled(root: Path, files: Sequence[Path]) -> list[tuple[Path, str]]:
    out = []
    for f in files:
        parts = f.relative_to(root).parts
        out.append((f, parts[0] if len(parts) > 1 else NO_LABEL))
    return out


def load_path_job(path: str | os.PathLike[str]) -> Job:
    """A job loading a file or folder the user picked, as the app and the CLI do.

    Yields ``Progress`` (throttled to about 20 a second; files, or bytes for text)
    and checks for cancel between files (between chunks for text).

    Returns:
        ``ImageDataset``, ``TextDataset`` or ``AudioDataset``; files left out are in
        its ``skipped``, anything changed while reading in its ``notes``.

    Raises:
        DataError: nothing usable was found; ``.skipped`` lists what was tried.
    """
    path = Path(path).expanduser()

    def job(control: JobControl) -> Generator[Any, None, UserDataset]:
        yield Progress(0, 0, f"looking in {path}")
        _check_exists(path)
        if path.is_file():
            modality = detect_modality(path)
            root, chosen, skipped = path.parent, [path], []
            name = path.stem
        else:
            files, skipped = yield from _list(path, control)
            modality = _majority(files, path, skipped)
            root, name = path, path.name or str(path)
            chosen = [f for f in files if modality_of_file(f) == modality]
            skipped += [
                SkippedFile(str(f), f"not {_A_TYPE[modality]} file type ({f.suffix or 'no extension'})", OTHER_TYPE)
                for f in files
                if modality_of_file(f) != modality
            ]
        source = str(path)
        dataset: UserDataset
        if modality == "image":
            reader = image_files.images_job(_labelled(root, chosen), name=name, source=source, skipped=skipped,
                                            root=str(root))
        elif modality == "audio":
            reader = audio_files.audio_job(_labelled(root, chosen), name=name, source=source, skipped=skipped,
                                           root=str(root))
        else:
            reader = text_files.text_job(chosen, name=name, source=source, skipped=skipped)
        dataset = yield from reader(control)
        if dataset.items == 0:
            raise DataError(_nothing_message(path, modality, chosen, dataset.skipped), dataset.skipped)
        return dataset

    return job


def _nothing_message(path: Path, modality: str, chosen: list[Path], skipped: list[SkippedFile]) -> str:
    tried = {str(f) for f in chosen}
    failures = [s for s in skipped if s.path in tried] or skipped
    if path.is_file() and failures:
        return f"cannot use {path}: {failures[0].reason}"
    example = ""
    if failures:
        first = group_skipped(failures)[0].files[0]  # the worst kind of problem: damaged files first
        example = f", e.g. {os.path.relpath(first.path, path)}: {first.reason}"
    return f"no readable {_NOUN[modality]} in {path}: {len(skipped)} file(s) skipped{example}"


def load_path(path: str | os.PathLike[str], on_event: Any = None) -> UserDataset:
    """Load a file or folder in this thread (``load_path_job`` run to the end)."""
    return run_to_end(load_path_job(path), on_event)
