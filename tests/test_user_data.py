"""Loading the user's own files: good ones in, bad ones listed with a reason, cancel and progress."""

from __future__ import annotations

import builtins
import os
import time
from pathlib import Path

import numpy as np
import pytest
from make_bad_files import (
    RGBA_PIXEL,
    png_bytes,
    write_audio,
    write_bad_images,
    write_good_images,
)
from PIL import Image

from playground.core.data import image_files, text_files
from playground.core.data.dataset import AudioDataset, ImageDataset, TextDataset
from playground.core.data.user_data import DataError, detect_modality, load_path, load_path_job
from playground.core.jobs import JobCancelled, JobControl, Progress, collect


def _reasons(ds_or_exc) -> dict[str, str]:
    return {Path(s.path).name: s.reason for s in ds_or_exc.skipped}


def _index(ds: ImageDataset, root: Path) -> dict[str, int]:
    """File name -> position in the dataset (files are read in sorted relative-path order)."""
    names = sorted(
        (p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")),
        key=lambda p: p.relative_to(root).parts,
    )
    skipped = {Path(s.path) for s in ds.skipped}
    kept = [p.name for p in names if p not in skipped]
    return {name: i for i, name in enumerate(kept)}


# ---- images -------------------------------------------------------------------------------


def test_image_folder_keeps_good_files_and_lists_every_bad_one(tmp_path):
    shapes = write_good_images(tmp_path)
    expect = write_bad_images(tmp_path)
    ds = load_path(tmp_path)
    assert isinstance(ds, ImageDataset)
    assert len(ds) == len(shapes)
    assert ds.label_counts() == {"cats": 4, "dogs": 6}  # bad files in the root add no "(none)"
    reasons = _reasons(ds)
    assert set(reasons) == set(expect), reasons  # .DS_Store is hidden, so not listed
    for name, word in expect.items():
        assert word in reasons[name], (name, reasons[name])
    assert "100000000 pixels exceeds Pillow's limit" in reasons["bomb_warning.png"]
    assert isinstance(ds.images, list)  # mixed sizes
    index = _index(ds, tmp_path)
    for name, shape in shapes.items():
        image = ds.image(index[name])
        assert image.dtype == np.uint8 and image.shape == shape, name


def test_image_modes_become_plain_channels(tmp_path):
    shapes = write_good_images(tmp_path)
    ds = load_path(tmp_path)
    index = _index(ds, tmp_path)
    r, g, b, a = RGBA_PIXEL
    expected = [round(v * a / 255) for v in (r, g, b)]  # alpha composited onto black
    assert np.abs(ds.image(index["f_rgba.png"])[0, 0].astype(int) - expected).max() <= 1
    assert (ds.image(index["j_16bit.png"]) == 255).all()  # 16-bit white stays white
    cmyk = ds.image(index["g_cmyk.jpg"])[0, 0].astype(int)  # CMYK (0, 255, 255, 0) is red
    assert cmyk[0] > 200 and cmyk[1] < 60 and cmyk[2] < 60
    gif = ds.image(index["d.gif"])
    with Image.open(tmp_path / "cats" / "d.gif") as im:
        first = np.asarray(im.convert("RGB"))
    assert np.array_equal(gif, first)  # the first frame
    assert any("grayscale" in note for note in ds.notes)
    assert len(shapes) == len(ds)


def test_same_shape_images_stack_into_one_array_with_a_channel_axis(tmp_path):
    for i in range(5):
        Image.fromarray(np.full((8, 12), i * 40, np.uint8)).save(tmp_path / f"{i}.png")
    ds = load_path(tmp_path)
    assert isinstance(ds.images, np.ndarray)
    assert ds.images.shape == (5, 8, 12, 1)
    assert ds.label_names == ["(none)"] and ds.label_counts() == {"(none)": 5}
    assert ds.name == tmp_path.name and not ds.skipped


def test_gray_palette_gif_is_grayscale(tmp_path):
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8) * 4).save(tmp_path / "g.gif")
    assert image_files.read_image(tmp_path / "g.gif").shape == (8, 8, 1)


