"""One protocol over the models the Images section draws with: a text-conditioned diffusion model, and a
conditional GAN whose label is its prompt.

    drawer = drawer_for(load_generator("runs/digits"))
    result = drawer.draw(ImageRequest("a handwritten 7", n=4, seed=1), film=True)   # an ImageResult
    drawer.receipt("runs/digits", result)                                          # for the PNG it is saved in

The section asks a drawer what it can do (``filmstrip``, ``guided``) instead of
branching on the family; a family joins by adding a class to ``DRAWERS``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, fields
from typing import Any, ClassVar, Protocol

from playground.core.data.captions import DIGIT_WORDS
from playground.core.families.generators import Verification, image_receipt, load_generator
from playground.core.generators.diffusion_generator import ImageRequest, ImageResult
from playground.core.generators.gan_generator import GANRequest
from playground.core.generators.receipts import Receipt, images_sha256

OnStep = Callable[[int, int], None] | None
Cancel = Callable[[], bool] | None


class Drawer(Protocol):
    family: str  # the checkpoint's family
    generator: Any  # the family's generator
    filmstrip: bool  # keeps each denoising step (the filmstrip; guided versus unguided)
    guided: bool  # has a guidance scale (the guidance sweep)

    def suggestions(self) -> list[str]: ...  # prompts to offer: what the model learned

    def unknown(self, prompt: str) -> tuple[str, ...]: ...  # words of ``prompt`` the model cannot use

    def unknown_message(self, words: tuple[str, ...]) -> str: ...  # those words, explained

    def draw(self, request: ImageRequest, on_step: OnStep = None, cancel: Cancel = None,
             film: bool = False) -> ImageResult: ...

    def receipt(self, ref: str, result: ImageResult, snapshot: int | None = None) -> Receipt: ...

    def card(self) -> dict[str, Any]: ...


def _quoted(words: tuple[str, ...]) -> str:
    return ", ".join(f"“{w}”" for w in words[:12]) + (" …" if len(words) > 12 else "")


class DiffusionDrawer:
    family: ClassVar[str] = "diffusion"
    filmstrip: ClassVar[bool] = True
    guided: ClassVar[bool] = True

    def __init__(self, generator: Any) -> None:
        self.generator = generator

    def suggestions(self) -> list[str]:
        return self.generator.prompts

    def unknown(self, prompt: str) -> tuple[str, ...]:
        return tuple(self.generator.unknown_words(prompt))

    def unknown_message(self, words: tuple[str, ...]) -> str:
        return (f"This model never saw {_quoted(words)} in its captions: it draws as if "
                f"{'that word was' if len(words) == 1 else 'those words were'} not there.")

    def draw(self, request: ImageRequest, on_step: OnStep = None, cancel: Cancel = None,
             film: bool = False) -> ImageResult:
        return self.generator.generate(request, on_step=on_step, cancel=cancel, film=film)

    def receipt(self, ref: str, result: ImageResult, snapshot: int | None = None) -> Receipt:
        return image_receipt(ref, self.generator, result, snapshot)

    def card(self) -> dict[str, Any]:
        card = dict(self.generator.card())
        card["what"] = "a text-conditioned diffusion model"
        return card


def words_of(text: str) -> list[str]:
    """The words of a prompt or caption, case kept ("a handwritten 7" -> a, handwritten, 7)."""
    return [w for w in re.split(r"[^\w&'-]+", text) if w]


def class_words(names: Sequence[str]) -> tuple[frozenset[str], ...]:
    """Words naming each class: its name (case kept for one letter, so the article "a" is not the class "A";
    folded otherwise), and for the digits 0-9 the digit's word ("seven")."""
    digits = bool(names) and all(len(n.strip()) == 1 and n.strip().isdigit() for n in names)
    out = []
    for name in names:
        words = {name.strip() if len(name.strip()) == 1 else name.strip().casefold()}
        if digits:
            words.add(DIGIT_WORDS[int(name)])
        out.append(frozenset(words))
    return tuple(out)


def named_class(text: str, words: Sequence[frozenset[str]]) -> int | None:
    """The one class whose words ``text`` uses (None: none, or several)."""
    found = words_of(text)
    hits = {k for k, names in enumerate(words) if any(w in names or (len(w) > 1 and w.casefold() in names)
                                                      for w in found)}
    return hits.pop() if len(hits) == 1 else None


