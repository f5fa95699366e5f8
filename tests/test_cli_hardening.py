"""CLI mistakes from the hostile test (issue 8): each is one line on stderr and exit code 2, never a traceback.

Most run in-process (``playground.cli.main``) to keep the suite quick; the broken
pipe needs a real subprocess.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from playground.cli import main

TINY = ["--dataset", "toy-ring", "--preset", "tiny", "--steps", "2", "--device", "cpu"]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str, words: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert words in err, err


@pytest.fixture(scope="module")
def ring_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "ring"
    assert main(["train", "gan", *TINY, "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("where, words", [
    (lambda tmp: tmp / "a_folder", "is a folder"),
    (lambda tmp: tmp / "a_file" / "x.npz", "is a file, not a folder"),
    (lambda tmp: tmp / "missing" / "x.npz", "does not exist; create it first"),
    (lambda tmp: tmp / "samples.png", "must end in .npz"),
    (lambda tmp: tmp / "samples", "must end in .npz"),
    (lambda tmp: "", "needs a file name"),
    (lambda tmp: "/proc/samples.npz", "cannot write"),
])
def test_generate_output_path_mistakes(capsys, tmp_path, ring_run, where, words):
    (tmp_path / "a_folder").mkdir()
    (tmp_path / "a_file").write_text("x")
    code, _, err = run(capsys, "generate", "gan", "--checkpoint", str(ring_run), "--n", "2", "--out", str(where(tmp_path)))
    one_line_error(code, err, words)
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("where, words", [
    (lambda tmp: tmp / "a_file" / "run", "cannot use"),
    (lambda tmp: tmp / "a_file", "is a file"),
    (lambda tmp: "/proc/run", "cannot use"),
    (lambda tmp: "", "needs a folder name"),
])
def test_train_output_path_mistakes(capsys, tmp_path, where, words):
    (tmp_path / "a_file").write_text("x")
    code, _, err = run(capsys, "train", "gan", *TINY, "--out", str(where(tmp_path)))
    one_line_error(code, err, words)


@pytest.mark.parametrize("flags, words", [
    (["--set", "batch_size=2.5"], "batch_size takes a whole number"),
    (["--set", "steps=1.5"], "steps takes a whole number"),
    (["--set", "lr_g=abc"], "lr_g takes a number"),
    (["--set", "betas_g=5"], "betas_g takes two numbers"),
    (["--labels", ","], "names no label"),
    (["--threads", "10000"], "--threads must be between 0"),
])
def test_settings_are_checked_by_type(capsys, tmp_path, flags, words):
    code, _, err = run(capsys, "train", "gan", *TINY, *flags, "--out", str(tmp_path / "run"))
    one_line_error(code, err, words)
    assert not (tmp_path / "run").exists()


def test_spectral_norm_false_reaches_the_saved_config(capsys, tmp_path):
    out = tmp_path / "run"
    code, _, err = run(capsys, "train", "gan", *TINY, "--set", "spectral_norm=False", "--out", str(out))
    assert code == 0, err
    assert json.loads((out / "checkpoint" / "config.json").read_text())["model"]["spectral_norm"] is False


def test_a_second_run_into_the_same_folder_needs_resume_or_overwrite(capsys, tmp_path):
    out = tmp_path / "run"
    assert run(capsys, "train", "gan", *TINY, "--out", str(out))[0] == 0
    metrics = (out / "metrics.jsonl").read_bytes()
    code, _, err = run(capsys, "train", "gan", *TINY, "--out", str(out))
    one_line_error(code, err, "already holds a run")
    assert (out / "metrics.jsonl").read_bytes() == metrics  # nothing lost
    code, out_text, err = run(capsys, "train", "gan", *TINY, "--resume", "--out", str(out))
    assert code == 0, err
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3, 4] and "resumed from step 2" in err
    assert json.loads((out / "checkpoint" / "meta.json").read_text())["step"] == 4
    code, _, err = run(capsys, "train", "gan", *TINY, "--overwrite", "--out", str(out))
    assert code == 0, err
    assert [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()] == [1, 2]
    code, _, err = run(capsys, "train", "gan", *TINY, "--resume", "--out", str(tmp_path / "new"))
    one_line_error(code, err, "holds no run to continue")


def test_checkpoint_folder_is_readable_by_others(ring_run):
    mode = stat.S_IMODE((ring_run / "checkpoint").stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o777 & ~umask and mode & 0o055 == 0o055 & ~umask


@pytest.mark.parametrize("change, words", [
    ({"version": None}, "no valid version"),
    ({"sha256": "deadbeef"}, "sha256 is not a table"),
    ({"sha256": {"model.safetensors": "deadbeef"}}, "sha256 is not a table"),
    ({"step": "ten"}, "no valid step"),
    ({"data": {"label_names": "abc"}}, "label_names"),
    ({"data": {"image_shape": None}}, "image_shape"),
    ({"data": {"norm": []}}, "norm is not an object"),
    ({"data": []}, "data is not an object"),
    ({"family": 7}, "names no model family"),
])
def test_meta_json_of_the_wrong_shape_is_damaged(capsys, tmp_path, ring_run, change, words):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(ring_run, copy)
    meta_file = copy / "checkpoint" / "meta.json"
    meta = json.loads(meta_file.read_text())
    if isinstance(change.get("data"), dict):
        change = {"data": {**meta["data"], **change["data"]}}
    meta_file.write_text(json.dumps({**meta, **change}))
    code, _, err = run(capsys, "generate", "gan", "--checkpoint", str(copy), "--n", "2", "--out", str(tmp_path / "x.npz"))
    one_line_error(code, err, "damaged")
    assert words in err


def test_a_count_that_cannot_fit_is_refused(capsys, tmp_path, ring_run):
    code, _, err = run(capsys, "generate", "gan", "--checkpoint", str(ring_run), "--n", "1000000000000",
                       "--out", str(tmp_path / "x.npz"))
    one_line_error(code, err, "would need 7.3 TB")
    assert not (tmp_path / "x.npz").exists()


def test_no_checkpoint_yet_says_when_the_first_comes(capsys, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text(json.dumps({"config": {"checkpoint_every": 500}}))
    code, _, err = run(capsys, "generate", "gan", "--checkpoint", str(out), "--n", "2", "--out", str(tmp_path / "x.npz"))
    one_line_error(code, err, "no checkpoint yet")
    assert "the first is written at step 500" in err


def test_a_closed_pipe_ends_quietly():
    # ``true`` exits without reading, long before Python has started: every write meets a closed pipe.
    done = subprocess.run(
        f"{sys.executable} -m playground preprocess --dataset mnist-5k --default-pipeline | true; "
        "echo ${PIPESTATUS[0]} >&2", shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=120)
    assert done.stderr == "0\n", done.stderr
