"""The diffusion model as one module: the UNet and the caption encoder it attends to.

The optimiser and the moving average hold both, and a checkpoint names them
together ("net", "ema"); ``eps`` gives the noise prediction a sampler needs,
whichever target (noise or v) the model was trained on.
"""

from __future__ import annotations

import torch
from torch import nn

from playground.core.diffusion.schedule import NoiseSchedule
from playground.core.models.diffusion_config import DiffusionConfig
from playground.core.models.text_encoder import TextEncoder, TextFeatures
from playground.core.models.unet import UNet


class DiffusionNet(nn.Module):
    def __init__(self, config: DiffusionConfig) -> None:
        super().__init__()
        self.unet = UNet(config.unet_config())
        self.text = TextEncoder(config.text_config())

    def eps(self, schedule: NoiseSchedule, prediction: str, x: torch.Tensor, t: torch.Tensor,
            feats: TextFeatures) -> torch.Tensor:
        """The predicted noise for x (float N x C x H x W) at timesteps t (int64 (N,)) under caption features."""
        out = self.unet(x, t, feats.tokens, feats.mask, feats.pooled)
        return schedule.eps_from_v(x, t, out) if prediction == "v" else out
