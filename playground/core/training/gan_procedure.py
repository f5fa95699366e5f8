"""The GAN procedure: losses, one discriminator step, one generator step, EMA.

``GANProcedure`` owns the two networks, their Adam optimisers and the moving
average of G; it knows nothing of data, cadence, events or files (the GAN
trainer, ``gan_trainer.py``, feeds it batches; the loop, ``loop.py``, drives
that). ``step(real, labels)`` can be tested alone. Step methods return 0-dim
tensors that stay on the device, so a CUDA run never waits for the GPU unless
someone reads them.

References:
    Goodfellow et al. 2014 (arXiv:1406.2661): the non-saturating G loss.
    Lim & Ye 2017 (arXiv:1705.02894), Miyato et al. 2018: the hinge loss.
    Mao et al. 2017 (arXiv:1611.04076): least squares GAN with targets 0 and 1.
    Chen et al. 2016 (arXiv:1606.03657): InfoGAN's code loss, cross-entropy of
    D's Q head against the code G was given, added to both players' losses.
    Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN
    Training" (arXiv:2006.10738): the same random translation on every image D
    sees, real or fake, differentiable so G learns through it.
    Karras et al. 2018 (arXiv:1710.10196) and Yazici et al. 2019
    (arXiv:1806.04498): an exponential moving average of G's weights.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from playground.core.device import amp_dtype, autocast
from playground.core.models.dcgan import Discriminator, Generator, code_of, draw_latent
from playground.core.models.gan_config import GANConfig
from playground.core.models.mlp_gan import PointDiscriminator, PointGenerator
from playground.core.training.run_config import RunConfig

WHICH = ("both", "d", "g")


def d_loss_fn(loss: str, real: torch.Tensor, fake: torch.Tensor, smoothing: float = 0.0) -> torch.Tensor:
    """Discriminator loss from D's raw outputs on real and fake batches (N,)."""
    target = 1.0 - smoothing
    if loss == "nonsat":
        return F.softplus(-real).mean() * target + F.softplus(real).mean() * smoothing + F.softplus(fake).mean()
    if loss == "hinge":
        return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()
    if loss == "lsgan":
        return 0.5 * ((real - target) ** 2).mean() + 0.5 * (fake**2).mean()
    raise ValueError(f"unknown loss {loss!r}")


def g_loss_fn(loss: str, fake: torch.Tensor) -> torch.Tensor:
    """Generator loss from D's raw outputs on a fake batch (N,)."""
    if loss == "nonsat":
        return F.softplus(-fake).mean()
    if loss == "hinge":
        return -fake.mean()
    if loss == "lsgan":
        return 0.5 * ((fake - 1.0) ** 2).mean()
    raise ValueError(f"unknown loss {loss!r}")


