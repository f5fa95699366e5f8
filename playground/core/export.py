"""Exports a user keeps: PNG grids with the run's settings in their text fields, and GIFs.

Every file is written atomically, so an export never leaves half a file behind.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from playground.core.atomic import atomic_path


def _pil(image: np.ndarray) -> Image.Image:
    arr = np.asarray(image, dtype=np.uint8)
    return Image.fromarray(arr[:, :, 0] if arr.ndim == 3 and arr.shape[2] == 1 else arr)


def save_png(path: str | os.PathLike, image: np.ndarray, metadata: Mapping[str, Any] | None = None, scale: int = 1) -> None:
    """Write uint8 H x W (x C) ``image`` as PNG; each metadata item becomes a tEXt field."""
    pil = _pil(image)
    if scale > 1:
        pil = pil.resize((pil.width * scale, pil.height * scale), Image.Resampling.NEAREST)
    info = PngInfo()
    for key, value in (metadata or {}).items():
        info.add_text(str(key), value if isinstance(value, str) else json.dumps(value))
    with atomic_path(path) as tmp:
        pil.save(tmp, format="PNG", pnginfo=info)


def save_gif(path: str | os.PathLike, frames: Sequence[np.ndarray], frame_ms: int = 120, scale: int = 1) -> None:
    """Write uint8 frames (all the same shape) as a looping animated GIF."""
    if not frames:
        raise ValueError("there are no frames to export yet: train for a few steps first")
    pils = [_pil(f) for f in frames]
    if scale > 1:
        pils = [p.resize((p.width * scale, p.height * scale), Image.Resampling.NEAREST) for p in pils]
    with atomic_path(path) as tmp:
        pils[0].save(tmp, format="GIF", save_all=True, append_images=pils[1:], duration=frame_ms, loop=0)
