"""Small thumbnails of a dataset's images, made in a job so big folders never freeze the UI."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
from PIL import Image

from playground.core.data.dataset import ImageDataset
from playground.core.jobs import JobControl, Progress, Throttle

THUMB_SIZE = 48


def thumbnail(image: np.ndarray, size: int = THUMB_SIZE) -> np.ndarray:
    """uint8 H x W x C -> uint8 h x w x C with max(h, w) <= size (aspect kept)."""
    h, w = image.shape[:2]
    if max(h, w) <= size:
        return image
    scale = size / max(h, w)
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    pil = Image.fromarray(image[:, :, 0] if image.shape[2] == 1 else image)
    out = np.asarray(pil.resize(new, Image.Resampling.BOX))
    return out[:, :, None] if out.ndim == 2 else out


def thumbnails_job(dataset: ImageDataset, size: int = THUMB_SIZE):
    """Job: thumbnails for every image; returns an N x h x w x C array or a list."""

    def job(control: JobControl) -> Generator[Any, None, np.ndarray | list[np.ndarray]]:
        images = dataset.images
        if isinstance(images, np.ndarray) and max(images.shape[1:3]) <= size:
            return images  # already small: the grid scales them when drawing
        throttle = Throttle(0.05)
        out: list[np.ndarray] = []
        n = len(dataset)
        for i in range(n):
            if i % 64 == 0:
                control.checkpoint()
                if throttle.ready():
                    yield Progress(i, n, f"Making thumbnails: {i:,} of {n:,}")
            out.append(thumbnail(dataset.image(i), size))
        yield Progress(n, n, "Thumbnails ready")
        if out and all(t.shape == out[0].shape for t in out):
            return np.stack(out)
        return out

    return job
