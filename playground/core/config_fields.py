"""Typed values for config dataclass fields, parsed from the text a user typed.

``--set spectral_norm=False`` must switch spectral norm off, not store the
true-looking string "False"; ``--set batch_size=2.5`` must be refused with the
setting's name and the type it takes. Every family's config goes through
``parse_assignments``, so the CLI and any other text front end agree.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import typing
from collections.abc import Iterable, Mapping
from typing import Any

TRUE_WORDS = ("true", "yes", "on", "1")
FALSE_WORDS = ("false", "no", "off", "0")
KIND_WORDS = {
    "bool": "true or false (also yes/no, on/off, 1/0)",
    "int": "a whole number",
    "float": "a number",
    "pair": "two numbers, like 0.5,0.999 or [0.5, 0.999]",
    "ints": "whole numbers separated by commas, like 1,2,4",
    "str": "a word",
}


def field_kinds(cls: type) -> dict[str, str]:
    """{field name: "bool" | "int" | "float" | "pair" | "ints" | "str"} for a config dataclass."""
    hints = typing.get_type_hints(cls)
    out = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        origin = typing.get_origin(hint)
        if hint is bool:
            out[f.name] = "bool"
        elif hint is int:
            out[f.name] = "int"
        elif hint is float:
            out[f.name] = "float"
        elif origin is tuple and typing.get_args(hint)[1:] == (Ellipsis,):
            out[f.name] = "ints"
        elif origin is tuple and len(typing.get_args(hint)) == 2:
            out[f.name] = "pair"
        else:
            out[f.name] = "str"
    return out


def field_docs(cls: type) -> dict[str, str]:
    """The one-line comment after each field in a config dataclass's source (tooltips, help)."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    names = {f.name for f in dataclasses.fields(cls)}
    out = {}
    for line in source.splitlines():
        head, _, comment = line.partition("#")
        name = head.strip().split(":")[0]
        if name in names and comment and name not in out:
            out[name] = comment.strip()
    return out


def parse_value(name: str, kind: str, raw: str) -> Any:
    """``raw`` (text) as a value of ``kind``; ValueError naming ``name`` and the type expected."""
    text = raw.strip()
    expected = f"{name} takes {KIND_WORDS[kind]}, not {raw!r}"
    if kind == "bool":
        word = text.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(expected)
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ValueError(expected) from None
    if kind == "float":
        try:
            value = float(text)
        except ValueError:
            raise ValueError(expected) from None
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, not {raw!r}")
        return value
    if kind == "ints":
        parts = [p for p in text.strip("[]() ").replace(",", " ").split() if p]
        try:
            return tuple(int(p) for p in parts)
        except ValueError:
            raise ValueError(expected) from None
    if kind == "pair":
        parts = [p for p in text.strip("[]() ").replace(",", " ").split() if p]
        if len(parts) != 2:
            raise ValueError(expected)
        return tuple(parse_value(name, "float", p) for p in parts)
    if not text:
        raise ValueError(f"{name} needs a value")
    return text


def parse_assignments(kinds: Mapping[str, str] | type, pairs: Iterable[str], *, what: str = "setting") -> dict[str, Any]:
    """``["lr_g=1e-3", "spectral_norm=no"]`` -> typed overrides, by ``kinds`` ({name: kind},
    or a config dataclass whose fields give them).

    Raises:
        ValueError: a pair without "=", an unknown field (the message lists the
            known ones) or a value of the wrong type (the message names both).
    """
    if isinstance(kinds, type):
        kinds = field_kinds(kinds)
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"--set takes KEY=VALUE, not {pair!r}")
        if key not in kinds:
            raise ValueError(f"unknown {what} {key!r}; {what}s are: {', '.join(sorted(kinds))}")
        out[key] = parse_value(key, kinds[key], raw)
    return out


def config_to_dict(config: Any) -> dict[str, Any]:
    """A config dataclass as JSON-ready values (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config).items()}


def config_from_dict(cls: type, data: Mapping[str, Any], what: str, defaults: Mapping[str, Any] | None = None) -> Any:
    """``cls(**data)`` for a config read back from JSON; unknown or mistyped fields raise ValueError naming ``what``.

    ``defaults`` fill fields the file lacks (a setting added since it was written, with its old meaning).
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"{what} settings must be a JSON object")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown {what} settings: {', '.join(unknown)}")
    try:
        return cls(**{**(defaults or {}), **dict(data)})
    except TypeError as exc:
        raise ValueError(f"bad {what} settings: {exc}") from exc