class GANDrawer:
    """A conditional GAN: the prompt names one of its labels ("7", or "a 7"); the rest of the request
    but the count and seed does not apply (a GAN draws in one pass, without guidance)."""

    family: ClassVar[str] = "gan"
    filmstrip: ClassVar[bool] = False
    guided: ClassVar[bool] = False

    def __init__(self, generator: Any) -> None:
        if generator.kind != "image":
            raise ValueError("this GAN draws 2D points, not images: watch it on the Train tab")
        self.generator = generator

    def suggestions(self) -> list[str]:
        return list(self.generator.label_names) if self.generator.conditional else []

    def label_for(self, prompt: str) -> int | None:
        """The label ``prompt`` names: a label's name, whole or as a word ("a 7", "seven"); None if none or several."""
        names = [n.casefold().strip() for n in self.generator.label_names]
        text = prompt.casefold().strip()
        if not self.generator.conditional or not text:
            return None
        if text in names:
            return names.index(text)
        return named_class(prompt, class_words(self.generator.label_names))

    def unknown(self, prompt: str) -> tuple[str, ...]:
        if not prompt.strip() or self.label_for(prompt) is not None:
            return ()
        return (prompt.strip(),)

    def unknown_message(self, words: tuple[str, ...]) -> str:
        if not self.generator.conditional:
            return "This GAN was trained without labels: it ignores the prompt and draws any class."
        names = ", ".join(self.generator.label_names[:20])
        return (f"This GAN knows only its labels ({names}): {_quoted(words)} names none of them (or several), "
                "so each image gets a random class.")

    def draw(self, request: ImageRequest, on_step: OnStep = None, cancel: Cancel = None,
             film: bool = False) -> ImageResult:
        label = self.label_for(request.prompt)
        out = self.generator.generate(GANRequest(request.n, label, None, request.seed), on_step=on_step, cancel=cancel)
        return ImageResult(request, out.images, self.unknown(request.prompt), [])

    def receipt(self, ref: str, result: ImageResult, snapshot: int | None = None) -> Receipt:
        ck = self.generator.checkpoint
        request = {**asdict(result.request), "label": self.label_for(result.request.prompt)}
        return Receipt("gan", str(ref), ck.weights_sha256, str(ck.extra.get("data_sha256", "")), request,
                       images_sha256(result.images), snapshot)

    def card(self) -> dict[str, Any]:
        ck, g = self.generator.checkpoint, self.generator
        return {"family": "gan", "kind": "image", "what": "a conditional GAN (the prompt is its label)",
                "source": ck.extra.get("source", ""), "steps": ck.step,
                "elapsed_s": float(ck.extra.get("elapsed", math.nan)), "loss": math.nan,
                "image": "x".join(str(v) for v in g.image_shape), "labels": list(g.label_names),
                "parameters": sum(p.numel() for p in g.g.parameters())}


DRAWERS: dict[str, Callable[[Any], Drawer]] = {"diffusion": DiffusionDrawer, "gan": GANDrawer}


def drawer_for(generator: Any) -> Drawer:
    """The drawer of a loaded generator; ValueError (one line for the user) for a family that draws no images."""
    make = DRAWERS.get(getattr(generator, "family", ""))
    if make is None:
        raise ValueError(f"this is a {str(getattr(generator, 'family', 'unknown')).upper()} model: the Images section "
                         "draws with a diffusion model or a conditional GAN")
    return make(generator)


def request_from_receipt(receipt: Receipt) -> ImageRequest:
    """The ``ImageRequest`` a receipt recorded; ValueError when it is not one this app can run."""
    known = {f.name for f in fields(ImageRequest)}
    try:
        return ImageRequest(**{k: v for k, v in receipt.request.items() if k in known})
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the receipt's request is not one this app can run ({exc})") from None


def verify_gan_receipt(receipt: Receipt, device: Any = "cpu") -> Verification:
    """Draw a GAN's saved images again from their receipt and say whether they are identical."""
    drawer = drawer_for(load_generator(receipt.model, device, snapshot=receipt.snapshot))
    if drawer.generator.checkpoint.weights_sha256 != receipt.model_sha256:
        return Verification(False, f"the model at {receipt.model} is not the one that drew this picture "
                                   "(its weights changed since): it cannot be reproduced")
    result = drawer.draw(request_from_receipt(receipt))
    if images_sha256(result.images) == receipt.output_sha256:
        return Verification(True, f"identical: the same GAN, label and seed drew the same {len(result.images)} "
                                  "image(s) again, bit for bit", result)
    return Verification(False, "different: the GAN drew other images this time (another torch build or thread "
                               "count can change the arithmetic)", result)
