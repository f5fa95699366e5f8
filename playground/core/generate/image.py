"""Jobs behind the Generate tab's Images section: load a model, draw with a filmstrip, compare seeds and
snapshots, show the forward process, and find the nearest training images.

    model = run_to_end(load_image_model_job("runs/digits"))
    gen = run_to_end(generate_images_job(model, ImageRequest("a handwritten 7", n=4, seed=1)))
    gen.images, gen.film[3], gen.unguided[3]    # each step: (t, noisy x_t, clean guess x0), guided and not
    run_to_end(forward_job(model, 12)).frames   # training image 12 noised step by step to static
    run_to_end(copying_job(model, gen.images[0])).distances

Outputs are plain records of numpy arrays; the section only draws them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from playground.core.events import Progress, Status
from playground.core.families.generators import load_generator
from playground.core.generate.image_drawers import Drawer, drawer_for
from playground.core.generate.media import TrainingSet, k_nearest, model_kind, snapshot_steps, stream_steps, training_set
from playground.core.generators.diffusion_generator import MAX_BATCH, ImageRequest, ImageResult
from playground.core.generators.receipts import Receipt, png_with_receipt
from playground.core.jobs import Job, JobControl

DEVICE = "cpu"  # what a receipt is verified against; small models draw fast enough on a CPU
FORWARD_FRAMES = 41  # positions of the forward-process slider, from the image (t = 0) to static (t = T - 1)
NEIGHBOURS = 4  # training images shown beside a generated one

Frame = tuple[int, np.ndarray, np.ndarray]  # (timestep, noisy x_t, clean guess x0), uint8 H x W x C each


@dataclass(frozen=True, eq=False)
class ImageModel:
    """A loaded image model and what its outputs are compared with."""

    ref: str  # what loads it again (a bundled name or a folder); receipts name it
    drawer: Drawer  # the family's drawer over its generator
    snapshots: tuple[int, ...]  # steps of the run's weight snapshots (time travel), oldest first
    training: TrainingSet | None = None  # the training images and captions the checkpoint kept

    @property
    def generator(self) -> Any:
        return self.drawer.generator


@dataclass(frozen=True, eq=False)
class ImageGeneration:
    """One drawing: its request and images, and for a diffusion model every step of the first image."""

    model: str  # the ImageModel's ref
    snapshot: int | None  # the weight snapshot used (time travel), or None for the final weights
    result: ImageResult  # request, images (uint8 N x H x W x C), unknown words, filmstrip of image 0
    unguided: tuple[Frame, ...] = field(default=())  # image 0 with the same seed at guidance 0, each step

    @property
    def request(self) -> ImageRequest:
        return self.result.request

    @property
    def images(self) -> np.ndarray:
        return self.result.images

    @property
    def film(self) -> tuple[Frame, ...]:
        return tuple(self.result.film)

    @property
    def unknown(self) -> tuple[str, ...]:
        return self.result.unknown


def load_image_model_job(ref: str, device: str = DEVICE) -> Job:
    """Job: load the diffusion model or conditional GAN at ``ref`` -> ``ImageModel``.

    Raises:
        CheckpointError: a missing or damaged checkpoint (one line for the user).
        ValueError: a model that draws no images (a GPT, a sound model, a points GAN).
    """

    def job(control: JobControl) -> Generator[Any, None, ImageModel]:
        yield Status(f"loading {ref}")
        if model_kind(ref)[1] == "audio":
            raise ValueError(f"{ref} makes sounds, not pictures: open it in the Sound section")
        drawer = drawer_for(load_generator(ref, device))
        control.checkpoint()
        return ImageModel(ref, drawer, snapshot_steps(drawer.generator), training_set(drawer.generator))

    return job


def _draw(model: ImageModel, drawer: Drawer, request: ImageRequest, control: JobControl, *, snapshot: int | None,
          compare: bool, what: str) -> Generator[Any, None, ImageGeneration]:
    """Draw ``request`` (streaming Progress); for a drawer with guidance, image 0 again at guidance 0."""
    film = drawer.filmstrip
    compare = compare and drawer.guided and film and request.guidance != 0
    total = request.steps * -(-request.n // MAX_BATCH) * (2 if compare else 1) if film else request.n
    result = yield from stream_steps(lambda on_step, cancel: drawer.draw(request, on_step, cancel, film=film),
                                     control, what, total=total)
    unguided: tuple[Frame, ...] = ()
    if compare:
        # The same n, so a stochastic sampler's noise for image 0 is the same draw as in the guided run.
        off = dataclasses.replace(request, guidance=0.0)
        done = total // 2
        other = yield from stream_steps(lambda on_step, cancel: drawer.draw(off, on_step, cancel, film=True), control,
                                        "the same seed without guidance", offset=done, total=total)
        unguided = tuple(other.film)
    return ImageGeneration(model.ref, snapshot, result, unguided)


def generate_images_job(model: ImageModel, request: ImageRequest, *, compare: bool = True) -> Job:
    """Job: draw ``request`` with the filmstrip of image 0 and, when ``compare``, the same seed without
    guidance beside it -> ``ImageGeneration``. Streams ``Progress`` per denoising step."""

    def job(control: JobControl) -> Generator[Any, None, ImageGeneration]:
        return (yield from _draw(model, model.drawer, request, control, snapshot=None, compare=compare,
                                 what="denoising"))

    return job


def variants_job(model: ImageModel, request: ImageRequest, seeds: Sequence[int]) -> Job:
    """Job: one image of the prompt per seed -> a tuple of ``ImageGeneration`` (one per seed)."""
    if not seeds:
        raise ValueError("give at least one seed")

    def job(control: JobControl) -> Generator[Any, None, tuple[ImageGeneration, ...]]:
        out = []
        for i, seed in enumerate(seeds):
            yield Progress(i, len(seeds), f"seed {seed} ({i + 1} of {len(seeds)})")
            one = dataclasses.replace(request, n=1, seed=int(seed))
            out.append((yield from _draw(model, model.drawer, one, control, snapshot=None, compare=False,
                                         what=f"seed {seed}")))
        yield Progress(len(seeds), len(seeds), "seeds done")
        return tuple(out)

    return job


def time_travel_job(model: ImageModel, request: ImageRequest, device: str = DEVICE) -> Job:
    """Job: image 0 of ``request`` drawn by each weight snapshot the run kept, oldest first
    -> a tuple of (step, ``ImageGeneration``).

    Raises:
        ValueError: the model kept no snapshots.
    """
    if not model.snapshots:
        raise ValueError("this model kept no weight snapshots: time travel needs a run trained in this app "
                         "(it saves snapshots as it learns)")

    def job(control: JobControl) -> Generator[Any, None, tuple[tuple[int, ImageGeneration], ...]]:
        out = []
        one = dataclasses.replace(request, n=1)
        for i, step in enumerate(model.snapshots):
            yield Progress(i, len(model.snapshots), f"the model at step {step:,}")
            drawer = drawer_for(load_generator(model.ref, device, snapshot=step))
            control.checkpoint()
            out.append((step, (yield from _draw(model, drawer, one, control, snapshot=step, compare=False,
                                                what=f"step {step:,}"))))
        yield Progress(len(model.snapshots), len(model.snapshots), "time travel done")
        return tuple(out)

    return job


@dataclass(frozen=True, eq=False)
class ForwardFrames:
    """A training image noised to each of a few timesteps: the forward process, for a slider."""

    index: int  # which training image
    caption: str  # its caption
    timesteps: tuple[int, ...]  # from 0 (the image) to T - 1 (static)
    frames: np.ndarray  # uint8 K x H x W x C, frame k noised to timesteps[k]
    signal: tuple[float, ...]  # share of the image left in each frame, sqrt(alpha_bar_t) in [0, 1]


def forward_job(model: ImageModel, index: int, positions: int = FORWARD_FRAMES, seed: int = 0) -> Job:
    """Job: training image ``index`` noised at ``positions`` timesteps, one noise draw for all
    (Ho et al. 2020, eq. 4: x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps) -> ``ForwardFrames``.

    Raises:
        ValueError: a GAN (it has no forward process), or no such training image.
    """
    if model.training is None or not hasattr(model.generator, "noised"):
        raise ValueError("the forward process belongs to diffusion models that kept their training images")
    if not 0 <= index < len(model.training.images):
        raise ValueError(f"there is no training image {index}: the model kept {len(model.training.images)}")

    def job(control: JobControl) -> Generator[Any, None, ForwardFrames]:
        gen = model.generator
        last = gen.schedule.steps - 1
        steps = tuple(int(round(v)) for v in np.linspace(0, last, max(2, positions)))
        image = model.training.images[index]
        frames = []
        for t in steps:
            control.checkpoint()
            frames.append(gen.noised(image, t, seed))
        signal = tuple(float(np.sqrt(gen.schedule.alpha_bar[t])) for t in steps)
        return ForwardFrames(index, model.training.captions[index], steps, np.stack(frames), signal)
        yield  # no events: a few milliseconds

    return job


@dataclass(frozen=True, eq=False)
class Neighbours:
    """A generated image beside its nearest training images: new, or a copy?"""

    sample: np.ndarray  # uint8 H x W x C
    indices: np.ndarray  # int64 (k,), nearest first
    images: np.ndarray  # uint8 k x H x W x C, those training images
    captions: tuple[str, ...]  # their captions
    distances: np.ndarray  # float32 (k,), L2 with pixels in [0, 1]
    typical: float  # median distance from a training image to its nearest other one

    @property
    def ratio(self) -> float:
        """Nearest distance over the typical one: well below 1 looks copied (below 0.5: flagged)."""
        return float(self.distances[0]) / max(self.typical, 1e-8)


def copying_job(training: TrainingSet | None, sample: np.ndarray, k: int = NEIGHBOURS) -> Job:
    """Job: the ``k`` training items nearest to ``sample`` (uint8 H x W x C) -> ``Neighbours``.

    Raises:
        ValueError: the checkpoint kept no training items.
    """
    if training is None:
        raise ValueError("this model did not keep its training images: copied-or-new is not measured")

    def job(control: JobControl) -> Generator[Any, None, Neighbours]:
        control.checkpoint()
        index, dist = k_nearest(sample, training.images, k)
        return Neighbours(sample, index, training.images[index], tuple(training.captions[i] for i in index), dist,
                          training.typical)
        yield  # no events: milliseconds

    return job


def saved_png(model: ImageModel, generation: ImageGeneration) -> bytes:
    """The PNG "Save as PNG…" writes: the images as a grid with the settings and receipt in its text fields."""
    if generation.snapshot is not None:
        raise ValueError("save a drawing of the final weights: snapshot drawings have no receipt here")
    receipt: Receipt = model.drawer.receipt(model.ref, generation.result)
    return png_with_receipt(generation.images, receipt)
