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
from playground.core.data.note_captions import caption_for
from playground.core.events import AudioClips, ImageGrid, View
from playground.core.models.diffusion_config import DiffusionConfig
from playground.core.models.diffusion_net import DiffusionNet
from playground.core.models.text_encoder import (
    drop_captions,
    empty_captions,
    encode_captions,
    normalise_caption,
    train_caption_tokenizer,
)
from playground.core.preprocess.mel import (
    denormalise_log_mel,
    log_mel,
    mel_to_audio,
    normalise_log_mel,
    pool_frames,
    unpool_frames,
)
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


def training_captions(data: Any) -> tuple[np.ndarray, list[str]]:
    """The items a diffusion model learns (never the held-out ones) and their captions.

    Raises:
        ValueError: the data has no captions.
    """
    captions = [str(c) for c in (getattr(data, "captions", None) or [])]
    if len(captions) != len(data.x) or not any(captions):
        raise ValueError("diffusion learns images with their captions, and this data has none: use a captioned "
                         "dataset (a sidecar .txt per image, or captions from the file names)")
    heldout = getattr(data, "heldout", None)
    kept = np.flatnonzero(~heldout) if heldout is not None else np.arange(len(data.x))
    return kept, [captions[i] for i in kept]


def focus_items(captions: list[str], words: frozenset[str]) -> np.ndarray:
    """bool per caption: whether it has one of ``words`` (lower case), split as the caption tokenizer splits
    it ("heart-eyes" has "heart").

    Raises:
        ValueError: focus words were given and no caption has any of them.
    """
    if not words:
        return np.zeros(len(captions), dtype=bool)
    hit = np.array([not words.isdisjoint(normalise_caption(c).split()) for c in captions], dtype=bool)
    if not hit.any():
        raise ValueError(f"focus words: no caption has any of {', '.join(sorted(words))}: check the spelling, or "
                         "clear the focus words")
    return hit


