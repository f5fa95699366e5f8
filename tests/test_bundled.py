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
from playground.core.data.note_captions import (
    BUNDLED_INSTRUMENTS,
    LOUDNESS_VELOCITY,
    loudness_for_velocity,
    parse_caption,
)
from playground.core.data.toy2d import TOY_SETS
from playground.core.metrics.pitch import note_name, parse_note
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
    # Decoding 2,000 Vorbis clips takes seconds (see bundled.py); the bound only catches a
    # pathological slowdown. Every other set loads in a fraction of a second.
    limit = 15.0 if name == "instrument-notes" else 1.0
    assert elapsed < limit, f"{name} took {elapsed:.2f} s to load"
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


@pytest.fixture(scope="module")
def notes() -> AudioDataset:
    """The instrument notes, loaded once: decoding them takes seconds."""
    data = load_bundled("instrument-notes")
    assert isinstance(data, AudioDataset)
    return data


def test_instrument_notes_are_two_second_notes_of_16_instruments(notes):
    data = notes
    assert tuple(data.label_names) == BUNDLED_INSTRUMENTS
    assert 1800 < len(data) < 2100 and len(data) == _index()["instrument-notes"]["items"]
    assert set(data.sample_rates.tolist()) == {16000}
    clips = np.stack(data.clips)
    assert clips.dtype == np.float32 and clips.shape == (len(data), 32000)  # 2 s at 16 kHz
    peaks = np.abs(clips).max(axis=1)
    assert peaks.min() > 0.002 and peaks.max() <= 1.0
    assert np.abs(clips[:, -8:]).max() < 1e-3  # every clip fades out: no click at the end
    with pytest.raises(ValueError, match="MIDI velocity"):
        AudioDataset("bad", data.clips[:2], data.sample_rates[:2], data.labels[:2], data.label_names,
                     velocities=[80, 0])
    with pytest.raises(ValueError, match="heldout"):
        AudioDataset("bad", data.clips[:2], data.sample_rates[:2], data.labels[:2], data.label_names, heldout=[1, 0])


def test_every_semitone_of_each_range_at_three_loudnesses(notes):
    data = notes
    assert data.pitches is not None and data.velocities is not None
    ranges = _index()["instrument-notes"]["ranges"]
    for k, name in enumerate(data.label_names):
        low, high = (parse_note(n) for n in ranges[name].split("-"))  # "C2-C6"
        pitches = data.pitches[data.labels == k]
        missing = set(range(low, high + 1)) - set(pitches.tolist())
        assert pitches.min() == low and pitches.max() == high
        assert missing <= ({parse_note("A#6")} if name == "violin" else set()), (name, missing)  # silent in FluidR3
        assert high - low >= 30  # two and a half octaves or more
        for pitch in set(pitches.tolist()):
            velocities = sorted(data.velocities[(data.labels == k) & (data.pitches == pitch)].tolist())
            assert velocities == sorted(LOUDNESS_VELOCITY.values())
    # Velocity is audible: a loud note is louder than the same note played softly.
    rms = np.sqrt((np.stack(data.clips) ** 2).mean(axis=1))
    soft, loud = (rms[data.velocities == LOUDNESS_VELOCITY[w]] for w in ("soft", "loud"))
    assert np.median(loud / soft) > 2.0


def test_every_caption_names_its_instrument_note_and_maybe_loudness(notes):
    data = notes
    assert data.captions is not None and data.pitches is not None and data.velocities is not None
    phrasings = set()
    for caption, label, pitch, velocity in zip(data.captions, data.labels, data.pitches, data.velocities, strict=True):
        prompt = parse_caption(caption)
        assert prompt.ok, (caption, prompt.problems)
        assert prompt.instrument == data.label_names[label] and prompt.midi == pitch, caption
        assert prompt.loudness in (None, loudness_for_velocity(int(velocity))), caption
        phrasings.add(caption.replace(data.label_names[label], "I").replace(note_name(int(pitch)), "N"))
    assert any(c.startswith("a flute playing ") for c in data.captions)
    assert any(c.startswith("cello, ") and c.endswith(", soft") for c in data.captions)
    assert sum(parse_caption(c).loudness is not None for c in data.captions) > len(data) / 2
    assert len({p.split(" ")[0] for p in phrasings}) >= 4  # varied phrasings, not one template


def test_held_out_pairs_are_every_fifth_note_and_recorded(notes):
    data = notes
    assert data.heldout is not None and data.heldout.dtype == np.bool_ and data.pitches is not None
    entry = _index()["instrument-notes"]
    assert 0.18 < data.heldout.mean() < 0.22
    assert "every fifth note" in entry["heldout_rule"] and data.notes == [entry["heldout_rule"]]
    for k, name in enumerate(data.label_names):
        mine = data.labels == k
        low = int(data.pitches[mine].min())
        elsewhere = set(data.pitches[~mine].tolist())  # the bass alone plays below B1: never held out
        expected = {int(p) for p in data.pitches[mine] if (p - low) % 5 == 2 and p in elsewhere}
        held = set(data.pitches[mine & data.heldout].tolist())
        assert held == expected, name
        assert [note_name(p) for p in sorted(held)] == entry["heldout"][name]
        for pitch in held:  # all loudnesses of a held-out pair are out; others play that pitch
            assert data.heldout[mine & (data.pitches == pitch)].all()
            assert ((~mine) & (data.pitches == pitch) & ~data.heldout).any(), (name, pitch)
    licences = (assets_dir() / "LICENSES.md").read_text(encoding="utf-8")
    assert entry["heldout_rule"] in licences and f"flute: {', '.join(entry['heldout']['flute'])}" in licences


def test_a_damaged_audio_stream_is_a_clear_error(assets_copy):
    path = assets_copy / "instrument_notes.npz"
    with np.load(path, allow_pickle=False) as z:
        arrays = {key: z[key] for key in z.files}
    arrays["ogg"] = np.zeros_like(arrays["ogg"])
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="damaged.*does not decode"):
        load_bundled("instrument-notes")


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
    def size(folder, pattern="*"):
        return sum(p.stat().st_size for p in (assets_dir() / folder).rglob(pattern) if p.is_file())

    assert size("datasets") < 20 * 1024 * 1024, f"assets/datasets holds {size('datasets') / 1e6:.1f} MB"
    weights = size("models", "*.safetensors")
    text = sum(size(f"models/{name}", "*.safetensors") for name in ("shakespeare", "names"))
    assert weights < 40 * 1024 * 1024 and text < 20 * 1024 * 1024, (weights / 1e6, text / 1e6)


def test_loading_needs_neither_qt_nor_torch():
    code = (
        "import sys\n"
        "from playground.core.data.bundled import load_bundled\n"
        "load_bundled('mnist-5k')\n"
        "heavy = {'PySide6', 'torch'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
