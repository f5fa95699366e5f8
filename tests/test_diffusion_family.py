"""The diffusion family on the one loop: captioned images train, the grid shows fixed prompts, the
generator draws deterministically with a filmstrip, reports unknown words, and its PNGs verify."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.core import families
from playground.core.data.bundled import load_bundled
from playground.core.data.dataset import ImageDataset
from playground.core.events import ImageGrid, Metrics
from playground.core.families.generators import image_receipt, load_generator, verify_png
from playground.core.families.session import session_job
from playground.core.generators.diffusion_generator import ImageRequest
from playground.core.generators.receipts import png_with_receipt, read_png_receipt
from playground.core.jobs import collect
from playground.core.runs.checkpoint import load_checkpoint
from playground.core.training.diffusion_trainer import grid_prompts

DIFFUSION = families.get("diffusion")


def digits(n: int = 60) -> ImageDataset:
    full = load_bundled("mnist-5k")
    pick = np.concatenate([np.flatnonzero(full.labels == k)[: n // 10] for k in range(10)])
    return ImageDataset("digits", full.images[pick], full.labels[pick], full.label_names,
                        captions=[full.captions[i] for i in pick])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("diffusion") / "run"
    result, events = collect(session_job(DIFFUSION, digits(), DIFFUSION.preset("tiny", steps=6), out_dir=out))
    return out, result, events


def test_bundled_digits_have_captions_in_several_phrasings():
    mnist = load_bundled("mnist-5k")
    sevens = {c for c, k in zip(mnist.captions, mnist.labels) if k == 7}
    assert {"a handwritten 7", "seven", "the digit seven"} & sevens and len(sevens) >= 5
    assert all("7" in c or "seven" in c for c in sevens)


def test_training_logs_the_loss_and_a_grid_of_fixed_prompts(run):
    out, result, events = run
    assert result.step == 6 and all(np.isfinite(e.values["loss"]) for e in events if isinstance(e, Metrics))
    grid = [e for e in events if isinstance(e, ImageGrid)][-1]
    assert grid.rows == 10 and grid.cols == 2 and grid.images.shape == (20, 28, 28, 1)
    assert grid.captions[7] == "a handwritten 7"
    assert np.array_equal(grid.images[0], grid.images[0])  # uint8 pixels
    ck = load_checkpoint(out)
    assert ck.family == "diffusion" and {"net", "ema"} <= set(ck.networks) and "training.npz" in ck.files


def test_grid_prompts_for_other_data():
    emoji = load_bundled("emoji-32")
    prompts = grid_prompts(emoji.captions, emoji.labels, emoji.label_names)
    assert len(prompts) == 8 and "red heart" in prompts and "red circle" in prompts
    assert grid_prompts(["cat", "dog", "cat"], np.zeros(3, dtype=int), ["pets"]) == ["cat", "dog"]


def test_the_generator_is_deterministic_keeps_a_filmstrip_and_reports_unknown_words(run):
    out, _, _ = run
    gen = load_generator(out, "cpu")
    assert gen.family == "diffusion" and not hasattr(gen, "opt")
    a = gen.generate(ImageRequest("a handwritten 7", n=3, steps=4, seed=2), film=True)
    b = gen.generate(ImageRequest("a handwritten 7", n=3, steps=4, seed=2))
    c = gen.generate(ImageRequest("a handwritten 7", n=3, steps=4, seed=3))
    assert a.images.dtype == np.uint8 and a.images.shape == (3, 28, 28, 1)
    assert np.array_equal(a.images, b.images) and not np.array_equal(a.images, c.images)
    assert len(a.film) == 4 and a.film[0][0] == 999 and a.film[-1][0] < a.film[0][0]
    assert np.array_equal(a.film[-1][2], a.images[0])  # the last clean guess is the result
    assert gen.generate(ImageRequest("a zebra seven", n=1, steps=2)).unknown == ("zebra",)
    noisy = gen.noised(a.images[0], 999, seed=1)
    assert noisy.shape == a.images[0].shape and np.abs(noisy.astype(int) - a.images[0]).mean() > 40
    assert np.array_equal(gen.noised(a.images[0], 0), a.images[0]) or \
        np.abs(gen.noised(a.images[0], 0).astype(int) - a.images[0]).max() <= 8
    images, captions = gen.training_images()
    assert images.shape == (60, 28, 28, 1) and len(captions) == 60


def test_guidance_scale_one_is_the_conditional_prediction_and_zero_the_unconditional(run):
    from playground.core.diffusion.samplers import guided_eps

    out, _, _ = run
    gen = load_generator(out, "cpu")
    x, t = torch.randn(2, 1, 28, 28), torch.tensor([500, 500])
    from playground.core.models.text_encoder import empty_captions, encode_captions

    cap = encode_captions(gen.tokenizer, ["a handwritten 3"] * 2, gen.config.max_caption)
    empty = empty_captions(2, gen.config.max_caption, gen.tokenizer.vocab_size)
    cond, uncond = gen.net.text(cap.ids, cap.mask), gen.net.text(empty.ids, empty.mask)

    def eps(x_, t_, c):
        return gen.net.eps(gen.schedule, "eps", x_, t_, c)

    assert torch.allclose(guided_eps(eps, x, t, cond, uncond, 1.0), eps(x, t, cond), atol=1e-5)
    assert torch.allclose(guided_eps(eps, x, t, cond, uncond, 0.0), eps(x, t, uncond), atol=1e-5)


def test_png_receipt_round_trip_and_verify(run):
    out, _, _ = run
    gen = load_generator(out, "cpu")
    result = gen.generate(ImageRequest("a handwritten 1", n=4, steps=3, seed=5))
    png = png_with_receipt(result.images, image_receipt(str(out), gen, result))
    receipt = read_png_receipt(png)
    assert receipt.request["prompt"] == "a handwritten 1" and receipt.request["seed"] == 5
    assert verify_png(png).identical
    with pytest.raises(ValueError, match="no receipt"):
        from PIL import Image
        import io

        buf = io.BytesIO()
        Image.new("L", (4, 4)).save(buf, format="PNG")
        read_png_receipt(buf.getvalue())


def test_uncaptioned_images_are_refused_with_a_message():
    data = digits()
    bare = ImageDataset("bare", data.images, data.labels, data.label_names)
    bare.captions = None
    assert families.for_data(frozenset({"images", "labelled_images"})) == [families.get("gan")]
    with pytest.raises(ValueError, match="captioned images"):
        collect(session_job(DIFFUSION, bare, DIFFUSION.preset("tiny")))


def test_a_model_saved_before_guidance_until_still_guides_every_step():
    from playground.core.models.diffusion_config import DiffusionConfig

    saved = DiffusionConfig().to_dict()
    del saved["guidance_until"]  # as every model saved before the setting existed
    assert DiffusionConfig.from_dict(saved).guidance_until == 0.0
    assert DiffusionConfig().guidance_until == 0.3  # new models: the judged default


def _first_loss(min_snr: float) -> float:
    from types import SimpleNamespace

    from playground.core.training.diffusion_trainer import DiffusionTrainer

    rng = np.random.default_rng(0)
    data = SimpleNamespace(x=rng.uniform(-1, 1, (8, 1, 8, 8)).astype(np.float32), labels=np.arange(8) % 2,
                           label_names=["a", "b"], captions=["a dot", "a line"] * 4, norm={"kind": "minus1_1"})
    settings = DIFFUSION.preset("tiny", min_snr=min_snr, batch_size=8, ema_decay=0.0)
    trainer = DiffusionTrainer(settings.model, settings.run, data)
    return float(trainer.train_step(trainer.parts[0])["loss"])


def test_min_snr_weighting_reaches_the_training_loss():
    plain = _first_loss(0.0)
    assert _first_loss(1e9) == pytest.approx(plain, rel=1e-6)  # gamma above every SNR: every weight is 1
    assert _first_loss(5.0) < plain  # same batch, same noise: the nearly clean examples weigh less


def test_models_saved_before_min_snr_keep_training_unweighted():
    from playground.core.models.diffusion_config import DiffusionConfig

    saved = DiffusionConfig().to_dict()
    del saved["min_snr"]
    assert DiffusionConfig.from_dict(saved).min_snr == 0.0 and DiffusionConfig().min_snr == 5.0
    assert DIFFUSION.preset("digits").model.min_snr == 0.0  # the shipped digits' recipe, as it was trained


def test_focus_words_draw_their_images_more_often_and_say_so():
    from types import SimpleNamespace

    from playground.core.training.diffusion_trainer import DiffusionTrainer, focus_items

    assert focus_items(["red heart", "smiling face with heart-eyes", "red apple"], frozenset({"heart"})).tolist() == [
        True, True, False]
    rng = np.random.default_rng(0)
    captions = ["a red heart", "a dot", "a line", "a ring"]
    data = SimpleNamespace(x=rng.uniform(-1, 1, (4, 1, 8, 8)).astype(np.float32), labels=np.zeros(4, int),
                           label_names=["a"], captions=captions, norm={"kind": "minus1_1"})
    settings = DIFFUSION.preset("tiny", focus_words="Heart, star", focus_times=5, ema_decay=0.0)
    trainer = DiffusionTrainer(settings.model, settings.run, data)
    drawn = np.bincount(trainer.batches.take(8 * 40).numpy(), minlength=4)  # 40 epochs of 5 + 1 + 1 + 1 draws
    assert drawn.tolist() == [200, 40, 40, 40]
    assert "1 with heart, star drawn 5x as often" in trainer.describe()
    with pytest.raises(ValueError, match="no caption has any of zebra"):
        DiffusionTrainer(DIFFUSION.preset("tiny", focus_words="zebra").model, settings.run, data)
    with pytest.raises(ValueError, match="focus_times must be at least 1"):
        DIFFUSION.preset("tiny", focus_times=0)


def test_augmentation_moves_whole_pixels_repeats_the_edges_and_shrinks():
    from playground.core.training.diffusion_trainer import shift_and_zoom

    x = torch.ones(64, 3, 12, 12)
    x[:, :, 4:8, 5:8] = torch.linspace(-1, 0.5, 3 * 4 * 3).reshape(3, 4, 3)  # a patch on a white background
    moved = shift_and_zoom(x, 2, 0.0, torch.Generator().manual_seed(0))
    offsets = []
    for out in moved:  # each is the image moved by a whole number of pixels, at most 2 each way, pixels unchanged
        hits = [(dx, dy) for dx in range(-2, 3) for dy in range(-2, 3)
                if torch.equal(out, torch.roll(x[0], (dy, dx), dims=(1, 2)))]
        assert len(hits) == 1
        offsets.append(hits[0])
    assert len(set(offsets)) >= 15  # of the 25 moves, most turn up in 64 draws
    zoomed = shift_and_zoom(x, 0, 0.3, torch.Generator().manual_seed(0))
    ink = (1.0 - zoomed).sum(dim=(1, 2, 3)) / (1.0 - x[0]).sum()  # about the scale squared
    assert ink.min() < 0.75 and ink.max() < 1.02  # the patch shrank, and never grew
    assert torch.allclose(zoomed[:, :, 0], torch.ones(64, 3, 12), atol=1e-6)  # the white edge stays white
    assert torch.equal(shift_and_zoom(x, 0, 0.0, torch.Generator()), x)


def test_a_trainer_with_augmentation_trains_resumes_exactly_and_refuses_sound():
    from types import SimpleNamespace

    from playground.core.training.diffusion_trainer import DiffusionTrainer

    rng = np.random.default_rng(0)
    data = SimpleNamespace(x=rng.uniform(-1, 1, (4, 1, 8, 8)).astype(np.float32), labels=np.zeros(4, int),
                           label_names=["a"], captions=["a dot", "a line", "a ring", "a red heart"],
                           norm={"kind": "minus1_1"})
    settings = DIFFUSION.preset("tiny", augment_shift=2, augment_zoom=0.1, ema_decay=0.0)
    a = DiffusionTrainer(settings.model, settings.run, data)
    assert "each moved up to 2 px and shrunk by up to 10%" in a.describe()
    seen = []
    a.schedule.training_example = lambda x0, gen: (seen.append(x0.clone()), (x0, torch.zeros(len(x0), dtype=torch.long),
                                                                            torch.zeros_like(x0)))[1]
    a.train_step("model")
    b = DiffusionTrainer(settings.model, settings.run, data)
    b.set_state(a.get_state())
    b.schedule.training_example = a.schedule.training_example
    a.train_step("model")
    b.train_step("model")
    assert torch.equal(seen[1], seen[2])  # the state carries the augmentation's draws
    drawn = torch.from_numpy(data.x)
    assert not any(torch.equal(seen[0][i], drawn[j]) for i in range(4) for j in range(4))  # moved, never as stored
    with pytest.raises(ValueError, match="augment_zoom is a fraction"):
        DIFFUSION.preset("tiny", augment_zoom=0.9)
    sound = SimpleNamespace(x=np.zeros((2, 16000), np.float32), sample_rate=16000, labels=np.zeros(2, int),
                            label_names=["a"], captions=["a flute", "a harp"], norm={"kind": "minus1_1"})
    with pytest.raises(ValueError, match="moving a spectrogram changes its pitch"):
        DiffusionTrainer(settings.model, settings.run, sound)


def test_batches_with_repeats_resume_exactly():
    from playground.core.training.batches import Batches

    a = Batches(5, seed=3, repeats=[1, 1, 4, 1, 1])
    a.take(3)
    b = Batches(5, seed=3, repeats=[1, 1, 4, 1, 1])
    b.set_state(a.state())
    assert torch.equal(a.take(20), b.take(20)) and a.epoch == pytest.approx(23 / 8)
    assert torch.equal(Batches(5, seed=3).take(5), torch.randperm(5, generator=torch.Generator().manual_seed(3)))
    with pytest.raises(ValueError, match="at least 1 for each of the 5 items"):
        Batches(5, seed=3, repeats=[1, 0, 1, 1, 1])


def test_sampling_runs_on_one_thread_while_openmp_threads_sleep(run, monkeypatch):
    from playground.core.device import THREADS_ENV

    out, _, _ = run
    gen = load_generator(out, "cpu")
    monkeypatch.delenv(THREADS_ENV, raising=False)
    before = torch.get_num_threads()
    seen: dict[str, set[int]] = {}
    try:
        torch.set_num_threads(2)
        for policy in ("PASSIVE", "ACTIVE"):
            monkeypatch.setenv("OMP_WAIT_POLICY", policy)
            seen[policy] = set()
            gen.generate(ImageRequest("a handwritten 3", 2, 3, seed=0),
                         on_step=lambda i, n, s=seen[policy]: s.add(torch.get_num_threads()))
            assert torch.get_num_threads() == 2  # the caller's count is back
    finally:
        torch.set_num_threads(before)
    assert seen == {"PASSIVE": {1}, "ACTIVE": {2}}
