"""Checkpoints: round trips, atomic folder swaps, recovery after a crash, clear errors for bad
folders, GAN checkpoints of the first format, and generating from a checkpoint."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from playground.core import families
from playground.core.families.generators import load_generator
from playground.core.generators.gan_generator import GANRequest
from playground.core.models.gan_config import GANConfig
from playground.core.preprocess.prepared import PreparedImages
from playground.core.runs import checkpoint as ckpt_mod
from playground.core.runs.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from playground.core.runs.history import MetricHistory, SampleHistory
from playground.core.training.loop import checkpoint_of

GAN = families.get("gan")
LEGACY = Path(__file__).parent / "data" / "legacy_gan_v1"


def bars(n: int = 32) -> PreparedImages:
    labels = np.arange(n) % 4
    x = np.full((n, 1, 8, 8), -1.0, dtype=np.float32)
    for i, k in enumerate(labels):
        x[i, 0, 2 * k, :] = 1.0
    return PreparedImages(x, labels, list("abcd"), {"kind": "minus1_1"}, {"steps": [{"name": "resize"}]})


def trained(conditional: bool = False, codes: int = 0):
    """A tiny GAN trainer after 3 steps, and its checkpoint."""
    data = bars()
    settings = GAN.fit(GAN.preset("tiny", conditional=conditional, info_codes=codes), data)
    trainer = GAN.make_trainer(settings, data, torch.device("cpu"), {})
    for _ in range(3):
        trainer.train_step("both")
    history = MetricHistory()
    history.append(1, {"d_loss": 1.5, "g_loss": float("nan")})
    history.append(2, {"d_loss": 1.2})
    samples = SampleHistory()
    samples.append(2, np.zeros((8, 8, 8, 1), dtype=np.uint8))
    ck = checkpoint_of(trainer, family="gan", step=3, run=settings.run, model_config=settings.model.to_dict(),
                       history=history, samples=samples, pipeline=data.pipeline)
    return trainer, ck


def reloaded(folder: Path):
    """A trainer built from a checkpoint the way a resumed run builds it."""
    ck = load_checkpoint(folder)
    settings = GAN.fit(GAN.checkpoint_settings(ck), bars())
    trainer = GAN.make_trainer(settings, bars(), torch.device("cpu"), {})
    trainer.load_checkpoint_state(ck.networks, ck.optimizers, ck.state)
    return ck, trainer


@pytest.mark.parametrize("conditional, codes", [(False, 0), (True, 0), (False, 3)])
def test_round_trip_same_outputs_and_the_same_next_step(tmp_path, conditional, codes):
    trainer, ck = trained(conditional, codes)
    save_checkpoint(tmp_path / "ck", ck)
    loaded, again = reloaded(tmp_path / "ck")
    z = trainer.gan.draw_latent(5, torch.Generator().manual_seed(0))
    labels = torch.tensor([0, 1, 2, 3, 0]) if conditional else None
    assert torch.equal(trainer.gan.sample(z, labels), again.gan.sample(z, labels))
    assert torch.equal(trainer.gan.sample(z, labels, ema=False), again.gan.sample(z, labels, ema=False))
    assert loaded.step == 3 and loaded.family == "gan" and again.config == trainer.config
    assert loaded.data["label_names"] == list("abcd") and loaded.pipeline == ck.pipeline
    assert list(loaded.history.steps("d_loss")) == [1, 2] and np.isnan(loaded.history.values("g_loss")[0])
    assert len(loaded.samples) == 1
    for name, opt in trainer.optimizers().items():
        a, b = opt.state_dict(), again.optimizers()[name].state_dict()
        for idx, slots in a["state"].items():
            for slot, value in slots.items():
                assert torch.equal(torch.as_tensor(value), torch.as_tensor(b["state"][idx][slot]))
        assert a["param_groups"][0]["lr"] == b["param_groups"][0]["lr"]
    # the batch order and the noise carry on too: the next step is the same
    assert float(trainer.train_step("both")["g_loss"]) == float(again.train_step("both")["g_loss"])


def test_files_and_no_pickle(tmp_path):
    trainer, ck = trained()
    folder = save_checkpoint(tmp_path / "ck", ck)
    names = {p.name for p in folder.iterdir()}
    assert names == {"model.safetensors", "optim.safetensors", "state.safetensors", "config.json", "pipeline.json",
                     "history.json", "samples.npz", "meta.json"}
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["format"] == "playground-checkpoint" and meta["version"] == 2 and meta["step"] == 3
    assert meta["family"] == "gan" and meta["data"]["image_shape"] == [1, 8, 8]
    assert meta["data"]["norm"] == {"kind": "minus1_1"}
    config = json.loads((folder / "config.json").read_text())
    assert config["family"] == "gan" and config["run"]["learning_rates"] == {"g": 2e-4, "d": 2e-4}
    with np.load(folder / "samples.npz", allow_pickle=False) as npz:
        assert npz["images"].shape == (1, 8, 8, 8, 1)


def test_overwrite_keeps_a_complete_checkpoint_when_a_write_fails(tmp_path, monkeypatch):
    trainer, ck = trained()
    save_checkpoint(tmp_path / "ck", ck)
    real_write = ckpt_mod.write_text_atomic

    def failing(path, text):
        raise OSError("disk full")

    monkeypatch.setattr(ckpt_mod, "write_text_atomic", failing)  # meta.json, written last
    ck.step = 99
    with pytest.raises(OSError):
        save_checkpoint(tmp_path / "ck", ck)
    monkeypatch.setattr(ckpt_mod, "write_text_atomic", real_write)
    assert load_checkpoint(tmp_path / "ck").step == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]  # no temp folder left behind


def test_crash_between_renames_is_recovered(tmp_path):
    trainer, ck = trained()
    save_checkpoint(tmp_path / "ck", ck)
    (tmp_path / "ck").rename(tmp_path / "ck.old-1234")  # as if the process died mid-swap
    assert load_checkpoint(tmp_path / "ck").step == 3


def test_run_folder_is_accepted(tmp_path):
    trainer, ck = trained()
    save_checkpoint(tmp_path / "run" / "checkpoint", ck)
    assert load_checkpoint(tmp_path / "run").step == 3


def _saved(tmp_path):
    trainer, ck = trained()
    return save_checkpoint(tmp_path / "ck", ck)


@pytest.mark.parametrize(
    "damage, match",
    [
        (lambda f: (f / "model.safetensors").unlink(), "model.safetensors is missing"),
        (lambda f: (f / "model.safetensors").write_bytes(b"\x00" * 50), "model.safetensors does not match"),
        (lambda f: (f / "meta.json").write_text("{not json"), "meta.json is not valid JSON"),
        (lambda f: (f / "meta.json").write_text('{"format": "other"}'), "not a checkpoint of this app"),
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
    shutil.rmtree(folder)
    folder = _saved(tmp_path)
    meta = json.loads((folder / "meta.json").read_text())
    meta["sha256"] = {}
    (folder / "meta.json").write_text(json.dumps(meta))
    config = json.loads((folder / "config.json").read_text())
    config["model"]["g_width"] = 99
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="do not fit"):
        load_generator(folder, "cpu")


def test_not_a_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="not a checkpoint"):
        load_checkpoint(tmp_path / "empty")
    assert issubclass(CheckpointError, ValueError)


def test_generator_is_deterministic_and_builds_no_discriminator(tmp_path):
    trainer, ck = trained(conditional=True)
    save_checkpoint(tmp_path / "ck", ck)
    gen = load_generator(tmp_path / "ck", "cpu")
    assert not hasattr(gen, "d") and not hasattr(gen, "trainer")
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
    save_checkpoint(tmp_path / "ck", ck)
    gen = load_generator(tmp_path / "ck", "cpu")
    assert gen.noise(4, 0).shape == (4, trainer.config.latent_dim + 3)
    a = gen.generate(GANRequest(n=6, seed=1, code=2))
    z = gen.with_code(gen.noise(6, 1), 2)
    assert np.array_equal(a.images, gen.decode(z))
    assert not np.array_equal(a.images, gen.generate(GANRequest(n=6, seed=1, code=0)).images)
    with pytest.raises(ValueError, match="out of range"):
        gen.generate(GANRequest(n=1, code=3))
    plain, plain_ck = trained()
    save_checkpoint(tmp_path / "plain", plain_ck)
    with pytest.raises(ValueError, match="without InfoGAN codes"):
        load_generator(tmp_path / "plain", "cpu").generate(GANRequest(n=1, code=0))


def test_checkpoint_from_before_infogan_codes_loads_without_them(tmp_path):
    """Files written before a setting existed load with the old behaviour, not today's default (20 codes)."""
    trainer, ck = trained()
    folder = save_checkpoint(tmp_path / "old", ck)
    config = json.loads((folder / "config.json").read_text())
    for key in ("info_codes", "info_weight", "augment"):
        config["model"].pop(key)
    (folder / "config.json").write_text(json.dumps(config))
    meta = json.loads((folder / "meta.json").read_text())
    meta["sha256"].pop("config.json")  # as if edited by hand: checked by parsing, not by checksum
    (folder / "meta.json").write_text(json.dumps(meta))
    assert GANConfig().info_codes > 0
    gen = load_generator(folder, "cpu")
    assert gen.config.info_codes == 0 and gen.config.augment == "none"
    z = torch.randn(3, trainer.config.latent_dim)
    assert torch.equal(trainer.gan.sample(z).cpu(), gen.g(z))