def shift_and_zoom(x: torch.Tensor, shift: int, zoom: float, gen: torch.Generator) -> torch.Tensor:
    """Each image of ``x`` (N x C x H x W) moved by a random whole number of pixels in [-shift, shift] each way
    and shrunk by a random factor in [1 - zoom, 1] about its centre; what comes in from outside repeats the
    edge (a white background stays white). Without zoom the pixels are copied exactly. Nothing grows: a grown
    image is cut by the frame (emoji trained so filled their frames)."""
    n, _c, h, w = x.shape
    dx = torch.randint(-shift, shift + 1, (n,), generator=gen)
    dy = torch.randint(-shift, shift + 1, (n,), generator=gen)
    if zoom == 0:  # read each pixel from (row - dy, column - dx), clamped into the image: the edge repeats
        rows = (torch.arange(h) - dy[:, None]).clamp(0, h - 1).to(x.device)  # N x H
        cols = (torch.arange(w) - dx[:, None]).clamp(0, w - 1).to(x.device)  # N x W
        picked = x[torch.arange(n, device=x.device)[:, None, None], :, rows[:, :, None], cols[:, None, :]]  # N x H x W x C
        return picked.permute(0, 3, 1, 2)
    scale = 1.0 - torch.rand(n, generator=gen) * zoom
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0 / scale  # output pixel -> where it is read from (normalised coordinates)
    theta[:, 0, 2], theta[:, 1, 2] = -2.0 * dx.float() / w, -2.0 * dy.float() / h
    grid = F.affine_grid(theta.to(x.device), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def note_prompts(labels: np.ndarray, label_names: list[str], pitches: np.ndarray) -> list[str]:
    """"a <instrument> playing <note>" for up to 8 instruments, each at the middle of the notes it has."""
    prompts = []
    present = sorted({int(k) for k in labels if k >= 0})
    pick = [present[i] for i in np.linspace(0, len(present) - 1, min(GRID_PROMPTS, len(present))).round().astype(int)]
    for k in dict.fromkeys(pick):
        notes = np.sort(pitches[labels == k])
        prompts.append(caption_for(label_names[k], int(notes[len(notes) // 2]), 80))
    return prompts


class DiffusionTrainer(Trainer):
    """A text-conditioned diffusion model learning captioned images (float32 N x C x H x W in [-1, 1])."""

    item_noun: ClassVar[str] = "images"

    def __init__(self, config: DiffusionConfig, run: RunConfig, data: Any, device: torch.device | str = "cpu") -> None:
        if getattr(data, "norm", {}).get("kind", "minus1_1") != "minus1_1":
            raise ValueError("diffusion needs images scaled to [-1, 1]: set the Normalise step to [-1, 1]")
        self.kept, captions = training_captions(data)
        self.device, self.run, self.data = torch.device(device), run, data
        self.audio = getattr(data, "sample_rate", None) is not None
        self.tokenizer = train_caption_tokenizer(captions)
        self.config = config.for_data(data, self.tokenizer.vocab_size)
        self.schedule = NoiseSchedule(self.config.schedule_config())
        batch = encode_captions(self.tokenizer, captions, self.config.max_caption)
        self.ids, self.mask, self.midi = batch.ids.to(self.device), batch.mask.to(self.device), batch.midi.to(self.device)
        if self.audio:  # a sound is learned as its log-mel spectrogram, a 1 x bands x frames image in [-1, 1]
            self.mel = self.config.mel_config(int(data.sample_rate))
            waves = torch.from_numpy(np.ascontiguousarray(data.x[self.kept]))
            spec = pool_frames(log_mel(waves, self.mel), self.config.mel_pool)
            x = normalise_log_mel(spec, self.mel).clamp(-1.0, 1.0)[:, None]
        else:
            x = torch.from_numpy(np.ascontiguousarray(data.x[self.kept]))
        self.x = x.to(self.device)
        self.captions = captions
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(run.seed)
            self.net = DiffusionNet(self.config).to(self.device)
        self.ema = copy.deepcopy(self.net).eval().requires_grad_(False) if self.config.ema_decay > 0 else None
        self.opt = torch.optim.AdamW(self.net.parameters(), lr=run.learning_rates["model"], weight_decay=0.0)
        self.focused = focus_items(captions, self.config.focus)
        self.batches = Batches(len(self.x), run.seed, np.where(self.focused, self.config.focus_times, 1))
        self.noise = torch.Generator().manual_seed(run.seed + 1)
        if self.config.augments and self.audio:
            raise ValueError("augment_shift and augment_zoom are for images: moving a spectrogram changes its pitch; "
                             "set both to 0")
        self.moves = torch.Generator().manual_seed(run.seed + 2)  # the augmentation's own draws
        self.updates = 0
        labels = np.asarray(data.labels)[self.kept]
        pitches = getattr(data, "pitches", None)
        self.prompts = (note_prompts(labels, list(data.label_names), np.asarray(pitches)[self.kept])
                        if self.audio and pitches is not None else grid_prompts(captions, labels, list(data.label_names)))

    # ---- the loop's contract ------------------------------------------------------------------------
    def train_step(self, part: str) -> dict[str, torch.Tensor]:
        idx = self.batches.take(self.run.batch_size).to(self.device)
        x0, ids = self.x[idx], self.ids[idx]
        if self.config.augments:
            x0 = shift_and_zoom(x0, self.config.augment_shift, self.config.augment_zoom, self.moves)
        mask = drop_captions(self.mask[idx], self.config.caption_dropout, self.noise)
        x_t, t, noise = self.schedule.training_example(x0, self.noise)
        self.net.train()
        out = self.net(x_t, t, self.net.text(ids, mask, self.midi[idx]))
        target = self.schedule.v_target(x0, t, noise) if self.config.prediction == "v" else noise
        weight = self.schedule.min_snr_weight(t, self.config.min_snr, self.config.prediction)  # N (ones when off)
        loss = (F.mse_loss(out, target, reduction="none").mean(dim=(1, 2, 3)) * weight).mean()
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
        what = (f"{len(self.x):,} captioned sounds as {h}x{w} spectrograms"
                + (f" ({len(self.data.x) - len(self.x):,} held out)" if len(self.x) < len(self.data.x) else "")
                if self.audio else f"{len(self.x):,} captioned images ({c}x{h}x{w})")
        focus = (f"; {int(self.focused.sum()):,} with {', '.join(sorted(self.config.focus))} drawn "
                 f"{self.config.focus_times}x as often" if self.focused.any() and self.config.focus_times > 1 else "")
        if self.config.augments:
            focus += (f"; each moved up to {self.config.augment_shift} px and shrunk by up to "
                      f"{self.config.augment_zoom:.0%} at random each time it is drawn")
        return (f"training a diffusion model ({params / 1e6:.2f} M parameters) on {what}, "
                f"{self.tokenizer.vocab_size:,} caption words{focus}")

    def data_info(self) -> dict[str, Any]:
        info = {"kind": "audio" if self.audio else "image", "tokenizer": self.tokenizer.to_dict(),
                "image_shape": list(self.x.shape[1:]), "label_names": list(self.data.label_names), "prompts": self.prompts,
                "norm": dict(getattr(self.data, "norm", {"kind": "minus1_1"}))}
        if self.audio:
            info.update(sample_rate=int(self.data.sample_rate), samples=int(self.data.x.shape[1]),
                        mel={"hop": self.mel.hop, "n_mels": self.mel.n_mels, "n_fft": self.mel.n_fft,
                             "pool": self.config.mel_pool})
        return info

    def files(self) -> dict[str, bytes]:
        """The training images (uint8; spectrograms for sound) with their captions and dataset indices, for
        "is it copying?" and for the prompts the model knows."""
        import io

        pixels = denormalise(self.x.cpu().numpy(), {"kind": "minus1_1"})
        buf = io.BytesIO()
        np.savez_compressed(buf, images=pixels, captions=np.asarray(self.captions), index=self.kept.astype(np.int64))
        return {"training.npz": buf.getvalue()}

    def get_state(self) -> dict[str, Any]:
        return {"noise.rng": self.noise.get_state(), "moves.rng": self.moves.get_state(), "updates": self.updates,
                **self.batches.state()}

    def set_state(self, state: dict[str, Any]) -> None:
        if "noise.rng" in state:
            self.noise.set_state(state["noise.rng"])
        if "moves.rng" in state:
            self.moves.set_state(state["moves.rng"])
        if "updates" in state:
            self.updates = int(state["updates"])
        self.batches.set_state(state)

    # ---- what the Train tab shows ---------------------------------------------------------------------
    @torch.no_grad()
    def draw(self, prompts: list[str], seeds: int, seed: int = 0) -> torch.Tensor:
        """float (len(prompts) * seeds) x C x H x W in [-1, 1]: each prompt with the same ``seeds`` start noises."""
        net = self.ema if self.ema is not None else self.net
        net.eval()
        captions = [p for p in prompts for _ in range(seeds)]
        batch = encode_captions(self.tokenizer, captions, self.config.max_caption)
        cond = net.features(batch)
        uncond = net.features(empty_captions(len(captions), self.config.max_caption, self.tokenizer.vocab_size))
        shape = (len(captions), *self.x.shape[1:])
        sampler = self.config.sampler_config(seed=seed)
        # The same start noise in every row: draw seeds images' worth and repeat them per prompt.
        return sample(lambda x, t, c: net.eps(self.schedule, self.config.prediction, x, t, c), self.schedule,
                      shape, sampler, cond=cond, uncond=uncond, device=self.device,
                      start=self._start(seeds, len(prompts), seed)).cpu()

    def _start(self, seeds: int, rows: int, seed: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(seed)
        noise = torch.randn((seeds, *self.x.shape[1:]), generator=gen)
        return noise.repeat(rows, 1, 1, 1)

    def observe(self, step: int, keep: bool) -> tuple[dict[str, float], list[View]]:
        if self.audio:  # one sound per prompt, heard through Griffin-Lim
            specs = self.draw(self.prompts, 1, seed=self.run.seed)[:, 0]  # N x bands x frames
            frames = self.mel.frames(int(self.data.x.shape[1]))
            waves = mel_to_audio(unpool_frames(denormalise_log_mel(specs, self.mel), self.config.mel_pool, frames), self.mel)
            return {}, [AudioClips(step, waves.numpy(), self.mel.sample_rate, tuple(self.prompts), specs.numpy())]
        images = denormalise(self.draw(self.prompts, self.config.grid_seeds, seed=self.run.seed).numpy(),
                             {"kind": "minus1_1"})
        grid = ImageGrid(step, images, cols=self.config.grid_seeds, rows=len(self.prompts),
                         layout="one row per prompt, the same start noise in every row: " + " | ".join(self.prompts),
                         captions=tuple(self.prompts), ema=self.ema is not None)
        return {}, [grid]

