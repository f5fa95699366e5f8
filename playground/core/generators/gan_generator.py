"""Generate images (or 2D points) from a trained GAN checkpoint.

    gen = load("runs/mnist", device="auto")
    result = gen.generate(GANRequest(n=16, label=7, seed=3))
    result.images  # uint8 16 x 28 x 28 x 1

The same seed gives the same samples: noise is drawn on the CPU from a
``torch.Generator`` seeded with ``seed`` (then moved to the device), one whole
batch at a time, so the first k samples do not depend on ``n`` and a count of
millions never holds more than one batch of noise. Samples come from EMA-G
when the run kept one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError("ask for at least one sample")


@dataclass(frozen=True)
class GANResult:
    images: np.ndarray  # uint8 N x H x W x C (empty (0, 1, 1, 1) for a points model)
    labels: np.ndarray | None  # int64 (N,) classes asked for, or None (unconditional)
    points: np.ndarray | None  # float32 N x 2 for a points model, else None
    seed: int


BATCH = 256  # samples per forward pass; noise is drawn a whole batch at a time


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

    def item_bytes(self) -> int:
        """Bytes one sample takes in a result (uint8 pixels, or two float32 coordinates)."""
        if self.checkpoint.kind == "points":
            return 8
        size = 1
        for v in self.checkpoint.image_shape:
            size *= int(v)
        return size

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

    def _check_label(self, label: int | None) -> None:
        if not self.conditional:
            if label is not None:
                raise ValueError("this model is not conditional: it cannot be asked for a class")
            return
        k = self.config.num_classes
        if label is not None and not (0 <= label < k):
            raise ValueError(f"label {label} is out of range: this model knows classes 0-{k - 1}")

    def _batches(self, request: GANRequest) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        """(latents, labels) for ``request``, one batch of ``BATCH`` draws at a time."""
        noise_gen = torch.Generator().manual_seed(int(request.seed))
        label_gen = torch.Generator().manual_seed(int(request.seed) + 1)
        for start in range(0, request.n, BATCH):
            take = min(BATCH, request.n - start)
            z = self.trainer.draw_latent(BATCH, noise_gen).cpu()[:take]
            if request.code is not None:
                z = self.with_code(z, request.code)
            labels = None
            if self.conditional:
                labels = torch.randint(0, self.config.num_classes, (BATCH,), generator=label_gen)[:take]
                if request.label is not None:
                    labels = torch.full((take,), int(request.label), dtype=torch.int64)
            yield z, labels

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
        self._check_label(request.label)
        if request.code is not None:
            self.with_code(torch.zeros(1, self.trainer.z_dim), request.code)  # check the code first
        parts: list[np.ndarray] = []
        label_parts: list[np.ndarray] = []
        done = 0
        for z, labels in self._batches(request):
            if cancel is not None and cancel():
                raise JobCancelled()
            parts.append(self.decode(z, labels))
            if labels is not None:
                label_parts.append(labels.numpy())
            done += len(z)
            if on_step is not None:
                on_step(done, request.n)
        out = np.concatenate(parts)
        lab = np.concatenate(label_parts) if label_parts else None
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
