"""``python -m playground datasets ...`` in a real subprocess."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from make_bad_files import write_bad_images, write_good_images

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "playground", "datasets", *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )


def test_inspect_json(tmp_path):
    shapes = write_good_images(tmp_path)
    expect = write_bad_images(tmp_path)
    result = _run("inspect", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert report["modality"] == "image" and report["items"] == len(shapes)
    assert report["labels"] == {"cats": 4, "dogs": 6}
    assert {Path(s["path"]).name for s in report["skipped"]} == set(expect)
    assert all(s["reason"] for s in report["skipped"])
    assert isinstance(report["notes"], list)


def test_inspect_text_with_stats(tmp_path):
    (tmp_path / "a.txt").write_text("to be or not to be\n")
    result = _run("inspect", str(tmp_path / "a.txt"), "--json", "--stats")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["modality"] == "text" and report["items"] == 19 and report["labels"] == {}
    assert report["stats"]["top_words"][0] == ["to", 2]


def test_inspect_plain_report(tmp_path):
    write_good_images(tmp_path)
    write_bad_images(tmp_path)
    result = _run("inspect", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "image, 10 images" in result.stdout and "skipped 9 file(s)" in result.stdout


@pytest.mark.parametrize("kind", ["empty", "missing", "all_bad"])
def test_inspect_nothing_usable_is_exit_2_and_one_line(tmp_path, kind):
    path = tmp_path / "missing" if kind == "missing" else tmp_path
    if kind == "all_bad":
        write_bad_images(tmp_path)
    result = _run("inspect", str(path), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(
    importlib.util.find_spec("playground.core.data.bundled") is None, reason="bundled.py not written yet"
)
def test_list_json_and_table():
    result = _run("list", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows and all({"name", "modality", "items", "licence", "title", "description"} <= set(r) for r in rows)
    assert all(r["modality"] in ("image", "text", "audio", "points") for r in rows)
    table = _run("list")
    assert table.returncode == 0 and all(r["name"] in table.stdout for r in rows)
