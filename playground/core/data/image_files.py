"""Reading the user's image files into an ``ImageDataset``, skipping bad ones with a reason.

Every file is fully decoded with Pillow (``Image.open`` then ``load``), so a
truncated or damaged file is caught here rather than halfway through training.
Choices, so that thousands of odd files end up as one tidy array:

* Mode: grayscale files (``1``, ``L``, ``I;16``, a gray palette) become
  ``H x W x 1``; everything else (palette, CMYK, YCbCr) becomes ``H x W x 3``.
  16-bit samples are scaled to 8 bits.
* Transparency is composited onto black (as if the alpha were premultiplied),
  the same for every file.
* Animated GIF and WebP: the first frame. EXIF orientation is applied.
* Size: images longer than ``MAX_SIDE`` (128 px) on their long side are scaled
  down to 128, keeping the aspect ratio, so that a folder of 60,000 photos stays
  in memory (60,000 x 128 x 128 x 3 bytes is under 3 GB; at 28 x 28 it is 141 MB).
* Pillow's decompression-bomb limit (``Image.MAX_IMAGE_PIXELS``) is kept: a file
  claiming more pixels is skipped, never decoded.
* If a folder mixes grayscale and colour images, the grayscale ones are
  repeated to three channels so the set has one channel count.
"""

from __future__ import annotations

import codecs
import os
import re
import warnings
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from playground.core.data.dataset import ImageDataset
from playground.core.data.file_scan import numbered, open_regular, read_each
from playground.core.data.skipped import DAMAGED, TOO_LARGE, WRONG_CONTENT, FileProblem, SkippedFile
from playground.core.jobs import Job, JobControl

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
MAX_SIDE = 128  # long side in pixels after loading; larger images are scaled down
NO_LABEL = "(none)"  # label of files directly in the chosen folder (not in a subfolder)

