"""Listing hostile folders: link loops, repeated links, pipes, devices, unreadable subfolders, cancel."""

from __future__ import annotations

import os
import stat
import threading
import tracemalloc
from pathlib import Path

import pytest
from make_bad_files import png_bytes, write_link_traps

from playground.core.data import audio_files, image_files, user_data
from playground.core.data.skipped import LINK, SPECIAL, UNREADABLE
from playground.core.data.user_data import DataError, detect_modality, load_path, load_path_job
from playground.core.jobs import JobCancelled, JobControl, run_to_end

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX links and named pipes")


def _release_fifos(folder: Path) -> None:
    """Unblock a reader stuck opening a FIFO under ``folder`` (only if the code under test is broken)."""
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(dirpath, name)
            if stat.S_ISFIFO(os.lstat(path).st_mode):
                try:
                    os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
                except OSError:
                    pass


def _within(call, folder: Path, seconds: float = 30.0):
    """``call(control)`` in a thread; fail, rather than hang, when it takes longer than ``seconds``."""
    control = JobControl()
    box: dict = {}

    def work() -> None:
        try:
            box["result"] = call(control)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            box["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        control.cancel()
        _release_fifos(folder)
        thread.join(10)
        pytest.fail(f"still running after {seconds} s")
    if "error" in box:
        raise box["error"]
    return box["result"]


def _load(path: Path):
    return _within(lambda control: run_to_end(load_path_job(path), control=control), path)


def _skips(ds) -> dict[str, tuple[str, str]]:
    root = Path(ds.source)
    return {os.path.relpath(s.path, root): (s.reason, s.kind) for s in ds.skipped}


def test_a_symlink_loop_lists_quickly_reports_each_loop_and_loads_the_image_once(tmp_path):
    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    (root / "a.png").write_bytes(png_bytes(seed=1))
    (root / "sub" / "b.png").write_bytes(png_bytes(seed=2))
    (root / "self").symlink_to(".")
    (root / "sub" / "loop").symlink_to("..")
    tracemalloc.start()
    try:
        ds = _load(root)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert ds.label_counts() == {"(none)": 1, "sub": 1}  # each image once
    skips = _skips(ds)
    assert set(skips) == {"self", os.path.join("sub", "loop")}
    assert all(reason.startswith("link loop") and kind == LINK for reason, kind in skips.values())
    assert peak < 20 * 2**20, peak


def test_links_are_followed_once_per_real_folder_or_file(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    write_link_traps(root, outside)
    ds = _load(root)
    # The real folder wins over a link to it; a folder outside is listed once, under the first link.
    assert ds.label_counts() == {"(none)": 1, "cats": 1, "out1": 1}
    skips = _skips(ds)
    assert skips["self"][0].startswith("link loop") and skips[os.path.join("cats", "up")][0].startswith("link loop")
    assert skips["kittens"] == ("link to a folder already listed (cats), not listed twice", LINK)
    assert skips["out2"] == ("link to a folder already listed (out1), not listed twice", LINK)
    assert skips["again.png"] == (f"link to a file already listed ({os.path.join('cats', 'c.png')})", LINK)


def test_broken_links_pipes_and_devices_are_reported_and_never_opened(tmp_path, monkeypatch):
    root, outside = tmp_path / "root", tmp_path / "outside"
    write_link_traps(root, outside)
    (root / "null.wav").symlink_to("/dev/null")
    opened: list[str] = []
    real_open = os.open

    def spy(path, flags, *args, **kwargs):
        opened.append(os.fsdecode(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    ds = _load(root)
    skips = _skips(ds)
    assert skips["broken.png"][1] == LINK and skips["broken.png"][0].startswith("broken link")
    assert skips["pipe.png"] == ("a named pipe (FIFO), not a file; never opened", SPECIAL)
    assert skips["zero.png"] == ("link to a character device file (/dev/zero); never opened", SPECIAL)
    assert skips["null.wav"][1] == SPECIAL
    special = {str(root / n) for n in ("broken.png", "pipe.png", "zero.png", "null.wav")}
    assert opened and not special & set(opened)  # the good images were opened, these never


@pytest.mark.parametrize("name", ["x.png", "x.wav", "x.txt"])
def test_a_named_pipe_chosen_directly_is_refused_without_blocking(tmp_path, name):
    fifo = tmp_path / name
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="is a named pipe"):
        _within(lambda control: run_to_end(load_path_job(fifo), control=control), tmp_path)


@pytest.mark.parametrize("read", [image_files.read_image, audio_files.read_clip])
def test_readers_refuse_a_named_pipe_without_blocking(tmp_path, read):
    fifo = tmp_path / "pipe.bin"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="named pipe") as info:
        _within(lambda _control: read(fifo), tmp_path)
    assert info.value.kind == SPECIAL


def test_cancel_takes_effect_while_listing(tmp_path, monkeypatch):
    for i in range(200):
        (tmp_path / f"d{i:03}").mkdir()
        (tmp_path / f"d{i:03}" / "a.png").write_bytes(b"not read")
    control = JobControl()
    listed: list[str] = []
    real_scandir = os.scandir

    def counting(path):
        listed.append(os.fsdecode(path))
        if len(listed) == 5:
            control.cancel()
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", counting)
    monkeypatch.setattr(image_files, "read_image", lambda *a: pytest.fail("read during listing"))
    with pytest.raises(JobCancelled):
        run_to_end(load_path_job(tmp_path), control=control)
    assert len(listed) <= 6
    listed.clear()
    with pytest.raises(JobCancelled):
        detect_modality(tmp_path, control)  # the plain function listens to cancel too
    assert len(listed) <= 1


def test_an_unreadable_subfolder_is_reported_and_the_rest_loads(tmp_path, monkeypatch):
    (tmp_path / "cats").mkdir()
    (tmp_path / "locked").mkdir()
    (tmp_path / "cats" / "a.png").write_bytes(png_bytes())
    real_scandir = os.scandir

    def denied(path):
        if Path(os.fsdecode(path)).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", denied)
    ds = load_path(tmp_path)
    assert len(ds) == 1
    assert _skips(ds)["locked"] == ("folder not searched (permission denied)", UNREADABLE)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root lists folders despite chmod 000")
def test_chmod_000_subfolder_is_reported(tmp_path):
    (tmp_path / "a.png").write_bytes(png_bytes())
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        assert _skips(load_path(tmp_path))["locked"][1] == UNREADABLE
    finally:
        locked.chmod(0o755)


def test_a_folder_of_only_traps_says_so_and_lists_them(tmp_path):
    (tmp_path / "self").symlink_to(".")
    os.mkfifo(tmp_path / "pipe.png")
    with pytest.raises(DataError, match=r"no files in .*: 2 entries skipped, e\.g\. ") as info:
        _load(tmp_path)
    assert {Path(s.path).name: s.kind for s in info.value.skipped} == {"self": LINK, "pipe.png": SPECIAL}


def test_list_files_keeps_its_plain_signature(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.png").write_bytes(b"1")
    (tmp_path / "a.png").write_bytes(b"1")
    files, problems = user_data.list_files(tmp_path)
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a.png", "b/x.png"] and problems == []
