"""DCGAN generator and discriminator for small images, optionally class-conditional.

References:
    Radford, Metz, Chintala 2015, "Unsupervised Representation Learning with Deep
    Convolutional GANs" (arXiv:1511.06434): transposed-conv generator with batch
    norm and ReLU, strided-conv discriminator with LeakyReLU, N(0, 0.02) init.
    Miyato et al. 2018, "Spectral Normalization for GANs" (arXiv:1802.05957).
    Miyato & Koyama 2018, "cGANs with Projection Discriminator" (arXiv:1802.05637):
    the conditional D adds <embed(y), features> to its unconditional output.
    Chen et al. 2016, "InfoGAN" (arXiv:1606.03657): G also takes a categorical code
    c and a head Q on D's features must guess c from G(z, c); without labels, G
    learns to give each code its own kind of sample (on digits, mostly one digit).

Image sizes are ``base * 2**k`` with base 4 or 7: 8, 16, 28, 32 and 64 pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from playground.core.models.image_sizes import IMAGE_SIZES
from playground.core.models.image_sizes import LAYOUTS as _LAYOUTS


@dataclass(frozen=True)
class DCGANConfig:
    image_size: int = 28  # side of the square images in pixels: 8, 16, 28, 32 or 64
    channels: int = 1  # 1 for greyscale, 3 for RGB
    latent_dim: int = 64  # length of the noise vector z
    g_width: int = 32  # channels of G's last hidden layer; doubles at each coarser scale
    d_width: int = 32  # channels of D's first layer; doubles at each coarser scale
    num_classes: int = 0  # 0: unconditional; >= 2: G and D take a class label
    embed_dim: int = 32  # size of G's label embedding (conditional only)
    spectral_norm: bool = True  # spectral norm on every D layer
    upsample: str = "convt"  # "convt": 4x4 transposed conv; "nearest": nearest x2 then 3x3 conv
    d_depth: int = 1  # convs per scale in D: 1 (DCGAN) or 2 (adds a 3x3 conv at each scale)
    codes: int = 0  # InfoGAN: G also takes a one-hot code of this size and D gets a head that guesses it

    def __post_init__(self) -> None:
        if self.image_size not in _LAYOUTS:
            raise ValueError(f"image size {self.image_size} is not supported: use one of {IMAGE_SIZES}")
        if self.channels not in (1, 3):
            raise ValueError(f"images must have 1 or 3 channels, not {self.channels}")
        if self.latent_dim < 1 or self.g_width < 1 or self.d_width < 1 or self.embed_dim < 1:
            raise ValueError("latent size, widths and embedding size must be at least 1")
        if self.num_classes == 1 or self.num_classes < 0:
            raise ValueError("a conditional GAN needs at least 2 classes (0 switches conditioning off)")
        if self.upsample not in ("convt", "nearest"):
            raise ValueError(f"upsample must be 'convt' or 'nearest', not {self.upsample!r}")
        if self.d_depth not in (1, 2):
            raise ValueError(f"d_depth must be 1 or 2, not {self.d_depth}")
        if self.codes == 1 or self.codes < 0:
            raise ValueError("an InfoGAN code needs at least 2 values (0 switches it off)")


def _up(c_in: int, c_out: int, mode: str, bias: bool) -> list[nn.Module]:
    """x2 upsampling: a transposed conv, or nearest-neighbour resize then a 3x3 conv
    (Odena et al. 2016, "Deconvolution and Checkerboard Artifacts")."""
    if mode == "convt":
        return [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=bias)]
    return [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, 1, 1, bias=bias)]


def init_weights(module: nn.Module) -> None:
    """DCGAN init: conv and linear weights N(0, 0.02), batch-norm scales N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if getattr(module, "bias", None) is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class Generator(nn.Module):
    """z (N x (latent_dim + codes)) [+ labels (N,)] -> images float N x C x H x W in [-1, 1].

    With InfoGAN codes, the last ``codes`` columns of z are a one-hot code (``draw_latent``).
    """

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__()
        self.config = config
        base, ups = _LAYOUTS[config.image_size]
        width = config.g_width * 2 ** (ups - 1)
        self.base, self.width0 = base, width
        in_dim = config.latent_dim + config.codes + (config.embed_dim if config.num_classes else 0)
        self.embed = nn.Embedding(config.num_classes, config.embed_dim) if config.num_classes else None
        self.project = nn.Linear(in_dim, width * base * base, bias=False)
        layers: list[nn.Module] = [nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
        for _ in range(ups - 1):
            layers += [*_up(width, width // 2, config.upsample, False), nn.BatchNorm2d(width // 2), nn.ReLU(inplace=True)]
            width //= 2  # each block doubles H and W and halves the channels
        layers += [*_up(width, config.channels, config.upsample, True), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(init_weights)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.embed is not None:
            if labels is None:
                raise ValueError("this generator is conditional: pass a label for every sample")
            z = torch.cat([z, self.embed(labels)], dim=1)
        h = self.project(z).view(-1, self.width0, self.base, self.base)  # N x C0 x base x base
        return self.net(h)


class Discriminator(nn.Module):
    """images N x C x H x W [+ labels (N,)] -> logits (N,): high means "real".

    With InfoGAN codes, ``forward(x, with_codes=True)`` also returns Q's logits
    for the code (N x codes), from the same features.
    """

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__()
        self.config = config

        def sn(module: nn.Module) -> nn.Module:
            init_weights(module)  # before the parametrization wraps the weight
            return spectral_norm(module) if config.spectral_norm else module

        base, ups = _LAYOUTS[config.image_size]
        width = config.d_width
        layers: list[nn.Module] = [sn(nn.Conv2d(config.channels, width, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True)]
        for i in range(ups):
            if config.d_depth == 2:  # a 3x3 conv at this scale before halving it
                layers += [sn(nn.Conv2d(width, width, 3, 1, 1)), nn.LeakyReLU(0.2, inplace=True)]
            if i < ups - 1:
                layers += [sn(nn.Conv2d(width, width * 2, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True)]
                width *= 2
        self.net = nn.Sequential(*layers)
        self.feature_dim = width * base * base
        self.head = sn(nn.Linear(self.feature_dim, 1))
        self.embed = sn(nn.Embedding(config.num_classes, self.feature_dim)) if config.num_classes else None
        self.q_head: nn.Module | None = None
        if config.codes:
            self.q_head = nn.Linear(self.feature_dim, config.codes)
            init_weights(self.q_head)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None,
                with_codes: bool = False) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        h = self.net(x).flatten(1)  # N x feature_dim
        out = self.head(h).squeeze(1)
        if self.embed is not None:
            if labels is None:
                raise ValueError("this discriminator is conditional: pass a label for every image")
            out = out + (self.embed(labels) * h).sum(dim=1)  # projection term
        if with_codes:
            if self.q_head is None:
                raise ValueError("this discriminator has no InfoGAN code head")
            return out, self.q_head(h)
        return out


def draw_latent(n: int, latent_dim: int, codes: int, generator: torch.Generator | None = None,
                device: torch.device | str | None = None) -> torch.Tensor:
    """G's input noise: N(0, 1) in the first ``latent_dim`` columns, then (with
    InfoGAN codes) a uniformly drawn one-hot code. Drawn with ``generator`` on its device."""
    gen_device = generator.device if generator is not None else None
    z = torch.randn(n, latent_dim, generator=generator, device=gen_device)
    if codes:
        c = torch.randint(0, codes, (n,), generator=generator, device=gen_device)
        z = torch.cat([z, F.one_hot(c, codes).to(z.dtype)], dim=1)
    return z if device is None else z.to(device)


def with_codes(z: torch.Tensor, latent_dim: int, codes: torch.Tensor) -> torch.Tensor:
    """A copy of ``z`` whose one-hot InfoGAN code is ``codes`` (int64 (N,)), noise kept."""
    out = z.clone()
    out[:, latent_dim:] = F.one_hot(codes.to(z.device), z.shape[1] - latent_dim).to(z.dtype)
    return out


def code_of(z: torch.Tensor, latent_dim: int) -> torch.Tensor:
    """The InfoGAN code (int64 (N,)) in a latent drawn by ``draw_latent``."""
    return z[:, latent_dim:].argmax(dim=1)