_SIXTEEN_BIT = ("I", "I;16", "I;16L", "I;16B", "I;16N")
_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")
_MAGIC = ((b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"), (b"BM", "BMP"), (b"RIFF", "WebP"))


def read_image(path: str | os.PathLike[str], max_side: int = MAX_SIDE) -> np.ndarray:
    """Decode one image file fully.

    Args:
        path: the file; its extension is not trusted, Pillow reads the content.
        max_side: images longer than this on their long side are scaled down to it.

    Returns:
        uint8 H x W x C, C is 1 (grayscale) or 3 (colour).

    Raises:
        FileProblem: (a ``ValueError``) the file cannot be used; the message is the
            reason, in words a user can act on ("empty file (0 bytes)", "permission
            denied", ...). Pipes and device files are refused without being opened.

    Pillow's warnings (corrupt EXIF data, an invalid APNG) are not caught here;
    ``images_job`` turns them into notes.
    """
    path = Path(path)
    fh, _size = open_regular(path)
    try:
        with fh, warnings.catch_warnings():
            # Over the limit Pillow only warns (errors at twice the limit); a user's
            # folder must not be able to make us decode a gigapixel file. The filter is
            # process-wide but touches only this category, for the length of one file.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(fh) as im:
                if im.format == "JPEG":
                    im.draft(im.mode, (max_side, max_side))  # decode at 1/2..1/8 scale
                im.load()
                return _to_array(im, max_side)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        found = _BOMB_PIXELS.search(str(exc))
        pixels = found.group(1) if found else "too many"
        raise FileProblem(f"decompression bomb: {pixels} pixels exceeds Pillow's limit", TOO_LARGE) from None
    except UnidentifiedImageError:
        raise _not_an_image(path) from None
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a bad file, never a crash
        detail = " ".join((str(exc) or type(exc).__name__).split())
        raise FileProblem(f"damaged or truncated image ({detail})", DAMAGED) from None


def _not_an_image(path: Path) -> FileProblem:
    try:
        fh, _size = open_regular(path)
        with fh:
            head = fh.read(512)
    except (OSError, ValueError):
        head = b""
    if head and b"\x00" not in head:
        try:
            codecs.utf_8_decode(head, "strict", False)  # not final: the cut may split a character
            return FileProblem("not an image (looks like text)", WRONG_CONTENT)
        except UnicodeDecodeError:
            pass
    for magic, kind in _MAGIC:
        if head.startswith(magic) and (kind != "WebP" or head[8:12] == b"WEBP"):
            return FileProblem(f"damaged image (starts like a {kind} file but Pillow cannot read its header)",
                               DAMAGED)
    return FileProblem("not an image (Pillow does not recognise the format)", WRONG_CONTENT)


def _to_array(im: Image.Image, max_side: int) -> np.ndarray:
    """A loaded image -> uint8 H x W x C (C 1 or 3), oriented and scaled down."""
    ImageOps.exif_transpose(im, in_place=True)
    im = _plain_mode(im)
    w, h = im.size
    if max(w, h) > max_side:
        scale = max_side / max(w, h)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        im = im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    arr = np.asarray(im)
    if arr.ndim == 2:
        return arr[:, :, None].copy()
    if im.mode in ("LA", "RGBA"):
        colour, alpha = arr[:, :, :-1].astype(np.uint16), arr[:, :, -1:].astype(np.uint16)
        arr = ((colour * alpha + 127) // 255).astype(np.uint8)  # onto black
    return np.ascontiguousarray(arr)


def _plain_mode(im: Image.Image) -> Image.Image:
    """Any Pillow mode -> one of "L", "LA", "RGB", "RGBA"."""
    mode = im.mode
    if mode in ("L", "LA", "RGB", "RGBA"):
        return im
    if mode in _SIXTEEN_BIT:
        wide = np.asarray(im).astype(np.float32)
        return Image.fromarray(np.clip(wide / 257.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if mode == "F":
        return Image.fromarray(np.clip(np.asarray(im), 0, 255).astype(np.uint8), "L")
    if mode == "1":
        return im.convert("L")
    if mode == "La":
        return im.convert("LA")
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in im.info
        rgb = im.convert("RGBA" if has_alpha else "RGB")
        arr = np.asarray(rgb)
        if (arr[:, :, 0] == arr[:, :, 1]).all() and (arr[:, :, 1] == arr[:, :, 2]).all():
            return rgb.convert("LA" if has_alpha else "L")
        return rgb
    if mode in ("RGBa", "RGBX"):
        return im.convert("RGBA" if mode == "RGBa" else "RGB")
    return im.convert("RGB")  # CMYK, YCbCr, LAB, HSV


def images_job(
    entries: Sequence[tuple[Path, str]],
    *,
    name: str,
    source: str = "",
    skipped: Sequence[SkippedFile] = (),
    max_side: int = MAX_SIDE,
    root: str = "",
) -> Job:
    """A job reading ``entries`` (file, label name) into an ``ImageDataset``.

    Yields ``Progress`` (files done, files total) at most 20 times a second and
    checks for cancel between files. Returns the dataset, possibly empty; bad
    files are listed in its ``skipped`` after the ``skipped`` passed in, and
    warnings while reading a file in its ``notes`` (files named relative to
    ``root``).
    """

    def job(control: JobControl) -> Generator[Any, None, ImageDataset]:
        images, label_of, left_out, warned = yield from read_each(
            entries, lambda path: read_image(path, max_side), control, skipped, "reading images", root)
        dataset = assemble(images, label_of, name=name, source=source, skipped=left_out)
        dataset.notes.extend(warned)
        return dataset

    return job


def assemble(
    images: list[np.ndarray],
    label_of: list[str],
    *,
    name: str,
    source: str = "",
    skipped: list[SkippedFile] | None = None,
) -> ImageDataset:
    """Decoded images and their label names -> an ``ImageDataset``.

    Labels are numbered in sorted name order. Grayscale images are repeated to
    three channels when colour ones are present; images that all share a shape
    are stacked into one N x H x W x C array.
    """
    notes: list[str] = []
    grey = [i for i, im in enumerate(images) if im.shape[2] == 1]
    if grey and len(grey) < len(images):
        for i in grey:
            images[i] = np.repeat(images[i], 3, axis=2)
        notes.append(f"{len(grey)} grayscale images were repeated to 3 channels to match the colour ones")
    label_names, numbers = numbered(label_of)
    labels = np.array(numbers, dtype=np.int64)
    stored: np.ndarray | list[np.ndarray] = images
    if images and all(im.shape == images[0].shape for im in images):
        stored = np.stack(images)
    elif not images:
        stored = []
    return ImageDataset(
        name=name,
        images=stored,
        labels=labels,
        label_names=label_names,
        source=source,
        skipped=list(skipped or []),
        notes=notes,
    )
