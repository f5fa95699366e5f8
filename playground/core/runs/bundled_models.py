"""The trained models that ship in ``assets/models/``, by name.

``assets/models/index.json`` lists each one: its name (what ``--checkpoint
NAME`` takes), family, title, the folder holding its run (checkpoint and
snapshots), the dataset it learned, and the command and wall time that made it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from playground.core.paths import assets_dir


@dataclass(frozen=True)
class BundledModel:
    name: str  # "shakespeare", what --checkpoint NAME takes
    family: str  # "gpt", "diffusion", ...
    title: str  # one line for the model picker
    folder: Path  # the run folder: checkpoint/ and snapshots/
    dataset: str  # the bundled dataset it learned
    command: str  # the CLI command that made it
    wall_time: str  # how long that took, and where


def _index() -> list[dict]:
    path = assets_dir() / "models" / "index.json"
    try:
        return list(json.loads(path.read_text(encoding="utf-8"))["models"])
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"the bundled model index {path} is damaged ({exc}); reinstall the app") from None


def bundled_models(family: str | None = None) -> list[BundledModel]:
    """Every bundled model (of ``family``, if given)."""
    out = []
    for entry in _index():
        model = BundledModel(entry["name"], entry["family"], entry["title"], assets_dir() / "models" / entry["folder"],
                             entry.get("dataset", ""), entry.get("command", ""), entry.get("wall_time", ""))
        if family is None or model.family == family:
            out.append(model)
    return out


def resolve_model(path_or_name: str | os.PathLike) -> Path:
    """A bundled model's folder for its name; anything else is taken as a path."""
    text = str(path_or_name)
    if os.sep not in text and not Path(text).exists():
        for model in bundled_models():
            if model.name == text:
                return model.folder
    return Path(path_or_name)
