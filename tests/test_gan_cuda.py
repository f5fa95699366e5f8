"""The CUDA path: tensors stay on the GPU, events carry numpy, checkpoints move between devices.

Skipped on machines without a GPU (CI has none); run where one is lent with
``python -m pytest tests/test_gan_cuda.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.core import families
from playground.core.events import ImageGrid
from playground.core.families.generators import load_generator
from playground.core.families.session import session_job
from playground.core.jobs import Metrics, collect
from playground.core.preprocess.prepared import PreparedImages

GAN = families.get("gan")


def train_gan_job(data, settings, out_dir):
    return session_job(GAN, None, settings, prepared=data, out_dir=out_dir, extras=False)

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def tiny_data(n: int = 64) -> PreparedImages:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (n, 1, 16, 16)).astype(np.float32)
    labels = np.arange(n) % 4
    return PreparedImages(x, labels, ["a", "b", "c", "d"], {"kind": "minus1_1"}, {"steps": []}, "tiny")


@pytest.mark.parametrize("mixed", [False, True])
def test_training_on_cuda_emits_numpy_and_finite_losses(tmp_path, mixed):
    settings = GAN.preset("tiny", device="cuda", mixed_precision=mixed, conditional=True)
    result, events = collect(train_gan_job(tiny_data(), settings, out_dir=tmp_path))
    metrics = [e for e in events if isinstance(e, Metrics)]
    samples = [e for e in events if isinstance(e, ImageGrid)]
    assert metrics and samples
    assert all(np.isfinite(v) for e in metrics for k, v in e.values.items() if k in ("d_loss", "g_loss"))
    assert all(isinstance(s.images, np.ndarray) and s.images.dtype == np.uint8 for s in samples)
    assert result.checkpoint is not None


def test_checkpoint_from_cuda_samples_the_same_on_cpu(tmp_path):
    from playground.core.generators.gan_generator import GANRequest

    result, _ = collect(train_gan_job(tiny_data(), GAN.preset("tiny", device="cuda"), out_dir=tmp_path))
    on_gpu = load_generator(result.checkpoint, "cuda").generate(GANRequest(n=8, seed=3)).images
    again = load_generator(result.checkpoint, "cuda").generate(GANRequest(n=8, seed=3)).images
    on_cpu = load_generator(result.checkpoint, "cpu").generate(GANRequest(n=8, seed=3)).images
    assert np.array_equal(on_gpu, again)
    assert np.abs(on_gpu.astype(int) - on_cpu.astype(int)).max() <= 2  # float rounding differs by device
