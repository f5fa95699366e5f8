"""Image steps. While a pipeline runs, images are float32 H x W x C in [0, 1]
(sizes and channel counts may differ until a resize and a colour step);
the Normalise step chooses how values are scaled for the model at the end.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from playground.core.preprocess import image_ops
from playground.core.preprocess.report import StepReport
from playground.core.preprocess.steps import FilterStep, Param, RunContext, Step, StepRun, register

CHUNK = 256  # items between progress reports


@dataclass(frozen=True)
class ImageState:
    """Images part-way through a pipeline."""

    images: list[np.ndarray]  # each float32 H x W x C in [0, 1]
    labels: np.ndarray  # int64 N
    index: np.ndarray  # int64 N: original dataset index of each image
    norm_mode: str = "minus1_1"

    def __len__(self) -> int:
        return len(self.images)

    def select(self, keep: np.ndarray) -> ImageState:
        where = np.flatnonzero(keep)
        return dataclasses.replace(self, images=[self.images[i] for i in where],
                                   labels=self.labels[where], index=self.index[where])


class ImageMapStep(Step):
    """A step that turns each image into one new image (``map_image``)."""

    kind: ClassVar[str] = "map"

    def map_image(self, image: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def run(self, state: ImageState, ctx: RunContext) -> StepRun:
        report = StepReport(self.name, self.title)
        out: list[np.ndarray] = []
        for i, image in enumerate(state.images):
            new = self.map_image(image)
            if new is not image and (new.shape != image.shape or not np.array_equal(new, image)):
                report.changed += 1
            out.append(new)
            if i % CHUNK == CHUNK - 1:
                yield i + 1, len(state)
        return dataclasses.replace(state, images=out), report


@register
class Resize(ImageMapStep):
    name = "resize"
    title = "Resize"
    modalities = ("image",)
    help = ("Scale every image to size x size pixels. 'area' averages pixels (best for shrinking), "
            "'bilinear' blends neighbours, 'nearest' keeps hard pixel edges.")
    params = (
        Param("size", "choice", 28, "Size", "Width and height in pixels.", choices=(16, 28, 32, 64)),
        Param("method", "choice", "area", "Method", "How pixels are combined.",
              choices=("nearest", "bilinear", "area")),
    )

    def map_image(self, image: np.ndarray) -> np.ndarray:
        return image_ops.resize(image, self["size"], self["method"])

    def run(self, state: ImageState, ctx: RunContext) -> StepRun:
        new_state, report = yield from super().run(state, ctx)
        stretched = sum(1 for im in state.images if im.shape[0] != im.shape[1])
        if stretched:
            report.notes.append(f"{stretched} images were not square and were stretched; "
                                "put 'Crop or pad to square' before Resize to keep their shape")
        return new_state, report


@register
class Square(ImageMapStep):
    name = "square"
    title = "Crop or pad to square"
    modalities = ("image",)
    help = "Make every image square: crop the centre of the long side, or pad the short side."
    params = (
        Param("mode", "choice", "crop", "Mode", "crop loses the edges; pad keeps everything.",
              choices=("crop", "pad")),
        Param("fill", "choice", "edge", "Padding", "Colour of the padding (mode 'pad').",
              choices=("edge", "black", "white")),
    )

    def map_image(self, image: np.ndarray) -> np.ndarray:
        return image_ops.square(image, self["mode"], self["fill"])


@register
class Colour(ImageMapStep):
    name = "colour"
    title = "Grayscale or RGB"
    modalities = ("image",)
    help = "Give every image the same channels: one (gray) or three (RGB)."
    params = (Param("mode", "choice", "gray", "Channels", "gray: 1 channel; rgb: 3 channels.",
                    choices=("gray", "rgb")),)

    def map_image(self, image: np.ndarray) -> np.ndarray:
        return image_ops.grayscale(image) if self["mode"] == "gray" else image_ops.rgb(image)


@register
class Normalise(Step):
    name = "normalise"
    title = "Normalise"
    modalities = ("image",)
    kind = "normalise"
    help = ("How pixel values reach the model: [-1, 1] (what GANs with a tanh output expect) or "
            "mean/std per channel computed from the prepared data. Applied after every other step.")
    params = (Param("mode", "choice", "minus1_1", "Scale", "minus1_1: pixels in [-1, 1]; "
                    "meanstd: zero mean, unit spread per channel.", choices=("minus1_1", "meanstd")),)

    def run(self, state: ImageState, ctx: RunContext) -> StepRun:
        report = StepReport(self.name, self.title, changed=len(state))
        report.notes.append("pixels to [-1, 1]" if self["mode"] == "minus1_1" else "pixels to mean 0, std 1")
        yield len(state), len(state)
        return dataclasses.replace(state, norm_mode=self["mode"]), report


@register
class Dedupe(FilterStep):
    name = "dedupe"
    title = "Remove duplicates"
    modalities = ("image",)
    whole_dataset = True
    help = ("Drop exact copies and near-copies. Two images are near-copies when their 64-bit "
            "perceptual hashes differ in at most 'distance' bits and their 32 x 32 gray thumbnails "
            "differ by at most 'tolerance' on average. The first of each group stays; the report "
            "lists the pairs.")
    params = (
        Param("distance", "int", 4, "Max distance", "Bits two hashes may differ by; 0 needs "
              "identical hashes.", low=0, high=20),
        Param("tolerance", "float", 0.01, "Pixel tolerance", "Largest mean difference of the "
              "thumbnails (0-1 scale); similar-looking but different images stay.",
              low=0.0, high=0.25, increment=0.005),
        Param("hash", "choice", "phash", "Hash", "phash (DCT, robust) or dhash (gradients).",
              choices=("phash", "dhash")),
    )
    empty_hint = "lower the maximum distance"

    def keep(self, state: ImageState, ctx: RunContext) -> tuple[np.ndarray, list[str], list[tuple[int, int]]]:
        n = len(state)
        thumbs = image_ops.gray_thumbnails(state.images)
        hashes = image_ops.phash(thumbs) if self["hash"] == "phash" else image_ops.dhash(state.images)
        mask = np.zeros(n, dtype=bool)
        seen: dict[bytes, int] = {}
        kept_hashes = np.zeros(n, dtype=np.uint64)
        kept_at = np.zeros(n, dtype=np.int64)
        kept = 0
        pairs: list[tuple[int, int]] = []
        exact = near = 0
        for i, image in enumerate(state.images):
            digest = hashlib.blake2b(repr(image.shape).encode() + image.tobytes(), digest_size=16).digest()
            if digest in seen:
                pairs.append((int(state.index[seen[digest]]), int(state.index[i])))
                exact += 1
                continue
            match = self._near(thumbs, kept_hashes[:kept], kept_at[:kept], hashes[i], thumbs[i])
            if match is not None:
                pairs.append((int(state.index[match]), int(state.index[i])))
                near += 1
                continue
            seen[digest] = i
            kept_hashes[kept] = hashes[i]
            kept_at[kept] = i
            kept += 1
            mask[i] = True
        return mask, [f"{exact} exact and {near} near duplicates"], pairs

    def _near(self, thumbs: np.ndarray, hashes: np.ndarray, at: np.ndarray, h: np.uint64,
              thumb: np.ndarray) -> int | None:
        """Position of the first kept image that ``thumb`` nearly copies, or None."""
        if len(hashes) == 0:
            return None
        close = np.flatnonzero(image_ops.popcount(hashes ^ h) <= self["distance"])
        if len(close) == 0:
            return None
        diff = np.abs(thumbs[at[close]] - thumb).mean(axis=(1, 2))
        hit = np.flatnonzero(diff <= self["tolerance"])
        return int(at[close[hit[0]]]) if len(hit) else None


@register
class DropBlank(FilterStep):
    name = "drop_blank"
    title = "Drop blank images"
    modalities = ("image",)
    help = "Drop images that are (nearly) one flat colour: pixel spread below the threshold."
    params = (Param("threshold", "float", 0.02, "Threshold", "Smallest standard deviation of pixel "
                    "values (0-1 scale) an image needs to stay.", low=0.0, high=0.5, increment=0.005),)
    empty_hint = "lower the threshold"

    def keep(self, state: ImageState, ctx: RunContext) -> tuple[np.ndarray, list[str], list[tuple[int, int]]]:
        spread = np.array([float(im.std()) for im in state.images])
        return spread >= self["threshold"], [], []


@register
class Augment(Step):
    name = "augment"
    title = "Augment"
    modalities = ("image",)
    kind = "augment"
    help = ("Random changes the model sees instead of the original: flips, small turns and shifts, "
            "zoomed crops, colour changes and noise. Each image gets its own seeded randomness "
            "(seed, image index, copy), so Prepare is repeatable; 'copies' enlarges the set.")
    params = (
        Param("flip", "bool", False, "Mirror", "Mirror left-right half of the time (not for digits "
              "or letters, which change meaning)."),
        Param("rotation", "float", 10.0, "Rotation", "Largest turn, degrees.", low=0.0, high=45.0, increment=1.0),
        Param("translate", "float", 0.1, "Shift", "Largest shift, as a fraction of the size.",
              low=0.0, high=0.25, increment=0.01),
        Param("crop_jitter", "float", 0.0, "Crop jitter", "Zoom into a random crop up to this fraction "
              "smaller.", low=0.0, high=0.3, increment=0.01),
        Param("colour_jitter", "float", 0.0, "Colour jitter", "Largest change of brightness, contrast "
              "and saturation, as a fraction.", low=0.0, high=0.5, increment=0.01),
        Param("noise", "float", 0.0, "Noise", "Standard deviation of added Gaussian noise (0-1 scale).",
              low=0.0, high=0.3, increment=0.005),
        Param("copies", "int", 1, "Copies", "Augmented copies of each image in the prepared set.", low=1, high=10),
        Param("seed", "int", 0, "Seed", "Makes the random changes repeatable.", low=0, high=2**31 - 1),
    )

    def augment_image(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One random variant of ``image`` (float32 H x W x C in [0, 1])."""
        h, w = image.shape[:2]
        out = image
        if self["flip"] and rng.random() < 0.5:
            out = out[:, ::-1].copy()
        angle = rng.uniform(-1, 1) * self["rotation"]
        shift = (rng.uniform(-1, 1) * self["translate"] * w, rng.uniform(-1, 1) * self["translate"] * h)
        zoom = 1.0 / (1.0 - rng.uniform(0, 1) * self["crop_jitter"])
        if zoom > 1.0:  # a smaller crop sits anywhere inside the image
            room = (1.0 - 1.0 / zoom) / 2.0
            shift = (shift[0] + rng.uniform(-1, 1) * room * w * zoom, shift[1] + rng.uniform(-1, 1) * room * h * zoom)
        if angle or shift != (0.0, 0.0) or zoom != 1.0:
            out = image_ops.affine(out, angle, shift, zoom)
        jitter = self["colour_jitter"]
        if jitter:
            b, c, s = 1.0 + rng.uniform(-jitter, jitter, size=3)
            out = image_ops.colour_jitter(out, b, c, s)
        if self["noise"]:
            noisy = out + rng.normal(0.0, self["noise"], size=out.shape).astype(np.float32)
            out = np.clip(noisy, 0.0, 1.0)
        return out if out is not image else image.copy()

    def rng(self, index: int, copy: int) -> np.random.Generator:
        return np.random.default_rng([self["seed"], index, copy])

    def run(self, state: ImageState, ctx: RunContext) -> StepRun:
        copies = 1 if ctx.preview else self["copies"]
        report = StepReport(self.name, self.title)
        images: list[np.ndarray] = []
        for i, (image, original) in enumerate(zip(state.images, state.index)):
            for copy in range(copies):
                images.append(self.augment_image(image, self.rng(int(original), copy)))
            if i % CHUNK == CHUNK - 1:
                yield i + 1, len(state)
        report.changed = len(images)
        if copies > 1:
            report.notes.append(f"{copies} augmented copies of each image ({len(images)} images)")
        new = dataclasses.replace(state, images=images, labels=np.repeat(state.labels, copies),
                                  index=np.repeat(state.index, copies))
        return new, report


