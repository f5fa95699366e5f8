"""Generate images (or 2D points) from a trained GAN checkpoint.

    gen = playground.core.families.generators.load_generator("runs/mnist", device="auto")
    result = gen.generate(GANRequest(n=16, label=7, seed=3))
    result.images  # uint8 16 x 28 x 28 x 1

Only the generator network is built (the EMA copy when the run kept one): no
discriminator, no optimisers, nothing of training.

The same seed gives the same samples: noise is drawn on the CPU from a
``torch.Generator`` seeded with ``seed`` (then moved to the device), one whole
batch at a time, so the first k samples do not depend on ``n`` and a count of
millions never holds more than one batch of noise. Samples come from EMA-G
when the run kept one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from playground.core.jobs import JobCancelled
from playground.core.models.dcgan import Generator, draw_latent, with_codes
from playground.core.models.gan_config import GANConfig
from playground.core.models.mlp_gan import PointGenerator
from playground.core.preprocess.prepared import denormalise
from playground.core.runs.checkpoint import Checkpoint, CheckpointError


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
    """A trained GAN's generator, ready to sample.

    Args:
        checkpoint: loaded without optimisers (``load_checkpoint(..., with_optim=False)``).
        config: the GAN settings it was trained with.
        device: where to run G.

    Raises:
        CheckpointError: the weights do not fit the settings.
    """

    family: ClassVar[str] = "gan"

    def __init__(self, checkpoint: Checkpoint, config: GANConfig, device: torch.device) -> None:
        self.checkpoint, self.config, self.device = checkpoint, config, device
        self.kind = str(checkpoint.data.get("kind", "image"))
        self.norm = dict(checkpoint.data.get("norm") or {})
        self.image_shape = tuple(int(v) for v in checkpoint.data.get("image_shape", ()))
        self.label_names = list(checkpoint.data.get("label_names", []))
        self.codes = config.info_codes if self.kind == "image" else 0  # the MLP GAN has no InfoGAN code
        weights = checkpoint.networks.get("g_ema", checkpoint.networks.get("g"))
        try:
            if weights is None:
                raise KeyError("no generator weights")
            self.g: torch.nn.Module = Generator(config.dcgan_config()) if self.kind == "image" else PointGenerator(config.mlp_config())
            self.g.load_state_dict(weights)
        except (RuntimeError, KeyError, ValueError) as exc:
            raise CheckpointError(f"checkpoint {checkpoint.path} is damaged: the weights do not fit config.json "
                                  f"({str(exc)[:200]})") from None
        self.g.to(device).eval().requires_grad_(False)

    @property
    def conditional(self) -> bool:
        return bool(self.config.conditional)

    def item_bytes(self) -> int:
        """Bytes one sample takes in a result (uint8 pixels, or two float32 coordinates)."""
        if self.kind == "points":
            return 8
        size = 1
        for v in self.image_shape:
            size *= int(v)
        return size

    def noise(self, n: int, seed: int) -> torch.Tensor:
        """The latent vectors for ``seed``: float32 n x z_dim on the CPU (noise, then any
        InfoGAN code)."""
        gen = torch.Generator().manual_seed(int(seed))
        return draw_latent(n, self.config.latent_dim, self.codes, gen)

    def with_code(self, z: torch.Tensor, code: int) -> torch.Tensor:
        """``z`` with every sample's InfoGAN code set to ``code``."""
        codes, latent = self.codes, self.config.latent_dim
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
            z = draw_latent(BATCH, self.config.latent_dim, self.codes, noise_gen)[:take]
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
        with torch.no_grad():
            out = self.g(z.to(self.device), None if labels is None else labels.to(self.device)).float().cpu().numpy()
        if self.kind == "points":
            center, scale = np.asarray(self.norm["center"], dtype=np.float32), float(self.norm["scale"])
            return (out * scale + center).astype(np.float32)
        return denormalise(out, self.norm)

    def generate(self, request: GANRequest, *, on_step: Callable[[int, int], None] | None = None,
                 cancel: Callable[[], bool] | None = None) -> GANResult:
        """Sample ``request.n`` items.

        Args:
            on_step: called with (done, total) samples after each batch.
            cancel: polled between batches; when it returns True, ``JobCancelled`` is raised.
        """
        self._check_label(request.label)
        if request.code is not None:
            self.with_code(torch.zeros(1, self.config.latent_dim + self.codes), request.code)  # check the code first
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
        if self.kind == "points":
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
