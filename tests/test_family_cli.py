"""The GPT and diffusion commands in the forms later checks use, in-process on tiny runs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from playground.cli import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("text") / "run"
    assert main(["train", "text", "--dataset", "first-names", "--preset", "tiny", "--steps", "8", "--device", "cpu",
                 "--out", str(out)]) == 0
    return out


def test_train_text_writes_a_gpt_run(text_run):
    rows = [json.loads(line) for line in (text_run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == list(range(1, 9)) and "train_nats_per_char" in rows[0]
    assert json.loads((text_run / "run.json").read_text())["family"] == "gpt"


def test_generate_text_prints_the_same_continuation_for_the_same_seed_and_saves_a_receipt(capsys, text_run, tmp_path):
    a = run(capsys, "generate", "text", "--checkpoint", str(text_run), "--prompt", "Mar", "--max-tokens", "15",
            "--seed", "4", "--device", "cpu")
    b = run(capsys, "generate", "text", "--checkpoint", str(text_run), "--prompt", "Mar", "--max-tokens", "15",
            "--seed", "4", "--device", "cpu", "--out", str(tmp_path / "names.txt"))
    assert a[0] == b[0] == 0 and a[1] == b[1] and len(a[1].rstrip("\n")) >= 1
    code, out, err = run(capsys, "verify", str(tmp_path / "names.txt"))
    assert code == 0 and out.startswith("identical"), err
    code, _, err = run(capsys, "generate", "text", "--checkpoint", str(text_run), "--prompt", "Zoë ☃", "--max-tokens", "3")
    assert code == 0 and "does not know" in err and "☃" in err


def test_eval_text_prints_nats_per_character_as_json(capsys, text_run, tmp_path):
    sample = tmp_path / "names.txt"
    sample.write_text("Mary\nJohn\nPatricia\n☃\n")
    code, out, err = run(capsys, "eval", "text", "--checkpoint", str(text_run), "--file", str(sample), "--json")
    figures = json.loads(out)
    assert code == 0 and set(figures) == {"nats_per_char", "characters", "unknown_characters", "stride"}
    assert figures["characters"] == 21 and figures["unknown_characters"] == 1 and figures["nats_per_char"] > 0
    code, out, err = run(capsys, "eval", "text", "--checkpoint", str(text_run), "--file", str(sample), "--stride", "0")
    assert code != 0 and "the stride must be from 1 to the model's context" in err


def test_bench_text_prints_its_speeds(capsys, text_run):
    code, out, err = run(capsys, "bench", "text", "--checkpoint", str(text_run), "--dataset", "first-names",
                         "--tokens", "40", "--skip-target", "--json")
    figures = json.loads(out)
    assert code == 0, err
    for key in ("train_tokens_per_s", "generate_tokens_per_s", "generate_tokens_per_s_nocache", "cache_speedup"):
        assert figures[key] > 0, key


def test_text_mistakes_are_one_line(capsys, text_run, tmp_path):
    for args, words in (
        (["generate", "text", "--checkpoint", str(tmp_path / "none"), "--prompt", "x"], "does not exist"),
        (["generate", "text", "--checkpoint", str(text_run), "--prompt", ""], "type a prompt"),
        (["generate", "text", "--checkpoint", str(text_run), "--prompt", "x", "--top-p", "0"], "top-p"),
        (["train", "text", "--dataset", "mnist-5k", "--out", str(tmp_path / "x")], "a GPT trains on text"),
        (["generate", "gan", "--checkpoint", str(text_run), "--out", str(tmp_path / "x.npz")], "holds a gpt model"),
    ):
        code, _, err = run(capsys, *args)
        assert code == 2 and len(err.strip().splitlines()) == 1 and words in err, (args, err)


def test_diffusion_commands(capsys, tmp_path):
    out = tmp_path / "digits"
    assert main(["train", "diffusion", "--dataset", "mnist-5k", "--preset", "tiny", "--steps", "3", "--device", "cpu",
                 "--out", str(out)]) == 0
    capsys.readouterr()
    code, text, err = run(capsys, "generate", "image", "--checkpoint", str(out), "--prompt", "a handwritten 7",
                          "--n", "4", "--steps", "3", "--sampler", "fast", "--out", str(tmp_path / "sevens.npz"))
    assert code == 0, err
    images = np.load(tmp_path / "sevens.npz", allow_pickle=False)["images"]
    assert images.dtype == np.uint8 and images.shape == (4, 28, 28, 1)
    code, _, err = run(capsys, "generate", "image", "--checkpoint", str(out), "--prompt", "a handwritten 7",
                       "--n", "2", "--steps", "2", "--out", str(tmp_path / "sevens.png"))
    assert code == 0, err
    code, verdict, err = run(capsys, "verify", str(tmp_path / "sevens.png"))
    assert code == 0 and verdict.startswith("identical"), err
    code, _, err = run(capsys, "generate", "audio", "--checkpoint", str(out), "--prompt", "a flute playing A4",
                       "--out", str(tmp_path / "a.wav"))
    assert code == 2 and "draws images, not sounds" in err


def test_diffusion_trains_on_the_bundled_notes_and_writes_a_wav_that_verifies(capsys, tmp_path):
    import soundfile

    out = tmp_path / "notes"
    assert main(["train", "diffusion", "--dataset", "instrument-notes", "--preset", "tiny", "--steps", "2",
                 "--device", "cpu", "--out", str(out)]) == 0
    capsys.readouterr()
    code, text, err = run(capsys, "generate", "audio", "--checkpoint", str(out), "--prompt", "a flute playing A4",
                          "--steps", "2", "--seed", "3", "--out", str(tmp_path / "a.wav"))
    assert code == 0, err
    wave, rate = soundfile.read(tmp_path / "a.wav")
    assert wave.ndim == 1 and rate == 16000 and len(wave) == 2 * rate
    code, verdict, err = run(capsys, "verify", str(tmp_path / "a.wav"))
    assert code == 0 and verdict.startswith("identical"), err
    code, _, err = run(capsys, "generate", "image", "--checkpoint", str(out), "--prompt", "a flute playing A4",
                       "--out", str(tmp_path / "a.png"))
    assert code == 2 and "sound" in err
    digits = tmp_path / "digits"
    assert main(["train", "diffusion", "--dataset", "mnist-5k", "--preset", "tiny", "--steps", "1", "--device", "cpu",
                 "--out", str(digits)]) == 0
    capsys.readouterr()
    code, printed, err = run(capsys, "bench", "diffusion", "--checkpoint", str(digits), "--sound-checkpoint", str(out),
                             "--json")
    figures = json.loads(printed)
    assert code == 0 and figures["audio_clip_seconds"] > 0 and figures["image_batch16_seconds"] > 0, err
    code, _, err = run(capsys, "bench", "diffusion", "--checkpoint", str(digits), "--sound-checkpoint", str(digits))
    assert code == 2 and "a sound model" in err


def test_steps_override_a_presets_time_limit_and_minutes_override_its_steps():
    import argparse

    from playground.cli.training import UNLIMITED_STEPS, build_settings
    from playground.core import families

    diffusion = families.get("diffusion")
    assert diffusion.preset("default").run.minutes == 10.0  # the default stops after ten minutes on any machine

    def settings(steps, minutes):
        args = argparse.Namespace(preset="default", seed=0, device="cpu", threads=0, steps=steps, minutes=minutes, set=[])
        return build_settings(diffusion, args, frozenset()).run

    exact = settings(1300, None)
    assert (exact.steps, exact.minutes) == (1300, 0.0)  # exactly 1,300 steps, however long they take
    timed = settings(None, 3.0)
    assert (timed.steps, timed.minutes) == (UNLIMITED_STEPS, 3.0)
