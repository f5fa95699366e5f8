"""The GAN training loop as a job: cadence, commands, pause, checkpoints, events.

``train_gan_job(data, config)`` returns a job (see ``playground.core.jobs``).
Run it, and it yields, in this order at each logged step::

    Metrics   every ``metrics_every`` steps (and after each step-once)
    Samples   every ``samples_every`` steps (and after each step-once)
    Status    when an alert is raised, a checkpoint is written or a command is applied
    Progress  after each Metrics

Metrics values (floats): d_loss, g_loss, d_real, d_fake (D's mean belief "real",
in [0, 1], averaged since the last log), lr_g, lr_d, steps_per_s, images_per_s,
epoch (passes over the data, fractional), elapsed and eta (seconds), memory_mb;
at the sample cadence also diversity (see ``metrics.alerts``) and, with a
classifier, fid, coverage and confident (share of samples the classifier is at
least 80% sure about).

Image mode, ``Samples(kind="grid")``: ``images`` uint8 N x H x W x C from fixed
noise (EMA-G when on); ``extra`` = {"cols", "rows", "labels" (int64 (N,) or
None; a conditional grid has one row per class, an InfoGAN grid one per code),
"layout" (what the rows are, in words), "label_names", "ema",
"diversity", and with a classifier "class_share" and "data_share" (float64
(K,): the classifier's share of samples per class, and each class's share of
the training data)}.

Points mode, ``Samples(kind="points2d")``: ``images`` is an empty uint8
(0, 1, 1, 1) array and ``extra`` holds, in data coordinates:
    "real":     float32 R x 2, a fixed subset of the data
    "fake":     float32 M x 2, G's output for fixed noise
    "grid_x":   float32 (W,), "grid_y": float32 (H,), the heatmap's axes
    "d_surface": float32 H x W, D's belief "real" in [0, 1] at (grid_y[i], grid_x[j])
                 (conditional: the mean over classes, weighted by each class's share of the data)
    "grad":     float32 M x 2, minus the gradient of G's loss with respect to each
                fake point: the direction the generator is pushed to move it
    "real_labels", "fake_labels": int64 (R,), (M,) (conditional only)

Inbox commands (``control.send``): ("set_lr_g", x), ("set_lr_d", x),
("step_once", "both" | "d" | "g") (while paused), ("checkpoint", None) and
("stop", None) (write the checkpoint and return). Cancel takes effect before
the next step and writes nothing. A NaN loss rolls the networks back to the
last good state, yields Status(level="error") and pauses the run.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from playground.core.data.dataset import denormalise
from playground.core.device import apply_threads, describe_device, memory_mb, resolve_device
from playground.core.jobs import Job, JobCancelled, JobControl, Metrics, Progress, Samples, Status
from playground.core.metrics.alerts import check_alerts, nan_alert
from playground.core.metrics.frechet import feature_stats, frechet_from_stats
from playground.core.models.classifier import Classifier, class_shares
from playground.core.models.dcgan import with_codes
from playground.core.training.checkpoint import SUBFOLDER, GANCheckpoint, load_checkpoint, save_checkpoint
from playground.core.training.gan_config import GANConfig
from playground.core.training.gan_trainer import WHICH, GANTrainer, d_belief, g_loss_fn
from playground.core.training.history import MetricHistory, SampleHistory

ARCH_FIELDS = ("latent_dim", "g_width", "d_width", "g_upsample", "d_depth", "mlp_hidden", "mlp_layers", "spectral_norm",
               "image_size", "channels", "conditional", "num_classes", "info_codes")
QUALITY_SAMPLES = 256  # samples the classifier judges at each sample step
POINTS_FAKE, POINTS_REAL, SURFACE = 500, 1000, 48


@dataclass(eq=False)
class GANTrainResult:
    step: int  # steps trained in total (a resumed run counts the earlier ones)
    metrics: dict[str, float]  # the last logged value of every metric
    checkpoint: str | None  # the checkpoint folder, if one was written
    elapsed_s: float  # training time in seconds, resumed runs included
    stopped: bool  # True when a "stop" command ended the run early
    history: MetricHistory = field(default_factory=MetricHistory)


class _Batches:
    """Endless shuffled batches of indices on the device (a new permutation per epoch)."""

    def __init__(self, n: int, device: torch.device, seed: int) -> None:
        self.n, self.device = n, device
        self.gen = torch.Generator().manual_seed(seed)
        self.pool = torch.zeros(0, dtype=torch.int64)

    def take(self, k: int) -> torch.Tensor:
        while len(self.pool) < k:
            self.pool = torch.cat([self.pool, torch.randperm(self.n, generator=self.gen)])
        out, self.pool = self.pool[:k], self.pool[k:]
        return out.to(self.device, non_blocking=True)


def train_gan_job(data: Any, config: GANConfig, *, out_dir: str | Path | None = None,
                  resume_from: str | Path | None = None, classifier: Classifier | None = None) -> Job:
    """A job that trains a GAN on ``data`` and returns a ``GANTrainResult``.

    Args:
        data: ``PreparedImages`` (float32 N x C x H x W in [-1, 1]) for a DCGAN, or
            ``PreparedPoints`` / ``PointsDataset`` (float32 N x 2) for the MLP GAN.
        config: run settings; image shape and class count are taken from the data.
        out_dir: run folder; checkpoints go to ``out_dir/checkpoint`` (None: none written).
        resume_from: a checkpoint or run folder; its architecture, weights, optimiser
            states, step count and history carry on, the rest of ``config`` applies.
        classifier: optional judge (image mode) for fid, coverage and class shares.
    """

    def job(control: JobControl) -> Generator[Any, None, GANTrainResult]:
        run = _GANRun(data, config, out_dir, resume_from, classifier)
        return (yield from run.run(control))

    return job


class _GANRun:
    def __init__(self, data: Any, config: GANConfig, out_dir: Any, resume_from: Any, classifier: Classifier | None) -> None:
        self.data, self.out_dir, self.resume_from, self.classifier = data, out_dir, resume_from, classifier
        self.kind = "points" if points_of(data) is not None else "image"
        self.config = config.for_data(data)
        if len(data) < 2:
            raise ValueError("a GAN needs at least 2 training items")

    # ---- setup ------------------------------------------------------------------------------
    def _setup(self) -> list[Status]:
        notes: list[Status] = []
        threads = apply_threads(self.config.cpu_threads)  # in the worker thread: torch threads are per thread
        self.device = device = resolve_device(self.config.device)
        cfg = self.config
        if cfg.mixed_precision and device.type != "cuda":
            notes.append(Status("mixed precision is only used on CUDA; training in float32 on the CPU"))
        self.start_step, self.elapsed0 = 0, 0.0
        self.history, self.samples = MetricHistory(), SampleHistory()
        if self.resume_from is not None:
            ckpt = load_checkpoint(self.resume_from, device)
            self._check_resume(ckpt)
            cfg = self.config = cfg.replace(**{k: getattr(ckpt.config, k) for k in ARCH_FIELDS})
            self.trainer = ckpt.trainer
            assert self.trainer is not None
            self.trainer.config = cfg
            if cfg.ema_decay > 0 and self.trainer.g_ema is None:
                self.trainer.g_ema = copy.deepcopy(self.trainer.g).eval().requires_grad_(False)
            elif cfg.ema_decay == 0:
                self.trainer.g_ema = None
            for opt, lr, betas in ((self.trainer.opt_g, cfg.lr_g, cfg.betas_g), (self.trainer.opt_d, cfg.lr_d, cfg.betas_d)):
                for group in opt.param_groups:
                    group["lr"], group["betas"] = lr, betas
            self.start_step, self.history, self.samples = ckpt.step, ckpt.history, ckpt.samples
            self.elapsed0 = float(ckpt.extra.get("elapsed", 0.0))
            self.trainer.noise.manual_seed(cfg.seed + 1 + 7919 * self.start_step)
            notes.append(Status(f"resumed from step {self.start_step} ({ckpt.path})"))
        else:
            self.trainer = GANTrainer(cfg, device, kind=self.kind)
        self._setup_data()
        self._setup_fixed()
        label = "2D points" if self.kind == "points" else "x".join(str(v) for v in self.data.x.shape[1:])
        where = describe_device(device) if device.type == "cuda" else f"CPU ({threads} thread{'' if threads == 1 else 's'})"
        notes.insert(0, Status(f"training a GAN on {len(self.idx_pool)} items ({label}) on {where}"))
        return notes

    def _check_resume(self, ckpt: GANCheckpoint) -> None:
        if ckpt.kind != self.kind:
            raise ValueError(f"that checkpoint holds a {ckpt.kind} GAN, but this data is {self.kind}")
        if self.kind == "image" and tuple(ckpt.image_shape) != tuple(self.data.x.shape[1:]):
            raise ValueError(f"that checkpoint was trained on {ckpt.image_shape} images, this data is {self.data.x.shape[1:]}")
        if ckpt.config.conditional and list(ckpt.label_names) != list(self.data.label_names):
            raise ValueError("that conditional checkpoint was trained with other classes than this data")

    def _setup_data(self) -> None:
        cfg, data, device = self.config, self.data, self.device
        if self.kind == "points":
            x, self.center, self.scale = normalise_points(points_of(data))
            self.norm = {"kind": "points", "center": self.center.tolist(), "scale": self.scale}
        else:
            x, self.norm = data.x, dict(data.norm)
        labels = np.asarray(data.labels, dtype=np.int64)
        keep = np.flatnonzero(labels >= 0) if cfg.conditional else np.arange(len(labels))
        self.idx_pool = torch.from_numpy(keep)
        on_device = device.type == "cpu" or x.nbytes < 2**30  # keep the data on the GPU when it fits easily
        self.x = torch.from_numpy(np.ascontiguousarray(x)).to(device if on_device else "cpu")
        self.y = torch.from_numpy(np.clip(labels, 0, None)).to(self.x.device)
        self.idx_on_data = self.idx_pool.to(self.x.device)  # batch positions -> item indices
        self.batches = _Batches(len(keep), torch.device("cpu"), cfg.seed + self.start_step)
        counts = np.bincount(labels[labels >= 0], minlength=len(data.label_names)) if len(data.label_names) else np.zeros(0)
        self.data_share = counts / max(1, counts.sum())

    def _setup_fixed(self) -> None:
        cfg, device = self.config, self.device
        gen = torch.Generator().manual_seed(cfg.seed + 12345)
        codes, draw = self.trainer.codes, self.trainer.draw_latent
        lab, self.layout = None, ""
        if self.kind == "points":
            self.cols = self.rows = 0
            z = draw(POINTS_FAKE, gen).cpu()
            lab = torch.randint(0, max(1, cfg.num_classes), (POINTS_FAKE,), generator=gen) if cfg.conditional else None
        elif cfg.conditional:  # one row per class, the same noise in each column
            self.cols, self.rows = 8, cfg.num_classes
            self.layout = "one row per class, the same noise in each column"
            z = draw(self.cols, gen).cpu().repeat(self.rows, 1)
            lab = torch.arange(self.rows).repeat_interleave(self.cols)
        elif codes:  # each code's samples side by side, the same noise for every code: 8, 4 or 2 per code
            per = 8 if codes <= 10 else 4 if codes <= 32 else 2
            self.cols, self.rows = 8, -(-codes * per // 8)
            self.layout = "one row per InfoGAN code" if per == self.cols else f"each run of {per} in a row is one InfoGAN code"
            self.layout += ": G sorted the data into kinds by itself, without labels"
            z = with_codes(draw(per, gen).cpu().repeat(codes, 1), cfg.latent_dim, torch.arange(codes).repeat_interleave(per))
        else:
            n = cfg.sample_count
            self.cols = max(1, int(math.ceil(math.sqrt(n))))
            self.rows = -(-n // self.cols)
            z = draw(n, gen).cpu()
        self.z_fixed, self.lab_fixed = z.to(device), (lab.to(device) if lab is not None else None)
        pick = torch.randperm(len(self.idx_pool), generator=gen)[:64]
        self.real_fixed = self.x[self.idx_pool[pick]].to(device)
        self.real_spread = _spread(self.real_fixed)
        if self.kind == "points":
            pick = self.idx_pool[torch.randperm(len(self.idx_pool), generator=gen)[:POINTS_REAL]]
            self.real_points = (self.x[pick].cpu().numpy() * self.scale + self.center).astype(np.float32)
            self.real_point_labels = self.y[pick].cpu().numpy()
            lo, hi = self.real_points.min(axis=0), self.real_points.max(axis=0)
            pad = 0.25 * (hi - lo) + 1e-3
            self.grid_x = np.linspace(lo[0] - pad[0], hi[0] + pad[0], SURFACE, dtype=np.float32)
            self.grid_y = np.linspace(lo[1] - pad[1], hi[1] + pad[1], SURFACE, dtype=np.float32)
        self.z_quality = self.trainer.draw_latent(QUALITY_SAMPLES, gen)
        self.lab_quality = None
        if cfg.conditional:
            probs = torch.as_tensor(self.data_share, dtype=torch.float64)
            self.lab_quality = torch.multinomial(probs, QUALITY_SAMPLES, replacement=True, generator=gen).to(device)
        self.real_stats = None
        if self.classifier is not None and self.kind == "image":
            pick = self.idx_pool[torch.randperm(len(self.idx_pool), generator=gen)[:1000]]
            self.real_stats = feature_stats(self.classifier.features(self.x[pick].cpu()))

    # ---- the loop ------------------------------------------------------------------------
    def run(self, control: JobControl) -> Generator[Any, None, GANTrainResult]:
        for note in self._setup():
            yield note
        cfg, trainer = self.config, self.trainer
        step, end = self.start_step, self.start_step + cfg.steps
        self.images_seen = step * cfg.batch_size * cfg.d_steps
        sums: dict[str, torch.Tensor] = {}
        counts: dict[str, int] = {}
        active_alerts: set[str] = set()
        last_values: dict[str, float] = {}
        snapshot, snapshot_step = trainer.snapshot(), step  # the last known-good state
        self.train_time = 0.0
        window_t, window_steps, rate = time.monotonic(), 0, float("nan")
        once: list[str] = []
        stopped = False
        checkpoint_path: str | None = None
        self.base_lr = list(trainer.lr)  # the rates the user chose; lr_decay scales them
        yield Progress(step, end, f"step {step}/{end}")
        while step < end:
            for command, value in control.drain():
                status = self._command(command, value, once)
                if status == "checkpoint":
                    checkpoint_path = self._save(step)
                    yield Status(f"checkpoint saved at step {step}" if checkpoint_path else "no run folder: nothing saved", "info" if checkpoint_path else "warning")
                elif status == "stop":
                    stopped = True
                elif isinstance(status, Status):
                    yield status
            if control.cancelled:
                raise JobCancelled()
            if stopped or control.stop_requested:
                stopped = True
                break
            which = "both"
            if control.paused:
                if not once:
                    pause_t = time.monotonic()
                    time.sleep(0.02)
                    window_t += time.monotonic() - pause_t  # paused time is not training time
                    continue
                which = once.pop(0)
            if cfg.lr_decay:  # linear decay to 2% over this run's steps (Miyato et al. 2018 did so too)
                scale = max(0.02, 1.0 - (step - self.start_step) / max(1, cfg.steps))
                trainer.set_lr(g=self.base_lr[0] * scale, d=self.base_lr[1] * scale)
            t0 = time.monotonic()
            out = self._one_step(which)
            step += 1
            window_steps += 1
            for k, v in out.items():
                sums[k] = sums[k] + v if k in sums else v.float().clone()
                counts[k] = counts.get(k, 0) + 1
            self.train_time += time.monotonic() - t0
            forced = which != "both" or control.paused
            log = forced or step % cfg.metrics_every == 0 or step == end
            # On the CPU reading a loss costs nothing; on CUDA only read at the log cadence.
            if (log or self.device.type == "cpu") and not all(math.isfinite(float(v)) for v in sums.values()):
                alert = nan_alert(step, {k: float(v) for k, v in sums.items()}, *trainer.lr)
                trainer.restore(snapshot)
                step = snapshot_step
                sums, counts = {}, {}
                control.pause()
                yield Status((alert.message if alert else f"loss became NaN at step {step}")
                             + f" The networks were rolled back to step {snapshot_step}.", "error")
                continue
            if not log:
                continue
            now = time.monotonic()
            if window_steps and now > window_t and not forced:
                inst = window_steps / (now - window_t)
                rate = inst if math.isnan(rate) else 0.7 * rate + 0.3 * inst
            values = {k: float(s) / counts[k] for k, s in sums.items()}
            fake_g = values.pop("d_fake_g", float("nan"))  # D's belief in the fakes G was shown
            values.setdefault("d_fake", fake_g)  # a G-only step has no D-step reading
            sums, counts = {}, {}
            window_t, window_steps = now, 0
            lr_g, lr_d = trainer.lr
            elapsed = self.elapsed0 + self.train_time
            per_step = cfg.batch_size * (cfg.d_steps if which == "both" else 1)
            values.update(
                lr_g=lr_g, lr_d=lr_d, steps_per_s=rate, images_per_s=rate * per_step,
                epoch=self.images_seen / max(1, len(self.idx_pool)), elapsed=elapsed,
                eta=(end - step) / rate if rate and rate > 0 else float("nan"), memory_mb=memory_mb(self.device),
            )
            snapshot, snapshot_step = trainer.snapshot(), step
            sample_event = None
            if forced or step % cfg.samples_every == 0 or step == end:
                sample_event, sample_values = self._samples(step, keep=not forced)
                values.update(sample_values)
            self.history.append(step, values)
            last_values = values
            yield Metrics(step, values)
            if sample_event is not None:
                yield sample_event
                alerts = {a.kind: a for a in check_alerts(self.history)}
                for kind, alert in alerts.items():
                    if kind not in active_alerts:
                        yield Status(alert.message, alert.level)
                active_alerts = set(alerts)
            if self.out_dir is not None and cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and step < end:
                checkpoint_path = self._save(step)
                yield Status(f"checkpoint saved at step {step}")
            yield Progress(step, end, f"step {step}/{end}")
        if self.out_dir is not None and step > self.start_step:
            checkpoint_path = self._save(step)
            yield Status(f"checkpoint saved at step {step}")
        elif self.out_dir is not None:
            kept = f"the checkpoint of step {step} is kept" if step else "no checkpoint written"
            yield Status(f"stopped before the first training step: {kept}", "warning")
        yield Progress(end if not stopped else step, end, "done" if not stopped else f"stopped at step {step}")
        return GANTrainResult(step, last_values, checkpoint_path, self.elapsed0 + self.train_time, stopped, self.history)

    def _command(self, command: str, value: Any, once: list[str]) -> Any:
        if command in ("set_lr_g", "set_lr_d"):
            try:
                lr = float(value)
                if not (math.isfinite(lr) and lr > 0):
                    raise ValueError
            except (TypeError, ValueError):
                return Status(f"ignored {command}: {value!r} is not a positive learning rate", "warning")
            self.trainer.set_lr(**({"g": lr} if command == "set_lr_g" else {"d": lr}))
            self.base_lr[0 if command == "set_lr_g" else 1] = lr  # with lr_decay, the new starting rate
            return Status(f"learning rate of {'G' if command == 'set_lr_g' else 'D'} set to {lr:g}")
        if command == "step_once":
            which = value or "both"
            if which not in WHICH:
                return Status(f"ignored step_once: {which!r} is not one of {', '.join(WHICH)}", "warning")
            once.append(which)
            return None
        if command in ("checkpoint", "stop"):
            return command
        return Status(f"ignored unknown command {command!r}", "warning")

    def _one_step(self, which: str) -> dict[str, torch.Tensor]:
        cfg = self.config
        k = cfg.batch_size * (cfg.d_steps if which == "both" else 1)
        idx = self.idx_on_data[self.batches.take(k).to(self.x.device)]
        real = self.x[idx].to(self.device, non_blocking=True)
        labels = self.y[idx].to(self.device, non_blocking=True) if cfg.conditional else None
        self.images_seen += k
        return self.trainer.step(real, labels, which)

    # ---- samples and checkpoints ---------------------------------------------------------
    def _samples(self, step: int, keep: bool) -> tuple[Samples, dict[str, float]]:
        trainer = self.trainer
        fake = trainer.sample(self.z_fixed, self.lab_fixed)
        values = {"diversity": float(_spread(fake[:64]) / max(self.real_spread, 1e-8))}
        if self.kind == "points":
            return self._points_view(step, fake), values
        images = denormalise(fake.cpu().numpy(), self.norm)
        extra: dict[str, Any] = {
            "cols": self.cols, "rows": self.rows,
            "labels": self.lab_fixed.cpu().numpy() if self.lab_fixed is not None else None,
            "label_names": list(self.data.label_names), "ema": trainer.g_ema is not None,
            "diversity": values["diversity"], "layout": self.layout,
        }
        if self.classifier is not None and self.real_stats is not None:
            judged = trainer.sample(self.z_quality, self.lab_quality)
            probs = self.classifier.predict_proba(judged.cpu())
            shares = class_shares(probs)
            present = self.data_share > 0
            covered = shares[present] >= 0.25 * self.data_share[present]
            values["coverage"] = float(covered.mean()) if present.any() else float("nan")
            values["confident"] = float((probs.max(axis=1) >= 0.8).mean())
            values["fid"] = frechet_from_stats(*self.real_stats, *feature_stats(self.classifier.features(judged.cpu())))
            extra.update(class_share=shares, data_share=self.data_share.copy())
        if keep:
            self.samples.append(step, images)
        return Samples(step, images, "grid", extra), values

    def _points_view(self, step: int, fake_n: torch.Tensor) -> Samples:
        trainer, cfg = self.trainer, self.config
        gx, gy = np.meshgrid(self.grid_x, self.grid_y)  # H x W each
        grid = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], axis=1))
        grid_n = ((grid - torch.from_numpy(self.center)) / self.scale).to(self.device)
        d_net = trainer.d
        was = d_net.training
        d_net.eval()
        with torch.no_grad():
            if cfg.conditional:  # D's belief for each class, weighted by the class's share of the data
                surface = torch.zeros(len(grid_n), device=self.device)
                for k, share in enumerate(self.data_share):
                    if share > 0:
                        lab_grid = torch.full((len(grid_n),), k, dtype=torch.int64, device=self.device)
                        surface += float(share) * d_belief(cfg.loss, trainer.d(grid_n, lab_grid))
            else:
                surface = d_belief(cfg.loss, trainer.d(grid_n))
            surface = surface.view(len(self.grid_y), len(self.grid_x))
        x = fake_n.detach().clone().requires_grad_(True)
        loss = g_loss_fn(cfg.loss, trainer.d(x, self.lab_fixed)) * len(x)  # per-point gradients, not averaged away
        (grad_n,) = torch.autograd.grad(loss, x)
        d_net.train(was)
        extra: dict[str, Any] = {
            "real": self.real_points,
            "fake": (fake_n.detach().cpu().numpy() * self.scale + self.center).astype(np.float32),
            "grid_x": self.grid_x, "grid_y": self.grid_y,
            "d_surface": surface.float().cpu().numpy().astype(np.float32),
            "grad": (-grad_n.cpu().numpy() / self.scale).astype(np.float32),
        }
        if cfg.conditional:
            extra["real_labels"] = self.real_point_labels
            extra["fake_labels"] = self.lab_fixed.cpu().numpy()
        return Samples(step, np.zeros((0, 1, 1, 1), dtype=np.uint8), "points2d", extra)

    def _save(self, step: int) -> str | None:
        if self.out_dir is None:
            return None
        lr_g, lr_d = self.trainer.lr
        shape = (2,) if self.kind == "points" else tuple(int(v) for v in self.data.x.shape[1:])
        ckpt = GANCheckpoint(
            config=self.config, step=step, kind=self.kind, label_names=list(self.data.label_names), image_shape=shape,
            norm=self.norm, pipeline=dict(getattr(self.data, "pipeline", {}) or {}), history=self.history,
            samples=self.samples, extra={"lr_g": lr_g, "lr_d": lr_d, "elapsed": self.elapsed0 + self.train_time,
                                          "source": getattr(self.data, "source", "") or getattr(self.data, "name", "")},
        )
        return str(save_checkpoint(Path(self.out_dir) / SUBFOLDER, ckpt, self.trainer))


def points_of(data: Any) -> np.ndarray | None:
    """float32 N x 2 for a PointsDataset or PreparedPoints; None for images."""
    pts = getattr(data, "points", None)
    if pts is None:
        x = getattr(data, "x", None)
        pts = x if x is not None and getattr(x, "ndim", 0) == 2 else None
    return None if pts is None else np.asarray(pts, dtype=np.float32)


def normalise_points(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Points (N x 2) centred with unit spread: (normalised points, centre (2,), scale)."""
    center = pts.mean(axis=0)
    scale = float(pts.std(axis=0).max()) or 1.0
    return (pts - center) / scale, center, scale


def _spread(x: torch.Tensor) -> float:
    """Mean pairwise L2 distance between the items of a batch (N x ...)."""
    flat = x.detach().float().reshape(len(x), -1)
    if len(flat) < 2:
        return 0.0
    d = torch.cdist(flat, flat)
    return float(d.sum() / (len(flat) * (len(flat) - 1)))
