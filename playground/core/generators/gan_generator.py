"""Generate images (or 2D points) from a trained GAN checkpoint.

    gen = load("runs/mnist", device="auto")
    result = gen.generate(GANRequest(n=16, label=7, seed=3))
    result.images  # uint8 16 x 28 x 28 x 1

The same seed gives the same samples: noise is drawn on the CPU from a
``torch.Generator`` seeded with ``seed`` (then moved to the device), and the
first k samples do not depend on ``n``. Samples come from EMA-G when the run
kept one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from playground.core.data.dataset import denormalise
from playground.core.device import resolve_device
from playground.core.jobs import JobCancelled
from playground.core.models.dcgan import with_codes
from playground.core.training.checkpoint import GANCheckpoint, load_checkpoint


@dataclass(frozen=True)
class GANRequest:
    n: int = 16  # how many samples
    label: int | None = None  # class index for a conditional model; None: random classes
    code: int | None = None  # InfoGAN code for every sample; None: random codes
    seed: int = 0  # the same seed gives the same samples
    batch_size: int = 256  # samples per forward pass

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError("ask for at least one sample")
        if self.batch_size < 1:
            raise ValueError("batch size must be at least 1")


@dataclass(frozen=True)
class GANResult:
    images: np.ndarray  # uint8 N x H x W x C (empty (0, 1, 1, 1) for a points model)
    labels: np.ndarray | None  # int64 (N,) classes asked for, or None (unconditional)
    points: np.ndarray | None  # float32 N x 2 for a points model, else None
    seed: int


class GANGenerator:
    """A loaded GAN ready to sample; build it with ``load``."""

    def __init__(self, checkpoint: GANCheckpoint, device: torch.device) -> None:
        if checkpoint.trainer is None:
            raise ValueError("the checkpoint was not loaded with its networks")
        self.checkpoint, self.device = checkpoint, device
        self.trainer = checkpoint.trainer
        self.config = checkpoint.config
        self.label_names = list(checkpoint.label_names)

    @property
    def conditional(self) -> bool:
        return bool(self.config.conditional)

    def noise(self, n: int, seed: int) -> torch.Tensor:
        """The latent vectors for ``seed``: float32 n x z_dim on the CPU (noise, then any
        InfoGAN code)."""
        gen = torch.Generator().manual_seed(int(seed))
        return self.trainer.draw_latent(n, gen).cpu()

    def with_code(self, z: torch.Tensor, code: int) -> torch.Tensor:
        """``z`` with every sample's InfoGAN code set to ``code``."""
        codes, latent = self.trainer.codes, self.config.latent_dim
        if not codes:
            raise ValueError("this model was trained without InfoGAN codes: it cannot be asked for one")
        if not (0 <= code < codes):
            raise ValueError(f"code {code} is out of range: this model has codes 0-{codes - 1}")
        return with_codes(z, latent, torch.full((len(z),), int(code), dtype=torch.int64))

    def _labels(self, request: GANRequest) -> torch.Tensor | None:
        if not self.conditional:
            if request.label is not None:
                raise ValueError("this model is not conditional: it cannot be asked for a class")
            return None
        k = self.config.num_classes
        if request.label is not None:
            if not (0 <= request.label < k):
                raise ValueError(f"label {request.label} is out of range: this model knows classes 0-{k - 1}")
            return torch.full((request.n,), int(request.label), dtype=torch.int64)
        gen = torch.Generator().manual_seed(int(request.seed) + 1)
        return torch.randint(0, k, (request.n,), generator=gen)

    def decode(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> np.ndarray:
        """G(z) in display form: uint8 N x H x W x C (images) or float32 N x 2 (points)."""
        out = self.trainer.sample(z.to(self.device), None if labels is None else labels.to(self.device)).cpu().numpy()
        ckpt = self.checkpoint
        if ckpt.kind == "points":
            center, scale = np.asarray(ckpt.norm["center"], dtype=np.float32), float(ckpt.norm["scale"])
            return (out * scale + center).astype(np.float32)
        return denormalise(out, ckpt.norm)

    def generate(self, request: GANRequest, *, on_step: Callable[[int, int], None] | None = None,
                 cancel: Callable[[], bool] | None = None) -> GANResult:
        """Sample ``request.n`` items.

        Args:
            on_step: called with (done, total) samples after each batch.
            cancel: polled between batches; when it returns True, ``JobCancelled`` is raised.
        """
        z, labels = self.noise(request.n, request.seed), self._labels(request)
        if request.code is not None:
            z = self.with_code(z, request.code)
        parts: list[np.ndarray] = []
        for start in range(0, request.n, request.batch_size):
            if cancel is not None and cancel():
                raise JobCancelled()
            stop = min(request.n, start + request.batch_size)
            parts.append(self.decode(z[start:stop], None if labels is None else labels[start:stop]))
            if on_step is not None:
                on_step(stop, request.n)
        out = np.concatenate(parts)
        lab = None if labels is None else labels.numpy()
        if self.checkpoint.kind == "points":
            return GANResult(np.zeros((0, 1, 1, 1), dtype=np.uint8), lab, out, request.seed)
        return GANResult(out, lab, None, request.seed)

    def interpolate(self, seed_a: int, seed_b: int, steps: int = 8, label: int | None = None) -> np.ndarray:
        """Samples along the straight line between two seeds' noise: uint8 steps x H x W x C."""
        za, zb = self.noise(1, seed_a), self.noise(1, seed_b)
        t = torch.linspace(0.0, 1.0, max(2, steps))[:, None]
        z = (1 - t) * za + t * zb
        labels = None
        if self.conditional:
            labels = torch.full((len(z),), 0 if label is None else int(label), dtype=torch.int64)
        return self.decode(z, labels)


def load(path: str | Path, device: str | torch.device = "auto") -> GANGenerator:
    """Load a checkpoint (or run) folder for sampling; raises ``CheckpointError`` if unusable."""
    dev = resolve_device(device) if isinstance(device, str) else torch.device(device)
    return GANGenerator(load_checkpoint(path, dev, with_optim=False), dev)
