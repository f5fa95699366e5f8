"""Which device to train on, how to describe it, and how much memory a run uses.

``resolve_device("auto")`` picks CUDA when a GPU is there and the CPU otherwise;
asking for "cuda" on a machine without one is a user error, not a silent
fallback. Thread counts are per worker thread in torch, so ``apply_threads``
must be called from the thread that trains (the training loop does it first).
"""

from __future__ import annotations

import contextlib
import os
import resource
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda")
THREADS_ENV = "PLAYGROUND_TORCH_THREADS"


def resolve_device(name: str = "auto") -> torch.device:
    """Turn "auto", "cpu" or "cuda" (or "cuda:N") into a ``torch.device``.

    Raises:
        ValueError: for an unknown name, or "cuda" on a machine without a GPU.
    """
    import torch

    name = (name or "auto").strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ValueError("CUDA was asked for but is not available on this machine; use device 'cpu' or 'auto'")
        device = torch.device(name)
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(f"{name} was asked for but this machine has {torch.cuda.device_count()} GPU(s)")
        return device
    raise ValueError(f"unknown device {name!r}: choose one of {', '.join(DEVICE_CHOICES)}")


def describe_device(device: torch.device | str | None = None) -> str:
    """"CUDA: <GPU name>" or "CPU (N threads)" for the status bar."""
    import torch

    device = resolve_device("auto") if device is None else torch.device(device)
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    return f"CPU ({torch.get_num_threads()} threads)"


def thread_count(requested: int = 0) -> int:
    """The torch CPU threads ``apply_threads(requested)`` sets: ``$PLAYGROUND_TORCH_THREADS`` if set, else
    ``requested``, with 0 meaning one per core."""
    env = os.environ.get(THREADS_ENV, "").strip()
    count = int(env) if env.isdigit() and int(env) > 0 else int(requested)
    return count if count > 0 else (os.cpu_count() or 1)


def describe_cpu_threads(threads: int) -> str:
    """"CPU, 1 training thread of 2 cores" (the status bar and the Train tab's Device row)."""
    return f"CPU, {threads} training thread{'s' if threads > 1 else ''} of {os.cpu_count()} cores"


def apply_threads(requested: int = 0) -> int:
    """Set torch's CPU threads (for the whole process); return the count in force.

    ``$PLAYGROUND_TORCH_THREADS`` (1 in the tests) wins over ``requested``;
    0 means one thread per core. On two cores, two threads beside the busy
    GUI trained faster than one and kept the GUI on time (p99 lateness 3 ms
    with ``OMP_WAIT_POLICY=PASSIVE``; ``python -m playground bench gan``).
    """
    import torch

    count = thread_count(requested)
    if torch.get_num_threads() != count:
        torch.set_num_threads(count)
    return torch.get_num_threads()


@contextlib.contextmanager
def sampling_threads() -> Iterator[None]:
    """Sample on one torch thread while OpenMP's threads sleep between operations.

    The app and the CLI set ``OMP_WAIT_POLICY=PASSIVE`` (see ``apply_threads``); a
    sampler's many small operations then wait for the second thread to wake each
    time. On two cores one thread was faster at every model (medians of five runs,
    alternating, ``README``): 16 digits 1.14 s against 1.22 s, 16 emoji 1.43 against
    1.64, a sound 0.48 against 0.55. With threads that spin, two are faster, so
    other policies, ``$PLAYGROUND_TORCH_THREADS`` and one-thread runs are left alone.
    Torch threads are per thread: this sets and restores the caller's.
    """
    import torch

    before = torch.get_num_threads()
    if os.environ.get("OMP_WAIT_POLICY", "").strip().upper() != "PASSIVE" or os.environ.get(THREADS_ENV) or before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def memory_mb(device: torch.device | str) -> float:
    """Memory in use, in MiB: the GPU's allocated peak on CUDA, the process's RSS on CPU."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def autocast(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager:
    """Mixed precision on CUDA (bf16 where supported, else fp16); a no-op elsewhere."""
    import torch

    if not enabled or device.type != "cuda":
        return contextlib.nullcontext()
    return torch.autocast(device_type="cuda", dtype=amp_dtype(device))


def amp_dtype(device: torch.device) -> torch.dtype:
    """bf16 on GPUs that have it (no loss scaling needed), else fp16."""
    import torch

    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float16
