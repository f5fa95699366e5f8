"""A small text-conditioned UNet that predicts the noise in a noisy image.

Levels of ResNet blocks halve the resolution on the way down and double it on
the way up, with skip connections between matching blocks. Every block is told
the timestep and the caption by scale and shift after its second GroupNorm; at
the coarse levels an attention block lets each pixel look at the other pixels
and at the caption's tokens.

References:
    Ronneberger, Fischer, Brox 2015, "U-Net" (arXiv:1505.04597): the shape.
    Ho, Jain, Abbeel 2020, "Denoising Diffusion Probabilistic Models"
    (arXiv:2006.11239): ResNet blocks with GroupNorm, sinusoidal timestep
    embedding (Vaswani et al. 2017), self-attention at low resolution.
    Nichol & Dhariwal 2021, "Improved DDPM" (arXiv:2102.09672) and Dhariwal &
    Nichol 2021, "Diffusion Models Beat GANs" (arXiv:2105.05233): scale-shift
    norm ``GroupNorm(h) * (1 + scale) + shift`` from the embedding; zero-init
    last layers so each block starts as the identity.
    Rombach et al. 2022, "Latent Diffusion" (arXiv:2112.10752): cross-attention
    from image features to text tokens; Saharia et al. 2022, "Imagen"
    (arXiv:2205.11487): pooled text added to the timestep embedding.

Any height and width work: inputs are padded with zeros at the bottom and
right to a multiple of ``2 ** (levels - 1)`` and the output is cropped back, so
28 x 28, 32 x 32 and 64 x 96 spectrograms all pass (none of them needs padding
with 3 levels). Going down is a stride-2 conv, going up a 2 x 2 stride-2
transposed conv: it works at the coarse resolution, a ninth of the
multiply-adds of resizing and then convolving at the fine one.

The default (0.58 M parameters) took 0.4-0.6 CPU-seconds for a forward and
backward pass with Adam over 64 digits (28 x 28), and 0.55-0.75 over 64 emoji
(32 x 32 x 3), on one thread of a busy 2-core machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class UNetConfig:
    channels: int = 1  # image channels in and out: 1 (grey digits, mel spectrograms) or 3 (RGB)
    width: int = 16  # feature channels at full resolution
    mults: tuple[int, ...] = (1, 2, 4)  # width multiplier per level; each level after the first halves H and W
    blocks: int = 1  # ResNet blocks per level on the way down (and as many on the way up)
    attention_levels: tuple[int, ...] = (2,)  # levels (0 = full resolution) with self- and cross-attention; the middle always has it
    heads: int = 4  # attention heads
    dropout: float = 0.0  # in each ResNet block, between its two convs
    text_dim: int = 64  # size D of the text features (0: an unconditional model)
    groups: int = 8  # GroupNorm groups; every level's width must divide by it
    hint_channels: int = 0  # extra input channels of conditioning drawn as an image (a sound model's note), not predicted

    def __post_init__(self) -> None:
        if self.channels < 1:
            raise ValueError(f"images need at least 1 channel, got {self.channels}")
        if not self.mults or any(m < 1 for m in self.mults):
            raise ValueError(f"width multipliers must be 1 or more, one per level, got {self.mults}")
        if self.width < 1 or self.blocks < 1 or self.heads < 1 or self.groups < 1 or self.text_dim < 0 \
                or self.hint_channels < 0:
            raise ValueError("width, blocks, heads and groups must be at least 1, and text size 0 or more")
        widths = [self.width * m for m in self.mults]
        if any(w % self.groups or w % self.heads for w in widths):
            raise ValueError(f"every level's width {widths} must divide by the {self.groups} norm groups "
                             f"and the {self.heads} attention heads")
        bad = [lv for lv in self.attention_levels if not 0 <= lv < len(self.mults)]
        if bad:
            raise ValueError(f"attention levels {bad} do not exist: this UNet has levels 0 to {len(self.mults) - 1}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


UNET_PRESETS: dict[str, UNetConfig] = {
    "tiny": UNetConfig(width=8, mults=(1, 2), attention_levels=(1,), heads=2, groups=4, text_dim=16),  # tests
    "default": UNetConfig(),  # 0.58 M parameters: trains on 2 CPU cores
    "wide": UNetConfig(width=32),  # 2.3 M parameters: for a GPU
}


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding of timesteps (Vaswani et al. 2017, section 3.5): (N,) -> N x dim."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    angles = t.float()[:, None] * freqs[None]  # N x half
    emb = torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)
    return F.pad(emb, (0, dim % 2))


class ResBlock(nn.Module):
    """GroupNorm, SiLU, conv, scale-shift norm from the embedding, SiLU, dropout, conv; plus the input."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int, groups: int, dropout: float) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * c_out)
        self.norm2 = nn.GroupNorm(groups, c_out)
        self.drop = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.emb(F.silu(emb))[:, :, None, None].chunk(2, dim=1)  # each N x c_out x 1 x 1
        h = self.norm2(h) * (1 + scale) + shift
        return self.skip(x) + self.conv2(self.drop(F.silu(h)))


