"""The GAN family's trainer: data batches into the GAN procedure, and what the Train tab shows.

``GANTrainer`` is what the one training loop (``loop.py``) drives for a GAN. It
puts the prepared data on the device, draws shuffled batches, calls
``GANProcedure.step`` and, at the sample cadence, ``observe`` makes the
pictures: a grid from fixed noise (one row per class when conditional, one
run of samples per InfoGAN code) with the judging classifier's verdicts
(Fréchet distance, coverage, class shares), or for 2D points the GAN Lab view
(``gan_views.points_view``).

Metric values per step: d_loss, g_loss, d_real, d_fake (D's mean belief
"real", in [0, 1]) and info_loss (with an InfoGAN code); at the sample cadence
also diversity and, with a classifier, fid, coverage and confident.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from playground.core.events import ImageGrid, View
from playground.core.metrics.alerts import Alert, check_alerts
from playground.core.metrics.frechet import feature_stats, frechet_from_stats
from playground.core.models.classifier import Classifier, class_shares
from playground.core.models.dcgan import with_codes
from playground.core.models.gan_config import GANConfig
from playground.core.preprocess.prepared import denormalise, normalise_points, points_of
from playground.core.runs.history import MetricHistory
from playground.core.training.batches import Batches
from playground.core.training.gan_procedure import WHICH, GANProcedure
from playground.core.training.gan_views import POINTS_FAKE, points_view, spread
from playground.core.training.run_config import RunConfig
from playground.core.training.trainer import Trainer

QUALITY_SAMPLES = 256  # samples the classifier judges at each sample step


class GANTrainer(Trainer):
    """A GAN being trained on prepared images (DCGAN) or 2D points (MLP GAN).

    Args:
        config: the GAN's settings (fitted to the data here).
        run: the run settings.
        data: ``PreparedImages`` (float32 N x C x H x W in [-1, 1]) or
            ``PreparedPoints`` / ``PointsDataset`` (float32 N x 2).
        device: where to train.
        classifier: optional judge (images) for fid, coverage and class shares.
    """

    parts: ClassVar[tuple[str, ...]] = WHICH  # "both", "d", "g"
    item_noun: ClassVar[str] = "images"  # images_per_s, as the GAN has always logged it (points for a 2D GAN)

    def __init__(self, config: GANConfig, run: RunConfig, data: Any, device: torch.device | str = "cpu",
                 classifier: Classifier | None = None) -> None:
        if len(data) < 2:
            raise ValueError("a GAN needs at least 2 training items")
        self.kind = "points" if points_of(data) is not None else "image"
        self.config, self.run, self.data, self.classifier = config.for_data(data), run, data, classifier
        self.device = torch.device(device)
        self.gan = GANProcedure(self.config, run, self.device, kind=self.kind)
        self._setup_data()
        self._setup_fixed()

    # ---- data -----------------------------------------------------------------------------------
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
        self.batches = Batches(len(keep), self.run.seed)
        counts = np.bincount(labels[labels >= 0], minlength=len(data.label_names)) if len(data.label_names) else np.zeros(0)
        self.data_share = counts / max(1, counts.sum())

    def _setup_fixed(self) -> None:
        """The fixed noise the grid is drawn from, so frames differ only by what G learned."""
        cfg, device = self.config, self.device
        gen = torch.Generator().manual_seed(self.run.seed + 12345)
        codes, draw = self.gan.codes, self.gan.draw_latent
        lab, self.layout = None, ""
        if self.kind == "points":
            self.cols = self.rows = 0
            z = draw(POINTS_FAKE, gen).cpu()
            lab = torch.randint(0, max(1, cfg.num_classes), (POINTS_FAKE,), generator=gen) if cfg.conditional else None
        elif cfg.conditional:
            k = cfg.num_classes
            self.cols, self.rows = 8, k
            z = draw(8, gen).cpu().repeat(k, 1)  # the same 8 noises in every class row
            lab = torch.arange(k).repeat_interleave(8)
            self.layout = "one row per class, the same noise in every row"
        elif codes:
            per = 8 if codes <= 10 else 4
            self.cols = 8
            self.rows = -(-codes * per // self.cols)
            self.layout = "one row per InfoGAN code" if per == 8 else f"each run of {per} in a row is one InfoGAN code"
            self.layout += ": G sorted the data into kinds by itself, without labels"
            z = with_codes(draw(per, gen).cpu().repeat(codes, 1), cfg.latent_dim, torch.arange(codes).repeat_interleave(per))
        else:
            n = cfg.sample_count
            self.cols = max(1, int(math.ceil(math.sqrt(n))))
            self.rows = -(-n // self.cols)
            z = draw(n, gen).cpu()
        self.z_fixed, self.lab_fixed = z.to(device), (lab.to(device) if lab is not None else None)
        pick = torch.randperm(len(self.idx_pool), generator=gen)[:64]
        self.real_spread = spread(self.x[self.idx_pool[pick]].to(device))
        if self.kind == "points":
            from playground.core.training.gan_views import PointsFrame

            self.frame = PointsFrame.fixed(self, gen)
        self.z_quality = self.gan.draw_latent(QUALITY_SAMPLES, gen)
        self.lab_quality = None
        if cfg.conditional:
            probs = torch.as_tensor(self.data_share, dtype=torch.float64)
            self.lab_quality = torch.multinomial(probs, QUALITY_SAMPLES, replacement=True, generator=gen).to(device)
        self.real_stats = None
        if self.classifier is not None and self.kind == "image":
            pick = self.idx_pool[torch.randperm(len(self.idx_pool), generator=gen)[:1000]]
            self.real_stats = feature_stats(self.classifier.features(self.x[pick].cpu()))

    # ---- the loop's contract ------------------------------------------------------------------------
    def train_step(self, part: str) -> dict[str, torch.Tensor]:
        k = self.items_per_step(part)
        idx = self.idx_on_data[self.batches.take(k).to(self.x.device)]
        real = self.x[idx].to(self.device, non_blocking=True)
        labels = self.y[idx].to(self.device, non_blocking=True) if self.config.conditional else None
        out = self.gan.step(real, labels, part)
        if "d_fake_g" in out:  # D's belief in the fakes G was shown stands in when no D step ran
            fake_g = out.pop("d_fake_g")
            out.setdefault("d_fake", fake_g)
        return out

    def items_per_step(self, part: str) -> int:
        return self.run.batch_size * (self.config.d_steps if part == "both" else 1)

    def networks(self) -> dict[str, nn.Module]:
        return self.gan.networks()

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return self.gan.optimizers()

    def epoch(self) -> float:
        return self.batches.epoch

    def snapshot_networks(self) -> dict[str, nn.Module]:
        return {"g_ema": self.gan.g_ema} if self.gan.g_ema is not None else {"g": self.gan.g}

    def describe(self) -> str:
        shape = "2D points" if self.kind == "points" else "x".join(str(v) for v in self.data.x.shape[1:])
        return f"training a GAN on {len(self.idx_pool)} items ({shape})"

    def nan_hint(self) -> str:
        lr_g, lr_d = self.gan.lr
        return (f"lower the learning rate (now G {lr_g:g}, D {lr_d:g}), switch on spectral norm or the hinge loss, "
                "then resume")

    def alerts(self, history: MetricHistory) -> list[Alert]:
        return check_alerts(history)

    def data_info(self) -> dict[str, Any]:
        shape = [2] if self.kind == "points" else [int(v) for v in self.data.x.shape[1:]]
        return {"kind": self.kind, "label_names": list(self.data.label_names), "image_shape": shape, "norm": self.norm}

    def get_state(self) -> dict[str, Any]:
        return {"g_updates": self.gan.g_updates, "noise.rng": self.gan.noise.get_state(), **self.batches.state()}

    def set_state(self, state: dict[str, Any]) -> None:
        if "g_updates" in state:
            self.gan.g_updates = int(state["g_updates"])
        if "noise.rng" in state:
            self.gan.noise.set_state(state["noise.rng"].to(self.gan.noise.get_state().device))
        self.batches.set_state(state)

    def load_checkpoint_state(self, networks: dict[str, dict[str, torch.Tensor]],
                              optimizers: dict[str, dict[str, Any]] | None = None,
                              state: dict[str, Any] | None = None) -> None:
        if "g_ema" not in networks and "g" in networks:  # saved without an EMA: start it from G
            networks = {**networks, "g_ema": networks["g"]}
        super().load_checkpoint_state(networks, optimizers, state)

    # ---- pictures -----------------------------------------------------------------------------------
    def observe(self, step: int, keep: bool) -> tuple[dict[str, float], list[View]]:
        fake = self.gan.sample(self.z_fixed, self.lab_fixed)
        values = {"diversity": float(spread(fake[:64]) / max(self.real_spread, 1e-8))}
        if self.kind == "points":
            return values, [points_view(self, step, fake)]
        images = denormalise(fake.cpu().numpy(), self.norm)
        share = data_share = None
        if self.classifier is not None and self.real_stats is not None:
            judged = self.gan.sample(self.z_quality, self.lab_quality)
            probs = self.classifier.predict_proba(judged.cpu())
            share = class_shares(probs)
            present = self.data_share > 0
            covered = share[present] >= 0.25 * self.data_share[present]
            values["coverage"] = float(covered.mean()) if present.any() else float("nan")
            values["confident"] = float((probs.max(axis=1) >= 0.8).mean())
            values["fid"] = frechet_from_stats(*self.real_stats, *feature_stats(self.classifier.features(judged.cpu())))
            data_share = self.data_share.copy()
        grid = ImageGrid(
            step, images, self.cols, self.rows,
            labels=self.lab_fixed.cpu().numpy() if self.lab_fixed is not None else None,
            label_names=tuple(self.data.label_names), layout=self.layout, class_share=share, data_share=data_share,
            ema=self.gan.g_ema is not None,
        )
        return values, [grid]
