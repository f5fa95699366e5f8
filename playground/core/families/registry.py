"""The table of model families, by name (``register`` adds one, ``for_data`` picks them)."""

from __future__ import annotations

from typing import Any

from playground.core.families.base import Family
from playground.core.preprocess.prepared import data_kinds

_FAMILIES: dict[str, Family] = {}


def register(family: Family) -> Family:
    """Add ``family`` (replacing one of the same name); returns it, so it can decorate a definition."""
    _FAMILIES[family.name] = family
    return family


def unregister(name: str) -> None:
    _FAMILIES.pop(name, None)


def get(name: str) -> Family:
    """The family called ``name``; ValueError names the ones there are."""
    try:
        return _FAMILIES[name]
    except KeyError:
        raise ValueError(f"unknown model family {name!r}: there are {', '.join(_FAMILIES)}") from None


def all_families() -> list[Family]:
    return list(_FAMILIES.values())


def for_data(data: Any) -> list[Family]:
    """The families that train on ``data`` (prepared data, or its kinds as a set of words)."""
    kinds = data if isinstance(data, (set, frozenset)) else data_kinds(data)
    return [f for f in _FAMILIES.values() if f.accepts & kinds]
