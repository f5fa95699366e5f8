"""Receipts: what made an output, so anyone can regenerate it and check it is identical.

A receipt names the model (its checkpoint or bundled name, and the SHA-256 of
its weights), the training data and pipeline (their fingerprint), the request
(prompt, seed, sampler settings) and the SHA-256 of the output. Saved outputs
carry one: a text file in its header, a PNG in its text fields, a WAV in its
metadata. Verifying loads the model, checks its weights are the ones named,
generates again and compares the hash.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

APP = "Generative AI Playground"
TEXT_MARK = "# receipt: "  # the header line of a saved text that holds the receipt
PNG_KEY = "playground.receipt"  # the PNG text field that holds it


@dataclass(frozen=True)
class Receipt:
    family: str  # "gpt", "diffusion", "gan"
    model: str  # what loads the model again: a checkpoint folder or a bundled model's name
    model_sha256: str  # SHA-256 of its weights (model.safetensors, or the snapshot file)
    data_sha256: str  # fingerprint of the prepared training data and its pipeline
    request: dict[str, Any]  # prompt, seed, sampler settings: everything the generator was asked
    output_sha256: str  # SHA-256 of the output's bytes (UTF-8 text, uint8 pixels, int16 samples)
    snapshot: int | None = None  # the weight snapshot's step, if one was used (time travel)
    app: str = field(default=APP)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Receipt:
        """ValueError when ``text`` is not a receipt of this app."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the receipt is not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict) or data.get("app") != APP:
            raise ValueError("this is not a receipt of the Generative AI Playground")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ValueError(f"the receipt is incomplete or has unknown fields ({exc})") from None


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def text_with_receipt(receipt: Receipt, prompt: str, text: str) -> str:
    """A saved text: a header a person can read (with the receipt on one line), a blank line, then
    the prompt and what the model wrote."""
    req = receipt.request
    settings = ", ".join(f"{k.replace('_', ' ')} {req[k]}" for k in ("temperature", "top_k", "top_p", "seed", "max_tokens")
                         if k in req)
    lines = [f"# {APP}: text written by a {receipt.family.upper()} model ({receipt.model})",
             f"# settings: {settings}", f"{TEXT_MARK}{receipt.to_json()}", "#", "", prompt + text]
    return "\n".join(lines)


def read_text_receipt(content: str) -> tuple[Receipt, str]:
    """(receipt, the saved prompt and text) of a text saved by ``text_with_receipt``."""
    header, sep, body = content.partition("\n#\n\n")
    for line in header.splitlines():
        if line.startswith(TEXT_MARK):
            if not sep:
                raise ValueError("the text after the receipt is missing")
            return Receipt.from_json(line[len(TEXT_MARK):]), body
    raise ValueError("this file has no receipt: it was not saved by the Generative AI Playground")


def images_sha256(images: np.ndarray) -> str:
    """SHA-256 of uint8 images (N x H x W x C) with their shape, so a grid of the same pixels in
    another layout differs."""
    arr = np.ascontiguousarray(images, dtype=np.uint8)
    return sha256(str(arr.shape).encode() + arr.tobytes())


def png_with_receipt(images: np.ndarray, receipt: Receipt) -> bytes:
    """A PNG of uint8 images (N x H x W x C) as a grid, with the receipt and the settings in its text fields."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    from playground.core.runs.history import tile

    n = len(images)
    cols = int(np.ceil(np.sqrt(n)))
    grid = tile(images, cols, pad=2, fill=255)
    scale = max(1, 256 // max(images.shape[1:3]))
    pil = Image.fromarray(grid[:, :, 0] if grid.shape[2] == 1 else grid)
    pil = pil.resize((pil.width * scale, pil.height * scale), Image.Resampling.NEAREST)
    info = PngInfo()
    info.add_text("Software", APP)
    info.add_text("playground.prompt", str(receipt.request.get("prompt", "")))
    info.add_text("playground.settings", json.dumps(receipt.request, ensure_ascii=False, sort_keys=True))
    info.add_text(PNG_KEY, receipt.to_json())
    buf = io.BytesIO()
    pil.save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def read_png_receipt(data: bytes) -> Receipt:
    """The receipt in a PNG saved by ``png_with_receipt``; ValueError when there is none."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            text = dict(getattr(im, "text", {}) or {})
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"not a PNG this app can read ({exc})") from None
    if PNG_KEY not in text:
        raise ValueError("this PNG has no receipt: it was not saved by the Generative AI Playground")
    return Receipt.from_json(text[PNG_KEY])


def pcm16(clip: np.ndarray) -> np.ndarray:
    """int16 samples of a float clip in [-1, 1]: what a WAV holds, and what its receipt hashes."""
    return np.round(np.clip(np.asarray(clip, dtype=np.float32), -1.0, 1.0) * 32767.0).astype(np.int16)


def wav_with_receipt(clip: np.ndarray, sample_rate: int, receipt: Receipt) -> bytes:
    """A mono 16-bit WAV of ``clip`` (float in [-1, 1]) with the prompt as its title and the receipt as its comment."""
    import soundfile as sf

    buf = io.BytesIO()
    with sf.SoundFile(buf, "w", int(sample_rate), 1, format="WAV", subtype="PCM_16") as out:
        out.title = str(receipt.request.get("prompt", ""))[:200]
        out.software = APP
        out.comment = receipt.to_json()
        out.write(pcm16(clip))
    return buf.getvalue()


def read_wav_receipt(data: bytes) -> Receipt:
    """The receipt in a WAV saved by ``wav_with_receipt``; ValueError when there is none."""
    import soundfile as sf

    try:
        with sf.SoundFile(io.BytesIO(data)) as wav:
            comment = wav.comment
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise ValueError(f"not a WAV this app can read ({exc})") from None
    if not comment:
        raise ValueError("this WAV has no receipt: it was not saved by the Generative AI Playground")
    return Receipt.from_json(comment)
