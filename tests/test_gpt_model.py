"""The GPT model: config checks, shapes, causality, learning, the key/value cache, attention maps."""

from __future__ import annotations

import math

import pytest
import torch

from playground.core.models.gpt import GPT, GPTConfig, context_window, default_keep, lengthen_positions

TINY = GPTConfig(vocab_size=13, block_size=8, n_layer=2, n_head=2, n_embd=16)


def tiny_model(seed: int = 0, **changes) -> GPT:
    torch.manual_seed(seed)
    return GPT(GPTConfig(**{**TINY.__dict__, **changes})).eval()


@pytest.mark.parametrize("changes, words", [
    ({"vocab_size": 1}, "vocabulary"),
    ({"block_size": 0}, "block size"),
    ({"n_layer": 0}, "layer"),
    ({"n_embd": 18, "n_head": 4}, "multiple of the number of heads"),
    ({"dropout": 1.0}, "dropout"),
    ({"dropout": -0.1}, "dropout"),
])
def test_config_rejects_bad_values_with_a_hint(changes, words):
    with pytest.raises(ValueError, match=words):
        GPTConfig(**{**TINY.__dict__, **changes})


def test_shapes_loss_and_tied_weights():
    model = tiny_model()
    idx = torch.randint(0, 13, (3, 8))
    logits, loss = model(idx)
    assert logits.shape == (3, 8, 13) and loss is None
    logits, loss = model(idx, torch.randint(0, 13, (3, 8)))
    assert loss.dim() == 0
    assert abs(loss.item() - math.log(13)) < 0.1  # small initial weights: close to uniform guessing
    assert model.wte.weight is model.lm_head.weight
    assert model.num_params() == sum(p.numel() for p in set(model.parameters()))
    assert model.num_params() - model.num_params(non_embedding=True) == 8 * 16
    with pytest.raises(ValueError, match="longer than this model's context"):
        model(torch.zeros(1, 9, dtype=torch.int64))
    with pytest.raises(ValueError, match="int64"):
        model(torch.zeros(1, 4, dtype=torch.int32))
    with pytest.raises(ValueError, match="shape"):
        model(idx, idx[:, :4])


def test_earlier_positions_never_see_later_tokens():
    model = tiny_model()
    idx = torch.randint(0, 13, (1, 8))
    changed = idx.clone()
    changed[0, 5] = (idx[0, 5] + 1) % 13
    a, b = model(idx)[0], model(changed)[0]
    assert torch.equal(a[:, :5], b[:, :5])
    assert not torch.allclose(a[:, 5:], b[:, 5:])


def test_loss_falls_on_a_repeated_text():
    torch.manual_seed(0)
    model = GPT(TINY)
    data = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] * 8)
    opt = torch.optim.AdamW(model.optim_groups(0.1), lr=1e-2)
    starts = torch.randint(0, len(data) - 9, (40, 8))
    losses = []
    for step in range(40):
        batch = torch.stack([data[s : s + 9] for s in starts[step]])
        _, loss = model(batch[:, :-1], batch[:, 1:])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]


def test_optim_groups_decay_only_matrices():
    model = tiny_model(bias=True)
    decay, no_decay = model.optim_groups(0.1)
    assert all(p.dim() >= 2 for p in decay["params"]) and all(p.dim() == 1 for p in no_decay["params"])
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(model.parameters()))


def test_context_window_rule():
    assert [context_window(n, 4, 2) for n in range(1, 12)] == [1, 2, 3, 4, 3, 4, 3, 4, 3, 4, 3]
    assert [context_window(n, 4, 3) for n in range(1, 8)] == [1, 2, 3, 4, 4, 4, 4]  # crop to the last block
    assert [context_window(n, 4, 0) for n in range(1, 10)] == [1, 2, 3, 4, 1, 2, 3, 4, 1]
    assert default_keep(128) == 64
    with pytest.raises(ValueError, match="keeps 0 to 3"):
        context_window(5, 4, 4)


@pytest.mark.parametrize("keep", [0, 3, 6, 7])
def test_cache_equals_a_full_forward_past_the_block(keep):
    model = tiny_model()
    idx = torch.randint(0, 13, (2, 30))
    cache = model.new_cache(2, keep=keep)
    for n in range(1, 31):
        step = model.forward_step(idx[:, n - 1 : n], cache)[:, -1]
        window = context_window(n, 8, keep)
        assert cache.length == window
        full = model(idx[:, n - window : n])[0][:, -1]
        torch.testing.assert_close(step, full, atol=1e-5, rtol=0)
    assert cache.restarts == sum(1 for n in range(9, 31) if context_window(n, 8, keep) == keep + 1)


