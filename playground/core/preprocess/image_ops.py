"""Pure image operations on float32 H x W x C arrays in [0, 1].

Every function returns a new array (or its input unchanged when there is
nothing to do) and never writes into its input.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "area": Image.Resampling.BOX,
}


def to_unit(image: np.ndarray) -> np.ndarray:
    """uint8 H x W x C (or H x W) -> float32 H x W x C in [0, 1]; RGBA drops alpha."""
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3:
        raise ValueError(f"an image must be H x W x C, got shape {arr.shape}")
    if arr.shape[2] == 4:
        arr = arr[:, :, :3]
    elif arr.shape[2] == 2:  # gray + alpha
        arr = arr[:, :, :1]
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / np.float32(255.0)
    return np.clip(arr.astype(np.float32), 0.0, 1.0)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """float32 [0, 1] H x W x C -> uint8 H x W x C (for display)."""
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _per_channel(image: np.ndarray, fn) -> np.ndarray:  # type: ignore[no-untyped-def]
    planes = [np.asarray(fn(Image.fromarray(np.ascontiguousarray(image[:, :, c])))) for c in range(image.shape[2])]
    return np.stack(planes, axis=2).astype(np.float32, copy=False)


def resize(image: np.ndarray, size: int, method: str) -> np.ndarray:
    """Resize to size x size (a non-square image is stretched)."""
    if image.shape[0] == size and image.shape[1] == size:
        return image
    out = _per_channel(image, lambda im: im.resize((size, size), RESAMPLE[method]))
    return np.clip(out, 0.0, 1.0)


def square(image: np.ndarray, mode: str, fill: str) -> np.ndarray:
    """Centre-crop to the shorter side, or pad to the longer side."""
    h, w = image.shape[:2]
    if h == w:
        return image
    if mode == "crop":
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        return image[top:top + side, left:left + side].copy()
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    pad = ((top, side - h - top), (left, side - w - left), (0, 0))
    if fill == "edge":
        return np.pad(image, pad, mode="edge")
    return np.pad(image, pad, mode="constant", constant_values=1.0 if fill == "white" else 0.0)


_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601, as Pillow's "L"


def grayscale(image: np.ndarray) -> np.ndarray:
    if image.shape[2] == 1:
        return image
    return (image @ _LUMA)[:, :, None].astype(np.float32)


def rgb(image: np.ndarray) -> np.ndarray:
    if image.shape[2] == 3:
        return image
    return np.repeat(image, 3, axis=2)


def border_colour(image: np.ndarray) -> np.ndarray:
    """Mean of the outermost pixels per channel: the fill for rotated corners."""
    edge = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]], axis=0)
    return edge.mean(axis=0)


def affine(image: np.ndarray, angle_deg: float, shift: tuple[float, float], zoom: float) -> np.ndarray:
    """Rotate about the centre, zoom in by ``zoom`` (>= 1) and shift by (dx, dy) pixels.

    Corners uncovered by the move are filled with the border colour.
    """
    h, w = image.shape[:2]
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    t = math.radians(angle_deg)
    cos, sin = math.cos(t) / zoom, math.sin(t) / zoom
    dx, dy = shift
    # Output pixel (x, y) samples input C + R(-t)/zoom (out - C - shift); Pillow wants that inverse map.
    a, b = cos, sin
    d, e = -sin, cos
    ox, oy = -cx - dx, -cy - dy
    coeffs = (a, b, a * ox + b * oy + cx, d, e, d * ox + e * oy + cy)
    fill = border_colour(image)
    planes = []
    for c in range(image.shape[2]):
        im = Image.fromarray(np.ascontiguousarray(image[:, :, c]))
        moved = im.transform((w, h), Image.Transform.AFFINE, coeffs,
                             resample=Image.Resampling.BILINEAR, fillcolor=float(fill[c]))
        planes.append(np.asarray(moved))
    return np.clip(np.stack(planes, axis=2), 0.0, 1.0).astype(np.float32, copy=False)


def colour_jitter(image: np.ndarray, brightness: float, contrast: float, saturation: float) -> np.ndarray:
    """Scale brightness, contrast (about the mean) and saturation (RGB only)."""
    out = image * np.float32(brightness)
    mean = out.mean()
    out = (out - mean) * np.float32(contrast) + mean
    if out.shape[2] == 3:
        gray = (out @ _LUMA)[:, :, None]
        out = gray + (out - gray) * np.float32(saturation)
    return np.clip(out, 0.0, 1.0).astype(np.float32, copy=False)


# Perceptual hashes -----------------------------------------------------------

def gray_thumbnails(images: list[np.ndarray], w: int = 32, h: int = 32) -> np.ndarray:
    """Gray, area-averaged thumbnails: float32 N x h x w in [0, 1]."""
    out = np.empty((len(images), h, w), dtype=np.float32)
    for i, image in enumerate(images):
        gray = grayscale(image)[:, :, 0]
        out[i] = np.asarray(Image.fromarray(np.ascontiguousarray(gray)).resize((w, h), Image.Resampling.BOX))
    return out


def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    return np.cos(np.pi * (2 * x + 1) * k / (2 * n)).astype(np.float32)


def _pack(bits: np.ndarray) -> np.ndarray:
    return np.packbits(bits.reshape(len(bits), 64), axis=1).view(">u8").ravel().astype(np.uint64)


def phash(thumbs: np.ndarray) -> np.ndarray:
    """64-bit DCT perceptual hashes (Zauner 2010, "pHash") of N x 32 x 32 thumbnails.

    2D DCT -> the 8 x 8 lowest frequencies -> bit = above their median (DC excluded).
    """
    if len(thumbs) == 0:
        return np.zeros(0, dtype=np.uint64)
    d = _dct_matrix(thumbs.shape[1])[:8]
    low = np.einsum("ij,njk,lk->nil", d, thumbs, d)  # N x 8 x 8
    flat = low.reshape(len(thumbs), 64)
    median = np.median(flat[:, 1:], axis=1, keepdims=True)  # the DC term would skew it
    return _pack(flat > median)


def dhash(images: list[np.ndarray]) -> np.ndarray:
    """64-bit difference hashes (Krawetz 2013): is each pixel brighter than its left neighbour."""
    if not images:
        return np.zeros(0, dtype=np.uint64)
    small = gray_thumbnails(images, 9, 8)
    return _pack(small[:, :, 1:] > small[:, :, :-1])


_POP8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def popcount(values: np.ndarray) -> np.ndarray:
    """Set bits per uint64."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(values)
    return _POP8[values.view(np.uint8)].reshape(len(values), 8).sum(axis=1)
