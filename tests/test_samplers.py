"""Samplers: determinism, guidance, callbacks, cancel, clipping, and oracles.

The oracle is Gaussian data x0 ~ N(mu, s^2) per pixel, for which the best
possible noise prediction is known in closed form:
E[eps | x_t] = sqrt(1 - a) (x_t - sqrt(a) mu) / (a s^2 + 1 - a), a = alpha_bar[t].
With it a correct sampler must return N(mu, s^2) again.
"""

from __future__ import annotations

import warnings

import pytest
import torch

from playground.core.diffusion.samplers import STEPPERS, SamplerConfig, guided_eps, sample
from playground.core.diffusion.schedule import NoiseSchedule, ScheduleConfig
from playground.core.jobs import JobCancelled, JobControl
from playground.core.models.text_encoder import TextEncoder, TextEncoderConfig
from playground.core.models.unet import UNET_PRESETS, UNet


def gaussian_oracle(schedule: NoiseSchedule, mu: float, s: float):
    ab = torch.from_numpy(schedule.alpha_bar)

    def eps_fn(x: torch.Tensor, t: torch.Tensor, cond: object) -> torch.Tensor:
        a = ab[t].view(-1, *([1] * (x.ndim - 1))).to(x.dtype)
        return (1 - a).sqrt() * (x - a.sqrt() * mu) / (a * s * s + 1 - a)

    return eps_fn


def tiny_text_model(seed: int = 0):
    torch.manual_seed(seed)
    unet, encoder = UNet(UNET_PRESETS["tiny"]).eval(), TextEncoder(TextEncoderConfig(vocab_size=12, dim=16, max_len=4)).eval()
    with torch.no_grad():  # zero-initialised layers would hide the caption and make every eps 0
        for p in unet.parameters():
            if not p.any():
                p.normal_(0.0, 0.1)
    ids = torch.tensor([[1, 2, 12, 12], [3, 12, 12, 12]])
    cond, uncond = encoder(ids, ids != 12), encoder(torch.full_like(ids, 12), torch.zeros_like(ids, dtype=torch.bool))

    def eps_fn(x, t, c):
        return unet(x, t, c.tokens, c.mask, c.pooled)

    return eps_fn, cond, uncond


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="unknown sampler"):
        SamplerConfig(sampler="euler")
    with pytest.raises(ValueError, match="at least 1 step"):
        SamplerConfig(steps=0)
    with pytest.raises(ValueError, match="guidance"):
        SamplerConfig(guidance=-1.0)


@pytest.mark.parametrize("name", list(STEPPERS))
def test_same_seed_same_images_bit_for_bit(name):
    eps_fn, cond, uncond = tiny_text_model()
    schedule = NoiseSchedule()
    config = SamplerConfig(sampler=name, steps=5, guidance=3.0, seed=7)
    runs = [sample(eps_fn, schedule, (2, 1, 8, 8), config, cond=cond, uncond=uncond) for _ in range(2)]
    other = sample(eps_fn, schedule, (2, 1, 8, 8), SamplerConfig(sampler=name, steps=5, guidance=3.0, seed=8),
                   cond=cond, uncond=uncond)
    assert torch.equal(runs[0], runs[1])
    assert not torch.allclose(runs[0], other)
    assert runs[0].shape == (2, 1, 8, 8) and torch.isfinite(runs[0]).all()


def test_guidance_scale_one_is_conditional_and_zero_unconditional():
    calls: list[int] = []

    def eps_fn(x, t, cond):
        calls.append(len(x))
        return x * cond[:, None, None, None] + t[:, None, None, None].float() / 1000

    x, t = torch.randn(3, 1, 4, 4), torch.tensor([10, 500, 999])
    cond, uncond = torch.tensor([2.0, -1.0, 0.5]), torch.tensor([0.1, 0.2, 0.3])
    assert torch.equal(guided_eps(eps_fn, x, t, cond, uncond, 1.0), eps_fn(x, t, cond))
    assert torch.equal(guided_eps(eps_fn, x, t, cond, uncond, 0.0), eps_fn(x, t, uncond))
    calls.clear()
    guided = guided_eps(eps_fn, x, t, cond, uncond, 3.0)
    assert calls == [6], "cond and uncond must run as one batched forward"
    eps_c, eps_u = eps_fn(x, t, cond), eps_fn(x, t, uncond)
    torch.testing.assert_close(guided, eps_u + 3.0 * (eps_c - eps_u))


