"""GAN checkpoints: round trips, atomic folder swaps, and clear errors for bad folders."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from playground.core.data.dataset import PreparedImages
from playground.core.generators.gan_generator import GANRequest, load
from playground.core.training import checkpoint as ckpt_mod
from playground.core.training import GANConfig, GANTrainer, MetricHistory, SampleHistory
from playground.core.training.checkpoint import CheckpointError, GANCheckpoint, load_checkpoint, save_checkpoint


def bars(n: int = 32) -> PreparedImages:
    labels = np.arange(n) % 4
    x = np.full((n, 1, 8, 8), -1.0, dtype=np.float32)
    for i, k in enumerate(labels):
        x[i, 0, 2 * k, :] = 1.0
    return PreparedImages(x, labels, list("abcd"), {"kind": "minus1_1"}, {"steps": [{"name": "resize"}]})


def trained(conditional: bool = False, codes: int = 0) -> tuple[GANTrainer, GANCheckpoint]:
    data = bars()
    cfg = GANConfig.preset("tiny", conditional=conditional, info_codes=codes).for_data(data)
    trainer = GANTrainer(cfg)
    x, y = torch.from_numpy(data.x), torch.from_numpy(data.labels)
    for i in range(3):
        trainer.step(x[i * 4 : i * 4 + 4], y[i * 4 : i * 4 + 4])
    history = MetricHistory()
    history.append(1, {"d_loss": 1.5, "g_loss": float("nan")})
    history.append(2, {"d_loss": 1.2})
    samples = SampleHistory()
    samples.append(2, np.zeros((8, 8, 8, 1), dtype=np.uint8))
    ck = GANCheckpoint(cfg, 3, "image", data.label_names, (1, 8, 8), data.norm, data.pipeline, history, samples,
                       {"lr_g": 2e-4})
    return trainer, ck


@pytest.mark.parametrize("conditional, codes", [(False, 0), (True, 0), (False, 3)])
def test_round_trip_same_outputs(tmp_path, conditional, codes):
    trainer, ck = trained(conditional, codes)
    save_checkpoint(tmp_path / "ck", ck, trainer)
    loaded = load_checkpoint(tmp_path / "ck")
    z = trainer.draw_latent(5, torch.Generator().manual_seed(0))
    labels = torch.tensor([0, 1, 2, 3, 0]) if conditional else None
    assert torch.equal(trainer.sample(z, labels), loaded.trainer.sample(z, labels))
    assert torch.equal(trainer.sample(z, labels, ema=False), loaded.trainer.sample(z, labels, ema=False))
    assert loaded.step == 3 and loaded.config == trainer.config
    assert loaded.label_names == list("abcd") and loaded.pipeline == ck.pipeline
    assert list(loaded.history.steps("d_loss")) == [1, 2] and np.isnan(loaded.history.values("g_loss")[0])
    assert len(loaded.samples) == 1
    a, b = trainer.optim_state(), loaded.trainer.optim_state()
    for net in ("g", "d"):
        for idx, slots in a[net]["state"].items():
            for name, value in slots.items():
                assert torch.equal(torch.as_tensor(value), torch.as_tensor(b[net]["state"][idx][name]))
        assert a[net]["param_groups"][0]["lr"] == b[net]["param_groups"][0]["lr"]
    # training on from both gives the same next step
    x = torch.from_numpy(bars().x[:4])
    lab = torch.tensor([0, 1, 2, 3]) if conditional else None
    trainer.noise.manual_seed(9)
    loaded.trainer.noise.manual_seed(9)
    assert float(trainer.step(x, lab)["g_loss"]) == float(loaded.trainer.step(x, lab)["g_loss"])


def test_files_and_no_pickle(tmp_path):
    trainer, ck = trained()
    folder = save_checkpoint(tmp_path / "ck", ck, trainer)
    names = {p.name for p in folder.iterdir()}
    assert names == {"model.safetensors", "optim.safetensors", "config.json", "pipeline.json", "history.json",
                     "samples.npz", "meta.json"}
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["format"] == "playground-gan-checkpoint" and meta["version"] == 1 and meta["step"] == 3
    assert meta["image_shape"] == [1, 8, 8] and meta["norm"] == {"kind": "minus1_1"}
    with np.load(folder / "samples.npz", allow_pickle=False) as npz:
        assert npz["images"].shape == (1, 8, 8, 8, 1)


def test_overwrite_keeps_a_complete_checkpoint_when_a_write_fails(tmp_path, monkeypatch):
    trainer, ck = trained()
    save_checkpoint(tmp_path / "ck", ck, trainer)
    calls = {"n": 0}
    real_write = ckpt_mod.write_bytes_atomic

    def failing(path, data):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        real_write(path, data)

    monkeypatch.setattr(ckpt_mod, "write_bytes_atomic", failing)
    ck.step = 99
    with pytest.raises(OSError):
        save_checkpoint(tmp_path / "ck", ck, trainer)
    assert load_checkpoint(tmp_path / "ck").step == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]  # no temp folder left behind


def test_crash_between_renames_is_recovered(tmp_path):
    trainer, ck = trained()
    save_checkpoint(tmp_path / "ck", ck, trainer)
    (tmp_path / "ck").rename(tmp_path / "ck.old-1234")  # as if the process died mid-swap
    assert load_checkpoint(tmp_path / "ck").step == 3


def test_run_folder_is_accepted(tmp_path):
    trainer, ck = trained()
    save_checkpoint(tmp_path / "run" / "checkpoint", ck, trainer)
    assert load_checkpoint(tmp_path / "run").step == 3


def _saved(tmp_path):
    trainer, ck = trained()
    return save_checkpoint(tmp_path / "ck", ck, trainer)


@pytest.mark.parametrize(
    "damage, match",
    [
        (lambda f: (f / "model.safetensors").unlink(), "model.safetensors is missing"),
        (lambda f: (f / "model.safetensors").write_bytes(b"\x00" * 50), "model.safetensors does not match"),
        (lambda f: (f / "meta.json").write_text("{not json"), "meta.json is not valid JSON"),
        (lambda f: (f / "meta.json").write_text('{"format": "other"}'), "not a GAN checkpoint"),
        (lambda f: (f / "config.json").write_text("[]"), "does not match its checksum"),
    ],
)
def test_damaged_checkpoint_gives_a_clear_error(tmp_path, damage, match):
    folder = _saved(tmp_path)
    damage(folder)
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint(folder)


def test_damage_without_checksums_is_still_caught(tmp_path):
    folder = _saved(tmp_path)
    meta = json.loads((folder / "meta.json").read_text())
    meta["sha256"] = {}
    (folder / "meta.json").write_text(json.dumps(meta))
    (folder / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="model.safetensors cannot be read"):
        load_checkpoint(folder)
    config = json.loads((folder / "config.json").read_text())
    config["g_width"] = 99
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError):
        load_checkpoint(folder)


def test_not_a_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="not a GAN checkpoint"):
        load_checkpoint(tmp_path / "empty")
    assert issubclass(CheckpointError, ValueError)


def test_generator_is_deterministic(tmp_path):
    trainer, ck = trained(conditional=True)
    save_checkpoint(tmp_path / "ck", ck, trainer)
    gen = load(tmp_path / "ck", "cpu")
    a = gen.generate(GANRequest(n=10, seed=4, label=2))
    b = gen.generate(GANRequest(n=600, seed=4, label=2))  # three batches of noise
    c = gen.generate(GANRequest(n=4, seed=4, label=2))
    assert a.images.dtype == np.uint8 and a.images.shape == (10, 8, 8, 1) and b.images.shape == (600, 8, 8, 1)
    assert np.array_equal(a.images, b.images[:10]) and np.array_equal(a.images[:4], c.images)
    assert not np.array_equal(b.images[:256], b.images[256:512])  # each batch draws new noise
    assert list(a.labels) == [2] * 10
    assert not np.array_equal(a.images, gen.generate(GANRequest(n=10, seed=5, label=2)).images)
    assert gen.interpolate(1, 2, steps=5, label=1).shape == (5, 8, 8, 1)
    with pytest.raises(ValueError, match="out of range"):
        gen.generate(GANRequest(n=1, label=9))
    steps = []
    gen.generate(GANRequest(n=600), on_step=lambda done, total: steps.append(done))
    assert steps == [256, 512, 600]
    from playground.core.jobs import JobCancelled

    with pytest.raises(JobCancelled):
        gen.generate(GANRequest(n=10), cancel=lambda: True)


def test_generator_can_be_asked_for_an_infogan_code(tmp_path):
    trainer, ck = trained(codes=3)
    save_checkpoint(tmp_path / "ck", ck, trainer)
    gen = load(tmp_path / "ck", "cpu")
    assert gen.noise(4, 0).shape == (4, trainer.config.latent_dim + 3)
    a = gen.generate(GANRequest(n=6, seed=1, code=2))
    z = gen.with_code(gen.noise(6, 1), 2)
    assert np.array_equal(a.images, gen.decode(z))
    assert not np.array_equal(a.images, gen.generate(GANRequest(n=6, seed=1, code=0)).images)
    with pytest.raises(ValueError, match="out of range"):
        gen.generate(GANRequest(n=1, code=3))
    plain, plain_ck = trained()
    save_checkpoint(tmp_path / "plain", plain_ck, plain)
    with pytest.raises(ValueError, match="without InfoGAN codes"):
        load(tmp_path / "plain", "cpu").generate(GANRequest(n=1, code=0))


def test_checkpoint_from_before_infogan_codes_loads_without_them(tmp_path):
    """Files written before a setting existed load with the old behaviour, not today's default (20 codes)."""
    trainer, ck = trained()
    folder = tmp_path / "old"
    save_checkpoint(folder, ck, trainer)
    config = json.loads((folder / "config.json").read_text())
    for key in ("info_codes", "info_weight", "augment"):
        config.pop(key)
    (folder / "config.json").write_text(json.dumps(config))
    meta = json.loads((folder / "meta.json").read_text())
    meta["sha256"].pop("config.json")  # as if edited by hand: checked by parsing, not by checksum
    (folder / "meta.json").write_text(json.dumps(meta))
    assert GANConfig().info_codes > 0
    loaded = load_checkpoint(folder)
    assert loaded.config.info_codes == 0 and loaded.config.augment == "none"
    z = torch.randn(3, trainer.config.latent_dim)
    assert torch.equal(trainer.sample(z), loaded.trainer.sample(z))


