"""The emoji judges' own instruments: shapes told apart wherever they sit and whatever their size, and a copy
moved by a pixel still found to be a copy."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import emoji_copies  # noqa: E402
import judge_emoji  # noqa: E402

from playground.core.data.bundled import load_bundled  # noqa: E402


def shaped_emoji() -> tuple[np.ndarray, list[str], list[int]]:
    data = load_bundled("emoji-32")
    images, captions = np.asarray(data.images), [str(c) for c in data.captions]
    check = [i for i, c in enumerate(captions)
             if any(re.fullmatch(rf"{w} (heart|circle|square)", c) for w in judge_emoji.COLOURS)]
    return images, captions, check


def test_boxed_shapes_are_told_apart_where_fixed_masks_slip_on_moved_and_shrunk_emoji():
    images, captions, check = shaped_emoji()
    truth = [captions[i].split()[-1] for i in check] * 8
    moved = judge_emoji.moved_and_shrunk(images[check], 8)
    assert moved.shape == (8 * len(check), 32, 32, 3) and not np.array_equal(moved[:len(check)], images[check])
    right = {}
    for frame in ("fixed", "box"):
        colours, shapes = judge_emoji.references(images, captions, frame)
        said = judge_emoji.judge(moved, colours, shapes, "white", frame)[1]
        right[frame] = np.mean([s == t for s, t in zip(said, truth)])
        assert judge_emoji.judge(images[check], colours, shapes, "white", frame)[1] == truth[:len(check)]
    assert right["box"] == 1.0 and right["fixed"] < 1.0  # fixed masks: 98% (of 208)
    box = judge_emoji.boxed(np.pad(np.ones((1, 4, 6), bool), ((0, 0), (3, 25), (10, 16))))
    assert box.all() and box.shape == (1, 32, 32)


def test_a_copy_moved_by_a_pixel_is_far_pixel_by_pixel_and_found_when_aligned():
    images, _captions, check = shaped_emoji()
    train = images.astype(np.float32) / 255.0
    copy = np.pad(train[check[:5]], ((0, 0), (0, 0), (1, 0), (0, 0)), mode="edge")[:, :, :32]  # moved 1 px right
    from playground.core.metrics.nearest import nearest_neighbours

    assert np.median(nearest_neighbours(copy, train)[1]) > 4.0  # as far as different emoji are, nearly
    bank, origin = emoji_copies.moved(train, 1)
    assert bank.shape == (9 * len(train), 32 * 32 * 3)
    assert np.allclose(nearest_neighbours(copy, bank)[1], 0.0, atol=1e-2)
    own = np.asarray(check[:5])
    assert (nearest_neighbours(train[own], bank, groups=(own, origin))[1] > 1.0).all()  # itself left out
