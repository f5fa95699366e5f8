"""Where the app finds its bundled assets and keeps the user's runs and settings."""

from __future__ import annotations

import os
from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parents[2] / "assets"


def assets_dir() -> Path:
    """The bundled ``assets/`` folder (datasets, weights, icons, LICENSES.md)."""
    return Path(os.environ.get("PLAYGROUND_ASSETS", ASSETS_DIR))


def home_dir() -> Path:
    """The user's folder for settings and runs (``$PLAYGROUND_HOME`` in tests)."""
    home = Path(os.environ.get("PLAYGROUND_HOME", Path.home() / ".genai-playground"))
    home.mkdir(parents=True, exist_ok=True)
    return home


def runs_dir() -> Path:
    """Where training runs and their checkpoints are written by default."""
    path = home_dir() / "runs"
    path.mkdir(parents=True, exist_ok=True)
    return path