def test_a_complete_temporary_copy_is_recovered_and_later_saves_keep_it(tmp_path):
    trainer, ck = trained()
    save_checkpoint(tmp_path / "ck", ck, trainer)
    (tmp_path / "ck").rename(tmp_path / "ck.tmp-abcd")  # killed after the first save's folder was complete
    assert load_checkpoint(tmp_path / "ck").step == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]
    (tmp_path / "ck").rename(tmp_path / "ck.tmp-abcd")
    save_checkpoint(tmp_path / "ck", ck, trainer)  # the next save recovers it instead of deleting it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]


def test_half_written_and_half_deleted_copies_are_cleaned_up_and_never_used(tmp_path):
    trainer, ck = trained()
    folder = save_checkpoint(tmp_path / "ck", ck, trainer)
    half = tmp_path / "ck.old-1234"
    half.mkdir()
    (half / "model.safetensors").write_bytes(b"half deleted")
    partial = tmp_path / "ck.tmp-5678"
    partial.mkdir()
    (partial / "meta.json").write_text((folder / "meta.json").read_text())  # meta but no data files
    folder.rename(tmp_path / "gone")
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "ck")  # neither copy is complete
    (tmp_path / "gone").rename(folder)
    save_checkpoint(folder, ck, trainer)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]
