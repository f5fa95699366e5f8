"""Files the Generate tab saved, read back: their receipts (to restore the settings) and verification.

    receipt = run_to_end(read_receipt_job("seven.png"))     # the settings a PNG or WAV was made with
    run_to_end(verify_media_job("seven.png")).identical      # drawn again, bit for bit?

A file is checked before it is read (a folder, pipe or device would block or
mislead; a huge file is not one the app wrote), so a careless pick gets a
one-line message, never a hang.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

from playground.core.events import Progress
from playground.core.families.generators import Verification, verify_file
from playground.core.generators.receipts import Receipt, read_png_receipt, read_wav_receipt
from playground.core.jobs import Job, JobControl

MAX_SAVED_FILE_BYTES = 50_000_000  # a saved file larger than this is not one the app wrote
DEVICE = "cpu"  # what receipts are verified on (see ``playground.core.generate.text``)


def read_saved(path: str | Path, what: str) -> bytes:
    """The bytes of a file the app may have saved; ValueError (naming ``what`` it should be) otherwise."""
    file = Path(path)
    try:
        if not file.is_file():  # a folder, or a pipe or device, whose reading would block
            raise ValueError(f"{file.name} is not {what} the app saved")
        if file.stat().st_size > MAX_SAVED_FILE_BYTES:
            raise ValueError(f"{file.name} is too large to be {what} the app saved")
        return file.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {file}: {exc.strerror or exc}") from None


def receipt_of(data: bytes, name: str = "the file") -> Receipt:
    """The receipt in a saved PNG or WAV; ValueError when it is neither or has none."""
    if data.startswith(b"\x89PNG"):
        return read_png_receipt(data)
    if data.startswith(b"RIFF") and data[8:12] == b"WAVE":
        return read_wav_receipt(data)
    raise ValueError(f"{name} is neither a PNG nor a WAV saved by the app")


def read_receipt_job(path: str | Path) -> Job:
    """Job: the receipt of a saved PNG or WAV (to put its settings back in the widgets) -> ``Receipt``."""

    def job(control: JobControl) -> Generator[Any, None, Receipt]:
        control.checkpoint()
        return receipt_of(read_saved(path, "a picture or sound"), Path(path).name)
        yield  # no events

    return job


def verify_media_job(path: str | Path, device: str = DEVICE) -> Job:
    """Job: make a saved PNG or WAV again from its receipt and compare -> ``Verification``.

    Raises:
        ValueError: the file cannot be read, has no receipt, or its model cannot be loaded.
    """

    def job(control: JobControl) -> Generator[Any, None, Verification]:
        from playground.core.generate.image_drawers import verify_gan_receipt

        data = read_saved(path, "a picture or sound")
        receipt = receipt_of(data, Path(path).name)
        yield Progress(0, 1, "making it again from its receipt")
        control.checkpoint()
        verification = verify_gan_receipt(receipt, device) if receipt.family == "gan" else verify_file(path, device)
        yield Progress(1, 1, "verified")
        return verification

    return job
