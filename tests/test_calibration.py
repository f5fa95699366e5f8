"""Temperature scaling: the fit finds the temperature the data was drawn at, folding it into a GPT's weights
divides its logits exactly, and ``calibrate text`` rewrites a checkpoint that then scores as it said."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from playground.cli import main
from playground.core.generators.text_calibration import calibrate_text
from playground.core.generators.text_generator import TextGenerator
from playground.core.metrics.calibration import cross_fitted_nats, fit_temperature, mean_nats
from playground.core.models.gpt import GPT, GPTConfig, divide_logits
from playground.core.models.text_model_config import TextModelConfig
from playground.core.runs.checkpoint import CheckpointError, load_checkpoint
from text_model import copy_run, copy_with_meta, train_tiny_gpt


def drawn(temperature: float, n: int = 40_000, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits N x 12 and targets drawn from softmax(logits / temperature): what a model off by that much sees."""
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, 12, generator=g) * 3
    targets = torch.multinomial(torch.softmax(logits / temperature, -1), 1, generator=g)[:, 0]
    return logits, targets


@pytest.mark.parametrize("truth", [0.7, 1.0, 1.5])
def test_the_fit_finds_the_temperature_the_targets_were_drawn_at(truth):
    logits, targets = drawn(truth)
    t = fit_temperature(logits, targets)
    assert abs(t - truth) < 0.05 * truth
    best = mean_nats(logits, targets, t)
    assert all(best <= mean_nats(logits, targets, t * k) for k in (0.9, 0.97, 1.03, 1.1))


def test_the_fit_refuses_what_it_cannot_fit():
    logits, targets = drawn(1.0, n=10)
    with pytest.raises(ValueError, match="N x V"):
        fit_temperature(logits[:, None], targets)
    with pytest.raises(ValueError, match="N x V"):
        fit_temperature(logits[:0], targets[:0])
    with pytest.raises(ValueError, match="range must hold 1"):
        fit_temperature(logits, targets, low=1.5)
    assert fit_temperature(logits * 0, targets) == pytest.approx(4.0, rel=1e-3)  # flat logits: any T; an end
    with pytest.raises(ValueError, match="two predictions"):
        cross_fitted_nats(logits[:1], targets[:1])


def test_cross_fitting_matches_one_fit_when_the_halves_agree_and_not_when_they_differ():
    logits, targets = drawn(1.4)
    one = mean_nats(logits, targets, fit_temperature(logits, targets))
    assert abs(cross_fitted_nats(logits, targets) - one) < 0.002
    # Halves drawn at 0.5 and 2.0: each half's temperature is wrong for the other, and cross-fitting shows it.
    sharp, flat = drawn(0.5, 20_000, 1), drawn(2.0, 20_000, 2)
    logits, targets = torch.cat([sharp[0], flat[0]]), torch.cat([sharp[1], flat[1]])
    assert cross_fitted_nats(logits, targets) > mean_nats(logits, targets, fit_temperature(logits, targets)) + 0.1


@pytest.mark.parametrize("bias", [False, True])
def test_dividing_the_logits_in_the_weights_is_exact_in_both_forward_passes(bias):
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=13, block_size=8, n_layer=2, n_head=2, n_embd=16, bias=bias)).eval()
    with torch.no_grad():
        model.ln_f.weight.normal_(1.0, 0.3)
        if bias:
            model.ln_f.bias.normal_(0.0, 0.3)
    idx = torch.randint(0, 13, (2, 8))
    before = model(idx)[0]
    state = model.state_dict()
    changed = divide_logits(state, 1.25)
    assert torch.equal(state["ln_f.weight"], model.ln_f.weight)  # the original is left alone
    model.load_state_dict(changed)
    torch.testing.assert_close(model(idx)[0], before / 1.25, atol=1e-5, rtol=1e-5)
    cache = model.new_cache(2)
    torch.testing.assert_close(model.forward_step(idx, cache), before / 1.25, atol=1e-5, rtol=1e-5)
    half = divide_logits({k: v.half() for k, v in state.items()}, 1.25)
    assert half["ln_f.weight"].dtype == torch.float16
    with pytest.raises(ValueError, match="positive"):
        divide_logits(state, 0.0)
    with pytest.raises(ValueError, match="not a GPT"):
        divide_logits({"net.weight": torch.ones(2)}, 1.2)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return train_tiny_gpt(tmp_path_factory.mktemp("gpt") / "run", steps=40)


def validation_nats(folder) -> float:
    ckpt = load_checkpoint(folder, with_optim=False)
    gen = TextGenerator(ckpt, TextModelConfig.from_dict(ckpt.model_config), torch.device("cpu"))
    ids = gen.validation_ids()
    return gen.nats_per_char(gen.tokenizer.decode(ids))[0]


