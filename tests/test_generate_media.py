"""The Images and Sound sections' jobs, Qt-free, over tiny models trained in the test: drawing with a
filmstrip beside the unguided one, seeds, time travel, the forward process, nearest training items, the
guidance sweep and its judge, a conditional GAN with its label as prompt, the keyboard's notes, sounds
with their filmstrip and nearest clip, PNG and WAV receipts that restore and verify, and the messages."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil

import numpy as np
import pytest

from media_models import train_tiny_cgan, train_tiny_digits, train_tiny_notes
from playground.core.events import Progress, Status
from playground.core.generate.audio import (frame_audio_job, generate_sound_job, load_sound_model_job,
                                            nearest_clip_job, saved_wav)
from playground.core.generate.guidance_sweep import caption_classes, judge_job, sweep_job
from playground.core.generate.image import (copying_job, forward_job, generate_images_job, load_image_model_job,
                                            saved_png, time_travel_job, variants_job)
from playground.core.generate.keyboard import keyboard_for
from playground.core.generate.media import TrainingSet, k_nearest, media_models, mean_pairwise_distance
from playground.core.generate.saved_files import read_receipt_job, read_saved, verify_media_job
from playground.core.generators.diffusion_generator import ImageRequest
from playground.core.generators.gan_generator import GANRequest
from playground.core.generators.receipts import png_with_receipt
from playground.core.jobs import JobCancelled, JobControl, collect
from playground.core.models.classifier import CLASSIFIER_PRESETS

TINY_JUDGE = dataclasses.replace(CLASSIFIER_PRESETS["tiny"], epochs=2)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("media")
    return {"digits": train_tiny_digits(root / "digits"), "notes": train_tiny_notes(root / "notes"),
            "cgan": train_tiny_cgan(root / "cgan"), "root": root}


@pytest.fixture(scope="module")
def digits(runs):
    return collect(load_image_model_job(str(runs["digits"])))[0]


@pytest.fixture(scope="module")
def notes(runs):
    return collect(load_sound_model_job(str(runs["notes"])))[0]


def test_loading_keeps_snapshots_and_the_training_images(digits):
    assert digits.snapshots == (3, 6)
    t = digits.training
    assert t.images.shape == (60, 28, 28, 1) and len(t.captions) == 60 and list(t.index) == list(range(60))
    assert 0 < t.typical < np.sqrt(784)


def test_each_section_refuses_the_other_kind_with_a_message(runs, tmp_path, no_bundled_models):
    with pytest.raises(ValueError, match="Sound section"):
        collect(load_image_model_job(str(runs["notes"])))
    with pytest.raises(ValueError, match="Images section"):
        collect(load_sound_model_job(str(runs["digits"])))
    assert {e.ref for e in media_models("image", runs["root"])} == {str(runs["cgan"]), str(runs["digits"])}
    assert [e.ref for e in media_models("audio", runs["root"])] == [str(runs["notes"])]
    plain = tmp_path / "plain-gan"
    shutil.copytree(runs["cgan"], plain)
    config = plain / "checkpoint" / "config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "model": {
        **json.loads(config.read_text())["model"], "conditional": False}}))
    assert media_models("image", tmp_path) == []  # a GAN without labels has nothing to take a prompt

def test_a_drawing_keeps_every_step_and_the_same_seed_without_guidance(digits):
    request = ImageRequest("a handwritten 7", n=3, steps=5, guidance=4.0, seed=2)
    gen, events = collect(generate_images_job(digits, request))
    assert gen.images.shape == (3, 28, 28, 1) and len(gen.film) == 5 and len(gen.unguided) == 5
    assert np.array_equal(gen.film[-1][2], gen.images[0])  # the last clean guess is the drawing
    alone = collect(generate_images_job(digits, dataclasses.replace(request, guidance=0.0)))[0]
    assert np.array_equal(gen.unguided[-1][2], alone.images[0])  # the unguided column is guidance 0, same seed
    assert not np.array_equal(gen.unguided[-1][2], gen.images[0])
    assert alone.unguided == ()  # guidance 0 has nothing to compare with
    done = [e.done for e in events if isinstance(e, Progress)]
    assert done == sorted(done) and done[-1] == 10 and len(done) >= 2


def test_unknown_words_are_reported_and_cancel_stops_within_a_step(digits):
    gen = collect(generate_images_job(digits, ImageRequest("a zebra 7", n=1, steps=2)))[0]
    assert gen.unknown == ("zebra",)
    assert digits.drawer.unknown_message(("zebra",)).startswith("This model never saw “zebra”")
    control = JobControl()
    job = generate_images_job(digits, ImageRequest("a 7", n=1, steps=1000))(control)
    next(job)  # the first Progress: sampling is running
    control.cancel()
    with pytest.raises(JobCancelled):
        for _ in job:
            pass


def test_seeds_and_time_travel(digits):
    request = ImageRequest("a handwritten 3", n=4, steps=3, seed=10)
    seeds = collect(variants_job(digits, request, [10, 11]))[0]
    assert [g.request.seed for g in seeds] == [10, 11] and all(len(g.images) == 1 for g in seeds)
    single = collect(generate_images_job(digits, dataclasses.replace(request, n=1), compare=False))[0]
    assert np.array_equal(seeds[0].images, single.images)
    frames = collect(time_travel_job(digits, request))[0]
    assert [step for step, _g in frames] == [3, 6] and [g.snapshot for _s, g in frames] == [3, 6]
    assert np.array_equal(frames[-1][1].images, single.images)  # the last snapshot is the final weights


def test_the_forward_process_goes_from_the_image_to_static(digits):
    f = collect(forward_job(digits, 5, positions=11))[0]
    image = digits.training.images[5].astype(int)
    assert f.frames.shape == (11, 28, 28, 1) and f.timesteps[0] == 0 and f.timesteps[-1] == 999
    assert np.abs(f.frames[0].astype(int) - image).max() <= 8
    assert np.abs(f.frames[-1].astype(int) - image).mean() > 40
    assert all(a > b for a, b in zip(f.signal, f.signal[1:])) and f.signal[-1] < 0.05 < 0.95 < f.signal[0]
    with pytest.raises(ValueError, match="no training image 60"):
        forward_job(digits, 60)


def test_a_training_image_is_its_own_nearest_and_looks_copied(digits):
    t = digits.training
    found = collect(copying_job(t, t.images[17]))[0]
    assert found.indices[0] == 17 and found.distances[0] == pytest.approx(0.0, abs=1e-3)
    assert list(found.distances) == sorted(found.distances) and len(found.indices) == 4
    assert found.ratio < 0.5 and found.captions[0] == t.captions[17]
    index, dist = k_nearest(t.images[3], t.images, 2)
    assert index[0] == 3 and dist[1] > 0
    assert mean_pairwise_distance(t.images[:1]) != mean_pairwise_distance(t.images[:1])  # NaN for one image


def test_png_receipt_restores_the_settings_and_verifies(digits, tmp_path):
    gen = collect(generate_images_job(digits, ImageRequest("a handwritten 1", n=2, steps=3, sampler="ddpm", seed=9)))[0]
    path = tmp_path / "one.png"
    path.write_bytes(saved_png(digits, gen))
    receipt = collect(read_receipt_job(path))[0]
    assert receipt.family == "diffusion" and receipt.model == digits.ref
    assert receipt.request == dataclasses.asdict(gen.request)
    assert collect(verify_media_job(path))[0].identical
    changed = dataclasses.replace(receipt, request={**receipt.request, "seed": 10})
    (tmp_path / "edited.png").write_bytes(png_with_receipt(gen.images, changed))
    assert not collect(verify_media_job(tmp_path / "edited.png"))[0].identical


def test_saved_files_that_are_not_saved_files_get_a_message(tmp_path):
    with pytest.raises(ValueError, match="is not a picture or sound the app saved"):
        read_saved(tmp_path, "a picture or sound")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="neither a PNG nor a WAV"):
        collect(read_receipt_job(tmp_path / "notes.txt"))
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.png")
        with pytest.raises(ValueError, match="is not a picture or sound"):
            collect(verify_media_job(tmp_path / "pipe.png"))


def test_a_conditional_gan_takes_its_label_as_the_prompt(runs, tmp_path):
    model = collect(load_image_model_job(str(runs["cgan"])))[0]
    drawer = model.drawer
    assert not drawer.filmstrip and not drawer.guided and drawer.suggestions()[7] == "7"
    assert [drawer.label_for(p) for p in ("7", "a 7", "seven", "3 or 4", "")] == [7, 7, 7, None, None]
    assert drawer.unknown("a zebra") == ("a zebra",) and "knows only its labels" in drawer.unknown_message(("a zebra",))
    gen = collect(generate_images_job(model, ImageRequest("seven", n=3, seed=4)))[0]
    assert gen.images.shape == (3, 28, 28, 1) and gen.film == () and gen.unguided == ()
    same = model.generator.generate(GANRequest(3, 7, None, 4))
    assert np.array_equal(gen.images, same.images)  # label 7, not random classes
    path = tmp_path / "gan.png"
    path.write_bytes(saved_png(model, gen))
    assert collect(read_receipt_job(path))[0].request["label"] == 7
    assert collect(verify_media_job(path))[0].identical
    with pytest.raises(ValueError, match="no guidance scale"):
        sweep_job(model, ImageRequest("7"))


def test_the_judge_learns_classes_from_the_captions_and_the_sweep_measures_each_scale(digits):
    classes, labels = caption_classes(digits)
    assert classes.names == tuple(str(k) for k in range(10)) and (labels >= 0).all()
    assert [classes.label_of(p) for p in ("a handwritten 7", "seven", "the digit 3", "a zebra")] == [7, 7, 3, None]
    result, events = collect(sweep_job(digits, ImageRequest("a handwritten 7", n=2, steps=2, seed=1),
                                       scales=(0.0, 4.0), judge_config=TINY_JUDGE))
    assert [r.guidance for r in result.rows] == [0.0, 4.0] and all(len(r.images) == 8 for r in result.rows)
    assert result.target == "7" and all(0.0 <= r.agreement <= 1.0 for r in result.rows)
    assert all(np.isfinite(r.diversity) and r.diversity > 0 for r in result.rows)
    assert "calls “7”" in result.note and any(isinstance(e, Status) and "judging" in e.message for e in events)
    predicted = result.judge.classify(result.rows[1].images)
    assert result.rows[1].agreement == pytest.approx(float((predicted == 7).mean()))
    again, events = collect(sweep_job(digits, ImageRequest("a zebra", n=2, steps=2), scales=(1.0,), judge=result.judge))
    assert again.target is None and again.rows[0].agreement is None and "not measured" in again.note
    assert not any(isinstance(e, Status) and "judging" in e.message for e in events)  # the judge was reused


def test_a_judge_needs_classes_it_can_tell(digits):
    no_names = dataclasses.replace(digits, training=TrainingSet(digits.training.images,
                                                               tuple(f"picture {i}" for i in range(60)),
                                                               digits.training.index, digits.training.typical))
    with pytest.raises(ValueError, match="cannot be told"):
        collect(judge_job(no_names, TINY_JUDGE))


def test_the_keyboard_marks_the_pairs_the_captions_never_name():
    keys = keyboard_for(["a flute playing C5", "flute, D5, soft", "E5 on a flute", "a piano playing D5"],
                        ["piano", "flute"])
    assert keys.instruments == ("piano", "flute") and keys.notes("flute") == tuple(range(72, 77))
    assert keys.heard_note("flute", 74) and not keys.heard_note("flute", 73)
    assert keys.prompt("flute", 69) == "a flute playing A4"
    assert "never heard a flute play C#5" in keys.why_unheard("flute", 73)
    assert "heard D5 on piano" in keys.why_unheard("flute", 74)
    blind = keyboard_for(["a red heart"], [])
    assert not blind.from_captions and blind.heard_note("flute", 40) and len(blind.notes("piano")) == 49


def test_a_sound_model_makes_sounds_with_a_filmstrip_and_finds_its_nearest_clip(notes, tmp_path):
    keys = notes.keyboard
    assert keys.instruments == ("piano", "flute") and keys.from_captions
    unheard = [m for m in keys.notes("flute") if not keys.heard_note("flute", m)]
    assert unheard and all((("flute", m) not in keys.heard) for m in unheard)
    request = ImageRequest("a flute playing A4", n=2, steps=3, seed=1)
    gen, events = collect(generate_sound_job(notes, request))
    assert gen.clips.shape == (2, 32000) and gen.clips.dtype == np.float32 and len(gen.film) == 3
    assert gen.spectrograms.shape == (2, 96, 32) and any(isinstance(e, Progress) for e in events)
    step = collect(frame_audio_job(notes, gen.film[1][2]))[0]
    assert step.shape == (32000,) and np.isfinite(step).all() and np.abs(step).max() <= 1.0
    t = notes.training
    own = t.images[4][:, :, 0].astype(np.float32) / 127.5 - 1.0
    found = collect(nearest_clip_job(notes, own))[0]
    assert found.index == 4 and found.distance == pytest.approx(0.0, abs=1e-3) and found.ratio < 0.5
    assert not found.real and found.clip.shape == (32000,)  # this subset is not the bundled set as indexed
    path = tmp_path / "flute.wav"
    path.write_bytes(saved_wav(notes, gen, 1))
    receipt = collect(read_receipt_job(path))[0]
    assert receipt.request["index"] == 1 and receipt.request["prompt"] == "a flute playing A4"
    assert collect(verify_media_job(path))[0].identical
    with pytest.raises(ValueError, match="no clip 2"):
        saved_wav(notes, gen, 2)


def test_the_nearest_clip_is_the_real_recording_when_the_bundled_set_is_what_it_learned():
    from playground.core.data.bundled import load_bundled
    from playground.core.generate.audio import _real_clips

    full = load_bundled("instrument-notes")
    index = np.array([5, 700, 1500])
    kept = TrainingSet(np.zeros((3, 4, 4, 1), np.uint8), tuple(full.captions[i] for i in index), index, 1.0)
    clips = _real_clips("instrument-notes", kept, 16000)
    assert clips is not None and all(np.array_equal(c, full.clips[i]) for c, i in zip(clips, index, strict=True))
    moved = TrainingSet(kept.images, kept.captions, index + 1, 1.0)
    assert _real_clips("instrument-notes", moved, 16000) is None  # captions differ: another copy of the data
    assert _real_clips("instrument-notes", kept, 22050) is None
    assert _real_clips("mnist-5k", kept, 16000) is None


class _HalfSevens:
    """A stand-in judging classifier: images 0, 2, 4, ... look like a 7, the others like a 3."""

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        probs = np.zeros((len(x), 10), np.float32)
        probs[0::2, 7] = probs[1::2, 3] = 1.0
        return probs


def test_agreement_is_the_share_the_judge_puts_in_the_prompts_class(digits):
    from playground.core.generate.guidance_sweep import Judge

    classes, _labels = caption_classes(digits)
    judge = Judge(_HalfSevens(), classes, 0.9)
    result = collect(sweep_job(digits, ImageRequest("seven", n=8, steps=1), scales=(2.0,), judge=judge))[0]
    assert result.target == "7" and result.rows[0].agreement == 0.5 and "90% right" in result.note
    three = collect(sweep_job(digits, ImageRequest("the digit 3", n=9, steps=1), scales=(2.0,), judge=judge))[0]
    assert three.target == "3" and three.rows[0].agreement == pytest.approx(4 / 9)