class AttentionBlock(nn.Module):
    """Self-attention over the pixels, then cross-attention from the pixels to the caption's tokens.

    The caption's keys start with a learned "null" token that is always there,
    so an empty caption (a row of False in the mask) still has something to
    attend to instead of a softmax over nothing. Outputs are zero-initialised,
    so the block starts as the identity.
    """

    def __init__(self, ch: int, text_dim: int, heads: int, groups: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(groups, ch)
        self.qkv = nn.Linear(ch, 3 * ch)
        self.out = nn.Linear(ch, ch)
        self.cross = text_dim > 0
        if self.cross:
            self.norm_x = nn.LayerNorm(ch)
            self.q = nn.Linear(ch, ch)
            self.kv = nn.Linear(text_dim, 2 * ch)
            self.null = nn.Parameter(torch.randn(1, 1, text_dim) * 0.02)
            self.out_x = nn.Linear(ch, ch)
        for layer in (self.out, self.out_x) if self.cross else (self.out,):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def _split(self, z: torch.Tensor) -> torch.Tensor:
        n, length, ch = z.shape
        return z.view(n, length, self.heads, ch // self.heads).transpose(1, 2)  # N x heads x length x ch/heads

    def forward(self, h: torch.Tensor, text: torch.Tensor | None, mask: torch.Tensor | None) -> torch.Tensor:
        n, ch, height, width = h.shape
        tokens = h.flatten(2).transpose(1, 2)  # N x HW x ch
        normed = self.norm(h).flatten(2).transpose(1, 2)
        q, k, v = (self._split(z) for z in self.qkv(normed).chunk(3, dim=2))
        attended = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(n, -1, ch)
        tokens = tokens + self.out(attended)
        if self.cross and text is not None and mask is not None:
            keys = torch.cat([self.null.expand(n, -1, -1).to(text.dtype), text], dim=1)  # N x (1 + L) x D
            allowed = torch.cat([mask.new_ones(n, 1), mask.bool()], dim=1)[:, None, None, :]  # N x 1 x 1 x (1 + L)
            k, v = (self._split(z) for z in self.kv(keys).chunk(2, dim=2))
            q = self._split(self.q(self.norm_x(tokens)))
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed).transpose(1, 2).reshape(n, -1, ch)
            tokens = tokens + self.out_x(attended)
        return tokens.transpose(1, 2).reshape(n, ch, height, width)


class _NoAttention(nn.Module):
    """A level without attention: takes what an ``AttentionBlock`` takes, changes nothing."""

    def forward(self, h: torch.Tensor, text: torch.Tensor | None, mask: torch.Tensor | None) -> torch.Tensor:
        return h


class UNet(nn.Module):
    """(x N x C x H x W, t (N,), text N x L x D, text_mask N x L) -> predicted noise N x C x H x W."""

    def __init__(self, config: UNetConfig = UNetConfig()) -> None:
        super().__init__()
        self.config = c = config
        widths = [c.width * m for m in c.mults]
        emb_dim = 4 * c.width
        self.time_mlp = nn.Sequential(nn.Linear(c.width, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.text_proj = nn.Linear(c.text_dim, emb_dim) if c.text_dim else None
        self.conv_in = nn.Conv2d(c.channels + c.hint_channels, c.width, 3, padding=1)

        def attention(level: int) -> nn.Module:
            return AttentionBlock(widths[level], c.text_dim, c.heads, c.groups) if level in c.attention_levels else _NoAttention()

        self.down, self.up = nn.ModuleList(), nn.ModuleList()
        self.down_attn, self.up_attn = nn.ModuleList(), nn.ModuleList()
        self.downsample, self.upsample = nn.ModuleList(), nn.ModuleList()
        ch = c.width
        for level, w in enumerate(widths):
            for _ in range(c.blocks):
                self.down.append(ResBlock(ch, w, emb_dim, c.groups, c.dropout))
                self.down_attn.append(attention(level))
                ch = w
            if level < len(widths) - 1:
                self.downsample.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1))
        self.mid = nn.ModuleList([ResBlock(ch, ch, emb_dim, c.groups, c.dropout),
                                  ResBlock(ch, ch, emb_dim, c.groups, c.dropout)])
        self.mid_attn = AttentionBlock(ch, c.text_dim, c.heads, c.groups)
        for level in reversed(range(len(widths))):
            for _ in range(c.blocks):
                self.up.append(ResBlock(ch + widths[level], widths[level], emb_dim, c.groups, c.dropout))
                self.up_attn.append(attention(level))
                ch = widths[level]
            if level > 0:
                self.upsample.append(nn.ConvTranspose2d(ch, ch, 2, stride=2))  # 2x2 stride 2: no overlap, no checkerboard
        self.norm_out = nn.GroupNorm(c.groups, ch)
        self.conv_out = nn.Conv2d(ch, c.channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    @property
    def multiple(self) -> int:
        """Height and width are padded internally to a multiple of this."""
        return 2 ** (len(self.config.mults) - 1)

    def forward(self, x: torch.Tensor, t: torch.Tensor, text: torch.Tensor | None = None,
                text_mask: torch.Tensor | None = None, pooled: torch.Tensor | None = None,
                hint: torch.Tensor | None = None) -> torch.Tensor:
        """Predict the noise in ``x``.

        Args:
            x: float N x C x H x W, the noisy images (any H and W).
            t: (N,) timesteps, integers in [0, T-1] (or floats between them).
            text: float N x L x D, the caption's token features (None for text_dim 0).
            text_mask: bool N x L, True at real tokens; a row of False is the empty
                (unconditional) caption.
            pooled: float N x D, the caption as one vector; default: the mean of
                the real tokens (zeros for an empty caption).
            hint: float N x hint_channels x H x W, conditioning read beside ``x``
                (None: zeros, "no hint").

        Returns:
            float N x C x H x W, the predicted noise.
        """
        c = self.config
        n, _, height, width = x.shape
        if x.shape[1] != c.channels:
            raise ValueError(f"this UNet takes {c.channels}-channel images, got {x.shape[1]} channels")
        emb = self.time_mlp(timestep_embedding(t, c.width))  # N x 4 width
        if self.text_proj is not None:
            if text is None or text_mask is None:
                raise ValueError("this UNet is text-conditioned: pass text features and their mask")
            if pooled is None:
                weights = text_mask.to(text.dtype)[:, :, None]  # N x L x 1
                pooled = (text * weights).sum(1) / weights.sum(1).clamp(min=1.0)
            emb = emb + self.text_proj(pooled)
        if c.hint_channels:
            if hint is None:
                hint = x.new_zeros(n, c.hint_channels, height, width)
            elif hint.shape != (n, c.hint_channels, height, width):
                raise ValueError(f"the hint must be {n} x {c.hint_channels} x {height} x {width}, got {tuple(hint.shape)}")
            x = torch.cat([x, hint.to(x.dtype)], dim=1)
        pad_h, pad_w = -height % self.multiple, -width % self.multiple
        h = self.conv_in(F.pad(x, (0, pad_w, 0, pad_h)))
        skips = []
        blocks = iter(zip(self.down, self.down_attn))
        for level in range(len(c.mults)):
            for _ in range(c.blocks):
                block, attn = next(blocks)
                h = attn(block(h, emb), text, text_mask)
                skips.append(h)
            if level < len(c.mults) - 1:
                h = self.downsample[level](h)
        h = self.mid[0](h, emb)
        h = self.mid[1](self.mid_attn(h, text, text_mask), emb)
        blocks = iter(zip(self.up, self.up_attn))
        for level in reversed(range(len(c.mults))):
            for _ in range(c.blocks):
                block, attn = next(blocks)
                h = attn(block(torch.cat([h, skips.pop()], dim=1), emb), text, text_mask)
            if level > 0:
                h = self.upsample[len(c.mults) - 1 - level](h)
        out = self.conv_out(F.silu(self.norm_out(h)))
        return out[:, :, :height, :width]


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
