"""A finished run slims into a model that ships: float16 weights, no optimiser, a few snapshots; it still
generates, its snapshots still time-travel, and build-model writes the index the app reads."""

from __future__ import annotations

import json

import pytest
import torch

from playground.core import families
from playground.core.data.dataset import TextDataset
from playground.core.families.generators import load_generator
from playground.core.families.session import session_job
from playground.core.generators.text_generator import TextRequest
from playground.core.jobs import collect
from playground.core.runs.checkpoint import load_checkpoint
from playground.core.runs.release import pick_snapshots, release
from playground.core.runs.snapshots import list_snapshots


def test_pick_snapshots_spreads_over_the_run():
    assert pick_snapshots([10, 20, 40, 80, 160, 320], 3) == [10, 40, 320]
    assert pick_snapshots([10, 20], 3) == [10, 20]


def test_release_keeps_what_generation_needs_at_half_the_size(tmp_path):
    gpt = families.get("gpt")
    text = TextDataset("verse", "Shall I compare thee to a summer's day?\n" * 60)
    collect(session_job(gpt, text, gpt.preset("tiny", steps=48, samples_every=3), out_dir=tmp_path / "run"))
    assert len(list_snapshots(tmp_path / "run")) == 5  # steps 3, 6, 12, 24 and the end, 48
    shipped = release(tmp_path / "run", tmp_path / "shipped", snapshots=2)
    ck = load_checkpoint(shipped, with_optim=True)
    assert ck.optimizers == {} and all(v.dtype == torch.float16 for v in ck.networks["gpt"].values()
                                       if v.is_floating_point())
    assert [s for s, _ in list_snapshots(shipped)] == [3, 24]
    size = sum(p.stat().st_size for p in (shipped / "checkpoint").iterdir() if p.suffix == ".safetensors")
    full = sum(p.stat().st_size for p in (tmp_path / "run" / "checkpoint").iterdir() if p.suffix == ".safetensors")
    assert size < 0.4 * full
    gen = load_generator(shipped, "cpu")
    assert gen.generate(TextRequest("Shall", max_tokens=10, seed=1)).text
    assert load_generator(shipped, "cpu", snapshot=3).checkpoint.step == 3


@pytest.fixture
def assets(tmp_path, monkeypatch):
    """An assets folder with the first names and no models, in place of the real one."""
    from playground.core.paths import assets_dir

    folder = tmp_path / "assets"
    (folder / "datasets").mkdir(parents=True)
    for f in ("index.json", "first_names.txt.gz"):
        (folder / "datasets" / f).write_bytes((assets_dir() / "datasets" / f).read_bytes())
    monkeypatch.setenv("PLAYGROUND_ASSETS", str(folder))
    return folder


def test_build_model_trains_its_recipe_and_writes_the_index(tmp_path, monkeypatch, capsys, assets):
    from playground.cli import build_cmd, main

    monkeypatch.setitem(build_cmd.RECIPES, "names", {**build_cmd.RECIPES["names"],
                                                     "train": [*build_cmd.RECIPES["names"]["train"], "--preset", "tiny"]})
    assert main(["build-model", "names", "--work", str(tmp_path / "work"), "--device", "cpu"]) == 0
    index = json.loads((assets / "models" / "index.json").read_text())
    entry = index["models"][0]
    assert entry["name"] == "names" and entry["family"] == "gpt" and entry["command"].endswith("build-model names")
    assert "min on" in entry["wall_time"] and entry["steps"] == 6
    gen = load_generator("names", "cpu")  # a bundled model by name
    assert gen.card()["source"] == "first-names"


