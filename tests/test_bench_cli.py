"""``bench soak``: the app's memory while training in the real window, through a real subprocess."""

from __future__ import annotations

import json

import pytest

from test_gan_cli import cli


def test_soak_samples_rss_while_training_runs_and_reports_progress_on_stderr():
    done = cli("bench", "soak", "--json", "--minutes", "0.1", "--interval", "1", "--dataset", "toy-ring",
               "--preset", "tiny")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1  # only the JSON object on stdout
    figures = json.loads(lines[0])
    seconds, rss = figures["seconds"], figures["rss_mb"]
    assert len(seconds) == len(rss) >= 5 and seconds[0] == 0 and seconds[-1] >= 5.5
    assert all(b > a for a, b in zip(seconds, seconds[1:]))
    assert all(50 < r < 10_000 for r in rss)
    assert figures["steps"] > 0 and figures["training_running_at_end"]
    assert figures["growth_after_2min_mb"] is None  # a 6 s run never reaches the 2-minute mark
    assert "soak" in done.stderr and "RSS" in done.stderr and "[100%] done" in done.stderr


def test_soak_refuses_a_zero_interval_in_one_line():
    done = cli("bench", "soak", "--minutes", "1", "--interval", "0")
    assert done.returncode == 2 and "--interval" in done.stderr and "Traceback" not in done.stderr


def test_growth_is_measured_from_the_first_sample_after_warm_up():
    from playground.ui.bench import growth_after

    seconds = [0.0, 60.0, 119.0, 121.0, 180.0, 240.0]
    rss = [300.0, 600.0, 650.0, 660.0, 700.0, 668.0]
    assert growth_after(seconds, rss, 120.0) == pytest.approx(8.0)
    assert growth_after(seconds, rss, 300.0) is None


def test_bench_train_times_the_family_the_train_tab_runs_on_data_that_offers_several():
    # mnist-5k offers the GAN first; the figures must be the diffusion model's, bare and in the app.
    done = cli("bench", "train", "--family", "diffusion", "--dataset", "mnist-5k", "--preset", "tiny", "--json",
               "--steps", "4", "--bare-steps", "2", "--rounds", "1")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["family"] == "diffusion" and figures["steps_per_s_app"] > 0 and figures["ratio"] > 0
    # Timed over the 4 steps asked for (from the warm-up's end): the run goes on past them, so the sample and
    # validation every run makes once at its last step are not counted against the app.
    assert figures["app_steps_timed_per_round"] == 4
    done = cli("bench", "train", "--family", "gpt", "--dataset", "mnist-5k")
    assert done.returncode == 2 and "does not train on mnist-5k" in done.stderr and "Traceback" not in done.stderr