def test_guidance_until_guides_only_the_noisy_steps():
    schedule = NoiseSchedule()  # T = 1000
    seen: list[tuple[int, int]] = []

    def eps_fn(x, t, cond):
        seen.append((int(t[0]), len(x)))
        return x * cond[:, None, None, None] * 0.1

    cond, uncond = torch.tensor([2.0, -1.0]), torch.tensor([0.1, 0.2])
    run = dict(cond=cond, uncond=uncond)
    always = sample(eps_fn, schedule, (2, 1, 3, 3), SamplerConfig(steps=10, guidance=3.0), **run)
    assert [n for _, n in seen] == [4] * 10
    seen.clear()
    limited = sample(eps_fn, schedule, (2, 1, 3, 3), SamplerConfig(steps=10, guidance=3.0, guidance_until=0.35), **run)
    assert [n for _, n in seen] == [4 if t >= 350 else 2 for t, _ in seen]
    assert [t for t, n in seen if n == 2] == [299, 199, 99], "the three least noisy steps run the conditional alone"
    assert not torch.equal(always, limited)
    with pytest.raises(ValueError, match="guidance_until"):
        SamplerConfig(guidance_until=1.5)


def test_guidance_with_a_real_model_batches_named_tuples():
    eps_fn, cond, uncond = tiny_text_model()
    x, t = torch.randn(2, 1, 8, 8), torch.tensor([100, 900])
    with torch.no_grad():
        eps_c, eps_u = eps_fn(x, t, cond), eps_fn(x, t, uncond)
        guided = guided_eps(eps_fn, x, t, cond, uncond, 2.5)
    assert not torch.allclose(eps_c, eps_u, atol=1e-4), "the caption must change the prediction"
    torch.testing.assert_close(guided, eps_u + 2.5 * (eps_c - eps_u), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", list(STEPPERS))
def test_on_step_sees_every_step_and_the_last_guess_is_the_result(name):
    schedule = NoiseSchedule()
    seen = []
    out = sample(gaussian_oracle(schedule, 0.2, 0.3), schedule, (4, 1, 3, 3), SamplerConfig(sampler=name, steps=6),
                 on_step=lambda i, n, x_t, x0: seen.append((i, n, x_t.clone(), x0.clone())))
    assert [(i, n) for i, n, _, _ in seen] == [(i, 6) for i in range(6)]
    assert torch.equal(seen[-1][3], out)
    assert seen[0][2].std() > 0.8, "the first x_t is the start noise"
    assert all(x0.abs().max() <= 1.0 for *_, x0 in seen)


def test_clipping_keeps_guesses_in_range_and_can_be_switched_off():
    schedule = NoiseSchedule()

    def wild(x, t, cond):  # a badly trained model: its x0 guesses overshoot far beyond [-1, 1]
        return -3.0 * x

    clipped = sample(wild, schedule, (4, 1, 4, 4), SamplerConfig(sampler="ddim", steps=5))
    free = sample(wild, schedule, (4, 1, 4, 4), SamplerConfig(sampler="ddim", steps=5, clip_x0=False))
    assert clipped.abs().max() <= 1.0
    assert free.abs().max() > 10.0


def test_a_clipped_guess_acts_as_if_the_model_had_guessed_the_clipped_image():
    schedule = NoiseSchedule(ScheduleConfig(kind="linear"))  # cosine's 1 / sqrt(abar[T-1]) = 2e4 magnifies float32 noise

    def point_mass(c):  # the exact noise when every image is the constant c
        ab = torch.from_numpy(schedule.alpha_bar)

        def eps_fn(x, t, cond):
            a = ab[t].view(-1, 1, 1, 1).to(x.dtype)
            return (x - a.sqrt() * c) / (1 - a).sqrt()

        return eps_fn

    for name in STEPPERS:
        paths = []
        for c, clip in ((2.0, True), (1.0, False)):
            seen = []
            sample(point_mass(c), schedule, (3, 1, 2, 2), SamplerConfig(sampler=name, steps=8, clip_x0=clip),
                   on_step=lambda i, n, x_t, x0, seen=seen: seen.append(x_t.clone()))
            paths.append(torch.stack(seen))
        torch.testing.assert_close(paths[0], paths[1], atol=1e-4, rtol=1e-4)


def test_a_ddpm_step_draws_from_the_true_posterior():
    """Ho et al. 2020, eqs. 6-7: q(x_s | x_t, x0) has mean c0 x0 + ct x_t and variance
    (1 - abar_s) / (1 - abar_t) (1 - abar_t / abar_s)."""
    a_t, a_s = 0.3, 0.6
    x_t, x0 = torch.full((200000,), 0.5), torch.full((200000,), -0.4)
    eps = (x_t - a_t**0.5 * x0) / (1 - a_t) ** 0.5
    x_s = STEPPERS["ddpm"](x_t, x0, eps, a_t, a_s, torch.Generator().manual_seed(0), {})
    beta = 1 - a_t / a_s
    mean = a_s**0.5 * beta / (1 - a_t) * -0.4 + (1 - beta) ** 0.5 * (1 - a_s) / (1 - a_t) * 0.5
    assert float(x_s.mean()) == pytest.approx(mean, abs=3e-3)
    assert float(x_s.std()) == pytest.approx(((1 - a_s) / (1 - a_t) * beta) ** 0.5, rel=1e-2)
    ddim = STEPPERS["ddim"](x_t, x0, eps, a_t, a_s, torch.Generator().manual_seed(0), {})
    assert float(ddim.std()) < 1e-6  # deterministic


def test_cancel_stops_between_steps():
    schedule = NoiseSchedule()
    calls = []

    def eps_fn(x, t, cond):
        calls.append(int(t[0]))
        return torch.zeros_like(x)

    with pytest.raises(JobCancelled):
        sample(eps_fn, schedule, (1, 1, 2, 2), SamplerConfig(steps=10), cancel=lambda: len(calls) >= 3)
    assert len(calls) == 3
    control = JobControl()
    control.cancel()
    with pytest.raises(JobCancelled):  # a cancel that raises by itself, as JobControl.checkpoint does
        sample(eps_fn, schedule, (1, 1, 2, 2), SamplerConfig(steps=10), cancel=control.checkpoint)
    assert len(calls) == 3


@pytest.mark.parametrize(("name", "steps", "kind"), [
    ("ddim", 100, "cosine"), ("ddim", 100, "linear"), ("dpm++2m", 25, "cosine"), ("dpm++2m", 25, "linear"),
    ("ddpm", 250, "cosine"),
])
def test_oracle_noise_gives_back_the_data_distribution(name, steps, kind):
    schedule = NoiseSchedule(ScheduleConfig(kind=kind))
    mu, s = 0.1, 0.5
    out = sample(gaussian_oracle(schedule, mu, s), schedule, (20000, 1, 1, 1),
                 SamplerConfig(sampler=name, steps=steps, clip_x0=False, seed=3))
    assert abs(float(out.mean()) - mu) < 0.015
    assert abs(float(out.std()) - s) < 0.025


def test_second_order_solver_beats_ddim_at_few_steps():
    schedule = NoiseSchedule()
    errors = {}
    for name in ("ddim", "dpm++2m"):
        out = sample(gaussian_oracle(schedule, 0.1, 0.5), schedule, (20000, 1, 1, 1),
                     SamplerConfig(sampler=name, steps=10, clip_x0=False))
        errors[name] = abs(float(out.std()) - 0.5)
    assert errors["dpm++2m"] < errors["ddim"] / 2


# diffusers as an oracle ------------------------------------------------------

def _diffusers():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pytest.importorskip("diffusers")


def _run_diffusers(scheduler, eps_fn, steps, shape, seed, stochastic=False, **step_kwargs):
    """diffusers' loop; the start noise, then any step noise, come from one generator, as in ``sample``."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=gen)
    with warnings.catch_warnings():  # diffusers' own deprecations are not ours to fail on
        warnings.simplefilter("ignore")
        scheduler.set_timesteps(steps)
        for t in scheduler.timesteps:
            t_batch = torch.full((shape[0],), int(t), dtype=torch.int64)
            extra = {"generator": gen} if stochastic else {}
            x = scheduler.step(eps_fn(x, t_batch, None), t, x, **extra, **step_kwargs).prev_sample
    return x


def _scheduler(name, prediction_type="epsilon", **config):
    diffusers = _diffusers()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(diffusers, name)(num_train_timesteps=1000, prediction_type=prediction_type,
                                        timestep_spacing="trailing", **config)


@pytest.mark.parametrize("clip", [False, True])
@pytest.mark.parametrize("kind", ["cosine", "linear"])
def test_ddim_and_ddpm_match_diffusers(clip, kind):
    schedule = NoiseSchedule(ScheduleConfig(kind=kind))
    eps_fn = gaussian_oracle(schedule, 0.6, 0.5)  # x0 guesses leave [-1, 1] often enough to test clipping
    betas = schedule.betas.tolist()
    ddim = _scheduler("DDIMScheduler", trained_betas=betas, clip_sample=clip, set_alpha_to_one=True, steps_offset=0)
    theirs = _run_diffusers(ddim, eps_fn, 20, (64, 1, 4, 4), 5, eta=0.0, use_clipped_model_output=True)
    ours = sample(eps_fn, schedule, (64, 1, 4, 4), SamplerConfig(sampler="ddim", steps=20, seed=5, clip_x0=clip))
    torch.testing.assert_close(ours, theirs, atol=2e-4, rtol=1e-4)
    ddpm = _scheduler("DDPMScheduler", trained_betas=betas, clip_sample=clip, variance_type="fixed_small")
    theirs = _run_diffusers(ddpm, eps_fn, 20, (64, 1, 4, 4), 5, stochastic=True)
    ours = sample(eps_fn, schedule, (64, 1, 4, 4), SamplerConfig(sampler="ddpm", steps=20, seed=5, clip_x0=clip))
    torch.testing.assert_close(ours, theirs, atol=2e-4, rtol=1e-4)


def test_a_v_model_matches_diffusers_v_prediction():
    schedule = NoiseSchedule()
    eps_oracle = gaussian_oracle(schedule, 0.6, 0.5)
    ab = torch.from_numpy(schedule.alpha_bar)

    def v_fn(x, t, cond):  # the same oracle answering in v = sqrt(abar) eps - sqrt(1 - abar) x0
        a = ab[t].view(-1, 1, 1, 1).to(x.dtype)
        eps = eps_oracle(x, t, cond)
        return a.sqrt() * eps - (1 - a).sqrt() * (x - (1 - a).sqrt() * eps) / a.sqrt()

    ddim = _scheduler("DDIMScheduler", trained_betas=schedule.betas.tolist(), clip_sample=True, set_alpha_to_one=True,
                      steps_offset=0, prediction_type="v_prediction")
    theirs = _run_diffusers(ddim, v_fn, 20, (64, 1, 4, 4), 2, eta=0.0, use_clipped_model_output=True)
    ours = sample(lambda x, t, c: schedule.eps_from_v(x, t, v_fn(x, t, c)), schedule, (64, 1, 4, 4),
                  SamplerConfig(sampler="ddim", steps=20, seed=2))
    torch.testing.assert_close(ours, theirs, atol=1e-3, rtol=1e-3)


@pytest.mark.parametrize("kind", ["cosine", "linear"])
def test_dpm_solver_matches_diffusers(kind):
    schedule = NoiseSchedule(ScheduleConfig(kind=kind))
    eps_fn = gaussian_oracle(schedule, 0.1, 0.5)
    for steps in (8, 20):
        dpm = _scheduler("DPMSolverMultistepScheduler", trained_betas=schedule.betas.tolist(),
                         algorithm_type="dpmsolver++", solver_order=2, solver_type="midpoint",
                         final_sigmas_type="zero", lower_order_final=True, use_karras_sigmas=False, thresholding=False)
        theirs = _run_diffusers(dpm, eps_fn, steps, (64, 1, 4, 4), 11)
        ours = sample(eps_fn, schedule, (64, 1, 4, 4),
                      SamplerConfig(sampler="dpm++2m", steps=steps, seed=11, clip_x0=False))
        # diffusers goes through sigma = sqrt((1 - a) / a) in float32, about 1e4 at t = T-1 for cosine;
        # against a float64 run of the same sampler it is 5e-4 off where we are 1.4e-4 off
        torch.testing.assert_close(ours, theirs, atol=1e-3, rtol=1e-3)


@pytest.mark.parametrize(("kind", "name"), [("cosine", "squaredcos_cap_v2"), ("linear", "linear")])
def test_schedules_match_diffusers(kind, name):
    theirs = _scheduler("DDPMScheduler", beta_schedule=name)
    schedule = NoiseSchedule(ScheduleConfig(kind=kind))
    torch.testing.assert_close(torch.from_numpy(schedule.alpha_bar).float(), theirs.alphas_cumprod, atol=1e-6, rtol=1e-5)