def test_release_only_ships_a_finished_build_again_with_new_defaults(tmp_path, monkeypatch, capsys, assets):
    from playground.cli import build_cmd, main

    recipe = {**build_cmd.RECIPES["names"], "train": [*build_cmd.RECIPES["names"]["train"], "--preset", "tiny"]}
    monkeypatch.setitem(build_cmd.RECIPES, "names", recipe)
    work = str(tmp_path / "work")
    assert main(["build-model", "names", "--work", work, "--device", "cpu"]) == 0
    index = assets / "models" / "index.json"
    wall, weights = json.loads(index.read_text())["models"][0]["wall_time"], load_checkpoint(assets / "models" / "names").networks
    monkeypatch.setitem(build_cmd.RECIPES, "names", {**recipe, "sampling": {"sample_tokens": 33}})
    assert main(["build-model", "names", "--release-only", "--work", work]) == 0
    shipped = load_checkpoint(assets / "models" / "names")
    assert shipped.model_config["sample_tokens"] == 33  # the tiny preset's is 20
    assert all(torch.equal(shipped.networks["gpt"][k], v) for k, v in weights["gpt"].items())
    assert json.loads(index.read_text())["models"][0]["wall_time"] == wall  # no training happened
    monkeypatch.setitem(build_cmd.RECIPES, "names", {**recipe, "sampling": {"sample_tokens": 0}})
    capsys.readouterr()
    assert main(["build-model", "names", "--release-only", "--work", work]) == 2
    assert "sample_tokens" in capsys.readouterr().err
    monkeypatch.setitem(build_cmd.RECIPES, "names", {**recipe, "sampling": {"guidance": 4.0}})
    assert main(["build-model", "names", "--release-only", "--work", work]) == 2
    assert "a gpt model has no setting guidance" in capsys.readouterr().err
    assert load_checkpoint(assets / "models" / "names").model_config["sample_tokens"] == 33  # the shipped model is untouched
    assert main(["build-model", "names", "--release-only", "--work", str(tmp_path / "nothing")]) == 2


def test_a_recipe_that_calibrates_ships_the_calibrated_model_and_says_so_in_the_index(tmp_path, monkeypatch, capsys,
                                                                                       assets):
    from playground.cli import build_cmd, main

    recipe = {**build_cmd.RECIPES["names"], "train": [*build_cmd.RECIPES["names"]["train"], "--preset", "tiny"],
              "calibrate": True}
    monkeypatch.setitem(build_cmd.RECIPES, "names", recipe)
    work = str(tmp_path / "work")
    assert main(["build-model", "names", "--work", work, "--device", "cpu"]) == 0
    entry = json.loads((assets / "models" / "index.json").read_text())["models"][0]
    shipped = load_checkpoint(assets / "models" / "names")
    calibration = shipped.extra["calibration"]
    assert entry["calibration"]["temperature"] == pytest.approx(calibration["temperature"], abs=1e-4)
    assert entry["calibration"]["val_nats_per_char"] == [round(calibration["before"], 4), round(calibration["after"], 4)]
    assert "calibrated, logits divided by" in capsys.readouterr().out
    assert "calibration" not in load_checkpoint(tmp_path / "work").extra  # the build's own run stays as trained
    assert main(["build-model", "names", "--release-only", "--work", work]) == 0  # calibrated once again, not twice
    again = load_checkpoint(assets / "models" / "names")
    assert again.extra["calibration"]["total_temperature"] == calibration["total_temperature"]
    assert all(torch.equal(again.networks["gpt"][k], v) for k, v in shipped.networks["gpt"].items())


