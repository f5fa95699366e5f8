"""The one training loop, as a job: it drives any family's ``Trainer``.

``train_job(make_trainer, run, family=...)`` returns a job (see
``playground.core.jobs``). It owns what every family shares and nothing else:
steps and a time budget, the learning-rate schedule, typed commands, pause and
Step once, NaN rollback with auto-pause, alerts, and checkpoints. At each
logged step it yields, in this order::

    Metrics          every ``metrics_every`` steps (and after each Step once)
    views            the trainer's pictures, every ``samples_every`` steps (ImageGrid, TextSample, ...)
    Status           when an alert is raised or a command is applied
    CheckpointSaved  every ``checkpoint_every`` steps, on SaveCheckpoint, and at the end
    Progress         after each Metrics

Metrics values: the trainer's step values (averaged since the last log), the
trainer's ``observe`` values at the sample cadence, and ``lr_<name>`` per
optimiser, ``steps_per_s``, ``<items>_per_s`` (``images_per_s``,
``tokens_per_s``: the trainer's ``item_noun``), ``epoch``, ``elapsed`` and
``eta`` (seconds) and ``memory_mb``.

With a run folder, the networks a generator needs are also kept as weight
snapshots at ``samples_every`` x 1, 2, 4, ... steps and at the end
(``runs/snapshots.py``), so a user can watch the model learn.

Cancel takes effect before the next step and writes nothing; ``control.stop()``
ends the run at the next step and saves (nothing when no step was trained). A
NaN or infinite loss rolls the networks back to a recent logged step (one copied
within about a second of training, ``ROLLBACK_COST_RATIO``), yields
Status(level="error") and pauses the run. A resumed run continues the step
count, history, elapsed time, RNG states and batch order, so it trains exactly
as the uninterrupted run would have.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from playground.core.device import apply_threads, describe_device, memory_mb, resolve_device
from playground.core.events import (
    CheckpointSaved,
    ImageGrid,
    Metrics,
    Progress,
    SaveCheckpoint,
    SetLearningRate,
    Status,
    StepOnce,
)
from playground.core.jobs import Job, JobCancelled, JobControl
from playground.core.runs.checkpoint import SUBFOLDER, Checkpoint, save_checkpoint
from playground.core.runs.history import MetricHistory, SampleHistory
from playground.core.runs.snapshots import save_snapshot, snapshot_due
from playground.core.training.run_config import RunConfig, lr_key
from playground.core.training.trainer import Trainer, check_part

# The state a NaN rolls back to is copied at a metrics step once training has run this many times as
# long as the last copy took: at most 0.5% of the time goes to copying (5 ms a copy for the default
# GPT, so every ~1 s instead of every 10 steps), and a rollback loses about a second of training.
ROLLBACK_COST_RATIO = 200

MakeTrainer = Callable[[torch.device], Trainer]


@dataclass(eq=False)
class TrainResult:
    step: int  # steps trained in total (a resumed run counts the earlier ones)
    metrics: dict[str, float]  # the last logged value of every metric
    checkpoint: str | None  # the checkpoint folder, if one was written
    elapsed_s: float  # training time in seconds, resumed runs included
    stopped: bool  # True when the run was stopped before its planned end
    history: MetricHistory = field(default_factory=MetricHistory)


def train_job(make_trainer: MakeTrainer, run: RunConfig, *, family: str, model_config: Mapping[str, Any] | None = None,
              out_dir: str | Path | None = None, resume: Checkpoint | None = None,
              pipeline: dict[str, Any] | None = None, source: str = "", fingerprint: str = "") -> Job:
    """A job that trains the trainer ``make_trainer(device)`` builds and returns a ``TrainResult``.

    Args:
        make_trainer: builds the family's trainer on a device (called in the worker thread).
        run: the run settings.
        family: the family's registry name, written into checkpoints.
        model_config: the family's settings as JSON, written into checkpoints.
        out_dir: run folder; checkpoints go to ``out_dir/checkpoint`` (None: none written).
        resume: a loaded checkpoint (with optimiser and trainer state) to continue.
        pipeline: the preprocessing pipeline that made the data (saved with checkpoints).
        source: the data's name, saved with checkpoints.
        fingerprint: the SHA-256 of the prepared data and its pipeline, saved with checkpoints
            (a receipt names it, so an output can be traced to its training data).
    """

    def job(control: JobControl) -> Generator[Any, None, TrainResult]:
        extra = {"source": source, "data_sha256": fingerprint}
        state = _Run(make_trainer, run, family, dict(model_config or {}), out_dir, resume, pipeline or {}, extra)
        return (yield from state.run(control))

    return job


class _GoodState:
    """The last known-good state of a run's trainer, copied at most as often as ``ROLLBACK_COST_RATIO`` allows."""

    def __init__(self, trainer: Trainer, step: int, train_time: float) -> None:
        self.trainer = trainer
        self._copy(step, train_time)

    def _copy(self, step: int, train_time: float) -> None:
        t0 = time.monotonic()
        self.state, self.step = self.trainer.snapshot(), step
        self.cost, self.at = time.monotonic() - t0, train_time

    def refresh(self, step: int, train_time: float) -> None:
        """Copy the state at ``step`` if training has run long enough since the last copy."""
        if train_time - self.at >= ROLLBACK_COST_RATIO * self.cost:
            self._copy(step, train_time)


