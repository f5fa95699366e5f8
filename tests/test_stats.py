"""Dataset statistics and the spectrogram: exact on small known inputs."""

from __future__ import annotations

import numpy as np

from playground.core.data.dataset import AudioDataset, ImageDataset, TextDataset
from playground.core.data.stats import audio_stats, image_stats, sample_indices, spectrogram, text_stats


def test_image_stats_on_a_stacked_set():
    images = np.zeros((4, 8, 6, 3), np.uint8)
    images[:, :, :, 0] = 255  # red channel full, others zero
    images[2:, :, :, 1] = 255  # green full in half the images
    ds = ImageDataset(name="t", images=images, labels=[0, 0, 1, 1], label_names=["a", "b"])
    stats = image_stats(ds)
    assert stats["count"] == 4 and stats["channels"] == 3 and stats["sampled"] == 4
    assert stats["sizes"] == [{"height": 8, "width": 6, "count": 4}]
    assert np.allclose(stats["mean"], [1.0, 0.5, 0.0]) and np.allclose(stats["std"], [0.0, 0.5, 0.0])
    assert stats["labels"] == {"a": 2, "b": 2}


def test_image_stats_on_mixed_sizes_and_channels():
    images = [np.full((4, 4, 1), 51, np.uint8), np.full((4, 4, 1), 102, np.uint8), np.zeros((2, 3, 3), np.uint8)]
    ds = ImageDataset(name="t", images=images, labels=[0, 0, 0], label_names=["x"])
    stats = image_stats(ds)
    assert stats["sizes"][0] == {"height": 4, "width": 4, "count": 2}
    assert stats["channels"] == 1 and stats["channel_counts"] == {"1": 2, "3": 1}
    assert np.allclose(stats["mean"], [0.3]) and np.allclose(stats["std"], [0.1])


def test_sampling_is_deterministic_and_bounded():
    a, b = sample_indices(60_000, 2000), sample_indices(60_000, 2000)
    assert np.array_equal(a, b) and len(a) == 2000 and a[0] == 0 and a[-1] == 59_999
    assert list(sample_indices(3, 2000)) == [0, 1, 2]


def test_text_stats():
    ds = TextDataset(name="t", text="The cat and the hat.\nThe end ☃\nno newline")
    stats = text_stats(ds)
    assert stats["characters"] == len(ds.text) and stats["lines"] == 3
    assert stats["words"] == 9 and stats["top_words"][0] == ["the", 3]
    assert stats["top_characters"][0] == [" ", 7]
    assert stats["distinct_characters"] == len(set(ds.text))
    assert ["☃", 1] in stats["top_characters"]  # fewer than 20 distinct, so all are listed


def test_text_stats_across_slices(monkeypatch):
    from playground.core.data import stats as stats_module

    monkeypatch.setattr(stats_module, "_SLICE_CHARS", 7)  # many slices; no word may be split
    ds = TextDataset(name="t", text="alpha beta gamma alpha beta alpha é\n" * 3)
    stats = text_stats(ds)
    assert stats["words"] == 21 and stats["top_words"][:3] == [["alpha", 9], ["beta", 6], ["gamma", 3]]
    assert dict(map(tuple, stats["top_characters"]))["é"] == 3


def test_text_stats_empty():
    stats = text_stats(TextDataset(name="t", text=""))
    assert stats["characters"] == 0 and stats["lines"] == 0 and stats["top_words"] == []


def test_audio_stats():
    clips = [np.full(8000, 0.5, np.float32), np.zeros((16000, 2), np.float32)]
    ds = AudioDataset(name="t", clips=clips, sample_rates=[8000, 16000], labels=[0, 1], label_names=["a", "b"])
    stats = audio_stats(ds)
    assert stats["count"] == 2 and stats["total_seconds"] == 2.0 and stats["max_seconds"] == 1.0
    assert stats["sample_rates"] == {"8000": 1, "16000": 1} and stats["channels"] == {"1": 1, "2": 1}
    assert stats["peak"] == 0.5
    assert abs(stats["rms_db"] - 20 * np.log10(0.25)) < 0.01


def test_spectrogram_finds_a_tone():
    rate = 8000
    t = np.arange(rate) / rate
    tone = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    freqs, times, db = spectrogram(tone, rate)
    assert freqs.dtype == times.dtype == db.dtype == np.float32
    assert db.shape == (257, len(times)) and len(freqs) == 257
    peak = freqs[np.argmax(db[:, len(times) // 2])]
    assert abs(peak - 1000) <= rate / 512
    assert abs(db.max()) < 1.0  # full-scale sine is about 0 dB
    assert times[0] > 0 and times[-1] < 1.0


def test_spectrogram_of_short_stereo_silence():
    freqs, times, db = spectrogram(np.zeros((100, 2), np.float32), 16000)
    assert db.shape == (257, 1) and np.isfinite(db).all() and db.max() <= -100
