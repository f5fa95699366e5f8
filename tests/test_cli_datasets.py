"""``python -m playground datasets ...`` in a real subprocess."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from make_bad_files import png_bytes, write_bad_images, write_good_images, write_warning_images

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


def test_inspect_json_has_pillow_warnings_as_notes_and_nothing_on_stderr(tmp_path):
    expect = write_warning_images(tmp_path)
    result = _run("inspect", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # before, Python printed each of Pillow's warnings here
    report = json.loads(result.stdout)
    assert report["items"] == 3 and report["skipped"] == []
    for name, words in expect.items():
        assert any(note.startswith(f"{name}: ") and words in note for note in report["notes"]), report["notes"]


def _damaged_among_many(root: Path) -> None:
    for i in range(40):
        (root / f"a{i:02}.doc").write_text("not ours\n")
    (root / "good.png").write_bytes(png_bytes(8, 8))
    (root / "zz_cut.png").write_bytes(png_bytes(32, 32)[:60])
    (root / "zz_text.png").write_text("hello\n")


def test_inspect_groups_skipped_files_damaged_first(tmp_path):
    _damaged_among_many(tmp_path)
    result = _run("inspect", str(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "skipped 42 file(s): 1 damaged; 1 not what its name says; 40 files of other types" in lines
    start = lines.index("  Damaged, truncated or empty (1):")
    assert lines[start + 1].startswith("    zz_cut.png: damaged or truncated image")
    assert lines[start + 2] == "  Content does not match the file name (1):"
    assert lines[start + 3] == "    zz_text.png: not an image (looks like text)"
    assert lines[start + 4] == "  Not a file type read here (40):"
    assert lines[start + 5] == "    a00.doc: not an image file type (.doc)"
    assert lines[start + 10] == "    ... and 35 more (--json lists all)"
    assert "reading images" not in result.stdout  # progress goes to stderr
    assert "reading images" in result.stderr

    report = json.loads(_run("inspect", str(tmp_path), "--json").stdout)
    assert len(report["skipped"]) == 42  # the full list stays
    groups = report["skipped_groups"]
    assert [(g["kind"], g["count"]) for g in groups] == [("damaged", 1), ("wrong_content", 1), ("other_type", 40)]
    assert groups[0]["examples"] == [str(tmp_path / "zz_cut.png")] and len(groups[2]["examples"]) == 5


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
