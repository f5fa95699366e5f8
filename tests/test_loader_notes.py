"""What the loaders changed or were warned about: notes and skip reasons, never text on stderr."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from make_bad_files import invalid_apng_bytes, png_bytes, write_warning_images

from playground.core.data import audio_files
from playground.core.data.skipped import DAMAGED, TOO_SHORT
from playground.core.data.user_data import load_path
from playground.core.preprocess import Pipeline, make_step, prepare


def test_pillow_warnings_become_notes_naming_the_file(tmp_path, capfd):
    expect = write_warning_images(tmp_path / "cats")
    (tmp_path / "dogs").mkdir()
    (tmp_path / "dogs" / "plain.png").write_bytes(png_bytes(8, 8))
    ds = load_path(tmp_path)  # pytest turns any warning that escapes into an error: the file would be skipped
    assert len(ds) == 4 and not ds.skipped
    for name, words in expect.items():
        assert any(note.startswith(f"cats/{name}: ") and words in note for note in ds.notes), (name, ds.notes)
    assert not any("plain.png" in note for note in ds.notes)
    assert capfd.readouterr().err == ""


def test_a_warning_before_a_failure_joins_the_skip_reason(tmp_path):
    apng = invalid_apng_bytes()
    (tmp_path / "cut.png").write_bytes(apng[: len(apng) - 30])  # the warning, then a truncated image
    (tmp_path / "good.png").write_bytes(png_bytes(8, 8))
    ds = load_path(tmp_path)
    (skip,) = ds.skipped
    assert skip.kind == DAMAGED and "truncated" in skip.reason
    assert skip.reason.endswith("(warnings: Invalid APNG, will use default PNG image if possible)")
    assert not ds.notes


def _wav(path: Path, samples: np.ndarray, rate: int = 8000, subtype: str = "FLOAT") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, samples, rate, subtype=subtype)


def test_nan_infinite_and_too_loud_samples_are_repaired_with_a_note(tmp_path):
    tone = (0.5 * np.sin(np.arange(800) / 5)).astype(np.float32)
    broken = tone.copy()
    broken[[10, 20, 30]] = [np.nan, np.inf, -np.inf]
    loud = tone * 3
    _wav(tmp_path / "broken.wav", broken)
    _wav(tmp_path / "loud.wav", loud)
    _wav(tmp_path / "fine.wav", tone)
    ds = load_path(tmp_path)
    clips = dict(zip(["broken", "fine", "loud"], ds.clips))
    assert np.isfinite(clips["broken"]).all() and clips["broken"][[10, 20, 30]].tolist() == [0.0, 1.0, -1.0]
    assert np.abs(clips["loud"]).max() == 1.0
    assert "1 clip(s) had 3 NaN or infinite sample(s), replaced by silence (NaN) or full scale (infinity): " \
           "broken.wav" in ds.notes
    assert any(n.startswith("1 clip(s) had ") and "past full scale, clipped to [-1, 1]: loud.wav" in n
               for n in ds.notes), ds.notes
    assert len(ds.notes) == 2  # fine.wav changed nothing


def test_clips_too_short_to_use_are_skipped(tmp_path):
    rate = 8000
    _wav(tmp_path / "one.wav", np.array([0.5], np.float32), rate)
    shortest = int(np.ceil(audio_files.MIN_SECONDS * rate))
    _wav(tmp_path / "just_long_enough.wav", np.full(shortest, 0.1, np.float32), rate)
    _wav(tmp_path / "just_too_short.wav", np.full(shortest - 1, 0.1, np.float32), rate)
    ds = load_path(tmp_path)
    assert [len(c) for c in ds.clips] == [shortest]
    reasons = {Path(s.path).name: (s.reason, s.kind) for s in ds.skipped}
    assert set(reasons) == {"one.wav", "just_too_short.wav"}
    assert reasons["one.wav"] == ("too short: 1 sample(s), 0.125 ms (under 50 ms is too short to learn from)",
                                  TOO_SHORT)


def test_mixing_down_and_resampling_say_what_they_changed(tmp_path):
    six = np.tile(np.linspace(-0.5, 0.5, 9600, dtype=np.float32)[:, None], (1, 6))
    _wav(tmp_path / "a" / "six1.wav", six, 96000, "PCM_16")
    _wav(tmp_path / "a" / "six2.wav", six, 96000, "PCM_16")
    _wav(tmp_path / "b" / "stereo.wav", six[:800, :2], 8000, "PCM_16")
    _wav(tmp_path / "b" / "mono.wav", six[:1600, 0], 16000, "PCM_16")
    ds = load_path(tmp_path)
    assert sorted(c.shape for c in ds.clips) == [(800, 2), (1600,), (9600, 6), (9600, 6)]  # as stored
    steps = (make_step("audio", "mono"), make_step("audio", "resample", rate=16000),
             make_step("audio", "pad_crop", seconds=0.1))
    prepared, report = prepare(ds, Pipeline("audio", steps))
    assert prepared.x.shape == (4, 1600)
    mono, resample = report.steps[0], report.steps[1]
    assert mono.notes == ["2 clips with 6 channels and 1 clip with 2 channels mixed down to mono"]
    assert mono.changed == 3
    assert resample.notes == [
        "2 clips resampled from 96000 Hz to 16000 Hz",
        "1 clip resampled from 8000 Hz to 16000 Hz (upsampling adds no detail above the old rate's limit)",
    ]


@pytest.mark.parametrize("reader", ["image", "audio", "text"])
def test_empty_files_are_damaged_for_every_reader(tmp_path, reader):
    name = {"image": "x.png", "audio": "x.wav", "text": "x.txt"}[reader]
    (tmp_path / name).write_bytes(b"")
    (tmp_path / f"ok{Path(name).suffix}").write_bytes(
        {"image": png_bytes(8, 8), "text": b"hello\n", "audio": b""}[reader])
    if reader == "audio":
        _wav(tmp_path / "ok.wav", np.zeros(800, np.float32))
    ds = load_path(tmp_path)
    (skip,) = ds.skipped
    assert skip.reason == "empty file (0 bytes)" and skip.kind == DAMAGED