def test_single_image_file(tmp_path):
    path = tmp_path / "one.png"
    path.write_bytes(png_bytes(10, 20))
    ds = load_path(path)
    assert ds.images.shape == (1, 10, 20, 3) and ds.name == "one"


def test_bad_single_file_names_the_reason(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("hello\n")
    with pytest.raises(DataError, match="looks like text") as info:
        load_path(path)
    assert len(info.value.skipped) == 1


def test_folder_of_only_bad_images_raises_with_the_list(tmp_path):
    expect = write_bad_images(tmp_path)
    with pytest.raises(DataError) as info:
        load_path(tmp_path)
    message = str(info.value)
    assert message.startswith(f"no readable images in {tmp_path}: {len(expect)} file(s) skipped")
    assert ", e.g. corrupt.png: damaged image" in message  # a damaged file, not the first bomb alphabetically
    assert "\n" not in message
    assert set(_reasons(info.value)) == set(expect)


def test_unreadable_file_is_skipped(tmp_path, monkeypatch):
    write_good_images(tmp_path)
    locked = tmp_path / "cats" / "locked.png"
    locked.write_bytes(png_bytes())
    real_open = builtins.open

    def fake_open(file, *args, **kwargs):
        if Path(os.fsdecode(file)) == locked:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    assert _reasons(load_path(tmp_path))["locked.png"] == "permission denied"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads files despite chmod 000")
def test_chmod_000_file_is_skipped(tmp_path):
    write_good_images(tmp_path)
    locked = tmp_path / "cats" / "locked.png"
    locked.write_bytes(png_bytes())
    locked.chmod(0)
    try:
        assert _reasons(load_path(tmp_path))["locked.png"] == "permission denied"
    finally:
        locked.chmod(0o644)


# ---- detection and folder errors ----------------------------------------------------------


def test_detect_modality(tmp_path):
    (tmp_path / "a.png").write_bytes(png_bytes())
    (tmp_path / "b.png").write_bytes(png_bytes())
    (tmp_path / "c.txt").write_text("x")
    assert detect_modality(tmp_path) == "image"
    assert detect_modality(tmp_path / "c.txt") == "text"
    (tmp_path / "d.wav").write_bytes(b"")
    assert detect_modality(tmp_path / "d.wav") == "audio"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing", "no such file or folder"),
        (lambda p: p, "empty folder"),
        (lambda p: (p / "x.bin").write_bytes(b"1") and p, "nothing usable"),
        (lambda p: (p / "x.bin").write_bytes(b"1") and p / "x.bin", "not a file type the playground reads"),
    ],
)
def test_data_errors_are_one_line(tmp_path, make, message):
    path = make(tmp_path)
    for call in (detect_modality, load_path):
        with pytest.raises(DataError, match=message) as info:
            call(path)
        assert "\n" not in str(info.value)


