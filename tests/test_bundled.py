"""The bundled datasets: every one loads, with the counts, shapes and labels it promises."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from playground.core.data.bundled import (
    DEFAULT_DATASETS,
    BundledInfo,
    bundled_datasets,
    bundled_info,
    load_bundled,
)
from playground.core.data.dataset import AudioDataset, ImageDataset, PointsDataset, TextDataset
from playground.core.data.toy2d import TOY_SETS
from playground.core.paths import assets_dir

FILE_SETS = [
    "mnist-5k",
    "font-letters",
    "emoji-32",
    "shakespeare",
    "first-names",
    "instrument-notes",
]
ALL_SETS = FILE_SETS + ["toy-ring", "toy-spiral", "toy-moons", "toy-grid"]
TYPES = {"image": ImageDataset, "text": TextDataset, "audio": AudioDataset, "points": PointsDataset}


def _index() -> dict[str, dict]:
    index = json.loads((assets_dir() / "datasets" / "index.json").read_text(encoding="utf-8"))
    return {e["name"]: e for e in index["datasets"]}


def test_the_list_names_every_dataset_once():
    infos = bundled_datasets()
    assert [i.name for i in infos] == ALL_SETS
    assert all(
        isinstance(i, BundledInfo) and i.title and i.description and i.licence for i in infos
    )
    for modality, name in DEFAULT_DATASETS.items():
        assert bundled_info(name).modality == modality


@pytest.mark.parametrize("name", ALL_SETS)
def test_every_dataset_loads_fast_with_its_promised_count(name):
    info = bundled_info(name)
    start = time.perf_counter()
    data = load_bundled(name)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"{name} took {elapsed:.2f} s to load"
    assert isinstance(data, TYPES[info.modality]) and data.modality == info.modality
    assert data.name == name and data.items == info.items
    assert data.licence == info.licence and data.source
    if name in FILE_SETS:
        assert data.items == _index()[name]["items"]


def test_mnist_is_500_real_digits_per_class():
    data = load_bundled("mnist-5k")
    assert isinstance(data, ImageDataset)
    assert data.images.shape == (5000, 28, 28, 1) and data.images.dtype == np.uint8
    assert data.label_names == [str(d) for d in range(10)]
    assert np.array_equal(np.bincount(data.labels, minlength=10), np.full(10, 500))
    # White digits on black with dark margins; MNIST's mean pixel is 33.3.
    assert data.images.max() == 255 and data.images[:, :2].mean() < 1.0
    assert 30 < data.images.mean() < 37


def test_font_letters_cover_a_to_j_from_many_fonts():
    data = load_bundled("font-letters")
    assert isinstance(data, ImageDataset)
    assert data.images.shape[1:] == (28, 28, 1) and data.images.dtype == np.uint8
    assert len(data) >= 2000 and data.label_names == list("ABCDEFGHIJ")
    counts = np.bincount(data.labels, minlength=10)
    assert counts.min() >= 100
    assert data.captions is not None and data.captions[0].startswith("the letter ")
    fonts = {c.split(" in ", 1)[1] for c in data.captions}
    assert len(fonts) >= 200
    assert len({img.tobytes() for img in data.images}) == len(data)  # no duplicate renders


def test_emoji_are_32px_rgb_with_names():
    data = load_bundled("emoji-32")
    assert isinstance(data, ImageDataset)
    assert data.images.shape[1:] == (32, 32, 3) and data.images.dtype == np.uint8
    assert len(data) >= 1000
    assert data.captions is not None and all(c.strip() for c in data.captions)
    assert "grinning face" in data.captions
    assert (
        "Smileys & Emotion" in data.label_names
        and 0 <= data.labels.min() <= data.labels.max() < len(data.label_names)
    )
    assert (data.images.reshape(len(data), -1).std(axis=1) > 5).all()  # no blank renders


def test_shakespeare_is_tiny_shakespeare_shaped():
    data = load_bundled("shakespeare")
    assert isinstance(data, TextDataset)
    assert "ROMEO:" in data.text and data.text.startswith("First Citizen:\nBefore we proceed")
    assert 1_100_000 < len(data.text) < 1_300_000
    assert not set("*#_[]\\") & set(data.text)  # no markdown left
    speeches = data.text.strip("\n").split("\n\n")
    assert all(s.split("\n", 1)[0].endswith(":") and "\n" in s for s in speeches)


def test_first_names_are_one_title_case_name_per_line():
    data = load_bundled("first-names")
    names = data.text.splitlines()
    assert len(names) > 1000 and len(set(names)) == len(names)
    assert names[:3] == ["James", "John", "Robert"]
    assert all(n[:1].isupper() and n[1:].islower() and n.isalpha() for n in names)


def test_instrument_notes_are_16_instruments_by_17_pitches():
    data = load_bundled("instrument-notes")
    assert isinstance(data, AudioDataset)
    assert len(data.label_names) == 16 and len(data) == 16 * 17
    assert np.array_equal(np.bincount(data.labels, minlength=16), np.full(16, 17))
    with np.load(assets_dir() / "datasets" / "instrument_notes.npz", allow_pickle=False) as z:
        rate = int(z["sample_rate"])
    assert rate in (8000, 16000) and set(data.sample_rates.tolist()) == {rate}
    assert data.pitches is not None and data.pitches.dtype == np.int64
    for k in range(16):
        assert sorted(data.pitches[data.labels == k].tolist()) == list(range(48, 81, 2))
    with pytest.raises(ValueError, match="MIDI"):
        AudioDataset("bad", data.clips[:2], data.sample_rates[:2], data.labels[:2], data.label_names, pitches=[60, 200])
    for clip in data.clips:
        assert clip.dtype == np.float32 and clip.shape == (rate,)
        assert 0.01 < np.abs(clip).max() <= 1.0
    assert data.captions is not None and data.captions[-1] == "a high note on a flute"


@pytest.mark.parametrize("name", list(TOY_SETS))
def test_toy_sets_are_deterministic_2d_points(name):
    make = TOY_SETS[name].make
    a, b, other = make(), make(), make(seed=1)
    assert a.points.shape == (2000, 2) and a.points.dtype == np.float32
    assert np.array_equal(a.points, b.points) and np.array_equal(a.labels, b.labels)
    assert not np.array_equal(a.points, other.points)
    assert np.abs(a.points).max() < 2.5
    assert set(a.labels.tolist()) == set(range(len(a.label_names)))
    assert make(n=100).points.shape == (100, 2)


def test_unknown_names_raise_with_the_choices():
    with pytest.raises(ValueError, match="unknown dataset 'nope'; choose from: mnist-5k"):
        bundled_info("nope")
    with pytest.raises(ValueError, match="choose from"):
        load_bundled("nope")


@pytest.fixture
def assets_copy(tmp_path, monkeypatch):
    copy = tmp_path / "assets"
    shutil.copytree(assets_dir() / "datasets", copy / "datasets")
    monkeypatch.setenv("PLAYGROUND_ASSETS", str(copy))
    return copy / "datasets"


def test_a_missing_file_is_a_clear_error(assets_copy):
    (assets_copy / "mnist_5k.npz").unlink()
    with pytest.raises(ValueError, match="missing its file"):
        load_bundled("mnist-5k")


@pytest.mark.parametrize(
    "file, name", [("emoji_32.npz", "emoji-32"), ("shakespeare.txt.gz", "shakespeare")]
)
def test_a_damaged_file_is_a_clear_error(assets_copy, file, name):
    path = assets_copy / file
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ValueError, match="damaged"):
        load_bundled(name)


def test_a_damaged_index_is_a_clear_error(assets_copy):
    (assets_copy / "index.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="index"):
        bundled_datasets()


def test_assets_stay_small():
    total = sum(p.stat().st_size for p in assets_dir().rglob("*") if p.is_file())
    assert total < 20 * 1024 * 1024, f"assets/ holds {total / 1e6:.1f} MB"


def test_loading_needs_neither_qt_nor_torch():
    code = (
        "import sys\n"
        "from playground.core.data.bundled import load_bundled\n"
        "load_bundled('mnist-5k')\n"
        "heavy = {'PySide6', 'torch'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
