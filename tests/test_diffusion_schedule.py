"""The noise schedule and its forward process in closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from playground.core.diffusion.schedule import NoiseSchedule, ScheduleConfig


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="unknown schedule"):
        ScheduleConfig(kind="sigmoid")
    with pytest.raises(ValueError, match="at least 2 timesteps"):
        ScheduleConfig(steps=1)
    with pytest.raises(ValueError, match="beta_start <= beta_end"):
        ScheduleConfig(kind="linear", beta_start=0.1, beta_end=0.01)


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_alpha_bar_falls_from_one_to_near_zero(kind):
    schedule = NoiseSchedule(ScheduleConfig(kind=kind))
    ab = schedule.alpha_bar
    assert ab.shape == (1000,)
    assert np.all(np.diff(ab) < 0)
    assert ab[0] > 0.999 and ab[-1] < 1e-4
    assert np.all((schedule.betas > 0) & (schedule.betas <= 0.999))


def test_linear_and_cosine_follow_their_papers():
    linear = NoiseSchedule(ScheduleConfig(kind="linear"))
    assert linear.betas[0] == pytest.approx(1e-4) and linear.betas[-1] == pytest.approx(0.02)
    cosine = NoiseSchedule(ScheduleConfig(kind="cosine"))

    def f(t: float) -> float:  # Nichol & Dhariwal eq. 17
        return math.cos((t / 1000 + 0.008) / 1.008 * math.pi / 2) ** 2

    for t in (0, 100, 500, 900):
        assert cosine.alpha_bar[t] == pytest.approx(f(t + 1) / f(0), rel=1e-9)


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_last_step_is_unit_gaussian_and_step_zero_is_the_data(kind):
    schedule = NoiseSchedule(ScheduleConfig(kind=kind))
    gen = torch.Generator().manual_seed(0)
    x0 = torch.rand(4000, 1, 4, 4, generator=gen) * 2 - 1  # data in [-1, 1], mean 0, std 0.58
    x0 = x0 * 0.5 + 0.4  # shift it away from the noise's mean and std
    noise = torch.randn(x0.shape, generator=gen)
    last = schedule.q_sample(x0, torch.full((4000,), 999), noise)
    assert abs(float(last.mean())) < 0.02
    assert abs(float(last.std()) - 1.0) < 0.02
    first = schedule.q_sample(x0, torch.zeros(4000, dtype=torch.int64), noise)
    assert float((first - x0).abs().mean()) < 0.015
    assert float(torch.corrcoef(torch.stack([first.flatten(), x0.flatten()]))[0, 1]) > 0.999


def test_closed_form_equals_adding_noise_step_by_step():
    schedule = NoiseSchedule(ScheduleConfig(kind="linear"))
    gen = torch.Generator().manual_seed(1)
    x = torch.full((50000,), 0.7, dtype=torch.float64)
    for beta in schedule.betas[:300]:  # x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) eps_t (Ho et al. eq. 2)
        x = math.sqrt(1 - beta) * x + math.sqrt(beta) * torch.randn(x.shape, generator=gen, dtype=torch.float64)
    ab = schedule.alpha_bar[299]
    assert float(x.mean()) == pytest.approx(0.7 * math.sqrt(ab), abs=0.01)
    assert float(x.std()) == pytest.approx(math.sqrt(1 - ab), abs=0.01)


def test_predict_x0_inverts_q_sample():
    schedule = NoiseSchedule()
    x0, noise = torch.rand(6, 3, 5, 7) * 2 - 1, torch.randn(6, 3, 5, 7)
    t = torch.tensor([0, 1, 250, 500, 750, 900])
    x_t = schedule.q_sample(x0, t, noise)
    torch.testing.assert_close(schedule.predict_x0(x_t, t, noise), x0, atol=1e-4, rtol=1e-4)


def test_v_target_and_back():
    schedule = NoiseSchedule()
    x0, noise = torch.rand(5, 1, 3, 3) * 2 - 1, torch.randn(5, 1, 3, 3)
    t = torch.tensor([0, 10, 500, 990, 999])
    x_t = schedule.q_sample(x0, t, noise)
    v = schedule.v_target(x0, t, noise)
    torch.testing.assert_close(schedule.eps_from_v(x_t, t, v), noise, atol=1e-5, rtol=1e-5)
    a = torch.from_numpy(schedule.alpha_bar[t.numpy()]).float().view(-1, 1, 1, 1)
    torch.testing.assert_close(a.sqrt() * x_t - (1 - a).sqrt() * v, x0, atol=1e-5, rtol=1e-5)  # x0 without dividing


def test_training_example_is_reproducible_and_consistent():
    schedule = NoiseSchedule()
    x0 = torch.rand(32, 1, 6, 6) * 2 - 1
    a = schedule.training_example(x0, torch.Generator().manual_seed(4))
    b = schedule.training_example(x0, torch.Generator().manual_seed(4))
    for u, v in zip(a, b):
        assert torch.equal(u, v)
    x_t, t, noise = a
    assert t.dtype == torch.int64 and t.shape == (32,) and 0 <= int(t.min()) and int(t.max()) < 1000
    assert len(set(t.tolist())) > 20
    torch.testing.assert_close(x_t, schedule.q_sample(x0, t, noise))


def test_timesteps_start_at_the_noisiest_and_are_distinct():
    schedule = NoiseSchedule()
    assert schedule.timesteps(20)[:3] == [999, 949, 899] and schedule.timesteps(20)[-1] == 49
    for steps in (1, 3, 7, 49, 333, 1000):
        ts = schedule.timesteps(steps)
        assert len(ts) == steps and ts[0] == 999
        assert all(a > b for a, b in zip(ts, ts[1:])) and ts[-1] >= 0
    assert schedule.timesteps(1000) == list(range(999, -1, -1))
    with pytest.raises(ValueError, match="between 1 and 1000"):
        schedule.timesteps(0)


def test_bad_timesteps_are_refused():
    schedule = NoiseSchedule()
    x = torch.zeros(2, 1, 2, 2)
    with pytest.raises(ValueError, match="integers"):
        schedule.q_sample(x, torch.tensor([0.5, 1.0]), x)
    with pytest.raises(ValueError, match=r"\[0, 999\]"):
        schedule.q_sample(x, torch.tensor([0, 1000]), x)


def test_min_snr_weights_only_the_nearly_clean_timesteps_down():
    schedule = NoiseSchedule(ScheduleConfig())
    t = torch.arange(schedule.steps)
    assert torch.equal(schedule.min_snr_weight(t, 0.0), torch.ones(schedule.steps))  # off: plain DDPM loss
    ab = torch.from_numpy(schedule.alpha_bar).float()
    snr = ab / (1 - ab)
    eps = schedule.min_snr_weight(t, 5.0)
    noisy = snr <= 5.0
    assert noisy.any() and (~noisy).any()
    assert torch.allclose(eps[noisy], torch.ones(int(noisy.sum())))  # SNR below gamma: weight 1
    assert torch.allclose(eps[~noisy], 5.0 / snr[~noisy]) and eps[0] < 0.01  # t = 0 is almost clean
    v = schedule.min_snr_weight(t, 5.0, "v")
    assert torch.allclose(v, snr.clamp(max=5.0) / (snr + 1))
