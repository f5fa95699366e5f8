"""Settings typed on a command line are parsed by the setting's type, with errors that name both."""

from __future__ import annotations

import pytest

from playground.core import families
from playground.core.config_fields import field_kinds, parse_assignments, parse_value
from playground.core.models.gan_config import GANConfig

SETTINGS = families.get("gan").preset("tiny")


def test_kinds_come_from_the_dataclass_annotations():
    kinds = field_kinds(GANConfig)
    assert (kinds["spectral_norm"], kinds["latent_dim"], kinds["betas_g"], kinds["loss"]) == ("bool", "int", "pair", "str")
    flat = SETTINGS.kinds()  # the family's and the run's settings as one flat set
    assert (flat["batch_size"], flat["lr_g"], flat["lr_d"], flat["minutes"], flat["spectral_norm"]) == (
        "int", "float", "float", "float", "bool")


@pytest.mark.parametrize("raw, value", [("False", False), ("no", False), ("0", False), ("OFF", False),
                                        ("true", True), ("Yes", True), ("1", True), ("on", True)])
def test_booleans_from_words(raw, value):
    assert parse_value("spectral_norm", "bool", raw) is value


def test_spectral_norm_false_switches_it_off():
    settings = SETTINGS.with_assignments(["spectral_norm=False", "lr_g=1e-3", "betas_g=0.5,0.99", "loss=lsgan"])
    assert settings.model.spectral_norm is False and settings.run.learning_rates["g"] == 1e-3
    assert settings.model.betas_g == (0.5, 0.99) and settings.model.loss == "lsgan"


@pytest.mark.parametrize("pair, message", [
    ("batch_size=2.5", "batch_size takes a whole number, not '2.5'"),
    ("steps=1.5", "steps takes a whole number"),
    ("lr_g=abc", "lr_g takes a number, not 'abc'"),
    ("lr_g=nan", "lr_g must be a finite number"),
    ("betas_g=5", "betas_g takes two numbers"),
    ("spectral_norm=maybe", "spectral_norm takes true or false"),
    ("colour=red", "unknown GAN setting 'colour'"),
    ("lr_g", "KEY=VALUE"),
    ("loss=", "loss needs a value"),
])
def test_bad_values_name_the_setting_and_the_type(pair, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        parse_assignments(SETTINGS.kinds(), [pair], what="GAN setting")