def test_permission_denied_folder(tmp_path, monkeypatch):
    (tmp_path / "a.png").write_bytes(png_bytes())

    def denied(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(os, "scandir", denied)
    with pytest.raises(DataError, match="permission denied"):
        load_path(tmp_path)


# ---- text ---------------------------------------------------------------------------------


def test_text_folder_decodes_joins_and_skips(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"\xef\xbb\xbfhello\r\nworld")  # UTF-8 with BOM, CRLF
    (tmp_path / "b.md").write_bytes("caf\xe9 \x80uro\n".encode("latin-1"))  # cp1252
    (tmp_path / "c.csv").write_bytes(b"x,y\n1,2\n")
    (tmp_path / "d.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "e.txt").write_bytes(b"")
    (tmp_path / "f.txt").write_bytes("hi ünï\n".encode("utf-16"))
    (tmp_path / "picture.png").write_bytes(png_bytes())
    ds = load_path(tmp_path)
    assert isinstance(ds, TextDataset)
    assert ds.text == "hello\nworld\n\ncafé €uro\n\nx,y\n1,2\n\nhi ünï\n"
    assert [Path(f).name for f in ds.files] == ["a.txt", "b.md", "c.csv", "f.txt"]
    assert "decoded b.md as cp1252 (not valid UTF-8)" in ds.notes
    assert "decoded f.txt as UTF-16" in ds.notes
    reasons = _reasons(ds)
    assert "binary" in reasons["d.txt"] and "empty" in reasons["e.txt"]
    assert "not a text file type" in reasons["picture.png"]
    assert ds.label_counts() == {}


def test_text_that_is_not_cp1252_falls_back_to_latin1(tmp_path):
    (tmp_path / "x.txt").write_bytes(b"a\x81b")  # 0x81 is undefined in cp1252
    ds = load_path(tmp_path / "x.txt")
    assert ds.text == "a\x81b" and "latin-1" in ds.notes[0]


def test_big_text_reports_progress_by_bytes_and_cancels_within_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(text_files, "CHUNK_BYTES", 64 * 1024)
    path = tmp_path / "big.txt"
    path.write_bytes(b"abcdefghij\n" * 400_000)  # 4.4 MB: 68 chunks
    size = path.stat().st_size
    result, events = collect(load_path_job(path))
    assert result.items == size
    done = [e.done for e in events if isinstance(e, Progress) and e.total]
    assert done == sorted(done) and done[-1] == size

    control = JobControl()
    seen = []
    with pytest.raises(JobCancelled):
        for event in load_path_job(path)(control):
            if isinstance(event, Progress) and event.total:
                seen.append(event.done)
                control.cancel()
    assert seen and seen[-1] < size  # stopped inside the file


# ---- audio --------------------------------------------------------------------------------


def test_audio_folder(tmp_path):
    write_audio(tmp_path)
    ds = load_path(tmp_path)
    assert isinstance(ds, AudioDataset)
    assert ds.label_counts() == {"music": 2, "speech": 2}
    shapes = sorted(c.shape for c in ds.clips)
    assert shapes == [(8000,), (8000,), (8000, 2), (240000,)]
    assert all(c.dtype == np.float32 and np.abs(c).max() <= 1.0 for c in ds.clips)
    assert list(ds.sample_rates) == [8000] * 4
    assert max(ds.duration(i) for i in range(len(ds))) == 30.0
    assert any("cropped to 30 s" in note for note in ds.notes)
    reasons = _reasons(ds)
    assert set(reasons) == {"corrupt.wav", "empty.flac"}
    assert reasons["corrupt.wav"].startswith("not readable as audio")
    assert "empty" in reasons["empty.flac"]


def test_audio_only_bad_files(tmp_path):
    (tmp_path / "x.wav").write_text("not audio at all\n")
    with pytest.raises(DataError, match="no readable audio files"):
        load_path(tmp_path)


# ---- cancel and throttling ----------------------------------------------------------------


def test_cancel_stops_within_one_file(tmp_path, monkeypatch):
    for i in range(50):
        (tmp_path / f"{i:02}.png").write_bytes(png_bytes(8, 8, seed=i))
    reads = []
    real = image_files.read_image
    monkeypatch.setattr(image_files, "read_image", lambda path, *a: reads.append(path) or real(path, *a))
    control = JobControl()
    with pytest.raises(JobCancelled):
        for event in load_path_job(tmp_path)(control):
            if isinstance(event, Progress) and event.total:
                control.cancel()
    assert len(reads) == 1


def test_progress_is_throttled(tmp_path, monkeypatch):
    for i in range(300):
        (tmp_path / f"{i:03}.png").write_bytes(png_bytes(8, 8, seed=i))
    real = image_files.read_image

    def slow(path, *args):
        time.sleep(0.001)
        return real(path, *args)

    monkeypatch.setattr(image_files, "read_image", slow)
    start = time.monotonic()
    result, events = collect(load_path_job(tmp_path))
    elapsed = time.monotonic() - start
    progress = [e for e in events if isinstance(e, Progress)]
    assert len(result) == 300
    # Listing and reading each send at most about 20 a second (two throttles), never one per file.
    assert len(progress) <= 40 * elapsed + 5 and len(progress) < 100
    assert progress[-1].done == progress[-1].total == 300