def translate(x: torch.Tensor, generator: torch.Generator, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image of N x C x H x W by its own random whole-pixel offset of up to
    ``ratio`` of its side, repeating the edge pixels; differentiable in ``x``."""
    n, _, h, w = x.shape
    sy, sx = max(1, int(h * ratio + 0.5)), max(1, int(w * ratio + 0.5))
    dy = torch.randint(-sy, sy + 1, (n, 1, 1), generator=generator, device=generator.device).to(x.device)
    dx = torch.randint(-sx, sx + 1, (n, 1, 1), generator=generator, device=generator.device).to(x.device)
    rows = (torch.arange(h, device=x.device)[None, :, None] + dy).clamp(0, h - 1)  # N x H x 1
    cols = (torch.arange(w, device=x.device)[None, None, :] + dx).clamp(0, w - 1)  # N x 1 x W
    batch = torch.arange(n, device=x.device)[:, None, None]
    return x.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)


def d_belief(loss: str, out: torch.Tensor) -> torch.Tensor:
    """D's output as "probability real" in [0, 1]: sigmoid of the logit, or the
    clamped output for least squares (whose targets are 0 and 1)."""
    out = out.float()
    return out.clamp(0.0, 1.0) if loss == "lsgan" else torch.sigmoid(out)


class GANProcedure:
    """G, D, their optimisers and EMA-G, and the step functions.

    Args:
        config: the GAN's settings, already fitted to the data (``for_data``).
        run: the run settings (learning rates "g" and "d", batch size, seed, precision).
        device: where the networks and every batch live.
        kind: "image" (DCGAN) or "points" (MLP GAN on N x 2 points).
    """

    def __init__(self, config: GANConfig, run: RunConfig, device: torch.device | str = "cpu", kind: str = "image") -> None:
        if kind not in ("image", "points"):
            raise ValueError(f"unknown model kind {kind!r}")
        if config.conditional and config.num_classes < 2:
            raise ValueError("a conditional GAN needs num_classes >= 2: call config.for_data(data) first")
        missing = {"g", "d"} - set(run.learning_rates)
        if missing:
            raise ValueError(f"a GAN needs learning rates for G and D (lr_g, lr_d); missing {', '.join(sorted(missing))}")
        self.config, self.run, self.kind, self.device = config, run, kind, torch.device(device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(run.seed)
            if kind == "image":
                self.g: nn.Module = Generator(config.dcgan_config())
                self.d: nn.Module = Discriminator(config.dcgan_config())
            else:
                self.g = PointGenerator(config.mlp_config())
                self.d = PointDiscriminator(config.mlp_config())
        self.g.to(self.device).train()
        self.d.to(self.device).train()
        self.g_ema: nn.Module | None = None
        if config.ema_decay > 0:
            self.g_ema = copy.deepcopy(self.g).eval().requires_grad_(False)
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=run.learning_rates["g"], betas=config.betas_g)
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=run.learning_rates["d"], betas=config.betas_d)
        self.noise = torch.Generator(device=self.device).manual_seed(run.seed + 1)
        self.amp = bool(run.mixed_precision and self.device.type == "cuda")
        fp16 = self.amp and amp_dtype(self.device) == torch.float16
        self.scaler = torch.amp.GradScaler("cuda") if fp16 else None
        self.g_updates = 0  # generator updates so far (drives the EMA warm-up)
        self.codes = config.info_codes if kind == "image" else 0  # the MLP GAN has no InfoGAN code
        self.augment = config.augment == "translate" and kind == "image"

    # ---- noise and labels -------------------------------------------------------------
    @property
    def z_dim(self) -> int:
        """Length of G's input vector: the noise plus the one-hot InfoGAN code."""
        return self.config.latent_dim + self.codes

    def draw_latent(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """G's input for n samples (noise, then the code), drawn on the CPU from
        ``generator`` (or the trainer's own RNG on the device)."""
        return draw_latent(n, self.config.latent_dim, self.codes, generator or self.noise, self.device)

    def latent(self, n: int) -> torch.Tensor:
        """N x z_dim on the device, from the trainer's own RNG."""
        return self.draw_latent(n)

    def _info_loss(self, q_logits: torch.Tensor | None, z: torch.Tensor | None) -> torch.Tensor | float:
        if q_logits is None or z is None:
            return 0.0
        return self.config.info_weight * F.cross_entropy(q_logits.float(), code_of(z, self.config.latent_dim))

    def _d_out(self, x: torch.Tensor, labels: torch.Tensor | None, z: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """D's logits (on augmented images when augmenting), and Q's code logits when
        there is a code to guess (z given)."""
        if self.augment:
            x = translate(x, self.noise)
        if self.codes and z is not None:
            return self.d(x, labels, with_codes=True)
        return self.d(x, labels), None

    def _labels(self, labels: torch.Tensor | None, n: int) -> torch.Tensor | None:
        if not self.config.conditional:
            return None
        if labels is None:
            return torch.randint(0, self.config.num_classes, (n,), generator=self.noise, device=self.device)
        return labels.to(self.device)

    # ---- the two steps --------------------------------------------------------------------
    def _backward(self, loss: torch.Tensor, opt: torch.optim.Optimizer) -> None:
        opt.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(opt)
            self.scaler.update()
        else:
            loss.backward()
            opt.step()

    def d_step(self, real: torch.Tensor, labels: torch.Tensor | None = None, fake: torch.Tensor | None = None,
               z: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """One discriminator update on a real batch and a fresh (or given) fake batch.

        Args:
            real: float N x C x H x W in [-1, 1] (or N x 2 points), on the device.
            labels: int64 (N,) class labels, used when conditional.
            fake: a fake batch to reuse; made from new noise (without gradients) if None.
            z: the latent ``fake`` was made from (its InfoGAN code is what Q must guess).
        Returns:
            {"d_loss", "d_real", "d_fake"} as 0-dim tensors (d_real, d_fake in [0, 1]).
        """
        cfg = self.config
        n = real.shape[0]
        labels = self._labels(labels, n)
        if fake is None:
            z = self.latent(n)
            with torch.no_grad(), autocast(self.device, self.amp):
                fake = self.g(z, labels)
        with autocast(self.device, self.amp):
            out_real, _ = self._d_out(real, labels, None)
            out_fake, q_fake = self._d_out(fake.detach(), labels, z)
            loss = d_loss_fn(cfg.loss, out_real.float(), out_fake.float(), cfg.label_smoothing)
            info = self._info_loss(q_fake, z)
        self._backward(loss + info, self.opt_d)
        return {
            "d_loss": loss.detach(),  # the adversarial part; InfoGAN's term is reported by the G step
            "d_real": d_belief(cfg.loss, out_real.detach()).mean(),
            "d_fake": d_belief(cfg.loss, out_fake.detach()).mean(),
        }

    def g_step(self, n: int | None = None, labels: torch.Tensor | None = None, fake: torch.Tensor | None = None,
               z: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """One generator update (then the EMA update).

        Args:
            n: batch size when no ``fake`` is given (default: the run's).
            labels: int64 (n,) labels for a conditional G; random if None.
            fake: G's output with its graph, to reuse from the D step.
            z: the latent ``fake`` was made from.
        Returns:
            {"g_loss", "d_fake_g"}: G's adversarial loss and D's belief in the fakes it was
            shown, and "info_loss" (the InfoGAN code term both players also minimise) when
            there is a code.
        """
        cfg = self.config
        if fake is None:
            n = n or self.run.batch_size
            labels = self._labels(labels, n)
            z = self.latent(n)
            with autocast(self.device, self.amp):
                fake = self.g(z, labels)
        with autocast(self.device, self.amp):
            out, q_fake = self._d_out(fake, labels if cfg.conditional else None, z)
            loss = g_loss_fn(cfg.loss, out.float())
            info = self._info_loss(q_fake, z)
        self._backward(loss + info, self.opt_g)
        self.opt_d.zero_grad(set_to_none=True)  # G's backward left gradients in D
        self.g_updates += 1
        self._update_ema()
        result = {"g_loss": loss.detach(), "d_fake_g": d_belief(cfg.loss, out.detach()).mean()}
        if isinstance(info, torch.Tensor):  # InfoGAN: how badly Q guesses the code G was given
            result["info_loss"] = info.detach()
        return result

    def step(self, real: torch.Tensor, labels: torch.Tensor | None = None, which: str = "both") -> dict[str, torch.Tensor]:
        """One training step: ``d_steps`` D updates then one G update ("both"), or one of them.

        ``real`` may hold ``d_steps`` batches stacked (the loop passes that); each D
        update takes one chunk. With one D step, G's fake batch is made once,
        detached for D and reused with its graph for G (saves a G forward).
        """
        if which not in WHICH:
            raise ValueError(f"which must be one of {WHICH}, got {which!r}")
        cfg, batch = self.config, self.run.batch_size
        if which == "g":
            n = min(real.shape[0], batch) if real is not None else batch
            lab = labels[:n] if labels is not None else None
            return self.g_step(n, self._labels(lab, n))
        chunks = max(1, min(cfg.d_steps, real.shape[0] // max(1, batch))) if which == "both" else 1
        reals = real.chunk(chunks) if chunks > 1 else [real]
        labs = labels.chunk(chunks) if (labels is not None and chunks > 1) else [labels] * len(reals)
        if which == "d":
            return self.d_step(reals[0], labs[0])
        out: dict[str, torch.Tensor] = {}
        for i in range(cfg.d_steps):
            r, lab = reals[i % len(reals)], labs[i % len(reals)]
            if i == cfg.d_steps - 1:
                lab = self._labels(lab, r.shape[0])
                z = self.latent(r.shape[0])
                with autocast(self.device, self.amp):
                    fake = self.g(z, lab)  # with graph, for the G step
                out = self.d_step(r, lab, fake=fake, z=z)
                out.update(self.g_step(labels=lab, fake=fake, z=z))
            else:
                out = self.d_step(r, lab)
        return out

    @torch.no_grad()
    def _update_ema(self) -> None:
        if self.g_ema is None:
            return
        n = self.g_updates
        decay = min(self.config.ema_decay, (1.0 + n) / (10.0 + n))  # warm-up: early G moves fast
        ema_p = [p for p in self.g_ema.parameters()]
        torch._foreach_lerp_(ema_p, [p.detach() for p in self.g.parameters()], 1.0 - decay)
        for b_ema, b in zip(self.g_ema.buffers(), self.g.buffers(), strict=True):
            b_ema.copy_(b)

    # ---- sampling --------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, z: torch.Tensor, labels: torch.Tensor | None = None, ema: bool = True) -> torch.Tensor:
        """G(z) in eval mode (the EMA copy when there is one and ``ema``), on the device.

        Returns float32 N x C x H x W in [-1, 1] (or N x 2 normalised points).
        """
        net = self.g_ema if (ema and self.g_ema is not None) else self.g
        was_training = net.training
        net.eval()
        try:
            with autocast(self.device, self.amp):
                out = net(z.to(self.device), self._labels(labels, z.shape[0]))
        finally:
            net.train(was_training)
        return out.float()

    # ---- learning rates and state -------------------------------------------------------
    def set_lr(self, g: float | None = None, d: float | None = None) -> None:
        """Change learning rates mid-run (takes effect at the next step)."""
        for value, opt in ((g, self.opt_g), (d, self.opt_d)):
            if value is None:
                continue
            if not (value > 0.0):
                raise ValueError(f"a learning rate must be positive, got {value}")
            for group in opt.param_groups:
                group["lr"] = float(value)

    @property
    def lr(self) -> tuple[float, float]:
        """(lr_g, lr_d) in force now."""
        return float(self.opt_g.param_groups[0]["lr"]), float(self.opt_d.param_groups[0]["lr"])

    def networks(self) -> dict[str, nn.Module]:
        """{"g", "d", and "g_ema" when the EMA is on}: the names in the checkpoint."""
        out = {"g": self.g, "d": self.d}
        if self.g_ema is not None:
            out["g_ema"] = self.g_ema
        return out

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"g": self.opt_g, "d": self.opt_d}
