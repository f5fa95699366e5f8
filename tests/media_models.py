"""Tiny diffusion models of digits and of notes, and a tiny conditional GAN, trained for real in seconds:
shared by the Images and Sound tests (Qt-free and GUI)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from playground.core.data.bundled import load_bundled
from playground.core.data.dataset import AudioDataset, ImageDataset

INSTRUMENTS = (0, 15)  # piano and flute
VELOCITY = 80  # the medium notes only: 86 clips, 17 of them held out


def digits(per_class: int = 6, name: str = "digits") -> ImageDataset:
    full = load_bundled("mnist-5k")
    pick = np.concatenate([np.flatnonzero(full.labels == k)[:per_class] for k in range(10)])
    return ImageDataset(name, full.images[pick], full.labels[pick], full.label_names,
                        captions=[full.captions[i] for i in pick])


def notes(name: str = "notes") -> AudioDataset:
    full = load_bundled("instrument-notes")
    pick = np.flatnonzero(np.isin(full.labels, INSTRUMENTS) & (full.velocities == VELOCITY))
    return AudioDataset(name, [full.clips[i] for i in pick], full.sample_rates[pick], full.labels[pick],
                        full.label_names, captions=[full.captions[i] for i in pick], source="instrument-notes",
                        pitches=full.pitches[pick], velocities=full.velocities[pick], heldout=full.heldout[pick])


def _train(family_name: str, data: object, run: Path, **changes: object) -> Path:
    from playground.core import families
    from playground.core.families.session import session_job
    from playground.core.jobs import collect

    family = families.get(family_name)
    result, _events = collect(session_job(family, data, family.preset("tiny", **changes), out_dir=run))
    assert result.checkpoint is not None
    return run


def train_tiny_digits(run: Path, steps: int = 6) -> Path:
    """A run folder (checkpoint with its training images, snapshots) of the ``tiny`` diffusion preset on digits."""
    return _train("diffusion", digits(), run, steps=steps)


def train_tiny_notes(run: Path, steps: int = 6) -> Path:
    """A ``tiny`` diffusion model of piano and flute notes (with held-out pairs)."""
    return _train("diffusion", notes(), run, steps=steps)


def train_tiny_cgan(run: Path, steps: int = 4) -> Path:
    """A ``tiny`` conditional GAN on digits (its label is its prompt)."""
    return _train("gan", digits(), run, steps=steps, conditional=True)
