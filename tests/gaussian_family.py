"""A tiny model family that lives in the tests: a 2D Gaussian fitted by maximum likelihood.

It proves the family interface: it trains through the one loop, checkpoints,
resumes and generates through the registry, and shows in the Train tab, with
no change to the loop, the checkpoint code or the tab.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch

from playground.core.events import TextSample
from playground.core.families import CurveGroup, Family, FormSpec
from playground.core.preprocess.prepared import points_of
from playground.core.training.batches import Batches
from playground.core.training.run_config import RunConfig
from playground.core.training.settings import Settings
from playground.core.training.trainer import Trainer


@dataclass(frozen=True)
class GaussianConfig:
    init_std: float = 1.0  # the starting standard deviation of both axes

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> GaussianConfig:
        return cls(**data)


class GaussianTrainer(Trainer):
    item_noun = "points"

    def __init__(self, settings: Settings, data, device) -> None:
        self.device, self.run = device, settings.run
        self.x = torch.from_numpy(points_of(data)).to(device)
        self.mean = torch.nn.ParameterDict({"mu": torch.nn.Parameter(torch.zeros(2)),
                                            "log_std": torch.nn.Parameter(torch.full((2,), math.log(settings.model.init_std)))})
        self.opt = torch.optim.Adam(self.mean.parameters(), lr=settings.run.learning_rates["model"])
        self.batches = Batches(len(self.x), settings.run.seed)

    def train_step(self, part):
        batch = self.x[self.batches.take(self.run.batch_size)]
        dist = torch.distributions.Normal(self.mean["mu"], self.mean["log_std"].exp())
        loss = -dist.log_prob(batch).sum(1).mean()  # negative log-likelihood, nats per point
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return {"nll": loss.detach()}

    def networks(self):
        return {"gaussian": self.mean}

    def optimizers(self):
        return {"model": self.opt}

    def items_per_step(self, part):
        return self.run.batch_size

    def get_state(self):
        return self.batches.state()

    def set_state(self, state):
        self.batches.set_state(state)

    def observe(self, step, keep):
        mu = self.mean["mu"].detach().tolist()
        return {"mean_x": mu[0]}, [TextSample(step, "mean: ", f"({mu[0]:.2f}, {mu[1]:.2f})")]


class GaussianGenerator:
    family = "gaussian"

    def __init__(self, checkpoint, device) -> None:
        self.mu, self.log_std = checkpoint.networks["gaussian"]["mu"], checkpoint.networks["gaussian"]["log_std"]

    def generate(self, request: int, *, on_step=None, cancel=None):
        gen = torch.Generator().manual_seed(0)
        return (self.mu + self.log_std.exp() * torch.randn(request, 2, generator=gen)).numpy()


GAUSSIAN = Family(
    name="gaussian", title="Gaussian: one bell curve fitted to the points", config_class=GaussianConfig,
    presets={"tiny": Settings(GaussianConfig(), RunConfig(steps=30, batch_size=64, learning_rates={"model": 0.1},
                                                          metrics_every=5, samples_every=10, checkpoint_every=0))},
    accepts=frozenset({"points"}), make_trainer=lambda settings, data, device, extras: GaussianTrainer(settings, data, device),
    load_generator=GaussianGenerator, curves=(CurveGroup("Negative log-likelihood", (("nll", "NLL (nats)"),)),),
    form=FormSpec(fields=("steps", "lr", "init_std")),
)
