"""Small synthetic datasets for the preprocess tests (Qt-free, fast)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from playground.core.data.dataset import AudioDataset, ImageDataset, PointsDataset, TextDataset


def digits(n_per_label: int = 6, size: int = 28, seed: int = 0) -> ImageDataset:
    """Digits 0-9 drawn with Pillow's font at random offsets: uint8 N x size x size x 1."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for label in range(10):
        for _ in range(n_per_label):
            im = Image.new("L", (size, size), 0)
            x, y = rng.integers(4, size - 10, size=2)
            ImageDraw.Draw(im).text((int(x), int(y)), str(label), fill=255)
            images.append(np.asarray(im)[:, :, None])
            labels.append(label)
    return ImageDataset("digits-test", np.stack(images), np.array(labels), [str(i) for i in range(10)])


def mixed_images(seed: int = 0) -> ImageDataset:
    """Mixed sizes and channels, with an exact duplicate (1 of 0), a near one (2 of 0) and a blank (3)."""
    rng = np.random.default_rng(seed)
    base = (rng.random((40, 30, 3)) * 255).astype(np.uint8)
    near = base.copy()
    near[0, 0] = 255 - near[0, 0]
    images = [
        base,
        base.copy(),
        near,
        np.full((20, 20, 3), 128, dtype=np.uint8),
        (rng.random((16, 24, 1)) * 255).astype(np.uint8),
        (rng.random((64, 64, 3)) * 255).astype(np.uint8),
    ]
    return ImageDataset("mixed-test", images, np.array([0, 0, 1, 1, 2, 2]), ["cat", "dog", "fish"])


SHAKESPEARE = """<h1>Sonnet 18</h1>
Shall I compare thee to a summer's day?
Thou art more lovely and more temperate:
Rough winds do shake the darling buds of May,
And summer's lease hath all too short a date;

Shall I compare thee to a summer's day?
Sometime too hot the eye of heaven shines,
And often is his gold complexion dimm'd;
ﬁne   &amp;   ＦＵＬＬ width
"""


def corpus(repeat: int = 20) -> TextDataset:
    return TextDataset("text-test", SHAKESPEARE * repeat)


def clips(seed: int = 0) -> AudioDataset:
    """Three stereo or mono tones at 22.05 kHz with silence at the start, of different lengths."""
    rng = np.random.default_rng(seed)
    rate = 22050
    out = []
    for k, seconds in enumerate((0.5, 1.3, 0.9)):
        t = np.arange(int(rate * seconds)) / rate
        tone = 0.3 * np.sin(2 * np.pi * (220 * (k + 1)) * t)
        tone[: rate // 10] = 0.0
        clip = np.stack([tone, tone * 0.5], axis=1) if k != 1 else tone
        out.append((clip + 0.001 * rng.standard_normal(clip.shape)).astype(np.float32))
    return AudioDataset("audio-test", out, [rate] * 3, [0, 1, 0], ["low", "high"], captions=["a", "b", "c"])


def points(seed: int = 0) -> PointsDataset:
    rng = np.random.default_rng(seed)
    return PointsDataset("points-test", rng.standard_normal((50, 2)), rng.integers(0, 3, 50), ["a", "b", "c"])