def test_calibrating_a_run_saves_the_temperature_in_its_weights_and_says_so(run, tmp_path):
    folder = copy_run(run, tmp_path / "run")
    trained = load_checkpoint(folder)
    before = validation_nats(folder)
    result = calibrate_text(folder)
    assert result.before == pytest.approx(before, abs=1e-4)
    assert result.temperature != pytest.approx(1.0, abs=0.01)  # 40 steps: not a calibrated model yet
    assert result.after < result.before and result.after == pytest.approx(validation_nats(folder), abs=1e-4)
    saved = load_checkpoint(folder)
    assert saved.extra["calibration"]["temperature"] == pytest.approx(result.temperature)
    assert saved.extra["calibration"]["step"] == saved.step == trained.step
    assert saved.optimizers.keys() == trained.optimizers.keys()  # the run can still be resumed
    writes_at = trained.model_config["sample_temperature"]
    assert saved.model_config["sample_temperature"] == round(writes_at / result.temperature, 2)
    assert result.sample_temperature == (writes_at, saved.model_config["sample_temperature"])
    changed = [k for k, v in saved.networks["gpt"].items() if not torch.equal(v, trained.networks["gpt"][k])]
    assert changed == ["ln_f.weight"]
    card = TextGenerator(saved, TextModelConfig.from_dict(saved.model_config), torch.device("cpu")).card()
    assert card["calibration"]["after"] == pytest.approx(result.after)
    again = calibrate_text(folder)  # nothing left to fit; the total carries the first
    assert again.temperature == pytest.approx(1.0, abs=0.005)
    assert again.total_temperature == pytest.approx(result.temperature * again.temperature)
    assert load_checkpoint(folder).model_config["sample_temperature"] == saved.model_config["sample_temperature"]
    saved.step += 1  # as if it trained on: the record no longer describes these weights
    assert TextGenerator(saved, TextModelConfig.from_dict(saved.model_config), torch.device("cpu")).card()["calibration"] is None


def test_a_long_validation_split_is_fitted_on_its_start_to_bound_memory(run, tmp_path, monkeypatch):
    from playground.core.generators import text_calibration

    whole = calibrate_text(copy_run(run, tmp_path / "whole"))
    vocab = load_checkpoint(run).model_config["vocab_size"]
    monkeypatch.setattr(text_calibration, "MAX_LOGITS", vocab * 201)
    start = calibrate_text(copy_run(run, tmp_path / "start"))
    assert start.characters == 200 < whole.characters  # 201 tokens: 200 predictions of one character each


def test_calibration_refuses_other_families_and_models_without_their_text(run, tmp_path):
    other = copy_with_meta(run, tmp_path / "other", lambda meta: meta.update(family="diffusion"))
    with pytest.raises(CheckpointError, match="calibration is for text models"):
        calibrate_text(other)
    bare = copy_with_meta(run, tmp_path / "bare", lambda meta: meta["sha256"].pop("corpus.txt.gz"))
    (bare / "checkpoint" / "corpus.txt.gz").unlink()
    with pytest.raises(ValueError, match="did not keep its training text"):
        calibrate_text(bare)


def test_calibrate_text_prints_its_figures_and_refuses_a_damaged_checkpoint_in_one_line(capsys, run, tmp_path):
    folder = copy_run(run, tmp_path / "run")
    assert main(["calibrate", "text", "--checkpoint", str(folder), "--device", "cpu", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert {"temperature", "before", "after", "cross_fitted", "characters"} <= set(figures)
    assert figures["after"] < figures["before"]
    writes_at = load_checkpoint(folder).model_config["sample_temperature"]
    common = ["generate", "text", "--checkpoint", str(folder), "--prompt", "KING", "--max-tokens", "60", "--seed", "2"]
    assert main(common) == 0
    own = capsys.readouterr().out
    assert main([*common, "--temperature", str(writes_at)]) == 0 and capsys.readouterr().out == own
    assert main([*common, "--temperature", "0.8"]) == 0 and capsys.readouterr().out != own
    assert main(["calibrate", "text", "--checkpoint", str(folder), "--out", str(tmp_path / "copy")]) == 0
    assert "copy: logits divided by" in capsys.readouterr().out and (tmp_path / "copy" / "checkpoint").is_dir()
    assert main(["calibrate", "text", "--checkpoint", str(folder), "--out", str(tmp_path / "copy")]) == 2
    assert "exists already" in capsys.readouterr().err
    weights = folder / "checkpoint" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    capsys.readouterr()
    assert main(["calibrate", "text", "--checkpoint", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "damaged" in err and len(err.strip().splitlines()) == 1


def test_the_bundled_shakespeare_model_is_calibrated_below_the_target():
    from playground.core.families.generators import load_generator

    card = load_generator("shakespeare", "cpu").card()
    calibration = card["calibration"]
    assert calibration["after"] <= 1.55 and calibration["cross_fitted"] <= 1.55
    assert calibration["total_temperature"] > 1  # it was too sure of itself


def test_a_calibrated_copy_leaves_its_source_and_takes_a_new_folder(run, tmp_path):
    from playground.core.generate.text_explore import calibrate_job
    from playground.core.generators.text_calibration import calibrate_copy, free_folder
    from playground.core.jobs import collect

    source = copy_run(run, tmp_path / "source")
    weights = (source / "checkpoint" / "model.safetensors").read_bytes()
    result = calibrate_copy(source, tmp_path / "copy")
    assert (source / "checkpoint" / "model.safetensors").read_bytes() == weights
    assert load_checkpoint(tmp_path / "copy").extra["calibration"]["temperature"] == pytest.approx(result.temperature)
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == sorted(p.name for p in source.iterdir())
    with pytest.raises(ValueError, match="exists already"):
        calibrate_copy(source, tmp_path / "copy")
    assert free_folder(tmp_path / "copy") == tmp_path / "copy-2"
    alone = tmp_path / "alone"  # a checkpoint folder by itself, not in a run
    shutil.copytree(source / "checkpoint", alone)
    (folder, again), _events = collect(calibrate_job(str(alone), tmp_path / "checkpoint-only"))
    assert folder == str(tmp_path / "checkpoint-only") and (tmp_path / "checkpoint-only" / "meta.json").exists()
    assert again.temperature == pytest.approx(result.temperature)
    with pytest.raises(CheckpointError):
        calibrate_copy(tmp_path / "nowhere", tmp_path / "copy-3")
    assert not (tmp_path / "copy-3").exists() and not list(tmp_path.glob(".copy-3.tmp-*"))