def test_cache_equals_a_full_forward_with_biases():
    model = tiny_model(bias=True)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("bias") or name.startswith("blocks.0.ln_"):  # all zero or one at init
                param.normal_(0.0, 0.5)
    idx = torch.randint(0, 13, (1, 12))
    cache = model.new_cache(1, keep=4)
    for n in range(1, 13):
        window = context_window(n, 8, 4)
        step = model.forward_step(idx[:, n - 1 : n], cache)[:, -1]
        torch.testing.assert_close(step, model(idx[:, n - window : n])[0][:, -1], atol=1e-5, rtol=0)


def test_cache_takes_chunks_of_any_size():
    model = tiny_model()
    idx = torch.randint(0, 13, (1, 40))
    cache = model.new_cache(1, keep=5)
    out = torch.cat([model.forward_step(idx[:, a:b], cache) for a, b in [(0, 3), (3, 4), (4, 19), (19, 40)]], dim=1)
    assert out.shape == (1, 40, 13)
    for n in range(1, 41):
        window = context_window(n, 8, 5)
        torch.testing.assert_close(out[:, n - 1], model(idx[:, n - window : n])[0][:, -1], atol=1e-5, rtol=0)


def test_crop_keep_matches_nanogpt_generation_context():
    model = tiny_model()
    idx = torch.randint(0, 13, (1, 20))
    cache = model.new_cache(1, keep=7)
    logits = model.forward_step(idx, cache)
    torch.testing.assert_close(logits[:, -1], model(idx[:, -8:])[0][:, -1], atol=1e-5, rtol=0)


def test_cache_rejects_a_wrong_batch():
    model = tiny_model()
    with pytest.raises(ValueError, match="batch of 2"):
        model.forward_step(torch.zeros(1, 1, dtype=torch.int64), model.new_cache(2))
    with pytest.raises(ValueError, match="keeps 0 to 7"):
        model.new_cache(1, keep=8)


def test_attention_rows_sum_to_one_and_look_back_only():
    model = tiny_model()
    idx = torch.randint(0, 13, (8,))
    maps = model.attention_at(idx, 4)
    assert maps.shape == (2, 2, 8) and maps.dtype == torch.float32
    torch.testing.assert_close(maps.sum(-1), torch.ones(2, 2))
    assert torch.all(maps[:, :, 5:] == 0) and torch.all(maps[:, :, :5] > 0)
    later = idx.clone()
    later[6] = (idx[6] + 1) % 13
    assert torch.equal(model.attention_at(later, 4), maps)
    assert model.attention_at(idx[None]).shape == (2, 2, 8)
    with pytest.raises(ValueError, match="outside"):
        model.attention_at(idx, 8)


def test_attention_maps_are_the_weights_the_model_uses():
    model = tiny_model()
    idx = torch.randint(0, 13, (1, 8))
    p = 5
    maps = model.attention_at(idx, p)
    block = model.blocks[0]
    x = block.ln_1(model.wte(idx) + model.wpe(torch.arange(8)))
    with torch.no_grad():
        _, _, v = block.attn._qkv(x)  # 1 x H x T x D
        mixed = torch.einsum("ht,htd->hd", maps[0], v[0]).reshape(1, -1)  # heads side by side
        torch.testing.assert_close(block.attn.c_proj(mixed)[0], block.attn(x)[0, p], atol=1e-6, rtol=0)
        block.attn.c_attn.weight[:16] = 0  # queries all zero: every earlier position weighs the same
    torch.testing.assert_close(model.attention_at(idx, p)[0], torch.full((2, 8), 1 / 6).masked_fill(torch.arange(8) > p, 0))


def test_attention_at_leaves_training_mode_alone():
    model = tiny_model(dropout=0.5).train()
    idx = torch.randint(0, 13, (8,))
    assert torch.equal(model.attention_at(idx), model.attention_at(idx))  # dropout off inside
    assert model.training


def test_a_lengthened_position_table_keeps_its_rows_and_repeats_its_second_half():
    table = torch.arange(8.0)[:, None].expand(8, 3)  # row p holds p
    longer = lengthen_positions(table, 14)
    assert longer[:, 0].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7, 4, 5]
    assert torch.equal(lengthen_positions(table, 8), table)
    with pytest.raises(ValueError, match="lengthened, not shortened"):
        lengthen_positions(table, 6)
