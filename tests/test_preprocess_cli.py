"""``python -m playground preprocess``: reports as JSON, default pipelines, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from playground.cli import main
from playground.core.preprocess import Pipeline, make_step


def _run(capsys, *argv):
    code = main(["preprocess", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def image_folder(tmp_path):
    rng = np.random.default_rng(0)
    for label in ("cats", "dogs"):
        (tmp_path / "pics" / label).mkdir(parents=True)
        for k in range(3):
            size = (20 + 4 * k, 24)
            Image.fromarray((rng.random(size[::-1] + (3,)) * 255).astype(np.uint8)).save(
                tmp_path / "pics" / label / f"{k}.png")
    return tmp_path / "pics"


def test_subprocess_default_pipeline_then_apply(tmp_path):
    result = subprocess.run([sys.executable, "-m", "playground", "preprocess", "--dataset", "toy-ring",
                             "--default-pipeline"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    saved = tmp_path / "points.json"
    saved.write_text(result.stdout)
    assert Pipeline.load(saved).modality == "points"
    diet = Pipeline.load(saved).with_step(make_step("points", "cap_per_label", cap=10))
    diet.save(saved)
    result = subprocess.run([sys.executable, "-m", "playground", "preprocess", "--dataset", "toy-ring",
                             "--pipeline", str(saved), "--json"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["items_in"] == 2000 and report["items_out"] < 2000
    assert report["steps"][0]["name"] == "cap_per_label" and report["steps"][0]["removed"] > 0


def test_image_folder_report(capsys, tmp_path, image_folder):
    code, out, _ = _run(capsys, "--dataset", str(image_folder), "--default-pipeline")
    assert code == 0
    pipeline = Pipeline.from_dict(json.loads(out)).with_step(make_step("image", "keep_labels", labels=["cats"]), 0)
    path = tmp_path / "p.json"
    pipeline.save(path)
    code, out, _ = _run(capsys, "--dataset", str(image_folder), "--pipeline", str(path), "--json")
    assert code == 0
    report = json.loads(out)
    assert (report["items_in"], report["items_out"]) == (6, 3)
    assert [(s["name"], s["removed"]) for s in report["steps"]][:2] == [("keep_labels", 3), ("square", 0)]
    assert all({"name", "removed", "changed"} <= set(s) for s in report["steps"])
    code, out, _ = _run(capsys, "--dataset", str(image_folder), "--pipeline", str(path))
    assert code == 0 and "6 items in, 3 out" in out


def test_text_report_has_tokens(capsys, tmp_path):
    corpus = tmp_path / "poem.txt"
    corpus.write_text("Shall I compare thee to a summer's day?\nThou art more lovely and more temperate.\n" * 50)
    pipeline = Pipeline("text", (make_step("text", "lowercase"), make_step("text", "tokenise", kind="bpe", vocab_size=300)))
    pipeline.save(tmp_path / "bpe.json")
    code, out, err = _run(capsys, "--dataset", str(corpus), "--pipeline", str(tmp_path / "bpe.json"), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["tokens"] > 0 and 256 < report["vocab_size"] <= 300


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "pipeline file not found"),
        ("{not json", "is not valid JSON"),
        ('{"schema": 7, "modality": "points", "steps": []}', "schema 7 is newer"),
        ('{"schema": 1, "modality": "points", "steps": [{"name": "blur"}]}', "unknown step 'blur'"),
        ('{"schema": 1, "modality": "points", "steps": [{"name": "cap_per_label", "params": {"cap": 0}}]}',
         "cap must be at least 1"),
        ('{"schema": 1, "modality": "image", "steps": []}', "this pipeline is for image data"),
        ('{"schema": 1, "modality": "points", "steps": [{"name": "keep_labels", "params": {"labels": ["x"]}}]}',
         "label 'x' is not in this dataset"),
    ],
)
def test_bad_pipeline_file_exits_2_with_one_line(capsys, tmp_path, content, message):
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)
    code, out, err = _run(capsys, "--dataset", "toy-ring", "--pipeline", str(path), "--json")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_unknown_dataset_exits_2(capsys):
    code, _, err = _run(capsys, "--dataset", "no-such-set", "--default-pipeline")
    assert code == 2 and "no-such-set" in err and err.count("\n") == 1


def test_bundled_mnist_data_diet(capsys, tmp_path):
    code, out, _ = _run(capsys, "--dataset", "mnist-5k", "--default-pipeline")
    assert code == 0
    pipeline = Pipeline.from_dict(json.loads(out))
    assert [s.name for s in pipeline.steps] == ["colour", "resize", "normalise"]
    from playground.core.preprocess import with_labels

    with_labels(pipeline, ["0", "1", "2", "3", "4"]).save(tmp_path / "diet.json")
    code, out, _ = _run(capsys, "--dataset", "mnist-5k", "--pipeline", str(tmp_path / "diet.json"), "--json")
    report = json.loads(out)
    assert code == 0 and report["items_in"] == 5000
    assert report["items_out"] == 5000 - report["steps"][0]["removed"] and 2000 < report["items_out"] < 3000
