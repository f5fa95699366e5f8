"""The caption encoder and caption batching: ids, masks, unknown words, the null caption."""

from __future__ import annotations

import pytest
import torch

from playground.core.models.text_encoder import (
    TextEncoder,
    TextEncoderConfig,
    drop_captions,
    empty_captions,
    encode_captions,
    normalise_caption,
    train_caption_tokenizer,
)
from playground.core.models.unet import UNET_PRESETS, UNet
from playground.core.preprocess.tokenizer import Tokenizer

CAPTIONS = ["a handwritten 7", "the digit seven", "seven", "red heart", "blue circle", "flag: Japan", "heart-eyes"]


@pytest.fixture
def tokenizer() -> Tokenizer:
    return train_caption_tokenizer(CAPTIONS)


def test_normalise_caption():
    assert normalise_caption("  Red   HEART! ") == " red heart !"
    assert normalise_caption("flag: Japan") == " flag : japan"
    assert normalise_caption("o\u2019clock") == " o ' clock"
    assert normalise_caption("") == ""


def test_a_word_has_one_id_wherever_it_stands(tokenizer):
    batch = encode_captions(tokenizer, ["seven", "the digit seven", "Heart red"], max_len=6)
    assert batch.ids[0, 0] == batch.ids[1, 2]
    assert batch.ids[2, 0] == encode_captions(tokenizer, ["red heart"], 6).ids[0, 1]


def test_padding_mask_and_truncation(tokenizer):
    batch = encode_captions(tokenizer, ["seven", "a handwritten 7", "seven seven seven seven"], max_len=3)
    pad = tokenizer.vocab_size
    assert batch.ids.shape == (3, 3) and batch.ids.dtype == torch.int64
    assert batch.mask.tolist() == [[True, False, False], [True, True, True], [True, True, True]]
    assert batch.ids[0, 1:].tolist() == [pad, pad]
    assert batch.truncated == [False, False, True]


def test_unknown_words_are_reported_not_dropped(tokenizer):
    batch = encode_captions(tokenizer, ["a purple zebra zebra heart", "red heart", "Seven!"], max_len=8)
    assert batch.unknown == [["purple", "zebra"], [], ["!"]]
    assert batch.mask[0].sum() == 5, "unknown words still take their place (as <unk>)"


def test_char_and_bpe_tokenizers():
    chars = train_caption_tokenizer(CAPTIONS, kind="char")
    assert encode_captions(chars, ["red heart", "quiz"], 16).unknown == [[], ["q", "z"]]  # "u" and "i" are in blue and digit
    bpe = train_caption_tokenizer(CAPTIONS * 20, kind="bpe", vocab_size=300)
    batch = encode_captions(bpe, ["red zebra"], 16)
    assert batch.unknown == [[]] and batch.mask[0].sum() >= 2  # bytes spell any word


def test_encoder_shapes_padding_and_pooling(tokenizer):
    torch.manual_seed(0)
    encoder = TextEncoder(TextEncoderConfig(tokenizer.vocab_size, dim=16, max_len=8, layers=2, heads=2)).eval()
    batch = encode_captions(tokenizer, ["red heart", "the digit seven"], 8)
    features = encoder(batch.ids, batch.mask)
    assert features.tokens.shape == (2, 8, 16) and features.pooled.shape == (2, 16)
    assert torch.equal(features.mask, batch.mask)
    assert not features.tokens[~batch.mask].any()
    torch.testing.assert_close(features.pooled[0], features.tokens[0, :2].mean(0))
    shorter = encode_captions(tokenizer, ["red heart", "the digit seven"], 4)
    torch.testing.assert_close(encoder(shorter.ids, shorter.mask).pooled, features.pooled, atol=1e-5, rtol=1e-5)


def test_words_see_each_other(tokenizer):
    torch.manual_seed(0)
    encoder = TextEncoder(TextEncoderConfig(tokenizer.vocab_size, dim=16, max_len=8, layers=1, heads=2)).eval()
    batch = encode_captions(tokenizer, ["red heart", "blue heart"], 8)
    features = encoder(batch.ids, batch.mask)
    assert (features.tokens[0, 1] - features.tokens[1, 1]).abs().max() > 1e-4  # "heart" after red vs blue


def test_the_null_caption_has_a_learned_pooled_vector(tokenizer):
    encoder = TextEncoder(TextEncoderConfig(tokenizer.vocab_size, dim=16, max_len=8, heads=2))
    with torch.no_grad():
        encoder.null.normal_()
    empty = empty_captions(3, 8, tokenizer.vocab_size)
    assert empty.ids.eq(tokenizer.vocab_size).all() and not empty.mask.any()
    features = encoder(empty.ids, empty.mask)
    assert torch.isfinite(features.tokens).all() and not features.tokens.any()
    torch.testing.assert_close(features.pooled, encoder.null.expand(3, -1))
    features.pooled.sum().backward()
    assert encoder.null.grad is not None and encoder.null.grad.abs().sum() > 0


def test_caption_dropout():
    mask = torch.ones(1000, 4, dtype=torch.bool)
    assert torch.equal(drop_captions(mask, 0.0), mask)
    assert not drop_captions(mask, 1.0).any()
    a = drop_captions(mask, 0.2, torch.Generator().manual_seed(3))
    b = drop_captions(mask, 0.2, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    dropped = (~a.any(1)).float().mean()
    assert 0.15 < dropped < 0.25
    assert torch.equal(a.all(1), a.any(1)), "a caption is dropped whole"
    with pytest.raises(ValueError, match="caption dropout"):
        drop_captions(mask, 1.5)


def test_bad_ids_and_config(tokenizer):
    encoder = TextEncoder(TextEncoderConfig(tokenizer.vocab_size, dim=16, max_len=4, heads=2))
    with pytest.raises(ValueError, match="another tokenizer"):
        encoder(torch.tensor([[tokenizer.vocab_size + 1]]), torch.tensor([[True]]))
    with pytest.raises(ValueError, match="longer than"):
        encoder(torch.zeros(1, 5, dtype=torch.int64), torch.ones(1, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match="divide by"):
        TextEncoderConfig(100, dim=10, heads=4)
    with pytest.raises(ValueError, match="at least 2 tokens"):
        TextEncoderConfig(1)


def test_encoder_trains_with_the_unet(tokenizer):
    torch.manual_seed(0)
    encoder = TextEncoder(TextEncoderConfig(tokenizer.vocab_size, dim=16, max_len=8, heads=2))
    unet = UNet(UNET_PRESETS["tiny"])
    batch = encode_captions(tokenizer, ["red heart", "seven"], 8)
    with torch.no_grad():  # open the zero-initialised paths so a gradient can reach the text
        for p in unet.parameters():
            if not p.any():
                p.normal_(0.0, 0.1)
    features = encoder(batch.ids, batch.mask)
    unet(torch.randn(2, 1, 8, 8), torch.tensor([10, 20]), *features).square().mean().backward()
    assert encoder.embed.weight.grad is not None and encoder.embed.weight.grad[batch.ids[0, 0]].abs().sum() > 0
