"""What a 2D GAN shows at each sample step, as GAN Lab draws it (Kahng et al. 2019).

D's belief "real" as a heatmap over the plane, the real points (a fixed
subset) and G's fakes (from fixed noise), and for each fake the direction G's
loss pushes it: minus the gradient of G's loss with respect to the point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from playground.core.events import PointsView
from playground.core.training.gan_procedure import d_belief, g_loss_fn

if TYPE_CHECKING:
    from playground.core.training.gan_trainer import GANTrainer

POINTS_FAKE, POINTS_REAL, SURFACE = 500, 1000, 48  # fakes and reals drawn, heatmap cells per side


@dataclass(frozen=True)
class PointsFrame:
    """The fixed parts of the view: real points (data coordinates) and the heatmap's axes."""

    real: np.ndarray  # float32 R x 2
    real_labels: np.ndarray  # int64 (R,)
    grid_x: np.ndarray  # float32 (SURFACE,)
    grid_y: np.ndarray  # float32 (SURFACE,)

    @classmethod
    def fixed(cls, trainer: GANTrainer, gen: torch.Generator) -> PointsFrame:
        pool = trainer.idx_pool
        pick = pool[torch.randperm(len(pool), generator=gen)[:POINTS_REAL]]
        real = (trainer.x[pick].cpu().numpy() * trainer.scale + trainer.center).astype(np.float32)
        lo, hi = real.min(axis=0), real.max(axis=0)
        pad = 0.25 * (hi - lo) + 1e-3
        return cls(real, trainer.y[pick].cpu().numpy(),
                   np.linspace(lo[0] - pad[0], hi[0] + pad[0], SURFACE, dtype=np.float32),
                   np.linspace(lo[1] - pad[1], hi[1] + pad[1], SURFACE, dtype=np.float32))


def points_view(trainer: GANTrainer, step: int, fake_n: torch.Tensor) -> PointsView:
    """The GAN Lab view for fakes ``fake_n`` (float32 M x 2, normalised coordinates)."""
    frame, cfg, gan, device = trainer.frame, trainer.config, trainer.gan, trainer.device
    gx, gy = np.meshgrid(frame.grid_x, frame.grid_y)  # H x W each
    grid = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], axis=1))
    grid_n = ((grid - torch.from_numpy(trainer.center)) / trainer.scale).to(device)
    was = gan.d.training
    gan.d.eval()
    with torch.no_grad():
        if cfg.conditional:  # D's belief for each class, weighted by the class's share of the data
            surface = torch.zeros(len(grid_n), device=device)
            for k, share in enumerate(trainer.data_share):
                if share > 0:
                    lab_grid = torch.full((len(grid_n),), k, dtype=torch.int64, device=device)
                    surface += float(share) * d_belief(cfg.loss, gan.d(grid_n, lab_grid))
        else:
            surface = d_belief(cfg.loss, gan.d(grid_n))
        surface = surface.view(len(frame.grid_y), len(frame.grid_x))
    x = fake_n.detach().clone().requires_grad_(True)
    loss = g_loss_fn(cfg.loss, gan.d(x, trainer.lab_fixed)) * len(x)  # per-point gradients, not averaged away
    (grad_n,) = torch.autograd.grad(loss, x)
    gan.d.train(was)
    conditional: dict[str, Any] = {}
    if cfg.conditional:
        conditional = {"real_labels": frame.real_labels, "fake_labels": trainer.lab_fixed.cpu().numpy()}
    return PointsView(
        step, real=frame.real, fake=(fake_n.detach().cpu().numpy() * trainer.scale + trainer.center).astype(np.float32),
        grid_x=frame.grid_x, grid_y=frame.grid_y, d_surface=surface.float().cpu().numpy().astype(np.float32),
        grad=(-grad_n.cpu().numpy() / trainer.scale).astype(np.float32), **conditional,
    )


def spread(x: torch.Tensor) -> float:
    """Mean pairwise L2 distance between the items of a batch (N x ...)."""
    flat = x.detach().float().reshape(len(x), -1)
    if len(flat) < 2:
        return 0.0
    d = torch.cdist(flat, flat)
    return float(d.sum() / (len(flat) * (len(flat) - 1)))
