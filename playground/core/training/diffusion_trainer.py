"""The diffusion family's trainer: captioned images into DDPM training, and a fixed-prompt grid to watch.

Each step draws a batch of images with their captions, replaces some captions
by the empty one (so the model also learns the unconditional prediction that
classifier-free guidance needs), noises each image to a random timestep in
closed form, and trains the UNet and the caption encoder to predict the noise
(or v) (Ho et al. 2020, Algorithm 1). A moving average of both networks is
what samples come from.

Metric values per step: loss (mean squared error of the prediction). At the
sample cadence an ``ImageGrid``: one row per fixed prompt, the same seeds in
every row, drawn with the default sampler, steps and guidance.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from playground.core.diffusion.samplers import sample
from playground.core.diffusion.schedule import NoiseSchedule
from playground.core.events import ImageGrid, View
from playground.core.models.diffusion_config import DiffusionConfig
from playground.core.models.diffusion_net import DiffusionNet
from playground.core.models.text_encoder import drop_captions, empty_captions, encode_captions, train_caption_tokenizer
from playground.core.preprocess.prepared import denormalise
from playground.core.training.batches import Batches
from playground.core.training.run_config import RunConfig
from playground.core.training.trainer import Trainer

GRID_PROMPTS = 8  # rows of the training grid (digits get all ten)


def grid_prompts(captions: list[str], labels: np.ndarray, label_names: list[str]) -> list[str]:
    """The prompts the training grid shows: "a handwritten K" for digits; the most common captions when
    captions repeat; else captions that differ in one word ("red heart", "blue heart", "red circle": they
    show whether the model follows the word); else the shortest caption of each class."""
    if label_names and all(n.strip() in "0123456789" and len(n.strip()) == 1 for n in label_names):
        return [f"a handwritten {int(n)}" for n in sorted(label_names, key=int)]
    counts: dict[str, int] = {}
    for c in captions:
        if c:
            counts[c] = counts.get(c, 0) + 1
    if max(counts.values(), default=1) > 1:
        return sorted(counts, key=lambda c: (-counts[c], c))[:GRID_PROMPTS]
    families: dict[str, list[str]] = {}  # "heart": ["red", "blue", ...] from two-word captions
    for c in counts:
        words = c.split()
        if len(words) == 2:
            families.setdefault(words[1], []).append(words[0])
    names = sorted(families)
    best = max(((a, b) for i, a in enumerate(names) for b in names[i + 1 :]),
               key=lambda ab: (len(set(families[ab[0]]) & set(families[ab[1]])), ab), default=None)
    if best is not None:
        common = [w for w in families[best[0]] if w in families[best[1]]]
        if len(common) >= 2:
            words = common[: GRID_PROMPTS // 2]
            return [f"{w} {f}" for f in best for w in words]
    shortest: dict[int, str] = {}
    for caption, label in zip(captions, labels.tolist(), strict=True):
        if caption and (label not in shortest or (len(caption), caption) < (len(shortest[label]), shortest[label])):
            shortest[label] = caption
    return [shortest[k] for k in sorted(shortest)][:GRID_PROMPTS]


class DiffusionTrainer(Trainer):
    """A text-conditioned diffusion model learning captioned images (float32 N x C x H x W in [-1, 1])."""

    item_noun: ClassVar[str] = "images"

    def __init__(self, config: DiffusionConfig, run: RunConfig, data: Any, device: torch.device | str = "cpu") -> None:
        if getattr(data, "norm", {}).get("kind", "minus1_1") != "minus1_1":
            raise ValueError("diffusion needs images scaled to [-1, 1]: set the Normalise step to [-1, 1]")
        captions = [str(c) for c in (data.captions or [])]
        if len(captions) != len(data.x) or not any(captions):
            raise ValueError("diffusion learns images with their captions, and this data has none: use a captioned "
                             "dataset (a sidecar .txt per image, or captions from the file names)")
        self.device, self.run, self.data = torch.device(device), run, data
        self.tokenizer = train_caption_tokenizer(captions)
        self.config = config.for_data(data, self.tokenizer.vocab_size)
        self.schedule = NoiseSchedule(self.config.schedule_config())
        batch = encode_captions(self.tokenizer, captions, self.config.max_caption)
        self.ids, self.mask = batch.ids.to(self.device), batch.mask.to(self.device)
        self.x = torch.from_numpy(np.ascontiguousarray(data.x)).to(self.device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(run.seed)
            self.net = DiffusionNet(self.config).to(self.device)
        self.ema = copy.deepcopy(self.net).eval().requires_grad_(False) if self.config.ema_decay > 0 else None
        self.opt = torch.optim.AdamW(self.net.parameters(), lr=run.learning_rates["model"], weight_decay=0.0)
        self.batches = Batches(len(self.x), run.seed)
        self.noise = torch.Generator().manual_seed(run.seed + 1)
        self.updates = 0
        self.prompts = grid_prompts(captions, np.asarray(data.labels), list(data.label_names))

    # ---- the loop's contract ------------------------------------------------------------------------
    def train_step(self, part: str) -> dict[str, torch.Tensor]:
        idx = self.batches.take(self.run.batch_size).to(self.device)
        x0, ids = self.x[idx], self.ids[idx]
        mask = drop_captions(self.mask[idx], self.config.caption_dropout, self.noise)
        x_t, t, noise = self.schedule.training_example(x0, self.noise)
        self.net.train()
        out = self.net.unet(x_t, t, *self.net.text(ids, mask))
        target = self.schedule.v_target(x0, t, noise) if self.config.prediction == "v" else noise
        loss = F.mse_loss(out, target)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), self.config.grad_clip)
        self.opt.step()
        self.updates += 1
        self._update_ema()
        return {"loss": loss.detach()}

    @torch.no_grad()
    def _update_ema(self) -> None:
        if self.ema is None:
            return
        decay = min(self.config.ema_decay, (1.0 + self.updates) / (10.0 + self.updates))  # warm-up: early weights move fast
        torch._foreach_lerp_(list(self.ema.parameters()), [p.detach() for p in self.net.parameters()], 1.0 - decay)
        for b_ema, b in zip(self.ema.buffers(), self.net.buffers(), strict=True):
            b_ema.copy_(b)

    def items_per_step(self, part: str) -> int:
        return self.run.batch_size

    def networks(self) -> dict[str, nn.Module]:
        return {"net": self.net, **({"ema": self.ema} if self.ema is not None else {})}

    def snapshot_networks(self) -> dict[str, nn.Module]:
        return {"ema": self.ema} if self.ema is not None else {"net": self.net}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"model": self.opt}

    def epoch(self) -> float:
        return self.batches.epoch

    def describe(self) -> str:
        c, h, w = self.x.shape[1:]
        params = sum(p.numel() for p in self.net.parameters())
        return (f"training a diffusion model ({params / 1e6:.2f} M parameters) on {len(self.x):,} captioned images "
                f"({c}x{h}x{w}, {self.tokenizer.vocab_size:,} caption words)")

    def data_info(self) -> dict[str, Any]:
        return {"kind": "image", "tokenizer": self.tokenizer.to_dict(), "image_shape": list(self.x.shape[1:]),
                "norm": dict(getattr(self.data, "norm", {"kind": "minus1_1"})), "label_names": list(self.data.label_names),
                "prompts": self.prompts}

    def files(self) -> dict[str, bytes]:
        """The training images (uint8) and captions, for "is it copying?" and for the prompts the model knows."""
        import io

        buf = io.BytesIO()
        np.savez_compressed(buf, images=denormalise(self.data.x, self.data.norm),
                            captions=np.asarray([str(c) for c in self.data.captions]))
        return {"training.npz": buf.getvalue()}

    def get_state(self) -> dict[str, Any]:
        return {"noise.rng": self.noise.get_state(), "updates": self.updates, **self.batches.state()}

    def set_state(self, state: dict[str, Any]) -> None:
        if "noise.rng" in state:
            self.noise.set_state(state["noise.rng"])
        if "updates" in state:
            self.updates = int(state["updates"])
        self.batches.set_state(state)

    # ---- what the Train tab shows ---------------------------------------------------------------------
    @torch.no_grad()
    def draw(self, prompts: list[str], seeds: int, seed: int = 0) -> np.ndarray:
        """uint8 (len(prompts) * seeds) x H x W x C: each prompt with the same ``seeds`` start noises."""
        net = self.ema if self.ema is not None else self.net
        net.eval()
        captions = [p for p in prompts for _ in range(seeds)]
        batch = encode_captions(self.tokenizer, captions, self.config.max_caption)
        cond = net.text(batch.ids.to(self.device), batch.mask.to(self.device))
        empty = empty_captions(len(captions), self.config.max_caption, self.tokenizer.vocab_size)
        uncond = net.text(empty.ids.to(self.device), empty.mask.to(self.device))
        shape = (len(captions), *self.x.shape[1:])
        sampler = self.config.sampler_config(seed=seed)
        # The same start noise in every row: draw seeds images' worth and repeat them per prompt.
        x = sample(lambda x, t, c: net.eps(self.schedule, self.config.prediction, x, t, c), self.schedule,
                   shape, sampler, cond=cond, uncond=uncond, device=self.device, start=self._start(seeds, len(prompts), seed))
        return denormalise(x.cpu().numpy(), {"kind": "minus1_1"})

    def _start(self, seeds: int, rows: int, seed: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(seed)
        noise = torch.randn((seeds, *self.x.shape[1:]), generator=gen)
        return noise.repeat(rows, 1, 1, 1)

    def observe(self, step: int, keep: bool) -> tuple[dict[str, float], list[View]]:
        images = self.draw(self.prompts, self.config.grid_seeds, seed=self.run.seed)
        grid = ImageGrid(step, images, cols=self.config.grid_seeds, rows=len(self.prompts),
                         layout="one row per prompt, the same start noise in every row", captions=tuple(self.prompts),
                         ema=self.ema is not None)
        return {}, [grid]

