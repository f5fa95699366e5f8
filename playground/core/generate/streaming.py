"""Turn a blocking call with a per-step callback into job events, so a job can stream what it makes.

A generator's ``generate(request, on_step=..., cancel=...)`` returns only when
it is done; a job must yield events while it runs. ``stream_call`` runs the
call in a helper thread, collects what ``on_step`` hands it and yields it in
batches at most every ``interval_s`` (throttling at the source, as STYLE.md
asks: a small model writes hundreds of tokens a second). Cancelling the job,
or closing its generator, makes the call's ``cancel`` return True, and the
helper thread is joined before the job ends, so no work outlives its job.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator
from typing import Any, TypeVar

from playground.core.jobs import JobControl, Throttle

T = TypeVar("T")
R = TypeVar("R")

# work(emit, cancelled) -> result: emit(item) hands over one step's output; cancelled() says "stop now".
Work = Callable[[Callable[[T], None], Callable[[], bool]], R]


def stream_call(work: Work, control: JobControl, batch: Callable[[list[T]], Any],
                interval_s: float = 0.05) -> Generator[Any, None, R]:
    """Run ``work`` in a helper thread; yield ``batch(items)`` for the items it emits; return its result.

    Args:
        work: the blocking call, given ``emit`` and ``cancelled`` (pass the latter
            as the callee's cancel test: it is True once the job is cancelled).
        control: the job's control (cancel and pause are honoured between batches).
        batch: makes one event of the items emitted since the last one (never empty).
        interval_s: the shortest time between two events; the last batch comes at once.
    Raises:
        whatever ``work`` raised (``JobCancelled`` when it saw the cancel).
    """
    items: queue.SimpleQueue[T] = queue.SimpleQueue()
    stop = threading.Event()
    outcome: dict[str, Any] = {}

    def cancelled() -> bool:
        return stop.is_set() or control.cancelled

    def target() -> None:
        try:
            outcome["result"] = work(items.put, cancelled)
        except BaseException as exc:  # noqa: BLE001 - handed to the job's thread, which re-raises it
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="playground-stream", daemon=True)
    throttle = Throttle(interval_s)
    pending: list[T] = []
    thread.start()
    try:
        while True:
            done = not thread.is_alive()  # read before draining: nothing emitted before the end is missed
            try:
                pending.append(items.get_nowait() if done else items.get(timeout=0.02))
                while True:
                    pending.append(items.get_nowait())
            except queue.Empty:
                pass
            if pending and throttle.ready(force=done):
                out, pending = pending, []
                yield batch(out)
            if done:
                break
            control.checkpoint()
    finally:
        stop.set()
        thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
