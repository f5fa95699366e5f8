"""Captions from labels (digits) and from the datasets that carry their own (emoji)."""

from __future__ import annotations

import numpy as np
import pytest

from playground.core.data.bundled import load_bundled
from playground.core.data.captions import DIGIT_WORDS, digit_phrasings, image_captions, label_captions

DIGITS = [str(d) for d in range(10)]


def test_digit_phrasings():
    seven = digit_phrasings(7)
    for caption in ("a handwritten 7", "the digit seven", "seven", "a 7", "number seven", "7"):
        assert caption in seven
    assert len(set(seven)) == len(seven) >= 8
    with pytest.raises(ValueError):
        digit_phrasings(10)


def test_each_digit_caption_names_its_digit_in_varied_phrasings():
    labels = np.repeat(np.arange(10), 100)
    captions = label_captions(labels, DIGITS, seed=0)
    assert len(captions) == 1000
    for label, caption in zip(labels, captions):
        words = caption.split()
        assert str(label) in words or DIGIT_WORDS[label] in words, caption
        others = {str(d) for d in range(10) if d != label} | {w for d, w in enumerate(DIGIT_WORDS) if d != label}
        assert not others & set(words), caption
    sevens = {c for k, c in zip(labels, captions) if k == 7}
    assert len(sevens) >= 8


def test_captions_are_fixed_by_the_seed():
    labels = np.arange(200) % 10
    assert label_captions(labels, DIGITS, seed=1) == label_captions(labels, DIGITS, seed=1)
    assert label_captions(labels, DIGITS, seed=1) != label_captions(labels, DIGITS, seed=2)


def test_digit_names_in_another_order_and_other_labels():
    assert label_captions([0, 1], ["3", "8"], seed=0)[0].split()[-1] in ("3", "three")
    assert label_captions([1, 0, -1], ["cat", " dog "]) == ["dog", "cat", ""]
    with pytest.raises(ValueError, match="class names"):
        label_captions([2], ["cat", "dog"])


def test_bundled_digits_and_emoji():
    mnist = load_bundled("mnist-5k")
    captions = image_captions(mnist, seed=0)
    assert len(captions) == len(mnist) and all(captions)
    assert captions == label_captions(mnist.labels, mnist.label_names, seed=0)
    emoji = load_bundled("emoji-32")
    names = image_captions(emoji)
    assert names == list(emoji.captions) and len(names) == len(emoji)
    for name in ("red heart", "blue circle", "grinning face", "yellow heart"):
        assert name in names
