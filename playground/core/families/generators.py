"""Loading any trained model for generation: a checkpoint folder (or a bundled model's name) -> its generator.

    generator = load_generator("runs/mnist", device="auto")   # a GANGenerator, GPT, diffusion, ...
    result = generator.generate(request, on_step=..., cancel=...)

The checkpoint names its family; the family builds only what generation
needs (no discriminator, no optimisers).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from playground.core.device import resolve_device
from playground.core.families.registry import get
from playground.core.generators.receipts import (
    Receipt,
    images_sha256,
    pcm16,
    read_png_receipt,
    read_text_receipt,
    read_wav_receipt,
    sha256,
)
from playground.core.jobs import Job, JobControl
from playground.core.runs.bundled_models import resolve_model
from playground.core.runs.checkpoint import CheckpointError, load_checkpoint
from playground.core.runs.snapshots import list_snapshots, load_snapshot


def load_generator(path: str | Path, device: Any = "auto", *, snapshot: int | None = None) -> Any:
    """The generator of the checkpoint (or run folder, or bundled model name) at ``path``, on ``device``.

    ``snapshot``: the step of one of the run's weight snapshots to use instead of
    the final weights (time travel); ``list_snapshots(path)`` lists them.

    Raises:
        CheckpointError: a missing, damaged or unknown checkpoint or snapshot (one line for the user).
        ValueError: an unknown device, or CUDA asked for without a GPU.
    """
    import torch

    path = resolve_model(path)
    dev = resolve_device(device) if isinstance(device, str) else torch.device(device)
    checkpoint = load_checkpoint(path, with_optim=False)
    if snapshot is not None:
        found = dict(list_snapshots(checkpoint.path or path))
        if snapshot not in found:
            raise CheckpointError(f"{path} has no snapshot at step {snapshot}; it has {sorted(found) or 'none'}")
        try:
            checkpoint.networks.update(load_snapshot(found[snapshot]))
        except ValueError as exc:
            raise CheckpointError(str(exc)) from None
        checkpoint.step = snapshot
        checkpoint.weights_sha256 = sha256(found[snapshot].read_bytes())
    try:
        family = get(checkpoint.family)
    except ValueError:
        raise CheckpointError(f"{path} holds a {checkpoint.family!r} model, which this app does not know") from None
    return family.load_generator(checkpoint, dev)


def interpolation_job(checkpoint: str | Path, seed_a: int, seed_b: int, steps: int = 10,
                      label: int | None = None, device: str = "cpu") -> Job:
    """Job: a GAN's samples along the line between two seeds' noise, uint8 steps x H x W x C."""

    def job(control: JobControl) -> Generator[Any, None, np.ndarray]:
        control.checkpoint()
        generator = load_generator(checkpoint, device)
        if not hasattr(generator, "interpolate"):
            raise ValueError("a latent walk needs a GAN checkpoint")
        control.checkpoint()
        return generator.interpolate(seed_a, seed_b, steps, label)
        yield  # no events

    return job


def text_receipt(model: str, generator: Any, result: Any, snapshot: int | None = None) -> Receipt:
    """The receipt of a text a GPT wrote (``model``: what loads it again, a path or a bundled name)."""
    req = result.request
    request = {"prompt": req.prompt, "max_tokens": req.max_tokens, "temperature": req.temperature, "top_k": req.top_k,
               "top_p": req.top_p, "seed": req.seed, "prompt_ids": list(result.prompt_ids)}
    ck = generator.checkpoint
    return Receipt("gpt", str(model), ck.weights_sha256, str(ck.extra.get("data_sha256", "")), request,
                   sha256(result.text), snapshot)


def image_receipt(model: str, generator: Any, result: Any, snapshot: int | None = None) -> Receipt:
    """The receipt of images a diffusion model drew (``model``: what loads it again)."""
    from dataclasses import asdict

    ck = generator.checkpoint
    return Receipt("diffusion", str(model), ck.weights_sha256, str(ck.extra.get("data_sha256", "")),
                   asdict(result.request), images_sha256(result.images), snapshot)


def audio_receipt(model: str, generator: Any, result: Any, index: int = 0, snapshot: int | None = None) -> Receipt:
    """The receipt of one sound a diffusion model made (clip ``index`` of ``result``)."""
    from dataclasses import asdict

    ck = generator.checkpoint
    request = {**asdict(result.request), "index": index}
    return Receipt("diffusion", str(model), ck.weights_sha256, str(ck.extra.get("data_sha256", "")), request,
                   sha256(pcm16(result.clips[index]).tobytes()), snapshot)


@dataclass(frozen=True)
class Verification:
    identical: bool  # the same model made the same output again
    message: str  # what was found, in words
    output: Any = None  # what was generated this time


def _reloaded(receipt: Any, device: Any, what: str) -> tuple[Any, Verification | None]:
    """The receipt's generator, and a failed verification when its weights are not the ones that ``what``."""
    generator = load_generator(receipt.model, device, snapshot=receipt.snapshot)
    if generator.checkpoint.weights_sha256 != receipt.model_sha256:
        return generator, Verification(False, f"the model at {receipt.model} is not the one that {what} "
                                              "(its weights changed since): it cannot be reproduced")
    return generator, None


