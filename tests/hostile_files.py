"""Folders, files and checkpoints a careless or unlucky user might pick, for the GUI monkey.

``make_hostile_paths(root)`` writes them under ``root`` once and returns them
sorted by what a dialog asks for: folders to open, files to open, places to
save to, and checkpoint folders to resume from. A few good ones are mixed in,
so the app also gets past the error paths now and then.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image

from make_bad_files import png_bytes, write_audio, write_bad_images, write_good_images
from media_models import train_tiny_digits, train_tiny_notes
from text_model import train_tiny_gpt
from playground.core.data.bundled import load_bundled
from playground.core.data.dataset import ImageDataset
from playground.core.preprocess import default_pipeline


@dataclass(frozen=True)
class HostilePaths:
    folders: tuple[str, ...]  # answers to "open a folder" (and drops)
    files: tuple[str, ...]  # answers to "open a file" (and drops)
    saves: tuple[str, ...]  # answers to "save as": most of them cannot be written
    checkpoints: tuple[str, ...]  # answers to "resume from": mostly damaged

    def everything(self) -> tuple[str, ...]:
        return self.folders + self.files + self.checkpoints


def _write_digits(root: Path) -> None:
    mnist = load_bundled("mnist-5k")
    for label in range(3):
        folder = root / str(label)
        folder.mkdir(parents=True)
        for i in np.flatnonzero(mnist.labels == label)[:20]:
            Image.fromarray(mnist.images[i].squeeze()).save(folder / f"{i}.png")


def _tiny_checkpoint(run: Path) -> None:
    """A real two-step GAN run folder (tiny preset, 8x8 digits), written through the core."""
    from playground.core import families
    from playground.core.families.session import session_job
    from playground.core.jobs import collect

    full = load_bundled("mnist-5k")
    pick = np.concatenate([np.flatnonzero(full.labels == k)[:4] for k in range(3)])
    digits = ImageDataset("digits-12", full.images[pick], full.labels[pick], full.label_names)
    gan = families.get("gan")
    collect(session_job(gan, digits, gan.preset("tiny", steps=2, device="cpu"), out_dir=run, extras=False))


def _damaged_checkpoints(good: Path, root: Path) -> list[Path]:
    """Copies of a good run folder, each broken in one way."""
    out = []

    def copy(name: str) -> Path:
        target = root / name
        shutil.copytree(good, target)
        out.append(target)
        return target

    broken = b"\x10\x00\x00\x00\x00\x00\x00\x00{broken"  # a safetensors header that claims 16 bytes of JSON
    ckpt = copy("ckpt-broken-weights") / "checkpoint"
    (ckpt / "model.safetensors").write_bytes(broken)  # caught by its checksum
    ckpt = copy("ckpt-broken-weights-checksum-ok") / "checkpoint"
    (ckpt / "model.safetensors").write_bytes(broken)  # with a matching checksum: safetensors must refuse it
    meta = json.loads((ckpt / "meta.json").read_text())
    meta["sha256"]["model.safetensors"] = hashlib.sha256(broken).hexdigest()
    (ckpt / "meta.json").write_text(json.dumps(meta))
    for name, change in (("ckpt-version-null", {"version": None}), ("ckpt-version-text", {"version": "two"}),
                         ("ckpt-step-null", {"step": None}), ("ckpt-meta-list", None)):
        ckpt = copy(name) / "checkpoint"
        meta = json.loads((ckpt / "meta.json").read_text())
        (ckpt / "meta.json").write_text(json.dumps([meta] if change is None else {**meta, **change}))
    ckpt = copy("ckpt-meta-not-json") / "checkpoint"
    (ckpt / "meta.json").write_bytes(b"{\xff\xfe not json")
    ckpt = copy("ckpt-no-config") / "checkpoint"
    (ckpt / "config.json").unlink()
    return out


def make_hostile_paths(root: Path) -> HostilePaths:
    """Write every hostile path under ``root`` (a fresh folder); a few seconds, most of it a two-step GAN run."""
    root.mkdir(parents=True, exist_ok=True)
    good_images = root / "good-images"
    write_good_images(good_images)
    digits = root / "digits"  # a small dataset a user might train on: 60 MNIST digits in label folders
    _write_digits(digits)
    bad_images = root / "damaged-images"
    write_bad_images(bad_images)
    empty = root / "empty-folder"
    empty.mkdir()
    loop = root / "symlink-loop"
    loop.mkdir()
    (loop / "a.png").write_bytes(png_bytes(seed=3))
    os.symlink(loop, loop / "again")  # loop/again/again/... forever
    os.symlink(loop / "b", loop / "c")  # two dangling links that point at each other
    os.symlink(loop / "c", loop / "b")
    audio = root / "audio"
    write_audio(audio)
    tone = (0.3 * np.sin(np.arange(8000) / 8000.0 * 2 * np.pi * 220)).astype(np.float32)
    sf.write(root / "whole.wav", tone, 8000, subtype="PCM_16")
    wav = (root / "whole.wav").read_bytes()
    (root / "truncated.wav").write_bytes(wav[: len(wav) // 3])
    (audio / "truncated.wav").write_bytes(wav[: len(wav) // 3])
    text = root / "text"
    text.mkdir()
    (text / "latin1.txt").write_bytes("caf\xe9 cr\xe8me br\xfbl\xe9e\n".encode("latin-1") * 50)
    (text / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (root / "not-utf8.txt").write_bytes(b"\xff\xfe\x00h\x00i\x80\x81\x82 plain words after\n" * 20)
    (root / "empty.txt").write_bytes(b"")
    mixed = root / "mixed"
    mixed.mkdir()
    (mixed / "a.png").write_bytes(png_bytes(seed=5))
    (mixed / "b.txt").write_text("hello there\n")
    (mixed / "c.wav").write_bytes(wav)
    os.mkfifo(mixed / "pipe.png")  # opening it for reading would block forever
    unreadable = root / "no-permission"
    unreadable.mkdir()
    (unreadable / "a.png").write_bytes(png_bytes(seed=6))
    unreadable.chmod(0o000)  # root reads it anyway; anyone else is refused

    pipelines = root / "pipelines"
    pipelines.mkdir()
    (pipelines / "garbage.json").write_text("{not json")
    (pipelines / "list.json").write_text("[1, 2, 3]")
    (pipelines / "wrong-kind.json").write_text(json.dumps({"modality": "video", "steps": [{"kind": "explode"}]}))
    (pipelines / "not-utf8.json").write_bytes(b"\xff\xfe{}")
    for name in ("mnist-5k", "first-names"):
        default_pipeline(load_bundled(name)).save(pipelines / f"{name}.json")

    runs = root / "runs"
    runs.mkdir()
    good_run = runs / "good-run"
    _tiny_checkpoint(good_run)
    gpt_run = train_tiny_gpt(runs / "gpt-run")  # a text model, so the Generate tab gets past loading
    digits_run = train_tiny_digits(runs / "digits-run")  # and models for its Images and Sound sections
    notes_run = train_tiny_notes(runs / "notes-run")
    checkpoints = [good_run, gpt_run, digits_run, notes_run, good_run / "checkpoint", *_damaged_checkpoints(good_run, runs), bad_images,
                   root / "missing-run", root / "whole.wav"]

    read_only = root / "read-only"
    read_only.mkdir()
    read_only.chmod(0o555)
    saves = [root / "missing" / "deeper" / "out.png", root / "whole.wav" / "out.gif", read_only / "out.png",
             empty, root / "saved" / "ok.png", root / "saved" / "ok.gif", root / "saved" / "ok.json",
             root / "saved" / "ok.txt",
             root / "saved" / "spaces and ünïcode.png"]
    (root / "saved").mkdir()
    folders = [digits, good_images, bad_images, empty, loop, audio, text, mixed, unreadable, runs, root / "missing-folder",
               root / "whole.wav"]
    files = [root / "whole.wav", root / "truncated.wav", root / "not-utf8.txt", root / "empty.txt",
             good_images / "cats" / "a.png", bad_images / "truncated.png", bad_images / "bomb_error.png",
             *sorted(pipelines.iterdir()), mixed / "pipe.png", loop / "b", root / "missing.png"]
    return HostilePaths(tuple(map(str, folders)), tuple(map(str, files)), tuple(map(str, saves)),
                        tuple(map(str, checkpoints)))


def make_writable(root: Path) -> None:
    """Undo the permission changes so pytest can delete the temp folder."""
    for path in (root / "no-permission", root / "read-only"):
        if path.exists():
            path.chmod(0o755)
