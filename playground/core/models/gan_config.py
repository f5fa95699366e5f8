"""The GAN family's own settings (networks, losses, InfoGAN code, EMA), frozen and validated.

Run settings (steps, batch size, learning rates, seed, device, cadence) are in
``playground.core.training.run_config.RunConfig``; the family's presets pair
the two (``playground.core.families.gan``). Image shape and class count come
from the data (``for_data``), the rest from the user. ``split_legacy`` reads
the flat config of checkpoints written before the split.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from playground.core.config_fields import config_from_dict, config_to_dict
from playground.core.models.image_sizes import IMAGE_SIZES

if TYPE_CHECKING:  # the model modules import torch; the config must not
    from playground.core.models.dcgan import DCGANConfig
    from playground.core.models.mlp_gan import MLPGANConfig

LOSSES = ("nonsat", "hinge", "lsgan")
# Settings added after the first saved checkpoints, with the value that means "as before they existed".
ADDED_SETTINGS: dict[str, Any] = {"info_codes": 0, "info_weight": 1.0, "augment": "none"}
# Fields of the flat version-1 config that are run settings now.
LEGACY_RUN_FIELDS = ("lr_g", "lr_d", "lr_decay", "batch_size", "seed", "device", "mixed_precision", "cpu_threads",
                     "steps", "metrics_every", "samples_every", "checkpoint_every")
AUGMENTS = ("none", "translate")
LOSS_NAMES = {"nonsat": "non-saturating", "hinge": "hinge", "lsgan": "least squares"}


@dataclass(frozen=True)
class GANConfig:
    latent_dim: int = 8  # length of the noise vector z (G also gets the InfoGAN code, if any)
    g_width: int = 32  # DCGAN: channels of G's last hidden layer (doubles per coarser scale)
    d_width: int = 32  # DCGAN: channels of D's first layer (doubles per coarser scale)
    g_upsample: str = "nearest"  # DCGAN: "convt" (transposed conv) or "nearest" (resize + 3x3 conv)
    d_depth: int = 2  # DCGAN: convs per scale in D, 1 or 2
    mlp_hidden: int = 64  # 2D points: units per hidden layer of the MLP GAN
    mlp_layers: int = 3  # 2D points: hidden layers per MLP
    betas_g: tuple[float, float] = (0.0, 0.9)  # Adam betas of the generator (as in SNGAN)
    betas_d: tuple[float, float] = (0.0, 0.9)  # Adam betas of the discriminator
    d_steps: int = 1  # discriminator updates per generator update
    loss: str = "hinge"  # "nonsat" (non-saturating), "hinge" or "lsgan" (least squares)
    label_smoothing: float = 0.0  # real target 1 - s for nonsat and lsgan (Salimans et al. 2016)
    spectral_norm: bool = True  # spectral norm on D's layers (Miyato et al. 2018)
    info_codes: int = 20  # DCGAN: InfoGAN categorical code of this many values (0: off); no labels used
    info_weight: float = 1.0  # weight of the InfoGAN code loss in both G's and D's loss
    augment: str = "none"  # DCGAN: "translate" shifts every image D sees (real and fake) by up to 1/8 of its side
    ema_decay: float = 0.999  # moving average of G's weights for samples; 0 switches it off
    image_size: int = 28  # side of the images (set from the data)
    channels: int = 1  # 1 or 3 (set from the data)
    conditional: bool = False  # G and D take a class label, so you can ask for "a 7"
    num_classes: int = 0  # classes of a conditional model (set from the data)
    sample_count: int = 64  # fixed-noise samples in the grid (per class row: 8)

    def __post_init__(self) -> None:
        object.__setattr__(self, "betas_g", tuple(float(b) for b in self.betas_g))
        object.__setattr__(self, "betas_d", tuple(float(b) for b in self.betas_d))
        for name in ("latent_dim", "g_width", "d_width", "mlp_hidden", "mlp_layers", "d_steps"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("betas_g", "betas_d"):
            betas = getattr(self, name)
            if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
                raise ValueError(f"{name} must be two numbers in [0, 1), got {betas}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}: choose one of {', '.join(LOSSES)}")
        if not (0.0 <= self.label_smoothing < 0.5):
            raise ValueError(f"label smoothing must be in [0, 0.5), got {self.label_smoothing}")
        if not (0.0 <= self.ema_decay < 1.0):
            raise ValueError(f"EMA decay must be in [0, 1) (0 switches it off), got {self.ema_decay}")
        if self.info_codes < 0 or self.info_codes == 1:
            raise ValueError("an InfoGAN code needs at least 2 values (0 switches it off)")
        if not (0.0 <= self.info_weight <= 100.0):
            raise ValueError(f"InfoGAN weight must be in [0, 100], got {self.info_weight}")
        if self.augment not in AUGMENTS:
            raise ValueError(f"unknown augmentation {self.augment!r}: choose one of {', '.join(AUGMENTS)}")
        if self.g_upsample not in ("convt", "nearest"):
            raise ValueError(f"g_upsample must be 'convt' or 'nearest', not {self.g_upsample!r}")
        if self.d_depth not in (1, 2):
            raise ValueError(f"d_depth must be 1 or 2, not {self.d_depth}")
        if self.image_size not in IMAGE_SIZES:
            raise ValueError(f"image size {self.image_size} is not supported: use one of {IMAGE_SIZES}")
        if self.channels not in (1, 3):
            raise ValueError(f"images must have 1 or 3 channels, not {self.channels}")
        if self.num_classes < 0 or self.num_classes == 1:
            raise ValueError("a conditional GAN needs at least 2 classes (0: take them from the data)")
        if self.sample_count < 1:
            raise ValueError("sample_count must be at least 1")

    def replace(self, **changes: Any) -> GANConfig:
        return dataclasses.replace(self, **changes)

    def for_data(self, data: Any) -> GANConfig:
        """Take image shape and class count from a PreparedImages or PointsDataset.

        Raises:
            ValueError: conditional training on data with fewer than 2 labelled classes.
        """
        changes: dict[str, Any] = {}
        x = getattr(data, "x", None)
        if x is not None and getattr(x, "ndim", 0) == 4:  # images; points (N x 2) have no shape to take
            c, h, w = x.shape[1:]
            if h != w:
                raise ValueError(f"GANs here train on square images; these are {h} x {w}: add a resize step")
            changes.update(image_size=int(h), channels=int(c))
        if self.conditional:
            labels = data.labels
            present = {int(v) for v in labels if int(v) >= 0}
            if len(present) < 2:
                raise ValueError(
                    "a conditional GAN needs labelled data with at least 2 classes; "
                    f"this data has {len(present)}: switch 'conditional' off"
                )
            changes["num_classes"] = len(data.label_names)
        else:
            changes["num_classes"] = 0
        return dataclasses.replace(self, **changes)

    def dcgan_config(self) -> DCGANConfig:
        from playground.core.models.dcgan import DCGANConfig

        return DCGANConfig(
            image_size=self.image_size,
            channels=self.channels,
            latent_dim=self.latent_dim,
            g_width=self.g_width,
            d_width=self.d_width,
            num_classes=self.num_classes if self.conditional else 0,
            spectral_norm=self.spectral_norm,
            upsample=self.g_upsample,
            d_depth=self.d_depth,
            codes=self.info_codes,
        )

    def mlp_config(self) -> MLPGANConfig:
        from playground.core.models.mlp_gan import MLPGANConfig

        return MLPGANConfig(
            latent_dim=self.latent_dim,
            hidden=self.mlp_hidden,
            layers=self.mlp_layers,
            spectral_norm=self.spectral_norm,
            num_classes=self.num_classes if self.conditional else 0,
        )

    def to_dict(self) -> dict[str, Any]:
        return config_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GANConfig:
        """Inverse of ``to_dict``; unknown or mistyped fields raise ``ValueError``.

        A setting added since the file was written takes the value that reproduces
        the old behaviour (``ADDED_SETTINGS``), not today's default: a checkpoint
        from before InfoGAN codes must not load as a network with codes.
        """
        return config_from_dict(cls, data, "GAN", ADDED_SETTINGS)


def split_legacy(flat: dict[str, Any]) -> tuple[GANConfig, dict[str, Any]]:
    """A version-1 flat GAN config -> (GANConfig, the run settings as a ``RunConfig`` dict)."""
    model = {k: v for k, v in flat.items() if k not in LEGACY_RUN_FIELDS}
    old = {k: flat[k] for k in LEGACY_RUN_FIELDS if k in flat}
    run: dict[str, Any] = {k: old[k] for k in LEGACY_RUN_FIELDS if k in old and not k.startswith("lr_")}
    run["learning_rates"] = {"g": float(old.get("lr_g", 2e-4)), "d": float(old.get("lr_d", 2e-4))}
    run["lr_schedule"] = "linear" if old.get("lr_decay") else "constant"
    return GANConfig.from_dict(model), run
