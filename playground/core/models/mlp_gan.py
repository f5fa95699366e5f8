"""A small MLP GAN for 2D points, the model behind the GAN Lab-style view.

Reference: Goodfellow et al. 2014, "Generative Adversarial Nets" (arXiv:1406.2661),
whose toy experiments are exactly this: an MLP maps noise to points and another
MLP tells real points from generated ones. Kahng et al. 2019, "GAN Lab"
(arXiv:1809.01587), for showing D's decision surface and G's gradients.

Both networks work in normalised coordinates (the data centred and scaled to
unit spread); the training loop maps points back for display.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


@dataclass(frozen=True)
class MLPGANConfig:
    latent_dim: int = 8  # length of the noise vector z
    hidden: int = 64  # units in each hidden layer of G and D
    layers: int = 3  # hidden layers in each network
    spectral_norm: bool = False  # spectral norm on D's linear layers
    num_classes: int = 0  # 0: unconditional; >= 2: a label embedding in both nets

    def __post_init__(self) -> None:
        if self.latent_dim < 1 or self.hidden < 1 or self.layers < 1:
            raise ValueError("latent size, hidden width and layer count must be at least 1")
        if self.num_classes == 1 or self.num_classes < 0:
            raise ValueError("a conditional GAN needs at least 2 classes (0 switches conditioning off)")


def _mlp(in_dim: int, hidden: int, layers: int, out_dim: int, act: nn.Module, wrap=lambda m: m) -> nn.Sequential:
    mods: list[nn.Module] = []
    dim = in_dim
    for _ in range(layers):
        mods += [wrap(nn.Linear(dim, hidden)), act]
        dim = hidden
    mods.append(wrap(nn.Linear(dim, out_dim)))
    return nn.Sequential(*mods)


class PointGenerator(nn.Module):
    """z (N x latent_dim) [+ labels] -> points N x 2 (normalised coordinates)."""

    def __init__(self, config: MLPGANConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.num_classes, config.hidden) if config.num_classes else None
        extra = config.hidden if config.num_classes else 0
        self.net = _mlp(config.latent_dim + extra, config.hidden, config.layers, 2, nn.ReLU())

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.embed is not None:
            if labels is None:
                raise ValueError("this generator is conditional: pass a label for every sample")
            z = torch.cat([z, self.embed(labels)], dim=1)
        return self.net(z)


class PointDiscriminator(nn.Module):
    """points N x 2 [+ labels] -> logits (N,): high means "real"."""

    def __init__(self, config: MLPGANConfig) -> None:
        super().__init__()
        self.config = config
        wrap = spectral_norm if config.spectral_norm else (lambda m: m)
        self.body = _mlp(2, config.hidden, config.layers - 1, config.hidden, nn.LeakyReLU(0.2), wrap)
        self.act = nn.LeakyReLU(0.2)
        self.head = wrap(nn.Linear(config.hidden, 1))
        self.embed = wrap(nn.Embedding(config.num_classes, config.hidden)) if config.num_classes else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.act(self.body(x))  # N x hidden
        out = self.head(h).squeeze(1)
        if self.embed is not None:
            if labels is None:
                raise ValueError("this discriminator is conditional: pass a label for every point")
            out = out + (self.embed(labels) * h).sum(dim=1)  # projection, as in the image D
        return out
