"""Reading the user's text files into a ``TextDataset``, with progress by bytes.

Files are read in chunks of ``CHUNK_BYTES`` so a 100 MB file shows progress and
can be cancelled between chunks. Decoding: UTF-8 (a byte-order mark is
dropped); a file that is not valid UTF-8 is decoded as cp1252, or latin-1 when
cp1252 fails too, and a note says so. A UTF-16 file (it starts with a UTF-16
byte-order mark) is decoded as UTF-16. Windows and old-Mac line endings become
``\\n``. Several files are joined in sorted order with a blank line between them.
Python's codecs raise errors, never warnings, so unlike images nothing here
could reach stderr; a named pipe or device file is refused without being opened.
"""

from __future__ import annotations

import codecs
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

from playground.core.data.dataset import TextDataset
from playground.core.data.file_scan import open_regular
from playground.core.data.skipped import DAMAGED, UNREADABLE, WRONG_CONTENT, FileProblem, SkippedFile, skip_of
from playground.core.jobs import Job, JobControl, Progress, Throttle

EXTENSIONS = (".txt", ".text", ".md", ".markdown", ".csv", ".tsv")
CHUNK_BYTES = 4 * 1024 * 1024  # read size; progress and cancel happen between chunks

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_text_chunks(path: Path, control: JobControl) -> Generator[int, None, tuple[str, str | None]]:
    """Read and decode one text file, yielding the bytes read so far after each chunk.

    Args:
        path: the file.
        control: checked for cancel between chunks.

    Returns:
        ``(text, encoding_note)``; the note is None for plain UTF-8.

    Raises:
        FileProblem: (a ``ValueError``) the file is not usable text; the message is the reason.
        JobCancelled: cancel was asked.
    """
    fh, size = open_regular(path)
    try:
        buf = bytearray(size)
        view = memoryview(buf)
        got = 0
        utf16 = False
        with fh:
            while got < size:
                control.checkpoint()
                n = fh.readinto(view[got : got + CHUNK_BYTES])
                if not n:
                    break  # the file shrank while we read it
                if got == 0:
                    utf16 = buf.startswith(_UTF16_BOMS)  # UTF-16 text is full of NUL bytes
                if not utf16 and buf.find(b"\x00", got, got + n) >= 0:
                    raise FileProblem("binary file (contains NUL bytes), not text", WRONG_CONTENT)
                got += n
                yield got
        view.release()
        del buf[got:]
    except OSError as exc:
        raise FileProblem(f"cannot read the file ({exc.strerror or exc})", UNREADABLE) from None
    control.checkpoint()
    return _decode(buf, path.name)


def _decode(raw: bytearray, name: str) -> tuple[str, str | None]:
    if raw.startswith(_UTF16_BOMS):
        try:
            return raw.decode("utf-16"), f"decoded {name} as UTF-16"
        except UnicodeDecodeError:
            raise FileProblem("damaged UTF-16 text (odd number of bytes or a broken character)", DAMAGED) from None
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), f"decoded {name} as cp1252 (not valid UTF-8)"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), f"decoded {name} as latin-1 (neither UTF-8 nor cp1252)"


def text_job(
    files: Sequence[Path],
    *,
    name: str,
    source: str = "",
    skipped: Sequence[SkippedFile] = (),
) -> Job:
    """A job reading ``files`` (in the order given) into one ``TextDataset``.

    Yields ``Progress`` in bytes (done, total) at most 20 times a second. Returns
    the dataset, possibly empty; unusable files are added to ``skipped``.
    """

    def job(control: JobControl) -> Generator[Any, None, TextDataset]:
        throttle = Throttle(0.05)
        left_out = list(skipped)
        notes: list[str] = []
        sizes = [_size(path) for path in files]
        total = sum(sizes)
        before = 0
        texts: list[str] = []
        used: list[str] = []
        crlf = 0
        for path, size in zip(files, sizes):
            reader = read_text_chunks(path, control)
            try:
                while True:
                    got = next(reader)
                    if throttle.ready():
                        yield Progress(before + got, total, f"reading text: {path.name}")
            except StopIteration as stop:
                text, note = stop.value
            except ValueError as exc:
                left_out.append(skip_of(str(path), exc))
                before += size
                continue
            before += size
            if not text:
                left_out.append(SkippedFile(str(path), "empty file (nothing after the byte-order mark)", DAMAGED))
                continue
            if "\r" in text:
                crlf += 1
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            if note:
                notes.append(note)
            texts.append(text)
            used.append(str(path))
        if crlf:
            notes.append(f"{crlf} file(s) had Windows or old-Mac line endings; they were changed to \\n")
        yield Progress(total, total, "text read")
        if len(texts) > 1:
            # One blank line between files, whether or not each ends in a newline.
            text = "\n".join(t if t.endswith("\n") else t + "\n" for t in texts)
        else:
            text = texts[0] if texts else ""
        return TextDataset(name=name, text=text, files=used, source=source, skipped=left_out, notes=notes)

    return job


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
