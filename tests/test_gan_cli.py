"""``train gan`` and ``generate gan`` through a real subprocess, on tiny runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PLAYGROUND_TORCH_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "playground", *args], capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("gan") / "run"
    done = cli("train", "gan", "--dataset", "mnist-5k", "--labels", "0,1,2", "--conditional", "--preset", "tiny",
               "--steps", "4", "--seed", "1", "--device", "cpu", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out, done


def test_train_writes_checkpoint_and_metrics(run_dir):
    out, done = run_dir
    lines = [line for line in done.stdout.splitlines() if line.startswith("step ")]
    assert len(lines) == 4 and lines[0].startswith("step 1/4") and "d_loss" in lines[0]
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3, 4] and "g_loss" in rows[0]
    assert (out / "checkpoint" / "model.safetensors").is_file()
    meta = json.loads((out / "checkpoint" / "meta.json").read_text())
    assert meta["data"]["image_shape"] == [1, 28, 28] and meta["data"]["label_names"][:3] == ["0", "1", "2"]


def test_generate_is_deterministic(run_dir, tmp_path):
    out, _ = run_dir
    paths = [tmp_path / f"{name}.npz" for name in "abc"]
    for path, seed in zip(paths, ("3", "3", "4")):
        done = cli("generate", "gan", "--checkpoint", str(out), "--n", "6", "--label", "1", "--seed", seed,
                   "--device", "cpu", "--out", str(path))
        assert done.returncode == 0, done.stderr
    a, b, c = (np.load(p, allow_pickle=False) for p in paths)
    assert a["images"].dtype == np.uint8 and a["images"].shape == (6, 28, 28)
    assert np.array_equal(a["images"], b["images"]) and not np.array_equal(a["images"], c["images"])
    assert list(a["labels"]) == [1] * 6


def test_bad_checkpoint_is_one_line_exit_2(run_dir, tmp_path):
    import shutil

    out = tmp_path / "copy"  # damage a copy: the shared run folder serves the other tests in any order
    shutil.copytree(run_dir[0], out)
    (out / "checkpoint" / "model.safetensors").write_bytes(b"broken")
    done = cli("generate", "gan", "--checkpoint", str(out), "--n", "2", "--out", str(tmp_path / "x.npz"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "damaged" in done.stderr
    done = cli("generate", "gan", "--checkpoint", str(tmp_path / "none"), "--n", "2", "--out", str(tmp_path / "x.npz"))
    assert done.returncode == 2 and "does not exist" in done.stderr


def test_points_run_and_bad_labels(tmp_path):
    done = cli("train", "gan", "--dataset", "toy-ring", "--preset", "tiny", "--steps", "2", "--out", str(tmp_path / "r"))
    assert done.returncode == 0, done.stderr
    gen = cli("generate", "gan", "--checkpoint", str(tmp_path / "r"), "--n", "5", "--out", str(tmp_path / "p.npz"))
    assert gen.returncode == 0, gen.stderr
    assert np.load(tmp_path / "p.npz")["points"].shape == (5, 2)
    bad = cli("train", "gan", "--dataset", "mnist-5k", "--labels", "x", "--steps", "1", "--out", str(tmp_path / "b"))
    assert bad.returncode == 2 and "no label" in bad.stderr


def test_text_or_audio_dataset_is_a_one_line_error(tmp_path):
    for name in ("shakespeare", "instrument-notes"):
        done = cli("train", "gan", "--dataset", name, "--steps", "1", "--out", str(tmp_path / name))
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert "images or 2D points" in done.stderr


def test_generate_asks_for_a_code_only_of_a_model_with_codes(tmp_path):
    out = tmp_path / "ring"
    done = cli("train", "gan", "--dataset", "toy-ring", "--preset", "tiny", "--steps", "2", "--out", str(out))
    assert done.returncode == 0, done.stderr
    done = cli("generate", "gan", "--checkpoint", str(out), "--n", "2", "--code", "0", "--out", str(tmp_path / "s.npz"))
    assert done.returncode == 2 and "without InfoGAN codes" in done.stderr
    assert not (tmp_path / "s.npz").exists()


def test_bench_gan_prints_side_by_side_figures():
    done = cli("bench", "gan", "--json", "--preset", "tiny", "--steps", "6", "--bare-steps", "3", "--rounds", "2")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == 1  # --json: only the object on stdout, progress on stderr
    assert "trying thread counts" in done.stderr and "[100%] done" in done.stderr
    figures = json.loads(done.stdout)
    assert len(figures["ratio_by_round"]) == 2 and len(figures["steps_per_s_bare_runs"]) == 3
    for key in ("steps_per_s_bare", "steps_per_s_app", "ratio", "ui_lateness_ms_p50", "ui_lateness_ms_p99",
                "ui_lateness_ms_max", "gui_thread_cpu_share"):
        assert figures[key] >= 0, key
    assert figures["steps_per_s_app"] > 0 and figures["ratio"] > 0


def test_set_overrides_any_setting_and_refuses_unknown_ones(tmp_path):
    out = tmp_path / "run"
    done = cli("train", "gan", "--dataset", "toy-ring", "--preset", "tiny", "--steps", "2", "--set", "lr_g=0.001",
               "--set", "loss=lsgan", "--set", "betas_g=[0.5, 0.99]", "--out", str(out))
    assert done.returncode == 0, done.stderr
    config = json.loads((out / "checkpoint" / "config.json").read_text())
    assert config["run"]["learning_rates"]["g"] == 0.001 and config["model"]["loss"] == "lsgan"
    assert config["model"]["betas_g"] == [0.5, 0.99]
    for bad, message in ((["--set", "colour=red"], "unknown GAN setting 'colour'"), (["--set", "lr_g"], "KEY=VALUE"),
                         (["--set", "lr_g=-1"], "lr_g must be in")):
        done = cli("train", "gan", "--dataset", "toy-ring", "--preset", "tiny", *bad, "--out", str(tmp_path / "bad"))
        assert done.returncode == 2 and message in done.stderr, done.stderr
