"""The UNet: shapes for square and non-square images, conditioning, masking, batch independence."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from playground.core.models.unet import UNET_PRESETS, UNet, UNetConfig, count_parameters, timestep_embedding


def randomised(model: UNet, seed: int = 0) -> UNet:
    """The model with its zero-initialised layers filled, so every input path shows in the output."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if not p.any():
                p.normal_(0.0, 0.1)
    return model.eval()


def text(n: int, length: int = 5, dim: int = 16, real: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    mask = torch.zeros(n, length, dtype=torch.bool)
    mask[:, :real] = True
    return torch.randn(n, length, dim, generator=gen), mask


@pytest.mark.parametrize(("channels", "height", "width", "mults"), [
    (1, 28, 28, (1, 2, 2)), (3, 32, 32, (1, 2, 2)), (1, 64, 96, (1, 2, 2)), (1, 30, 17, (1, 2, 2)), (3, 8, 8, (1, 2, 2, 2)),
])
def test_output_has_the_input_shape(channels, height, width, mults):
    config = UNetConfig(channels=channels, width=8, mults=mults, attention_levels=(len(mults) - 1,), heads=2,
                        groups=4, text_dim=16)
    model = randomised(UNet(config))
    x = torch.randn(2, channels, height, width)
    tokens, mask = text(2)
    out = model(x, torch.tensor([0, 999]), tokens, mask)
    assert out.shape == x.shape and torch.isfinite(out).all()


def test_padding_is_cropped_away_and_gradients_reach_every_pixel():
    model = randomised(UNet(UNET_PRESETS["tiny"]))
    x = torch.randn(1, 1, 13, 10, requires_grad=True)
    tokens, mask = text(1)
    model(x, torch.tensor([500]), tokens, mask).sum().backward()
    assert x.grad is not None and (x.grad != 0).float().mean() > 0.9


def test_a_new_model_predicts_zero_noise():  # zero-initialised output layer (Dhariwal & Nichol): a stable start
    model = UNet(UNET_PRESETS["tiny"])
    tokens, mask = text(2)
    assert torch.equal(model(torch.randn(2, 1, 8, 8), torch.tensor([3, 4]), tokens, mask), torch.zeros(2, 1, 8, 8))


def test_caption_and_timestep_change_the_prediction_but_padding_does_not():
    model = randomised(UNet(UNET_PRESETS["tiny"]))
    x, t = torch.randn(2, 1, 8, 8), torch.tensor([100, 100])
    tokens, mask = text(2)
    base = model(x, t, tokens, mask)
    other_caption = model(x, t, tokens + torch.randn_like(tokens) * (mask[:, :, None]), mask)
    assert (base - other_caption).abs().max() > 1e-3
    other_time = model(x, torch.tensor([700, 700]), tokens, mask)
    assert (base - other_time).abs().max() > 1e-3
    changed_padding = tokens.clone()
    changed_padding[~mask] = 50.0
    torch.testing.assert_close(model(x, t, changed_padding, mask), base)


def test_tokens_and_pooled_vector_each_carry_the_caption():
    model = randomised(UNet(UNET_PRESETS["tiny"]))
    x, t = torch.randn(2, 1, 8, 8), torch.tensor([100, 100])
    tokens, mask = text(2)
    pooled = torch.zeros(2, 16)
    base = model(x, t, tokens, mask, pooled)
    other_tokens = model(x, t, tokens + torch.randn_like(tokens), mask, pooled)  # cross-attention only
    other_pooled = model(x, t, tokens, mask, pooled + 1.0)  # the embedding only
    assert (base - other_tokens).abs().max() > 1e-3
    assert (base - other_pooled).abs().max() > 1e-3


def test_an_empty_caption_attends_to_the_learned_null_token():
    model = randomised(UNet(UNET_PRESETS["tiny"]))
    tokens, _ = text(2)
    x, t, empty = torch.randn(2, 1, 8, 8), torch.tensor([1, 2]), torch.zeros(2, 5, dtype=torch.bool)
    out = model(x, t, tokens, empty)
    assert torch.isfinite(out).all()
    with torch.no_grad():
        model.mid_attn.null.add_(1.0)
    assert (model(x, t, tokens, empty) - out).abs().max() > 1e-4


def test_each_image_is_predicted_on_its_own():  # guidance batches cond and uncond together
    model = randomised(UNet(UNET_PRESETS["tiny"])).train()  # no batch statistics, in training either
    x, t = torch.randn(6, 1, 8, 8), torch.tensor([5, 50, 500, 999, 0, 10])
    tokens, mask = text(6)
    together = model(x, t, tokens, mask)
    alone = torch.cat([model(x[i : i + 1], t[i : i + 1], tokens[i : i + 1], mask[i : i + 1]) for i in range(6)])
    torch.testing.assert_close(together, alone, atol=1e-5, rtol=1e-4)


def test_unconditional_model_and_missing_text():
    model = randomised(UNet(UNetConfig(width=8, mults=(1, 2), attention_levels=(1,), heads=2, groups=4, text_dim=0)))
    assert model(torch.randn(2, 1, 8, 8), torch.tensor([1, 2])).shape == (2, 1, 8, 8)
    conditional = UNet(UNET_PRESETS["tiny"])
    with pytest.raises(ValueError, match="text-conditioned"):
        conditional(torch.randn(2, 1, 8, 8), torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="1-channel"):
        conditional(torch.randn(2, 3, 8, 8), torch.tensor([1, 2]), *text(2))


def test_a_few_steps_learn_the_noise_of_one_batch():
    torch.manual_seed(0)
    model = UNet(UNET_PRESETS["tiny"])
    x0 = torch.rand(8, 1, 8, 8) * 2 - 1
    noise, t = torch.randn(8, 1, 8, 8), torch.randint(0, 1000, (8,))
    x_t = 0.6 * x0 + 0.8 * noise
    tokens, mask = text(8)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(40):
        loss = F.mse_loss(model(x_t, t, tokens, mask), noise)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="norm groups"):
        UNetConfig(width=30)
    with pytest.raises(ValueError, match="do not exist"):
        UNetConfig(attention_levels=(3,))
    with pytest.raises(ValueError, match="multipliers"):
        UNetConfig(mults=())
    with pytest.raises(ValueError, match="dropout"):
        UNetConfig(dropout=1.0)


def test_default_is_sized_for_a_laptop_cpu():
    assert 500_000 <= count_parameters(UNet(UNET_PRESETS["default"])) <= 2_000_000
    assert count_parameters(UNet(UNET_PRESETS["tiny"])) < 50_000


def test_timestep_embedding():
    emb = timestep_embedding(torch.tensor([0, 1, 500, 999]), 33)
    assert emb.shape == (4, 33)
    assert torch.all(emb.abs() <= 1.0)
    assert torch.cdist(emb, emb).fill_diagonal_(1.0).min() > 0.1  # each timestep its own vector
