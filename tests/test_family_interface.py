"""A family defined only in the tests (``gaussian_family.py``) trains through the one loop, checkpoints,
resumes, generates through the registry and shows in the Train tab: the interface, proven before the
real families arrive."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.core import families
from playground.core.data.dataset import PointsDataset
from playground.core.events import Metrics, TextSample
from playground.core.families.generators import load_generator
from playground.core.families.session import session_job
from playground.core.jobs import collect
from playground.core.runs.checkpoint import CheckpointError, load_checkpoint
from tests.gaussian_family import GAUSSIAN


@pytest.fixture
def gaussian():
    families.register(GAUSSIAN)
    yield GAUSSIAN
    families.unregister("gaussian")


def blob(n: int = 500) -> PointsDataset:
    rng = np.random.default_rng(0)
    pts = rng.normal([1.5, -1.0], [0.5, 0.2], (n, 2))
    return PointsDataset("blob", pts, np.zeros(n), ["blob"])


def test_the_registry_offers_it_beside_the_gan_for_points_only(gaussian):
    assert [f.name for f in families.for_data(frozenset({"points"}))] == ["gan", "gaussian"]
    assert "gaussian" not in [f.name for f in families.for_data(frozenset({"images"}))]
    with pytest.raises(ValueError, match="unknown model family 'nope'"):
        families.get("nope")


def test_it_trains_checkpoints_resumes_and_generates(gaussian, tmp_path):
    settings = gaussian.preset("tiny", steps=40, lr=0.1)
    first, events = collect(session_job(gaussian, blob(), settings, out_dir=tmp_path / "run"))
    assert first.step == 40 and first.checkpoint is not None
    nll = [e.values["nll"] for e in events if isinstance(e, Metrics)]
    assert nll[-1] < nll[0]  # it learned
    assert any(isinstance(e, TextSample) for e in events)
    saved = load_checkpoint(tmp_path / "run")
    assert saved.family == "gaussian" and saved.step == 40 and "batches.rng" in saved.state
    more, _ = collect(session_job(gaussian, blob(), settings.replace(steps=20), out_dir=tmp_path / "run",
                                  resume_from=tmp_path / "run"))
    assert more.step == 60 and list(more.history.steps("nll"))[:2] == [5, 10]
    straight, _ = collect(session_job(gaussian, blob(), settings.replace(steps=60), out_dir=tmp_path / "straight"))
    a, b = load_checkpoint(tmp_path / "run").networks, load_checkpoint(tmp_path / "straight").networks
    assert torch.equal(a["gaussian"]["mu"], b["gaussian"]["mu"])  # resumed == uninterrupted
    generator = load_generator(tmp_path / "run", "cpu")
    points = generator.generate(2000)
    assert points.shape == (2000, 2) and np.allclose(points.mean(0), [1.5, -1.0], atol=0.3)


def test_a_checkpoint_of_an_unknown_family_is_refused_in_one_line(gaussian, tmp_path):
    collect(session_job(gaussian, blob(), gaussian.preset("tiny", steps=2), out_dir=tmp_path / "run"))
    families.unregister("gaussian")
    with pytest.raises(CheckpointError, match="'gaussian' model, which this app does not know"):
        load_generator(tmp_path / "run", "cpu")
    families.register(GAUSSIAN)
    gan = families.get("gan")
    with pytest.raises(CheckpointError, match="holds a gaussian model, not a gan"):
        collect(session_job(gan, blob(), gan.preset("tiny"), resume_from=tmp_path / "run"))


def test_the_train_tab_shows_and_trains_it_with_no_code_of_its_own(gaussian, qtbot, runner):
    from playground.ui.dataset_store import DatasetStore
    from playground.ui.tabs.train_tab import TrainTab

    store = DatasetStore()
    tab = TrainTab(store, runner)
    qtbot.addWidget(tab)
    tab.show()
    data = blob()
    store.add(data)
    store.set_current(data)
    combo = tab.controls.family
    assert [combo.itemData(i) for i in range(combo.count())] == ["gan", "gaussian"]
    combo.setCurrentIndex(1)
    assert tab.controls.form.names() == ["steps", "lr", "init_std"]
    assert [plot.plotItem.titleLabel.text for plot in tab.plots] == ["Negative log-likelihood"]
    tab.controls.start_button.click()
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=60_000)
    assert tab.history().last_step() == 30
    qtbot.waitUntil(lambda: tab.plots[0].listed() == ["NLL (nats)"], timeout=5000)
    assert "mean: (" in tab.panel.text_view.toPlainText()
    assert tab.panel.export_png_button.isHidden()  # its exports save sample grids, and a text run has none
    assert any("checkpoint saved at step 30" in tab.alerts.item(i).text() for i in range(tab.alerts.count()))