def test_build_model_resume_finishes_an_interrupted_recipe(tmp_path, monkeypatch, capsys, assets):
    from playground.cli import build_cmd, main

    recipe = [*build_cmd.RECIPES["names"]["train"], "--preset", "tiny"]
    monkeypatch.setitem(build_cmd.RECIPES, "names", {**build_cmd.RECIPES["names"], "train": recipe})
    work = tmp_path / "work"
    # A build that stopped at step 3 of its 6 (the session ended): its run.json says 6.
    assert main([*recipe, "--steps", "3", "--device", "cpu", "--out", str(work)]) == 0
    info = json.loads((work / "run.json").read_text())
    info["config"]["steps"] = 6
    (work / "run.json").write_text(json.dumps(info))
    assert main(["build-model", "names", "--resume", "--work", str(work), "--device", "cpu"]) == 0
    entry = json.loads((assets / "models" / "index.json").read_text())["models"][0]
    assert entry["steps"] == 6 and entry["wall_time"].endswith("resumed at step 3")  # 3 more, not 6 more
    capsys.readouterr()
    assert main(["build-model", "names", "--resume", "--work", str(work), "--device", "cpu"]) == 2
    assert "already reached step 6 of 6" in capsys.readouterr().err


def test_a_recipe_with_a_second_stage_builds_and_resumes_both(tmp_path, monkeypatch, capsys, assets):
    # The sound model trains 3,000 steps, then 2,000 more on a second schedule: one build-model command.
    from playground.cli import build_cmd, main

    train = [*build_cmd.RECIPES["names"]["train"], "--preset", "tiny"]
    recipe = {**build_cmd.RECIPES["names"], "train": train, "steps": 4,
              "then": [{"steps": 2, "set": ["lr=1e-4", "warmup_steps=0"]}]}
    monkeypatch.setitem(build_cmd.RECIPES, "names", recipe)
    work = tmp_path / "work"
    assert main(["build-model", "names", "--work", str(work), "--device", "cpu"]) == 0
    entry = json.loads((assets / "models" / "index.json").read_text())["models"][0]
    config = json.loads((work / "run.json").read_text())["config"]
    assert entry["steps"] == 6 and config["steps"] == 2 and config["learning_rates"]["model"] == 1e-4
    assert entry["train_command"].endswith("--preset tiny --steps 4 && python -m playground train text --dataset "
                                           "first-names --preset names --seed 0 --preset tiny --resume --steps 2 "
                                           "--set lr=1e-4 --set warmup_steps=0")
    # Stopped one step into the second stage: the rest of it, on its own schedule, not the first stage again.
    steps = build_cmd.resume_commands(["train"], 4, recipe["then"], 5)
    assert steps == [["train", "--resume", "--steps", "1", "--set", "lr=1e-4", "--set", "warmup_steps=0",
                      "--set", "schedule_done=1"]]
    assert build_cmd.resume_commands(["train"], 4, recipe["then"], 1)[0][-3:] == ["3", "--set", "schedule_done=1"]
    assert len(build_cmd.resume_commands(["train"], 4, recipe["then"], 1)) == 2
    capsys.readouterr()
    assert main(["build-model", "names", "--resume", "--work", str(work), "--device", "cpu"]) == 2
    assert "already reached step 6 of 6" in capsys.readouterr().err


def test_every_recipe_with_stages_says_how_long_its_first_is():
    from playground.cli.build_cmd import RECIPES

    assert all("steps" in recipe for recipe in RECIPES.values() if recipe.get("then"))


def test_every_bundled_model_loads_by_name_and_makes_something():
    # What ships in assets/models: each index entry loads, says what it learned from, and generates.
    from playground.core.generators.diffusion_generator import ImageRequest
    from playground.core.runs.bundled_models import bundled_models

    shipped = {m.name: m for m in bundled_models()}
    assert set(shipped) == {"shakespeare", "names", "digits", "emoji", "instruments"}
    for name, model in shipped.items():
        gen = load_generator(name, "cpu")
        assert gen.card()["source"] == model.dataset and list_snapshots(model.folder), name
        if model.family == "gpt":
            assert len(gen.generate(TextRequest("A", max_tokens=5, seed=0)).choices) == 5
        elif gen.kind == "audio":
            assert gen.generate_audio(ImageRequest("a flute playing A4", 1, 2)).clips.shape[0] == 1
        else:
            assert gen.generate(ImageRequest(gen.prompts[0], 1, 2)).images.shape[0] == 1
