"""What generate commands share: loading a model for one family, and refusing outputs that cannot fit."""

from __future__ import annotations

from typing import Any

from playground.cli import UserError


def load_model(path: str, device: str, family: str) -> Any:
    """The generator of a checkpoint, which must be of ``family``; UserError otherwise."""
    from playground.core.families.generators import load_generator

    try:
        generator = load_generator(path, device)
    except ValueError as exc:  # CheckpointError included
        raise UserError(str(exc)) from None
    if generator.family != family:
        raise UserError(f"{path} holds a {generator.family} model; 'generate {family}' needs a {family} checkpoint")
    return generator


def check_fits(n: int, item_bytes: int) -> None:
    """Refuse a count whose output cannot fit in memory (the file is built in memory)."""
    need = n * item_bytes
    available = _available_bytes()
    if need > available // 2:
        raise UserError(f"--n {n:,} would need {_size(need)} for the samples; this machine has {_size(available)} "
                        f"free, so ask for at most {max(1, available // 2 // item_bytes):,}")


def _available_bytes() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 4 * 2**30  # unknown: assume a small machine


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1024 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} PB"