def finish_images(state: ImageState) -> tuple[np.ndarray, dict[str, Any]]:
    """Stack and scale: float32 N x C x H x W under the returned norm dict.

    Raises ValueError when images still differ in size or channels.
    """
    shapes = {im.shape for im in state.images}
    if len({s[:2] for s in shapes}) > 1:
        sizes = ", ".join(sorted({f"{s[1]}x{s[0]}" for s in shapes})[:4])
        raise ValueError(f"the images have different sizes ({sizes}...); add a Resize step")
    if len({s[2] for s in shapes}) > 1:
        raise ValueError("some images are gray and some colour; add a 'Grayscale or RGB' step")
    x = np.stack(state.images).transpose(0, 3, 1, 2).astype(np.float32)  # N x C x H x W in [0, 1]
    if state.norm_mode == "meanstd":
        mean = x.mean(axis=(0, 2, 3), dtype=np.float64)
        std = np.maximum(x.std(axis=(0, 2, 3), dtype=np.float64), 1e-6)
        x = (x - mean.reshape(1, -1, 1, 1).astype(np.float32)) / std.reshape(1, -1, 1, 1).astype(np.float32)
        return x, {"kind": "meanstd", "mean": [float(m) for m in mean], "std": [float(s) for s in std]}
    return x * np.float32(2.0) - np.float32(1.0), {"kind": "minus1_1"}
