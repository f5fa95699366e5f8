"""The whole session (prepare, the family's extra phase, train), here with the GAN and its judge:
Stop is honoured in every phase."""

from __future__ import annotations

import threading
import time

from playground.core import families
from playground.core.data.bundled import load_bundled
from playground.core.families.session import session_job
from playground.core.jobs import JobControl, Status, run_to_end

GAN = families.get("gan")


def test_stop_while_the_judge_trains_ends_within_a_second_and_writes_nothing(tmp_path):
    import torch

    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # its one-time import (~2 s), as the app's probe does
    control = JobControl()
    events: list = []
    result: list = []
    judging = threading.Event()

    def on_event(event):
        events.append(event)
        if isinstance(event, Status) and "classifier" in event.message:
            judging.set()

    job = session_job(GAN, load_bundled("mnist-5k"), GAN.preset("tiny"), out_dir=tmp_path / "run", extras=True)
    thread = threading.Thread(target=lambda: result.append(run_to_end(job, on_event, control)))
    thread.start()
    assert judging.wait(60)
    time.sleep(0.2)  # well inside the judge's training (2 s or more)
    asked = time.monotonic()
    control.stop()
    thread.join(10)
    assert not thread.is_alive() and time.monotonic() - asked < 1.0
    assert result[0].stopped and result[0].checkpoint is None and result[0].step == 0
    assert not (tmp_path / "run" / "checkpoint").exists()
    assert any("before the first training step: no checkpoint written" in e.message
               for e in events if isinstance(e, Status))


def test_stop_before_the_first_step_of_training_writes_no_checkpoint(tmp_path):
    control = JobControl()
    control.stop()
    job = session_job(GAN, load_bundled("toy-ring"), GAN.preset("tiny"), out_dir=tmp_path / "run")
    result = run_to_end(job, control=control)
    assert result.stopped and result.step == 0 and result.checkpoint is None
    assert not (tmp_path / "run" / "checkpoint").exists()
