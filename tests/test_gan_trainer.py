"""The GAN networks, config and step functions, on tiny models and 8x8 / 16x16 data."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from playground.core.preprocess.prepared import PreparedImages
from playground.core.models.dcgan import DCGANConfig, Discriminator, Generator, code_of, draw_latent
from playground.core.models.mlp_gan import MLPGANConfig, PointDiscriminator, PointGenerator
from playground.core import families
from playground.core.models.gan_config import GANConfig
from playground.core.training.gan_procedure import GANProcedure, d_loss_fn, g_loss_fn, translate
from playground.core.training.run_config import RunConfig

GAN = families.get("gan")


def procedure(data=None, kind: str = "image", preset: str = "tiny", **changes) -> GANProcedure:
    """A GAN procedure from a preset with flat changes, fitted to ``data`` when given."""
    settings = GAN.preset(preset, **changes)
    if data is not None:
        settings = GAN.fit(settings, data)
    return GANProcedure(settings.model, settings.run, "cpu", kind)


def bars(n: int = 64, size: int = 8, classes: int = 4, seed: int = 0) -> PreparedImages:
    """Class k: a bright horizontal bar at row 2k (mod size) on a dark, slightly noisy field."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    x = np.full((n, 1, size, size), -1.0, dtype=np.float32) + rng.normal(0, 0.05, (n, 1, size, size)).astype(np.float32)
    for i, k in enumerate(labels):
        x[i, 0, (2 * k) % size, :] = 1.0
    return PreparedImages(np.clip(x, -1, 1), labels, [str(k) for k in range(classes)], {"kind": "minus1_1"}, {})


@pytest.mark.parametrize("size", [8, 16, 28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("upsample, d_depth", [("convt", 1), ("nearest", 2)])
def test_dcgan_shapes(size, channels, upsample, d_depth):
    cfg = DCGANConfig(image_size=size, channels=channels, latent_dim=8, g_width=4, d_width=4, upsample=upsample,
                      d_depth=d_depth)
    g, d = Generator(cfg), Discriminator(cfg)
    x = g(torch.randn(3, 8))
    assert x.shape == (3, channels, size, size)
    assert float(x.detach().abs().max()) <= 1.0
    assert d(x).shape == (3,)


def test_conditional_dcgan_needs_labels():
    cfg = DCGANConfig(image_size=16, latent_dim=8, g_width=4, d_width=4, num_classes=5)
    g, d = Generator(cfg), Discriminator(cfg)
    labels = torch.tensor([0, 3])
    x = g(torch.randn(2, 8), labels)
    assert d(x, labels).shape == (2,)
    with pytest.raises(ValueError, match="conditional"):
        g(torch.randn(2, 8))


def test_mlp_gan_shapes():
    cfg = MLPGANConfig(latent_dim=4, hidden=8, layers=2, num_classes=3)
    pts = PointGenerator(cfg)(torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1]))
    assert pts.shape == (5, 2)
    assert PointDiscriminator(cfg)(pts, torch.zeros(5, dtype=torch.int64)).shape == (5,)


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"image_size": 20}, "image size"),
        ({"loss": "wgan"}, "unknown loss"),
        ({"ema_decay": 1.0}, "EMA"),
        ({"label_smoothing": 0.7}, "smoothing"),
        ({"betas_d": (0.5, 1.5)}, "betas_d"),
        ({"g_upsample": "bicubic"}, "g_upsample"),
        ({"d_depth": 3}, "d_depth"),
        ({"info_codes": 1}, "InfoGAN code"),
        ({"info_weight": -1.0}, "InfoGAN weight"),
        ({"augment": "flip"}, "augmentation"),
    ],
)
def test_config_validation(bad, match):
    with pytest.raises(ValueError, match=match):
        GANConfig(**bad)


@pytest.mark.parametrize("bad, match", [({"lr_g": 0.0}, "lr_g"), ({"device": "tpu"}, "device"),
                                        ({"batch_size": 0}, "batch_size"), ({"lr_schedule": "step"}, "schedule")])
def test_run_settings_validation(bad, match):
    with pytest.raises(ValueError, match=match):
        GAN.preset("tiny", **bad)