def test_gan_checkpoints_of_the_first_format_still_load_and_generate_the_same_images():
    """tests/data/legacy_gan_v1 was written by the app before model families (format 1, a flat config)."""
    gen = load_generator(LEGACY / "conditional", "cpu")
    assert gen.family == "gan" and gen.conditional and gen.label_names[:3] == ["0", "1", "2"]
    images = gen.generate(GANRequest(n=6, label=1, seed=3)).images[..., 0]
    made_then = np.load(LEGACY / "conditional_label1_seed3.npz", allow_pickle=False)["images"]
    assert np.array_equal(images, made_then)  # `generate gan --n 6 --label 1 --seed 3` before the change
    codes = load_generator(LEGACY / "codes", "cpu")
    assert codes.codes == 3 and codes.generate(GANRequest(n=2, code=1)).images.shape == (2, 28, 28, 1)
    ck = load_checkpoint(LEGACY / "conditional")
    settings = GAN.checkpoint_settings(ck)
    assert ck.version == 1 and settings.run.learning_rates == {"g": 2e-4, "d": 2e-4} and ck.state["g_updates"] == 4
    assert set(ck.optimizers) == {"g", "d"}


def test_a_run_of_the_first_format_can_be_resumed(tmp_path):
    from playground.core.data.bundled import load_bundled
    from playground.core.families.session import session_job
    from playground.core.jobs import collect

    run = tmp_path / "run"
    shutil.copytree(LEGACY / "conditional", run / "checkpoint")
    settings = GAN.preset("tiny", steps=2, conditional=True)
    result, _ = collect(session_job(GAN, load_bundled("mnist-5k"), settings, labels=["0", "1", "2"], out_dir=run,
                                    resume_from=run, extras=False))
    assert result.step == 6 and load_checkpoint(run).version == 2


def test_a_complete_temporary_copy_is_recovered_and_later_saves_keep_it(tmp_path):
    trainer, ck = trained()
    save_checkpoint(tmp_path / "ck", ck)
    (tmp_path / "ck").rename(tmp_path / "ck.tmp-abcd")  # killed after the first save's folder was complete
    assert load_checkpoint(tmp_path / "ck").step == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]
    (tmp_path / "ck").rename(tmp_path / "ck.tmp-abcd")
    save_checkpoint(tmp_path / "ck", ck)  # the next save recovers it instead of deleting it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]


def test_half_written_and_half_deleted_copies_are_cleaned_up_and_never_used(tmp_path):
    trainer, ck = trained()
    folder = save_checkpoint(tmp_path / "ck", ck)
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
    save_checkpoint(folder, ck)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]
