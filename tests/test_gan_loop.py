"""The GAN family through the one training loop: event order, cancel, pause and step once, NaN,
alerts, 2D mode, stop and resume."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch

from playground.core import families
from playground.core.data.dataset import PointsDataset
from playground.core.events import ImageGrid, PointsView, SaveCheckpoint, SetLearningRate, StepOnce
from playground.core.families.session import session_job
from playground.core.jobs import JobCancelled, JobControl, Metrics, Progress, Status, collect, run_to_end
from playground.core.models import dcgan
from playground.core.preprocess.prepared import PreparedImages
from playground.core.runs.checkpoint import load_checkpoint

GAN = families.get("gan")


def train_gan_job(data, settings="tiny", *, out_dir=None, resume_from=None, **changes):
    """The GAN session on already prepared data (settings or a preset's name), without the judging classifier."""
    settings = GAN.preset(settings, **changes) if isinstance(settings, str) else settings.replace(**changes)
    return session_job(GAN, None, settings, prepared=data, out_dir=out_dir, resume_from=resume_from, extras=False)


def bars(n: int = 48, size: int = 8, classes: int = 3) -> PreparedImages:
    rng = np.random.default_rng(0)
    labels = np.arange(n) % classes
    x = np.full((n, 1, size, size), -1.0, dtype=np.float32) + rng.normal(0, 0.05, (n, 1, size, size)).astype(np.float32)
    for i, k in enumerate(labels):
        x[i, 0, 2 * k, :] = 1.0
    return PreparedImages(np.clip(x, -1, 1), labels, [f"c{k}" for k in range(classes)], {"kind": "minus1_1"}, {"p": 1})


def ring(n: int = 200) -> PointsDataset:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return PointsDataset("ring", np.stack([3 * np.cos(t) + 1, 3 * np.sin(t)], 1), np.arange(n) % 2, ["a", "b"])


def kinds(events):
    return [type(e).__name__ for e in events]


def test_event_order_and_payloads():
    cfg = GAN.preset("tiny", steps=4, metrics_every=1, samples_every=2)
    result, events = collect(train_gan_job(bars(), cfg))
    assert isinstance(events[0], Status) and isinstance(events[1], Progress)
    body = [k for k in kinds(events) if k != "Status"]
    assert body[:6] == ["Progress", "Metrics", "Progress", "Metrics", "ImageGrid", "Progress"]
    metrics = [e for e in events if isinstance(e, Metrics)]
    assert [m.step for m in metrics] == [1, 2, 3, 4]
    for key in ("d_loss", "g_loss", "d_real", "d_fake", "steps_per_s", "images_per_s", "epoch", "elapsed", "eta",
                "memory_mb", "lr_g", "lr_d"):
        assert key in metrics[-1].values
    assert "diversity" in metrics[1].values and "diversity" not in metrics[0].values
    sample = next(e for e in events if isinstance(e, ImageGrid))
    assert sample.images.dtype == np.uint8
    assert sample.images.shape == (8, 8, 8, 1)
    assert sample.cols * sample.rows >= 8
    assert events[-1] == Progress(4, 4, "done")
    assert result.step == 4 and result.checkpoint is None
    assert list(result.history.steps("d_loss")) == [1, 2, 3, 4]


def test_conditional_grid_has_one_row_per_class():
    cfg = GAN.preset("tiny", steps=2, conditional=True)
    _, events = collect(train_gan_job(bars(), cfg))
    sample = next(e for e in events if isinstance(e, ImageGrid))
    assert sample.rows == 3 and sample.images.shape[0] == 3 * 8
    assert list(sample.labels[:9]) == [0] * 8 + [1]


def test_infogan_grid_keeps_each_code_together():
    cfg = GAN.preset("tiny", steps=2, info_codes=4)
    result, events = collect(train_gan_job(bars(), cfg))
    sample = next(e for e in events if isinstance(e, ImageGrid))
    assert sample.rows == 4 and sample.images.shape[0] == 4 * 8
    assert sample.layout.startswith("one row per InfoGAN code")
    assert "info_loss" in result.metrics
    _, events = collect(train_gan_job(bars(), cfg.replace(info_codes=20)))
    sample = next(e for e in events if isinstance(e, ImageGrid))
    assert (sample.rows, sample.cols, sample.images.shape[0]) == (10, 8, 80)
    assert sample.layout.startswith("each run of 4 in a row is one InfoGAN code")


def test_cancel_takes_effect_within_one_step():
    control = JobControl()
    gen = train_gan_job(bars(), "tiny", steps=1000)(control)
    seen = []
    for event in gen:
        seen.append(event)
        if isinstance(event, Metrics) and event.step == 3:
            control.cancel()
            break
    with pytest.raises(JobCancelled):
        for event in gen:
            assert not isinstance(event, Metrics), "a step ran after cancel"


def test_cancel_from_another_thread_is_prompt():
    control = JobControl()
    events: list = []
    done = threading.Event()

    def work():
        try:
            run_to_end(train_gan_job(bars(), "tiny", steps=100_000), events.append, control)
        except JobCancelled:
            done.set()

    thread = threading.Thread(target=work)
    thread.start()
    deadline = time.monotonic() + 30
    while not any(isinstance(e, Metrics) for e in events) and time.monotonic() < deadline:
        time.sleep(0.01)
    control.cancel()
    thread.join(5)
    assert done.is_set() and not thread.is_alive()


def _wait(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_pause_step_once_and_resume():
    control = JobControl()
    events: list = []
    cfg = GAN.preset("tiny", steps=40, metrics_every=5, samples_every=10)
    thread = threading.Thread(target=lambda: events.append(run_to_end(train_gan_job(bars(), cfg), events.append, control)))
    control.pause()
    thread.start()
    time.sleep(0.3)
    assert not any(isinstance(e, Metrics) for e in events), "trained while paused"
    control.send(StepOnce("d"))
    assert _wait(lambda: any(isinstance(e, Metrics) for e in events))
    first = [e for e in events if isinstance(e, Metrics)][0]
    assert first.step == 1 and "d_loss" in first.values and "g_loss" not in first.values
    control.send(StepOnce("g"))
    assert _wait(lambda: sum(isinstance(e, Metrics) for e in events) == 2)
    second = [e for e in events if isinstance(e, Metrics)][1]
    assert second.step == 2 and "g_loss" in second.values and "d_loss" not in second.values
    assert sum(isinstance(e, ImageGrid) for e in events) == 2  # a step once shows its effect at once
    control.send(SetLearningRate("g", 1e-3))
    control.send(StepOnce("both"))
    assert _wait(lambda: sum(isinstance(e, Metrics) for e in events) == 3)
    third = [e for e in events if isinstance(e, Metrics)][2]
    assert third.values["lr_g"] == pytest.approx(1e-3)
    control.resume()
    thread.join(30)
    assert not thread.is_alive()
    result = events[-1]
    assert result.step == 40
    steps = [e.step for e in events if isinstance(e, Metrics)]
    assert steps == sorted(steps) and steps[-1] == 40


def test_nan_loss_pauses_with_a_clear_error():
    data = bars()
    data.x[:] = np.nan
    control = JobControl()
    gen = train_gan_job(data, "tiny", steps=50)(control)
    error = None
    for event in gen:
        if isinstance(event, Status) and event.level == "error":
            error = event
            break
    assert error is not None and "loss became NaN at step 1" in error.message
    assert "learning rate" in error.message
    assert control.paused
    control.cancel()
    with pytest.raises(JobCancelled):
        next(gen)


def test_huge_learning_rate_is_caught_not_crashed():
    control = JobControl()
    cfg = GAN.preset("tiny", steps=200, spectral_norm=False, loss="nonsat", metrics_every=1)
    gen = train_gan_job(bars(), cfg)(control)
    control.send(SetLearningRate("d", 1e9))
    control.send(SetLearningRate("g", 1e9))
    for event in gen:
        if isinstance(event, Status) and event.level == "error":
            assert "NaN" in event.message and control.paused
            control.cancel()
            with pytest.raises(JobCancelled):
                next(gen)
            return
        if isinstance(event, Metrics):
            assert np.isfinite(event.values["d_loss"])
    # Survived 200 steps at lr 1e9 without a NaN: also fine, nothing crashed.


def test_forced_collapse_raises_the_alert(monkeypatch):
    state = {"collapse": False}
    real_forward = dcgan.Generator.forward

    def forward(self, z, labels=None):
        out = real_forward(self, z, labels)
        varied = torch.tanh(3 * z.repeat(1, 8)[:, :64].reshape(-1, 1, 8, 8))  # as varied as the noise
        if state["collapse"]:
            varied = torch.zeros_like(varied)  # every sample the same image
        return varied + 0 * out

    monkeypatch.setattr(dcgan.Generator, "forward", forward)
    control = JobControl()
    gen = train_gan_job(bars(), "tiny", steps=40, samples_every=2)(control)
    warnings = []
    for event in gen:
        if isinstance(event, ImageGrid) and event.step == 8:
            state["collapse"] = True
        if isinstance(event, Status) and event.level == "warning":
            warnings.append((event, control))
    collapse = [w for w, _ in warnings if "mode collapse" in w.message]
    assert len(collapse) == 1, [w.message for w, _ in warnings]  # raised once, not at every sample step


def test_points_mode_payload():
    cfg = GAN.preset("tiny", steps=2, samples_every=2)
    _, events = collect(train_gan_job(ring(), cfg))
    assert not any(isinstance(e, ImageGrid) for e in events)
    view = next(e for e in events if isinstance(e, PointsView))
    assert view.real.shape[1] == 2 and view.fake.shape == (500, 2) and view.grad.shape == (500, 2)
    assert view.d_surface.shape == (len(view.grid_y), len(view.grid_x))
    assert 0.0 <= view.d_surface.min() and view.d_surface.max() <= 1.0
    assert view.real[:, 0].mean() == pytest.approx(1.0, abs=0.3)  # data coordinates, not normalised


def test_conditional_points_surface_weighs_every_class(monkeypatch):
    """The conditional 2D heatmap mixes D's belief over all classes, not just the first."""
    from playground.core.models import mlp_gan

    asked: list[set[int]] = []
    forward = mlp_gan.PointDiscriminator.forward

    def spy(self, x, labels=None):
        if labels is not None and len(labels) == 48 * 48:  # a surface evaluation
            asked.append({int(v) for v in labels.unique()})
        return forward(self, x, labels)

    monkeypatch.setattr(mlp_gan.PointDiscriminator, "forward", spy)
    cfg = GAN.preset("tiny", steps=2, samples_every=2, conditional=True)
    _, events = collect(train_gan_job(ring(), cfg))
    view = next(e for e in events if isinstance(e, PointsView))
    assert asked[:2] == [{0}, {1}]
    assert 0.0 <= view.d_surface.min() and view.d_surface.max() <= 1.0


def test_points_learn_the_ring():
    cfg = GAN.preset("points", steps=300, samples_every=300, metrics_every=50)
    _, events = collect(train_gan_job(ring(400), cfg))
    fake = [e for e in events if isinstance(e, PointsView)][-1].fake
    radius = np.hypot(fake[:, 0] - 1, fake[:, 1])
    assert abs(np.median(radius) - 3.0) < 1.0


def test_stop_command_saves_and_returns(tmp_path):
    control = JobControl()
    gen = train_gan_job(bars(), "tiny", steps=1000, out_dir=tmp_path)(control)
    for event in gen:
        if isinstance(event, Metrics) and event.step == 2:
            control.send(SaveCheckpoint())
            control.stop()
    # the generator finished by itself
    assert (tmp_path / "checkpoint" / "meta.json").is_file()


def test_resume_continues_steps_and_history(tmp_path):
    cfg = GAN.preset("tiny", steps=6)
    first = run_to_end(train_gan_job(bars(), cfg, out_dir=tmp_path))
    assert first.checkpoint and (tmp_path / "checkpoint" / "model.safetensors").is_file()
    result, events = collect(train_gan_job(bars(), cfg.replace(steps=4, lr_g=1e-3), out_dir=tmp_path, resume_from=tmp_path))
    assert result.step == 10
    assert list(result.history.steps("d_loss")) == list(range(1, 11))
    assert [e.step for e in events if isinstance(e, Metrics)] == [7, 8, 9, 10]
    assert any("resumed from step 6" in e.message for e in events if isinstance(e, Status))
    assert result.metrics["lr_g"] == pytest.approx(1e-3)


def test_resume_refuses_other_data(tmp_path):
    run_to_end(train_gan_job(bars(), "tiny", steps=2, out_dir=tmp_path))
    with pytest.raises(ValueError, match="16"):
        run_to_end(train_gan_job(bars(size=16), "tiny", resume_from=tmp_path))


def test_same_seed_same_run():
    def run(seed):
        _, events = collect(train_gan_job(bars(), "tiny", seed=seed, steps=4))
        losses = [e.values["d_loss"] for e in events if isinstance(e, Metrics)]
        grid = [e.images for e in events if isinstance(e, ImageGrid)][-1]
        return losses, grid

    (la, ga), (lb, gb), (lc, _) = run(5), run(5), run(6)
    assert la == lb and np.array_equal(ga, gb)
    assert la != lc


def test_linear_lr_decay_follows_live_changes():
    control = JobControl()
    cfg = GAN.preset("tiny", steps=10, lr_schedule="linear", lr_g=1e-3, lr_d=1e-3)
    gen = train_gan_job(bars(), cfg)(control)
    rates = []
    for event in gen:
        if isinstance(event, Metrics):
            rates.append(event.values["lr_g"])
            if event.step == 5:
                control.send(SetLearningRate("g", 2e-3))
    assert rates[0] == pytest.approx(1e-3)
    assert rates[4] == pytest.approx(1e-3 * 0.6)
    assert rates[5] == pytest.approx(2e-3 * 0.5)  # the new rate, decayed from where the run is
    assert rates[-1] == pytest.approx(2e-3 * 0.1)


def test_stop_ends_a_running_run_within_a_second_and_saves_where_it_stopped(tmp_path):
    control = JobControl()
    events: list = []
    result: list = []
    job = train_gan_job(bars(), "tiny", steps=100_000, out_dir=tmp_path)
    thread = threading.Thread(target=lambda: result.append(run_to_end(job, events.append, control)))
    thread.start()
    assert _wait(lambda: any(isinstance(e, Metrics) and e.step >= 3 for e in events))
    asked = time.monotonic()
    control.stop()
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - asked < 1.0
    assert result[0].stopped and 3 <= result[0].step < 1000
    assert load_checkpoint(tmp_path).step == result[0].step


@pytest.mark.parametrize("ratio, good_step", [(0, 4), (10**9, 0)])
def test_nan_rolls_the_networks_back_to_the_last_good_step(tmp_path, monkeypatch, ratio, good_step):
    # ratio 0 copies the state at every logged step; a huge one only at the start (the copy's cost rule)
    from playground.core.training import gan_procedure, loop

    monkeypatch.setattr(loop, "ROLLBACK_COST_RATIO", ratio)

    real_step = gan_procedure.GANProcedure.step
    calls = {"n": 0}

    def poisoned(self, real, labels=None, which="both"):
        calls["n"] += 1
        out = real_step(self, real, labels, which)
        if calls["n"] == 5:  # the fifth step wrecks G's weights and its loss
            with torch.no_grad():
                for p in self.g.parameters():
                    p.fill_(float("nan"))
            out["g_loss"] = torch.tensor(float("nan"))
        return out

    monkeypatch.setattr(gan_procedure.GANProcedure, "step", poisoned)
    control = JobControl()
    gen = train_gan_job(bars(), "tiny", steps=50, metrics_every=1, ema_decay=0.0, out_dir=tmp_path)(control)
    for event in gen:
        if isinstance(event, Status) and event.level == "error":
            assert f"rolled back to step {good_step}" in event.message and control.paused
            control.stop()
    if good_step == 0:  # back before the first step: stopping there writes nothing
        assert not (tmp_path / "checkpoint" / "meta.json").exists()
        return
    saved = load_checkpoint(tmp_path)
    assert saved.step == good_step
    assert all(torch.isfinite(p).all() for p in saved.networks["g"].values())


def test_a_resumed_run_equals_an_uninterrupted_one(tmp_path):
    cfg = GAN.preset("tiny", steps=8, info_codes=3)
    straight = run_to_end(train_gan_job(bars(), cfg, out_dir=tmp_path / "a"))
    run_to_end(train_gan_job(bars(), cfg.replace(steps=4), out_dir=tmp_path / "b"))
    resumed = run_to_end(train_gan_job(bars(), cfg.replace(steps=4), out_dir=tmp_path / "b", resume_from=tmp_path / "b"))
    assert resumed.step == straight.step == 8
    for key in ("d_loss", "g_loss"):
        assert np.array_equal(straight.history.values(key), resumed.history.values(key)), key
    a, b = load_checkpoint(tmp_path / "a"), load_checkpoint(tmp_path / "b")
    for net in ("g", "d", "g_ema"):
        for name, weight in a.networks[net].items():
            assert torch.equal(weight, b.networks[net][name]), (net, name)


def test_samples_and_checkpoints_keep_their_cadence_when_metrics_are_rarer(tmp_path):
    # metrics every 4 steps must not swallow samples every 6 or checkpoints every 9
    from playground.core.events import CheckpointSaved

    _, events = collect(train_gan_job(bars(), "tiny", steps=18, metrics_every=4, samples_every=6,
                                      checkpoint_every=9, out_dir=tmp_path))
    grids = [e.step for e in events if isinstance(e, ImageGrid)]
    saved = [e.step for e in events if isinstance(e, CheckpointSaved)]
    metrics = [e.step for e in events if isinstance(e, Metrics)]
    assert grids == [6, 12, 18] and saved == [9, 18]
    assert {4, 8, 16} <= set(metrics) and {6, 9, 12} <= set(metrics)
