"""Generate images from a prompt with a trained diffusion checkpoint, and show how noise becomes a picture.

    gen = load_generator("digits")   # playground.core.families.generators
    result = gen.generate(ImageRequest("a handwritten 7", n=4, seed=1), film=True)
    result.images, result.film  # uint8 4 x 28 x 28 x 1, and each step's noisy image and clean guess

Only the networks sampling needs are built (the moving-average copies when the
run kept them). Words of a prompt the model never saw in its captions are
reported (``ImageResult.unknown``), not silently dropped.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import torch

from playground.core.device import sampling_threads
from playground.core.diffusion.samplers import sample
from playground.core.diffusion.schedule import NoiseSchedule
from playground.core.models.diffusion_config import SAMPLERS, DiffusionConfig
from playground.core.models.diffusion_net import DiffusionNet
from playground.core.models.text_encoder import empty_captions, encode_captions
from playground.core.preprocess.prepared import denormalise
from playground.core.preprocess.tokenizer import Tokenizer
from playground.core.runs.checkpoint import Checkpoint, CheckpointError

MAX_BATCH = 64  # images per sampling pass; larger requests run in several


@dataclass(frozen=True)
class ImageRequest:
    prompt: str  # what to draw, in the words of the captions the model learned ("" draws without a prompt)
    n: int = 1  # how many images (different start noise each)
    steps: int = 20  # denoising steps (network evaluations)
    sampler: str = "ddim"  # "ddim", "ddpm" or "dpm++2m"
    guidance: float = 4.0  # classifier-free guidance scale: 0 ignores the prompt, 1 follows it as learned, more: harder
    seed: int = 0  # the same seed gives the same images

    def __post_init__(self) -> None:
        if not 1 <= self.n <= 4096:
            raise ValueError(f"ask for between 1 and 4,096 images, not {self.n}")
        if not 1 <= self.steps <= 1000:
            raise ValueError(f"steps must be between 1 and 1,000, not {self.steps}")
        if self.sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.sampler!r}: choose one of {', '.join(SAMPLERS)}")
        if not 0 <= self.guidance <= 30:
            raise ValueError(f"guidance must be between 0 and 30, not {self.guidance}")


@dataclass(frozen=True)
class ImageResult:
    request: ImageRequest
    images: np.ndarray  # uint8 N x H x W x C
    unknown: tuple[str, ...] = ()  # prompt words the captions never had
    film: list[tuple[int, np.ndarray, np.ndarray]] = field(default_factory=list)  # (timestep, noisy x_t, clean guess x0), uint8


@dataclass(frozen=True)
class AudioResult:
    request: ImageRequest
    clips: np.ndarray  # float32 N x L in [-1, 1], mono, at ``sample_rate``
    sample_rate: int
    spectrograms: np.ndarray  # float32 N x bands x frames in [-1, 1] (the model's drawing; -1 is silence)
    unknown: tuple[str, ...] = ()
    film: list[tuple[int, np.ndarray, np.ndarray]] = field(default_factory=list)  # (timestep, x_t, x0) spectrograms


class DiffusionGenerator:
    """A trained text-conditioned diffusion model, ready to draw."""

    family: ClassVar[str] = "diffusion"

    def __init__(self, checkpoint: Checkpoint, config: DiffusionConfig, device: torch.device) -> None:
        self.checkpoint, self.config, self.device = checkpoint, config, device
        try:
            self.tokenizer = Tokenizer.from_dict(checkpoint.data.get("tokenizer"))
            self.net = DiffusionNet(config)
            self.net.load_state_dict(checkpoint.networks.get("ema", checkpoint.networks.get("net")))
        except (RuntimeError, KeyError, ValueError, TypeError) as exc:
            raise CheckpointError(f"checkpoint {checkpoint.path} is damaged: the weights or the caption vocabulary do "
                                  f"not fit config.json ({str(exc)[:200]})") from None
        self.net.to(device).eval().requires_grad_(False)
        self.schedule = NoiseSchedule(config.schedule_config())
        self.shape = (config.channels, config.height, config.image_width)
        self.kind = str(checkpoint.data.get("kind", "image"))  # "image" or "audio"
        self.sample_rate = int(checkpoint.data.get("sample_rate", 16000))
        self.mel = config.mel_config(self.sample_rate) if self.kind == "audio" else None
        self._training: tuple[np.ndarray, list[str]] | None = None

    @property
    def prompts(self) -> list[str]:
        """Prompts the model was shown while training (the grid's rows)."""
        return [str(p) for p in self.checkpoint.data.get("prompts", [])]

    def unknown_words(self, prompt: str) -> list[str]:
        """Words of ``prompt`` the model never saw in its captions."""
        return encode_captions(self.tokenizer, [prompt], self.config.max_caption).unknown[0]

    @torch.no_grad()
    def generate(self, request: ImageRequest, *, on_step: Callable[[int, int], None] | None = None,
                 cancel: Callable[[], bool] | None = None, film: bool = False) -> ImageResult:
        """Draw ``request.n`` images.

        Args:
            on_step: called with (step done, steps in all) as sampling goes.
            cancel: polled before each step; True raises ``JobCancelled``.
            film: keep, for the first image, each step's noisy input and clean guess (the filmstrip).
        """
        x, frames = self._run(request, on_step, cancel, film, pixels=True)
        unknown = tuple(self.unknown_words(request.prompt))
        return ImageResult(request, x, unknown, frames)

    @torch.no_grad()
    def generate_audio(self, request: ImageRequest, *, on_step: Callable[[int, int], None] | None = None,
                       cancel: Callable[[], bool] | None = None, film: bool = False) -> AudioResult:
        """Draw ``request.n`` sounds as spectrograms and turn them into waveforms (Griffin-Lim)."""
        if self.mel is None:
            raise ValueError("this model draws images, not sounds")
        specs, frames = self._run(request, on_step, cancel, film, pixels=False)
        return AudioResult(request, self.to_audio(specs), self.sample_rate, specs, tuple(self.unknown_words(request.prompt)),
                           frames)

    @torch.no_grad()
    def draw_prompts(self, prompts: list[str], request: ImageRequest) -> np.ndarray:
        """One drawing per prompt (start noise from ``request.seed``, batched): uint8 images N x H x W x C,
        or for a sound model float spectrograms N x bands x frames (``to_audio`` makes them sounds)."""
        gen = torch.Generator().manual_seed(request.seed)
        start = torch.randn((len(prompts), *self.shape), generator=gen)
        parts = []
        for first in range(0, len(prompts), MAX_BATCH):
            x = self._sample(request, prompts[first : first + MAX_BATCH], start[first : first + MAX_BATCH], None, None,
                             request.seed + first)
            parts.append(self._pixels(x) if self.kind == "image" else x[:, 0].float().cpu().numpy())
        return np.concatenate(parts) if parts else np.zeros((0, *self.shape[1:]), np.float32)

    def to_audio(self, spectrograms: np.ndarray) -> np.ndarray:
        """float32 N x L waveforms of model-scale spectrograms (N x bands x frames in [-1, 1])."""
        from playground.core.preprocess.mel import denormalise_log_mel, mel_to_audio, unpool_frames

        log_mel = denormalise_log_mel(torch.as_tensor(spectrograms, dtype=torch.float32), self.mel)
        frames = self.mel.frames(int(self.checkpoint.data.get("samples", self.mel.samples(log_mel.shape[-1]))))
        return mel_to_audio(unpool_frames(log_mel, self.config.mel_pool, frames), self.mel).numpy()

    def _run(self, request: ImageRequest, on_step: Callable[[int, int], None] | None, cancel: Callable[[], bool] | None,
             film: bool, pixels: bool) -> tuple[np.ndarray, list[tuple[int, np.ndarray, np.ndarray]]]:
        """Sample in batches; uint8 images (``pixels``) or float spectrograms, and the first item's filmstrip."""

        def show(x: torch.Tensor) -> np.ndarray:
            return self._pixels(x) if pixels else x[:, 0].float().cpu().numpy()

        gen = torch.Generator().manual_seed(request.seed)
        start = torch.randn((request.n, *self.shape), generator=gen)
        images, frames = [], []
        batches = range(0, request.n, MAX_BATCH)
        total = len(batches) * request.steps
        for b, first in enumerate(batches):
            n = min(MAX_BATCH, request.n - first)

            def step(i: int, steps: int, x_t: torch.Tensor, x0: torch.Tensor, b: int = b) -> None:
                if film and b == 0:
                    t = self.schedule.timesteps(steps)[i]
                    frames.append((t, show(x_t[:1].clamp(-1, 1))[0], show(x0[:1])[0]))
                if on_step is not None:
                    on_step(b * request.steps + i + 1, total)

            x = self._sample(request, [request.prompt] * n, start[first : first + n], step, cancel, request.seed + b)
            images.append(show(x))
        return np.concatenate(images), frames

    def _sample(self, request: ImageRequest, prompts: list[str], start: torch.Tensor, on_step, cancel, seed: int) -> torch.Tensor:
        batch = encode_captions(self.tokenizer, prompts, self.config.max_caption)
        cond = self.net.features(batch)
        uncond = self.net.features(empty_captions(len(prompts), self.config.max_caption, self.tokenizer.vocab_size))
        config = self.config.sampler_config(sampler=request.sampler, steps=request.steps, guidance=request.guidance,
                                            seed=seed)
        with sampling_threads():  # one thread samples faster while OpenMP threads sleep between operations
            return sample(lambda x, t, c: self.net.eps(self.schedule, self.config.prediction, x, t, c), self.schedule,
                          tuple(start.shape), config, cond=cond, uncond=uncond, device=self.device, on_step=on_step,
                          cancel=cancel, start=start)

    def _pixels(self, x: torch.Tensor) -> np.ndarray:
        return denormalise(x.float().cpu().numpy(), {"kind": "minus1_1"})

    def noised(self, image: np.ndarray, timestep: int, seed: int = 0) -> np.ndarray:
        """The forward process: uint8 H x W x C ``image`` noised to ``timestep`` (0 = the image, T-1 = static)."""
        x0 = torch.from_numpy(image.astype(np.float32) / 127.5 - 1.0).permute(2, 0, 1)[None]
        noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed))
        t = torch.tensor([int(np.clip(timestep, 0, self.schedule.steps - 1))])
        return self._pixels(self.schedule.q_sample(x0, t, noise).clamp(-1, 1))[0]

    def training_images(self) -> tuple[np.ndarray, list[str]]:
        """The training images (uint8 N x H x W x C) and captions, when the checkpoint kept them."""
        if self._training is None:
            blob = self.checkpoint.files.get("training.npz")
            if blob is None:
                raise ValueError("this checkpoint did not keep its training images")
            with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
                self._training = (npz["images"], [str(c) for c in npz["captions"]])
        return self._training

    def card(self) -> dict[str, object]:
        ck = self.checkpoint
        return {"family": "diffusion", "kind": self.kind, "source": ck.extra.get("source", ""), "steps": ck.step,
                "elapsed_s": float(ck.extra.get("elapsed", float("nan"))),
                "loss": ck.history.last("loss"), "vocabulary": self.tokenizer.vocab_size,
                "image": "x".join(str(v) for v in self.shape), "parameters": sum(p.numel() for p in self.net.parameters()),
                "data_sha256": ck.extra.get("data_sha256", ""), "path": str(ck.path),
                "guidance_until": self.config.guidance_until, "pitch_hint": self.config.uses_pitch_hint}