def test_presets_and_json_round_trip():
    assert {"tiny", "small", "default", "points"} <= set(GAN.presets)
    settings = GAN.preset("tiny", seed=3)
    assert GANConfig.from_dict(settings.model.to_dict()) == settings.model
    assert RunConfig.from_dict(settings.run.to_dict()) == settings.run
    with pytest.raises(ValueError, match="unknown GAN settings"):
        GANConfig.from_dict({**settings.model.to_dict(), "nope": 1})


def test_for_data_takes_shape_and_classes():
    data = bars(size=16)
    cfg = GAN.fit(GAN.preset("tiny", conditional=True), data).model
    assert (cfg.image_size, cfg.channels, cfg.num_classes) == (16, 1, 4)
    one_class = PreparedImages(data.x, np.zeros(len(data.x)), ["a"], data.norm, {})
    with pytest.raises(ValueError, match="at least 2"):
        GAN.fit(GAN.preset("tiny", conditional=True), one_class)


@pytest.mark.parametrize("loss", ["nonsat", "hinge", "lsgan"])
def test_losses_prefer_the_right_answer(loss):
    good, bad = torch.full((4,), 3.0), torch.full((4,), -3.0)
    assert d_loss_fn(loss, good, bad) < d_loss_fn(loss, bad, good)
    assert g_loss_fn(loss, good) < g_loss_fn(loss, bad)


@pytest.mark.parametrize("loss", ["nonsat", "hinge", "lsgan"])
@pytest.mark.parametrize("conditional", [False, True])
def test_step_functions_alone(loss, conditional):
    data = bars()
    trainer = procedure(data, loss=loss, conditional=conditional, label_smoothing=0.1)
    real, labels = torch.from_numpy(data.x[:4]), torch.from_numpy(data.labels[:4])
    d = trainer.d_step(real, labels)
    assert set(d) == {"d_loss", "d_real", "d_fake"}
    g = trainer.g_step(4, labels)
    assert set(g) == {"g_loss", "d_fake_g"}
    both = trainer.step(real, labels)
    for out in (d, g, both):
        assert all(math.isfinite(float(v)) for v in out.values())
    assert 0.0 <= float(both["d_real"]) <= 1.0
    assert trainer.g_updates == 2
    assert trainer.step(real, labels, which="d").keys() == {"d_loss", "d_real", "d_fake"}
    assert trainer.step(real, labels, which="g").keys() == {"g_loss", "d_fake_g"}


def test_infogan_code_rides_in_the_latent_and_q_guesses_it():
    z = draw_latent(6, 4, 3, torch.Generator().manual_seed(0))
    assert z.shape == (6, 7)
    assert torch.equal(z[:, 4:].sum(1), torch.ones(6)) and set(z[:, 4:].unique().tolist()) == {0.0, 1.0}
    assert torch.equal(code_of(z, 4), z[:, 4:].argmax(1))
    cfg = DCGANConfig(image_size=8, latent_dim=4, g_width=4, d_width=4, codes=3)
    g, d = Generator(cfg), Discriminator(cfg)
    x = g(z)
    out, q = d(x, with_codes=True)
    assert out.shape == (6,) and q.shape == (6, 3)
    with pytest.raises(ValueError, match="no InfoGAN code head"):
        Discriminator(DCGANConfig(image_size=8, latent_dim=4, g_width=4, d_width=4))(x, with_codes=True)
    with pytest.raises(ValueError, match="at least 2 values"):
        DCGANConfig(codes=1)

    data = bars()
    trainer = procedure(data, info_codes=3)
    assert trainer.z_dim == trainer.config.latent_dim + 3
    assert trainer.latent(5).shape == (5, trainer.z_dim)
    real = torch.from_numpy(data.x[:4])
    assert set(trainer.step(real)) == {"d_loss", "d_real", "d_fake", "g_loss", "d_fake_g", "info_loss"}
    assert "info_loss" in trainer.step(real, which="g")
    # the MLP GAN for points takes no code: the setting is ignored there
    assert procedure(kind="points", info_codes=3).z_dim == 8


