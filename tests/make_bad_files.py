"""Real files, good and bad, for the user-data loader tests (images, text, audio)."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image

RGBA_PIXEL = (200, 100, 50, 128)  # composited onto black: (100, 50, 25)


def _rgb(h: int, w: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def png_bytes(h: int = 16, w: int = 16, seed: int = 0) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(_rgb(h, w, seed)).save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes(h: int = 16, w: int = 16, seed: int = 0) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(_rgb(h, w, seed)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels but holds no image data (a bomb header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def write_good_images(root: Path) -> dict[str, tuple[int, ...]]:
    """Two labels ("cats", "dogs") in every supported format; returns name -> expected shape."""
    cats, dogs = root / "cats", root / "dogs"
    cats.mkdir(parents=True, exist_ok=True)
    dogs.mkdir(parents=True, exist_ok=True)
    shapes: dict[str, tuple[int, ...]] = {}

    (cats / "a.png").write_bytes(png_bytes(seed=1))
    shapes["a.png"] = (16, 16, 3)
    (cats / "b.jpg").write_bytes(jpeg_bytes(seed=2))
    shapes["b.jpg"] = (16, 16, 3)
    Image.fromarray(_rgb(16, 16, 3)).save(cats / "c.bmp")
    shapes["c.bmp"] = (16, 16, 3)
    # Animated GIF: only the first frame is kept.
    frames = [Image.fromarray(_rgb(16, 16, s)).convert("P") for s in (4, 5, 6)]
    frames[0].save(cats / "d.gif", save_all=True, append_images=frames[1:], duration=50, loop=0)
    shapes["d.gif"] = (16, 16, 3)
    Image.fromarray(_rgb(16, 16, 7)).save(dogs / "e.webp", lossless=True)
    shapes["e.webp"] = (16, 16, 3)
    Image.new("RGBA", (16, 16), RGBA_PIXEL).save(dogs / "f_rgba.png")
    shapes["f_rgba.png"] = (16, 16, 3)
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(dogs / "g_cmyk.jpg")
    shapes["g_cmyk.jpg"] = (16, 16, 3)
    # EXIF orientation 6: stored 20 wide x 10 high, shown 10 wide x 20 high.
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(_rgb(10, 20, 8)).save(dogs / "h_rotated.jpg", exif=exif.tobytes())
    shapes["h_rotated.jpg"] = (20, 10, 3)
    # Larger than 128 px: scaled down keeping the aspect ratio.
    Image.fromarray(_rgb(150, 300, 9)).save(dogs / "i_big.png")
    shapes["i_big.png"] = (64, 128, 3)
    # 16-bit grayscale, full white: promoted to 3 channels because the folder has colour images.
    Image.fromarray(np.full((16, 16), 65535, np.uint16)).save(dogs / "j_16bit.png")
    shapes["j_16bit.png"] = (16, 16, 3)
    return shapes


def write_bad_images(root: Path) -> dict[str, str]:
    """Every kind of bad file; returns name -> a word its skip reason must contain."""
    root.mkdir(parents=True, exist_ok=True)
    expect: dict[str, str] = {}
    (root / "noise.png").write_bytes(np.random.default_rng(0).integers(0, 256, 500, dtype=np.uint8).tobytes())
    expect["noise.png"] = "not an image"
    (root / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x13" * 200)
    expect["corrupt.png"] = "damaged"
    png = png_bytes(64, 64, seed=10)
    (root / "truncated.png").write_bytes(png[: len(png) // 2])
    expect["truncated.png"] = "truncated"
    jpg = jpeg_bytes(64, 64, seed=11)
    (root / "truncated.jpg").write_bytes(jpg[: len(jpg) // 2])
    expect["truncated.jpg"] = "truncated"
    (root / "notes.png").write_text("these are my notes, not a picture\n")
    expect["notes.png"] = "looks like text"
    (root / "bomb_error.png").write_bytes(png_header_only(100_000, 100_000))  # past twice the limit
    expect["bomb_error.png"] = "decompression bomb"
    (root / "bomb_warning.png").write_bytes(png_header_only(10_000, 10_000))  # past the limit only
    expect["bomb_warning.png"] = "decompression bomb"
    (root / "empty.gif").write_bytes(b"")
    expect["empty.gif"] = "empty file"
    (root / "README.txt").write_text("photos of my pets\n")
    expect["README.txt"] = "not an image file type"
    (root / ".DS_Store").write_bytes(b"\x00\x01hidden")  # hidden: ignored, not listed
    return expect


def write_audio(root: Path) -> None:
    """Good WAV (mono), FLAC (stereo), OGG and a 31 s WAV in two labels, plus bad files."""
    (root / "speech").mkdir(parents=True, exist_ok=True)
    (root / "music").mkdir(parents=True, exist_ok=True)
    t = np.arange(8000) / 8000.0
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    sf.write(root / "speech" / "a.wav", tone, 8000, subtype="PCM_16")
    sf.write(root / "music" / "b.flac", np.stack([tone, -tone], axis=1), 8000)
    sf.write(root / "music" / "c.ogg", tone, 8000, format="OGG", subtype="VORBIS")
    sf.write(root / "speech" / "long.wav", np.zeros(31 * 8000, np.float32), 8000)
    (root / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk" * 4)
    (root / "empty.flac").write_bytes(b"")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def invalid_apng_bytes(seed: int = 20) -> bytes:
    """A PNG with an animation-control chunk claiming 0 frames: Pillow warns "Invalid APNG" and reads it."""
    png = png_bytes(8, 8, seed=seed)
    return png[:33] + _png_chunk(b"acTL", struct.pack(">II", 0, 0)) + png[33:]  # 33: signature + IHDR


def corrupt_exif_jpeg_bytes(seed: int = 21) -> bytes:
    """A JPEG whose EXIF block names 100 bytes of text that are not there: Pillow warns, then reads it."""
    tiff = b"II*\x00" + struct.pack("<IH", 8, 1) + struct.pack("<HHII", 0x010E, 2, 100, 26) + struct.pack("<I", 0)
    buf = io.BytesIO()
    Image.fromarray(_rgb(8, 8, seed)).save(buf, "JPEG", exif=b"Exif\x00\x00" + tiff)
    return buf.getvalue()


def malformed_mpo_bytes(seed: int = 22) -> bytes:
    """A JPEG with a multi-picture (MPO) index that has no picture count: Pillow warns and reads the JPEG."""
    jpg = jpeg_bytes(8, 8, seed=seed)
    body = b"MPF\x00" + b"II*\x00" + struct.pack("<IHI", 8, 0, 0)
    return jpg[:2] + b"\xff\xe2" + struct.pack(">H", len(body) + 2) + body + jpg[2:]


def write_warning_images(root: Path) -> dict[str, str]:
    """Images Pillow reads with a warning; returns name -> words of the warning."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "apng.png").write_bytes(invalid_apng_bytes())
    (root / "exif.jpg").write_bytes(corrupt_exif_jpeg_bytes())
    (root / "mpo.jpg").write_bytes(malformed_mpo_bytes())
    return {"apng.png": "Invalid APNG", "exif.jpg": "Tag data larger than file", "mpo.jpg": "malformed MPO"}


def write_link_traps(root: Path, outside: Path) -> None:
    """Links a listing must not follow twice, and files it must never open.

    ``root``: a.png, cats/c.png (real); self -> . and cats/up -> .. (loops);
    kittens -> cats and again.png -> cats/c.png (repeats); out1 and out2 -> ``outside``
    (one folder outside, holding x.png: listed once); broken.png (dangling); pipe.png
    (a FIFO); zero.png -> /dev/zero (a device).
    """
    (root / "cats").mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    (root / "a.png").write_bytes(png_bytes(seed=30))
    (root / "cats" / "c.png").write_bytes(png_bytes(seed=31))
    (outside / "x.png").write_bytes(png_bytes(seed=32))
    (root / "self").symlink_to(".")
    (root / "cats" / "up").symlink_to("..")
    (root / "kittens").symlink_to("cats")
    (root / "again.png").symlink_to(Path("cats") / "c.png")
    (root / "out1").symlink_to(outside)
    (root / "out2").symlink_to(outside)
    (root / "broken.png").symlink_to(root / "nowhere.png")
    os.mkfifo(root / "pipe.png")
    (root / "zero.png").symlink_to("/dev/zero")
