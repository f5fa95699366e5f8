"""Samplers: the reverse process, from pure noise to images, over any eps function.

A sampler needs only ``eps_fn(x, t, cond) -> predicted noise`` and a
``NoiseSchedule``; it never sees the network. Each step predicts the noise,
turns it into a guess of the clean image x0, clips that guess to [-1, 1], and
moves x to the next (less noisy) timestep. Why clip there: the training data lies
in [-1, 1], but x0 = (x_t - sqrt(1 - abar) eps) / sqrt(abar) multiplies the
model's error by up to 1 / sqrt(abar[T-1]) (about 150 for the linear schedule,
more for cosine) in the first steps, and guidance scales above 1 push it
further; an overshooting guess would be carried into every later step. The
noise is then re-derived from the clipped x0 so the update stays consistent
(``clip_denoised`` in Ho et al.'s and Nichol & Dhariwal's code).

Samplers (all start at timestep T-1 and end at x0, see ``NoiseSchedule.timesteps``):
    ddpm: ancestral sampling, Ho et al. 2020 (arXiv:2006.11239), Algorithm 2,
        over a subsequence of timesteps: DDIM with eta = 1 is exactly it
        (Song, Meng, Ermon 2021, arXiv:2010.02502, section 4.1).
    ddim: Song et al. 2021, eq. 12 with eta = 0: deterministic given the start noise.
    dpm++2m: DPM-Solver++(2M), Lu et al. 2022 (arXiv:2211.01095), Algorithm 2:
        a second-order multistep solver of the probability-flow ODE in the data
        prediction; good images in 10-20 steps. Its last step is first order.

Classifier-free guidance (Ho & Salimans 2022, arXiv:2207.12598):
``eps = eps_u + g (eps_c - eps_u)`` from one batched forward of cond and uncond.
``guidance_until`` limits it to the noisier steps (Kynkaanniemi et al. 2024,
"Applying Guidance in a Limited Interval Improves Sample and Distribution
Quality in Diffusion Models", arXiv:2404.07724): what a picture shows is
settled while the noise is high; the last, low-noise steps only sharpen it, and
there the conditional branch alone costs half as much.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import torch

from playground.core.diffusion.schedule import NoiseSchedule
from playground.core.jobs import JobCancelled

EpsFn = Callable[[torch.Tensor, torch.Tensor, Any], torch.Tensor]  # (x N x ..., t int64 (N,), cond) -> eps like x
OnStep = Callable[[int, int, torch.Tensor, torch.Tensor], None]  # (step index, total, x_t, predicted x0)


@dataclass(frozen=True)
class SamplerConfig:
    sampler: str = "ddim"  # "ddpm", "ddim" or "dpm++2m"
    steps: int = 20  # network evaluations (each one batched forward of cond and uncond)
    guidance: float = 4.0  # classifier-free guidance scale g: 0 unconditional, 1 conditional, > 1 stronger
    guidance_until: float = 0.0  # guide only at timesteps t >= this share of T; below it, the conditional branch alone
    seed: int = 0  # start noise (and DDPM's per-step noise), drawn on the CPU so any device gives the same images
    clip_x0: bool = True  # clip each clean-image guess to [-1, 1] (for data scaled to [-1, 1])

    def __post_init__(self) -> None:
        if self.sampler not in STEPPERS:
            raise ValueError(f"unknown sampler {self.sampler!r}; use one of {', '.join(STEPPERS)}")
        if self.steps < 1:
            raise ValueError(f"a sampler needs at least 1 step, got {self.steps}")
        if not (math.isfinite(self.guidance) and self.guidance >= 0):
            raise ValueError(f"the guidance scale must be 0 or more, got {self.guidance}")
        if not 0.0 <= self.guidance_until <= 1.0:
            raise ValueError(f"guidance_until is a share of the timesteps, from 0 to 1, not {self.guidance_until}")


def _cat(a: Any, b: Any) -> Any:
    """Stack two conditions along the batch: tensors, (named) tuples of tensors, or None."""
    if a is None or b is None:
        if a is not None or b is not None:
            raise ValueError("the conditional and unconditional inputs must both be given, or neither")
        return None
    if isinstance(a, torch.Tensor):
        return torch.cat([a, b])
    parts = [_cat(u, v) for u, v in zip(a, b, strict=True)]
    return type(a)(*parts) if hasattr(a, "_fields") else type(a)(parts)  # a NamedTuple takes fields one by one


def guided_eps(eps_fn: EpsFn, x: torch.Tensor, t: torch.Tensor, cond: Any, uncond: Any, scale: float) -> torch.Tensor:
    """Noise prediction with classifier-free guidance: ``eps_u + scale (eps_c - eps_u)``.

    ``cond`` and ``uncond`` are tensors (or tuples of tensors) with a batch of
    N first. Scale 1 (or no ``uncond``) runs only the conditional branch, scale 0
    only the unconditional; otherwise one forward of batch 2N runs both.
    """
    if uncond is None or scale == 1.0:
        return eps_fn(x, t, cond)
    if scale == 0.0:
        return eps_fn(x, t, uncond)
    eps_c, eps_u = eps_fn(torch.cat([x, x]), torch.cat([t, t]), _cat(cond, uncond)).chunk(2)
    return eps_u + scale * (eps_c - eps_u)


def _ddim_step(x: torch.Tensor, x0: torch.Tensor, eps: torch.Tensor, a_t: float, a_s: float,
               gen: torch.Generator, memory: dict[str, Any], eta: float) -> torch.Tensor:
    """x_t -> x_s (s < t): Song et al. 2021, eq. 12; ``a_*`` are alpha_bar."""
    sigma = eta * math.sqrt((1 - a_s) / (1 - a_t) * (1 - a_t / a_s))
    x_s = math.sqrt(a_s) * x0 + math.sqrt(max(1 - a_s - sigma**2, 0.0)) * eps
    if sigma > 0:
        x_s = x_s + sigma * torch.randn(x.shape, generator=gen, dtype=x.dtype).to(x.device)
    return x_s


def _dpm_solver_2m_step(x: torch.Tensor, x0: torch.Tensor, eps: torch.Tensor, a_t: float, a_s: float,
                        gen: torch.Generator, memory: dict[str, Any]) -> torch.Tensor:
    """x_t -> x_s with DPM-Solver++(2M), in lambda = log(alpha / sigma) (Lu et al. 2022, eq. 9 and Alg. 2)."""
    lam_t = 0.5 * math.log(a_t / (1 - a_t))
    previous = memory.get("previous")
    memory["previous"] = (x0, lam_t)
    if a_s >= 1.0:  # to the clean image (sigma = 0): first order lands exactly on the x0 guess
        return x0
    lam_s = 0.5 * math.log(a_s / (1 - a_s))
    h = lam_s - lam_t
    d = x0
    if previous is not None:  # second order: extrapolate x0 with the previous step's guess
        x0_prev, lam_prev = previous
        r = (lam_t - lam_prev) / h
        d = x0 + (x0 - x0_prev) / (2 * r)
    return math.sqrt((1 - a_s) / (1 - a_t)) * x - math.sqrt(a_s) * math.expm1(-h) * d


STEPPERS: dict[str, Callable[..., torch.Tensor]] = {
    "ddpm": partial(_ddim_step, eta=1.0),
    "ddim": partial(_ddim_step, eta=0.0),
    "dpm++2m": _dpm_solver_2m_step,
}


@torch.no_grad()
def sample(eps_fn: EpsFn, schedule: NoiseSchedule, shape: tuple[int, ...], config: SamplerConfig = SamplerConfig(),
           *, cond: Any = None, uncond: Any = None, device: torch.device | str = "cpu",
           on_step: OnStep | None = None, cancel: Callable[[], object] | None = None,
           start: torch.Tensor | None = None) -> torch.Tensor:
    """Draw images by running the reverse process from pure noise.

    Args:
        eps_fn: the noise predictor, ``eps_fn(x, t, cond)``: x float N x C x H x W,
            t int64 (N,), cond one of ``cond``/``uncond`` (or both stacked, batch 2N).
        schedule: the schedule the model was trained with.
        shape: (N, C, H, W) of the images to draw.
        config: sampler, steps, guidance scale, seed, clipping.
        cond: the conditional input, batch N (tensor, tuple of tensors, or None).
        uncond: the unconditional input for guidance (e.g. empty captions), batch N;
            None samples without guidance.
        device: where ``x`` lives (noise is drawn on the CPU, then moved).
        on_step: called after each network evaluation with (step index from 0,
            total steps, the noisy x_t the model saw, its clean guess x0); both
            float N x C x H x W, not to be modified. The last call's x0 is the result.
        cancel: polled before each step; a true result (or a ``JobCancelled`` it
            raises itself, as ``JobControl.checkpoint`` does) stops sampling.
        start: the pure noise to start from (float ``shape``), instead of drawing it from
            ``config.seed`` (say, the same noise for every prompt of a grid).

    Returns:
        float32 N x C x H x W on ``device``, in [-1, 1] when ``config.clip_x0``.

    Raises:
        JobCancelled: when ``cancel`` asked to stop.
    """
    gen = torch.Generator().manual_seed(config.seed)
    x = torch.randn(shape, generator=gen) if start is None else start.to(torch.float32).clone()
    if tuple(x.shape) != tuple(shape):
        raise ValueError(f"the start noise is {tuple(x.shape)}, not {tuple(shape)}")
    x = x.to(device)
    ts = schedule.timesteps(config.steps)
    stepper, memory = STEPPERS[config.sampler], {}  # memory: what a multistep solver keeps between steps
    for i, t in enumerate(ts):
        if cancel is not None and cancel():
            raise JobCancelled()
        a_t = float(schedule.alpha_bar[t])
        a_s = float(schedule.alpha_bar[ts[i + 1]]) if i + 1 < len(ts) else 1.0  # the last step lands on x0
        t_batch = torch.full((shape[0],), t, dtype=torch.int64, device=x.device)
        scale = config.guidance if t >= config.guidance_until * schedule.steps else 1.0
        eps = guided_eps(eps_fn, x, t_batch, cond, uncond, scale)
        x0 = (x - math.sqrt(1 - a_t) * eps) / math.sqrt(a_t)
        if config.clip_x0:
            x0 = x0.clamp(-1.0, 1.0)
            eps = (x - math.sqrt(a_t) * x0) / math.sqrt(1 - a_t)
        if on_step is not None:
            on_step(i, len(ts), x, x0)
        x = stepper(x, x0, eps, a_t, a_s, gen, memory)
    return x