def _request(cls: type, fields: Mapping[str, Any]) -> Any:
    try:
        return cls(**fields)
    except TypeError as exc:
        raise ValueError(f"the receipt's request is not one this app can run ({exc})") from None


def _verdict(identical: bool, again: str, other: str, result: Any) -> Verification:
    if identical:
        return Verification(True, f"identical: the same model, prompt, seed and settings {again}", result)
    return Verification(False, f"different: the model {other} this time (another torch build or thread count can "
                               "change the arithmetic)", result)


def verify_text(content: str, device: Any = "cpu") -> Verification:
    """Regenerate a saved text from its receipt and say whether it is identical.

    Raises:
        ValueError: no receipt in ``content``, or its model cannot be loaded.
    """
    from playground.core.generators.text_generator import TextRequest

    receipt, saved = read_text_receipt(content)
    generator, failed = _reloaded(receipt, device, "wrote this text")
    if failed:
        return failed
    req = receipt.request
    request = TextRequest(req["prompt"], req["max_tokens"], req["temperature"], req["top_k"], req["top_p"], req["seed"])
    result = generator.generate(request, prompt_ids=list(req["prompt_ids"]))
    edited = "" if saved.endswith(result.text) else " (the text in the file was edited since)"
    return _verdict(sha256(result.text) == receipt.output_sha256,
                    f"wrote the same {len(result.text):,} characters again{edited}", "wrote another text", result)


def verify_png(data: bytes, device: Any = "cpu") -> Verification:
    """Redraw a saved PNG's images from its receipt and say whether they are identical."""
    from playground.core.generators.diffusion_generator import ImageRequest

    receipt = read_png_receipt(data)
    generator, failed = _reloaded(receipt, device, "drew this picture")
    if failed:
        return failed
    result = generator.generate(_request(ImageRequest, receipt.request))
    return _verdict(images_sha256(result.images) == receipt.output_sha256,
                    f"drew the same {len(result.images)} image(s) again, bit for bit", "drew other images", result)


def verify_wav(data: bytes, device: Any = "cpu") -> Verification:
    """Make a saved WAV's sound again from its receipt and say whether it is identical."""
    from playground.core.generators.diffusion_generator import ImageRequest

    receipt = read_wav_receipt(data)
    generator, failed = _reloaded(receipt, device, "made this sound")
    if failed:
        return failed
    fields = dict(receipt.request)
    index = int(fields.pop("index", 0))
    result = generator.generate_audio(_request(ImageRequest, fields))
    return _verdict(sha256(pcm16(result.clips[index]).tobytes()) == receipt.output_sha256,
                    "made the same sound again, sample for sample", "made another sound", result)


def verify_file(path: str | Path, device: Any = "cpu") -> Verification:
    """Verify a saved text, PNG or WAV from its receipt.

    Raises:
        ValueError: the file cannot be read or carries no receipt.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    if data.startswith(b"\x89PNG"):
        return verify_png(data, device)
    if data.startswith(b"RIFF") and data[8:12] == b"WAVE":
        return verify_wav(data, device)
    try:
        return verify_text(data.decode("utf-8"), device)
    except UnicodeDecodeError:
        raise ValueError(f"{path} is neither a saved text nor a PNG of this app") from None
