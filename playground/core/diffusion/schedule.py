"""The noise schedule of a diffusion model and its forward process in closed form.

A schedule fixes betas for timesteps ``t = 0 .. T-1`` and with them
``alpha_bar[t] = prod_{s <= t} (1 - beta_s)``, so that
``x_t = sqrt(alpha_bar[t]) x0 + sqrt(1 - alpha_bar[t]) eps``, ``eps ~ N(0, I)``:
noise is added in one step instead of t. The network is trained to predict eps
from (x_t, t): the DDPM "simple" loss ``|eps - eps_fn(x_t, t)|^2``.

References:
    Ho, Jain, Abbeel 2020, "Denoising Diffusion Probabilistic Models"
    (arXiv:2006.11239): the linear schedule (1e-4 to 0.02 over 1000 steps),
    q(x_t | x0) in closed form, the eps-prediction target.
    Nichol & Dhariwal 2021, "Improved Denoising Diffusion Probabilistic Models"
    (arXiv:2102.09672), eq. 17: the cosine schedule, betas capped at 0.999.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

SCHEDULE_KINDS = ("linear", "cosine")


@dataclass(frozen=True)
class ScheduleConfig:
    steps: int = 1000  # T: training timesteps; samplers may take fewer
    kind: str = "cosine"  # "linear" (Ho et al.) or "cosine" (Nichol & Dhariwal; keeps more signal mid-way)
    beta_start: float = 1e-4  # linear only: beta at t = 0
    beta_end: float = 0.02  # linear only: beta at t = T-1
    cosine_offset: float = 0.008  # cosine only: s in eq. 17, so beta at t = 0 is not vanishingly small

    def __post_init__(self) -> None:
        if self.steps < 2:
            raise ValueError(f"a noise schedule needs at least 2 timesteps, got {self.steps}")
        if self.kind not in SCHEDULE_KINDS:
            raise ValueError(f"unknown schedule {self.kind!r}; use one of {', '.join(SCHEDULE_KINDS)}")
        if not (0.0 < self.beta_start <= self.beta_end < 1.0):
            raise ValueError(f"linear betas need 0 < beta_start <= beta_end < 1, got {self.beta_start}, {self.beta_end}")
        if not (0.0 <= self.cosine_offset < 1.0):
            raise ValueError(f"the cosine offset must be in [0, 1), got {self.cosine_offset}")


def make_betas(config: ScheduleConfig) -> np.ndarray:
    """Betas float64 (T,) in (0, 0.999]."""
    if config.kind == "linear":
        return np.linspace(config.beta_start, config.beta_end, config.steps, dtype=np.float64)
    s, steps = config.cosine_offset, config.steps
    f = np.cos((np.arange(steps + 1, dtype=np.float64) / steps + s) / (1 + s) * math.pi / 2) ** 2
    return np.clip(1.0 - f[1:] / f[:-1], 0.0, 0.999)  # beta_t = 1 - abar(t+1)/abar(t), capped (eq. 17)


class NoiseSchedule:
    """Betas and ``alpha_bar`` of one ``ScheduleConfig``, with the forward process.

    Attributes:
        alpha_bar: float64 (T,), decreasing from just under 1 to near 0.
    """

    def __init__(self, config: ScheduleConfig = ScheduleConfig()) -> None:
        self.config = config
        self.betas = make_betas(config)
        self.alpha_bar = np.cumprod(1.0 - self.betas)
        self._alpha_bar_t = torch.from_numpy(self.alpha_bar).float()

    @property
    def steps(self) -> int:
        return self.config.steps

    def _coefs(self, t: torch.Tensor, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if t.dtype.is_floating_point or t.ndim != 1 or len(t) != len(like):
            raise ValueError(f"timesteps must be integers, one per image: shape ({len(like)},), got {tuple(t.shape)} {t.dtype}")
        if len(t) and (int(t.min()) < 0 or int(t.max()) >= self.steps):
            raise ValueError(f"timesteps must be in [0, {self.steps - 1}], got {int(t.min())}..{int(t.max())}")
        ab = self._alpha_bar_t.to(like.device)[t.to(like.device)].to(like.dtype)
        shape = (-1,) + (1,) * (like.ndim - 1)  # N x 1 x 1 x 1: one coefficient per image
        return ab.sqrt().view(shape), (1 - ab).sqrt().view(shape)

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Noise clean data to timestep ``t`` in one step: x_t given x0.

        Args:
            x0: float N x ... (images in [-1, 1]).
            t: int64 (N,) in [0, T-1].
            noise: float like ``x0``, N(0, 1).

        Returns:
            ``sqrt(alpha_bar[t]) x0 + sqrt(1 - alpha_bar[t]) noise``, like ``x0``.
        """
        a, s = self._coefs(t, x0)
        return a * x0 + s * noise

    def predict_x0(self, x_t: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """Invert ``q_sample`` for x0 given a guess of the noise (the model's clean-image guess)."""
        a, s = self._coefs(t, x_t)
        return (x_t - s * eps) / a

    def v_target(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """The "v" a model may learn instead of the noise: ``sqrt(abar) noise - sqrt(1 - abar) x0``.

        Salimans & Ho 2022, "Progressive Distillation for Fast Sampling of
        Diffusion Models" (arXiv:2202.00512), section 4: x0 from a predicted
        eps divides by sqrt(abar[t]) (2e-5 at t = T-1 for cosine), so the first
        steps' guesses are noise; x0 from v is ``sqrt(abar) x_t - sqrt(1 - abar) v``
        and stays well behaved. Float like ``x0``.
        """
        a, s = self._coefs(t, x0)
        return a * noise - s * x0

    def eps_from_v(self, x_t: torch.Tensor, t: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """The noise implied by a predicted v (``sqrt(1 - abar) x_t + sqrt(abar) v``), so a v-model
        drives the samplers as an eps function."""
        a, s = self._coefs(t, x_t)
        return s * x_t + a * v

    def training_example(self, x0: torch.Tensor, generator: torch.Generator | None = None
                         ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One DDPM training example per image: uniform t, fresh noise, the noised input.

        Args:
            x0: float N x C x H x W, clean images in [-1, 1].
            generator: a CPU generator for t and the noise (reproducible on any device).

        Returns:
            ``(x_t, t, noise)``: the network's input, int64 (N,) timesteps, and its
            target (Ho et al. 2020, Algorithm 1: minimise ``|noise - eps_fn(x_t, t)|^2``).
        """
        t = torch.randint(0, self.steps, (len(x0),), generator=generator)
        noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
        t, noise = t.to(x0.device), noise.to(x0.device)
        return self.q_sample(x0, t, noise), t, noise

    def min_snr_weight(self, t: torch.Tensor, gamma: float, prediction: str = "eps") -> torch.Tensor:
        """Per-example loss weights of Min-SNR-gamma (Hang et al. 2023, "Efficient Diffusion Training via
        Min-SNR Weighting Strategy", arXiv:2303.09556): float (N,) on t's device.

        With SNR = abar / (1 - abar), the weight is min(SNR, gamma) / SNR for a noise
        target and min(SNR, gamma) / (SNR + 1) for v: the nearly clean timesteps, whose
        noise is easy to see and says little about what the picture shows, stop
        dominating the gradient. ``gamma`` 5 is the paper's choice; 0 gives weight 1.
        """
        if gamma <= 0:
            return torch.ones(len(t), device=t.device)
        ab = self._alpha_bar_t.to(t.device)[t]
        snr = ab / (1 - ab).clamp(min=1e-12)
        return snr.clamp(max=gamma) / (snr + 1 if prediction == "v" else snr)

    def timesteps(self, steps: int) -> list[int]:
        """``steps`` timesteps for a sampler, from T-1 down, evenly spaced ("trailing").

        Starting at T-1 matters: the sampler starts from pure noise, which only
        the last timestep matches (Lin et al. 2024, "Common Diffusion Noise
        Schedules and Sample Steps are Flawed", arXiv:2305.08891, table 2).
        """
        if not (1 <= steps <= self.steps):
            raise ValueError(f"sampling steps must be between 1 and {self.steps}, got {steps}")
        ts = np.round(self.steps - np.arange(steps) * (self.steps / steps)).astype(np.int64) - 1
        return [int(v) for v in ts]