def test_infogan_generator_learns_to_make_its_codes_recognisable():
    data = bars(n=64, size=8, classes=4)
    trainer = procedure(data, info_codes=4, batch_size=16, g_width=8, d_width=8, lr_g=2e-3, lr_d=2e-3)
    x = torch.from_numpy(data.x)
    losses = [float(trainer.step(x[(i * 16) % 64 : (i * 16) % 64 + 16])["info_loss"]) for i in range(150)]
    assert np.mean(losses[:5]) > 1.2  # about ln 4: Q guesses at random at first
    assert np.mean(losses[-10:]) < 0.25 * np.mean(losses[:5])  # and then it can tell the codes apart


def test_translate_shifts_whole_images_and_passes_gradients():
    x = torch.zeros(64, 2, 8, 8)
    x[:, :, 3:5, 3:5] = 1.0  # a 2x2 square in the middle, in both channels
    x.requires_grad_(True)
    y = translate(x, torch.Generator().manual_seed(0))
    assert y.shape == x.shape
    assert torch.equal(y[:, 0], y[:, 1])  # the same shift for every channel of an image
    assert torch.all(y.sum(dim=(1, 2, 3)) == 8)  # the square is moved, never cut (shift <= 1 px at 8 px)
    moved = [tuple(torch.nonzero(img[0])[0].tolist()) for img in y.detach()]
    assert len(set(moved)) == 9  # every shift in {-1, 0, 1}^2 turns up
    y.sum().backward()
    assert float(x.grad.sum()) > 0
    trainer = procedure(bars(), augment="translate")
    assert trainer.augment and math.isfinite(float(trainer.step(torch.from_numpy(bars().x[:4]))["g_loss"]))


def test_d_steps_and_only_d_changes_d():
    data = bars()
    trainer = procedure(data, d_steps=2)
    g_before = [p.clone() for p in trainer.g.parameters()]
    trainer.step(torch.from_numpy(data.x[:4]), which="d")
    assert all(torch.equal(a, b) for a, b in zip(g_before, trainer.g.parameters()))
    out = trainer.step(torch.from_numpy(data.x[:8]))  # two D chunks, then G
    assert math.isfinite(float(out["g_loss"]))


def test_short_run_teaches_the_discriminator():
    data = bars(n=64, size=8)
    trainer = procedure(data, batch_size=16, lr_d=2e-3, lr_g=1e-4, g_width=8, d_width=8)
    x = torch.from_numpy(data.x)
    losses = []
    for i in range(40):
        losses.append(float(trainer.step(x[(i * 16) % 64 : (i * 16) % 64 + 16])["d_loss"]))
    assert np.mean(losses[-5:]) < np.mean(losses[:5])


def test_set_lr_and_ema():
    data = bars()
    trainer = procedure(data)
    trainer.set_lr(g=1e-3, d=5e-4)
    assert trainer.lr == (1e-3, 5e-4)
    with pytest.raises(ValueError):
        trainer.set_lr(g=-1.0)
    ema_before = [p.clone() for p in trainer.g_ema.parameters()]
    trainer.step(torch.from_numpy(data.x[:4]))
    assert any(not torch.equal(a, b) for a, b in zip(ema_before, trainer.g_ema.parameters()))
    z = torch.randn(3, trainer.config.latent_dim)
    assert trainer.sample(z).shape == (3, 1, 8, 8)
    assert not torch.equal(trainer.sample(z), trainer.sample(z, ema=False))


def test_same_seed_same_training():
    data = bars()

    def run(seed: int) -> tuple[list[float], torch.Tensor]:
        trainer = procedure(data, seed=seed)
        x = torch.from_numpy(data.x)
        losses = [float(trainer.step(x[i * 4 : i * 4 + 4])["d_loss"]) for i in range(5)]
        return losses, trainer.sample(torch.ones(2, trainer.config.latent_dim))

    a, b, c = run(1), run(1), run(2)
    assert a[0] == b[0] and torch.equal(a[1], b[1])
    assert a[0] != c[0]


def test_bare_speed_and_thread_choice():
    from playground.core.training.bench import bare_steps_per_s, best_thread_count

    data = bars()
    settings = GAN.fit(GAN.preset("tiny"), data)

    def make(device):
        return GAN.make_trainer(settings, data, device, {})

    before = torch.get_num_threads()
    assert bare_steps_per_s(make, "cpu", steps=3, threads=1, warmup=1) > 0
    assert torch.get_num_threads() == before
    best, rate, rates = best_thread_count(make, "cpu", steps=2, candidates=(1,))
    assert best == 1 and rate == rates[1] > 0