class _Run:
    def __init__(self, make_trainer: MakeTrainer, run: RunConfig, family: str, model_config: dict[str, Any],
                 out_dir: Any, resume: Checkpoint | None, pipeline: dict[str, Any], extra: dict[str, Any]) -> None:
        self.make_trainer, self.cfg, self.family, self.model_config = make_trainer, run, family, model_config
        self.out_dir, self.resume, self.pipeline, self.extra = out_dir, resume, pipeline, extra
        self.history, self.samples = MetricHistory(), SampleHistory()
        self.start_step, self.elapsed0, self.train_time = 0, 0.0, 0.0

    # ---- setup ------------------------------------------------------------------------------------
    def _setup(self) -> list[Status]:
        threads = apply_threads(self.cfg.cpu_threads)  # in the worker thread: torch threads are per thread
        self.device = device = resolve_device(self.cfg.device)
        notes: list[Status] = []
        if self.cfg.mixed_precision and device.type != "cuda":
            notes.append(Status("mixed precision is only used on CUDA; training in float32 on the CPU"))
        self.trainer = self.make_trainer(device)
        if self.resume is not None:
            ckpt = self.resume
            try:
                self.trainer.load_checkpoint_state(ckpt.networks, ckpt.optimizers, ckpt.state)
            except (RuntimeError, KeyError, ValueError) as exc:
                raise ValueError(f"the checkpoint in {ckpt.path} does not fit these settings ({str(exc)[:200]})") from None
            self.start_step, self.history, self.samples = ckpt.step, ckpt.history, ckpt.samples
            self.elapsed0 = float(ckpt.extra.get("elapsed", 0.0))
            notes.append(Status(f"resumed from step {self.start_step} ({ckpt.path})"))
        self.base_lr = dict(self.cfg.learning_rates)  # the rates the user chose; the schedule scales them
        if set(self.base_lr) != set(self.trainer.optimizers()):
            raise ValueError(f"the learning rates ({', '.join(self.base_lr)}) do not match the optimisers "
                             f"({', '.join(self.trainer.optimizers())})")
        for name, lr in self.base_lr.items():  # a resumed run takes the rates asked for now, not the saved ones
            self.trainer.set_learning_rate(name, lr * self.cfg.lr_factor(0))
        where = describe_device(device) if device.type == "cuda" else f"CPU ({threads} thread{'' if threads == 1 else 's'})"
        notes.insert(0, Status(f"{self.trainer.describe()} on {where}"))
        return notes

    # ---- the loop ------------------------------------------------------------------------------
    def run(self, control: JobControl) -> Generator[Any, None, TrainResult]:
        for note in self._setup():
            yield note
        cfg, trainer = self.cfg, self.trainer
        step, end = self.start_step, self.start_step + cfg.steps
        budget = cfg.minutes * 60.0 if cfg.minutes > 0 else math.inf
        sums: dict[str, torch.Tensor] = {}
        counts: dict[str, int] = {}
        active_alerts: set[str] = set()
        last_values: dict[str, float] = {}
        good = _GoodState(trainer, step, self.train_time)  # what a NaN rolls back to
        window_t, window_steps, window_items, rate, item_rate = time.monotonic(), 0, 0, math.nan, math.nan
        once: list[str] = []
        checkpoint_path: str | None = None
        yield Progress(step, end, f"step {step}/{end}")
        while step < end and self.train_time < budget:
            for command in control.drain():
                status = self._command(command, once)
                if isinstance(command, SaveCheckpoint):
                    checkpoint_path = self._save(step)
                    yield (CheckpointSaved(step, checkpoint_path) if checkpoint_path
                           else Status("no run folder: nothing saved", "warning"))
                elif status is not None:
                    yield status
            if control.cancelled:
                raise JobCancelled()
            if control.stop_requested:
                break
            part = trainer.parts[0]
            if control.paused:
                if not once:
                    pause_t = time.monotonic()
                    time.sleep(0.02)
                    window_t += time.monotonic() - pause_t  # paused time is not training time
                    continue
                part = once.pop(0)
            factor = cfg.lr_factor(step - self.start_step, self.train_time)
            if factor != 1.0 or cfg.lr_schedule != "constant" or cfg.warmup_steps:
                for name, lr in self.base_lr.items():
                    trainer.set_learning_rate(name, lr * factor)
            t0 = time.monotonic()
            out = trainer.train_step(part)
            step += 1
            window_steps += 1
            window_items += trainer.items_per_step(part)
            for k, v in out.items():
                sums[k] = sums[k] + v if k in sums else v.detach().float().clone()
                counts[k] = counts.get(k, 0) + 1
            self.train_time += time.monotonic() - t0
            forced = part != trainer.parts[0] or control.paused
            # samples, snapshots and checkpoints fall on logged steps, whatever their cadences
            log = (forced or step % cfg.metrics_every == 0 or step % cfg.samples_every == 0 or step == end
                   or (cfg.checkpoint_every and step % cfg.checkpoint_every == 0))
            # On the CPU reading a loss costs nothing; on CUDA only read at the log cadence.
            if (log or self.device.type == "cpu") and not all(math.isfinite(float(v)) for v in sums.values()):
                bad = sorted(k for k, v in sums.items() if not math.isfinite(float(v)))
                trainer.restore(good.state)
                failed_at, step = step, good.step
                sums, counts = {}, {}
                control.pause()
                yield Status(f"{', '.join(bad)} became NaN at step {failed_at}: {trainer.nan_hint()}. "
                             f"Training is paused. The networks were rolled back to step {good.step}.", "error")
                continue
            if not log:
                continue
            now = time.monotonic()
            if window_steps and now > window_t and not forced:
                inst, inst_items = window_steps / (now - window_t), window_items / (now - window_t)
                rate = inst if math.isnan(rate) else 0.7 * rate + 0.3 * inst
                item_rate = inst_items if math.isnan(item_rate) else 0.7 * item_rate + 0.3 * inst_items
            values = {k: float(s) / counts[k] for k, s in sums.items()}
            sums, counts = {}, {}
            window_t, window_steps, window_items = now, 0, 0
            elapsed = self.elapsed0 + self.train_time
            eta = (end - step) / rate if rate and rate > 0 else math.nan
            if budget < math.inf:
                eta = min(eta, max(0.0, budget - self.train_time)) if math.isfinite(eta) else budget - self.train_time
            values.update({lr_key(name): lr for name, lr in trainer.learning_rates().items()})
            values.update({"steps_per_s": rate, f"{trainer.item_noun}_per_s": item_rate, "epoch": trainer.epoch(),
                           "elapsed": elapsed, "eta": eta, "memory_mb": memory_mb(self.device)})
            good.refresh(step, self.train_time)
            views = []
            if forced or step % cfg.samples_every == 0 or step == end:
                observed, views = trainer.observe(step, keep=not forced)
                values.update(observed)
                if not forced:
                    for view in views:
                        if isinstance(view, ImageGrid):
                            self.samples.append(step, view.images)
            self.history.append(step, values)
            last_values = values
            yield Metrics(step, values)
            for view in views:
                yield view
            if views:
                alerts = {a.kind: a for a in trainer.alerts(self.history)}
                for kind, alert in alerts.items():
                    if kind not in active_alerts:
                        yield Status(alert.message, alert.level)
                active_alerts = set(alerts)
            if self.out_dir is not None and cfg.snapshots and snapshot_due(step, cfg.samples_every) and step < end:
                self._snapshot(step)
            if self.out_dir is not None and cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and step < end:
                checkpoint_path = self._save(step)
                yield CheckpointSaved(step, checkpoint_path)
            yield Progress(step, end, f"step {step}/{end}")
        finished = step >= end or self.train_time >= budget
        if self.out_dir is not None and step > self.start_step:
            if cfg.snapshots:
                self._snapshot(step)
            checkpoint_path = self._save(step)
            yield CheckpointSaved(step, checkpoint_path)
        elif self.out_dir is not None:
            kept = f"the checkpoint of step {step} is kept" if step else "no checkpoint written"
            yield Status(f"stopped before the first training step: {kept}", "warning")
        yield Progress(end if finished else step, end, "done" if finished else f"stopped at step {step}")
        return TrainResult(step, last_values, checkpoint_path, self.elapsed0 + self.train_time, not finished,
                           self.history)

    def _command(self, command: Any, once: list[str]) -> Status | None:
        if isinstance(command, SetLearningRate):
            try:
                lr = float(command.value)
                if not (math.isfinite(lr) and 0 < lr <= 1.0):
                    raise ValueError(f"{command.value!r} is not a learning rate in (0, 1]")
                self.trainer.set_learning_rate(command.name, lr)
            except (TypeError, ValueError) as exc:
                return Status(f"ignored a learning-rate change: {exc}", "warning")
            self.base_lr[command.name] = lr  # with a schedule, the new starting rate
            return Status(f"learning rate of {command.name.upper() if command.name != 'model' else 'the model'} "
                          f"set to {lr:g}")
        if isinstance(command, StepOnce):
            try:
                once.append(check_part(self.trainer, command.part))
            except ValueError as exc:
                return Status(f"ignored Step once: {exc}", "warning")
            return None
        if isinstance(command, SaveCheckpoint):
            return None
        return Status(f"ignored unknown command {command!r}", "warning")

    # ---- checkpoints ---------------------------------------------------------------------------
    def _save(self, step: int) -> str | None:
        if self.out_dir is None:
            return None
        ckpt = checkpoint_of(self.trainer, family=self.family, step=step, run=self.cfg, model_config=self.model_config,
                             history=self.history, samples=self.samples, pipeline=self.pipeline,
                             extra={**self.extra, "elapsed": self.elapsed0 + self.train_time})
        return str(save_checkpoint(Path(self.out_dir) / SUBFOLDER, ckpt))

    def _snapshot(self, step: int) -> None:
        networks = {name: net.state_dict() for name, net in self.trainer.snapshot_networks().items()}
        save_snapshot(self.out_dir, step, self.family, networks)


def checkpoint_of(trainer: Trainer, *, family: str, step: int, run: RunConfig, model_config: Mapping[str, Any],
                  history: MetricHistory | None = None, samples: SampleHistory | None = None,
                  pipeline: Mapping[str, Any] | None = None, extra: Mapping[str, Any] | None = None) -> Checkpoint:
    """Everything a trainer's checkpoint holds: named weights, optimiser and trainer state, settings, history."""
    return Checkpoint(
        family=family, step=step, model_config=dict(model_config), run_config=run.to_dict(), data=trainer.data_info(),
        networks={name: net.state_dict() for name, net in trainer.networks().items()},
        optimizers={name: opt.state_dict() for name, opt in trainer.optimizers().items()},
        state=trainer.get_state(), pipeline=dict(pipeline or {}), history=history or MetricHistory(),
        samples=samples or SampleHistory(), extra={**(extra or {}), "learning_rates": trainer.learning_rates()},
        files=trainer.files(),
    )
