"""Quality measures: Fréchet distance, nearest neighbours, alerts, history, the classifier."""

from __future__ import annotations

import math

import numpy as np
import pytest

from playground.core.preprocess.prepared import PreparedImages
from playground.core.metrics import (
    check_alerts,
    copy_ratio,
    d_overpowering_alert,
    frechet_distance,
    mode_collapse_alert,
    nearest_neighbours,
    typical_neighbour_distance,
)
from playground.core.models.classifier import CLASSIFIER_PRESETS, ClassifierConfig, class_shares
from playground.core.training.classifier_trainer import train_classifier
from playground.core.runs.history import MetricHistory, SampleHistory, tile


def test_frechet_distance():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 4))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    shifted = a + np.array([3.0, 0, 0, 0])
    assert frechet_distance(a, shifted) == pytest.approx(9.0, rel=1e-3)
    # 1-D Gaussians: d^2 = (mu1 - mu2)^2 + (s1 - s2)^2
    x, y = rng.normal(0, 1, (20000, 1)), rng.normal(1, 2, (20000, 1))
    assert frechet_distance(x, y) == pytest.approx(2.0, rel=0.05)
    assert frechet_distance(a, rng.normal(size=(500, 4))) < frechet_distance(a, 2 * a)


def test_nearest_neighbours_and_copying():
    rng = np.random.default_rng(1)
    train = rng.normal(size=(300, 1, 4, 4)).astype(np.float32)
    samples = train[[5, 17]] + 0.01
    idx, dist = nearest_neighbours(samples, train, batch=1)
    assert list(idx) == [5, 17] and np.all(dist < 0.1)
    typical = typical_neighbour_distance(train, n=50)
    assert typical > 1.0
    assert np.all(copy_ratio(dist, typical) < 0.5)
    with pytest.raises(ValueError, match="values each"):
        nearest_neighbours(samples[:, :, :2], train)


def test_copying_report_tells_copies_from_new_samples():
    from playground.core.metrics.nearest import copying_report

    rng = np.random.default_rng(2)
    train = rng.normal(size=(300, 16)).astype(np.float32)
    copies = copying_report(train[:40] + 0.01, train, n=40)
    fresh = copying_report(rng.normal(size=(40, 16)).astype(np.float32), train, n=40)
    for report in (copies, fresh):
        assert report["training_to_nearest_other_median"] == pytest.approx(typical_neighbour_distance(train, n=40), abs=1e-3)
    assert copies["generated_to_nearest_training_median"] < 0.1
    assert fresh["generated_to_nearest_training_median"] > 0.5 * fresh["training_to_nearest_other_median"]


def history(**series) -> MetricHistory:
    h = MetricHistory()
    length = max(len(v) for v in series.values())
    for i in range(length):
        h.append((i + 1) * 10, {k: v[i] for k, v in series.items() if i < len(v)})
    return h


def test_mode_collapse_alert_on_forced_inputs():
    assert mode_collapse_alert(history(diversity=[0.01, 0.02, 0.03])) is None  # a fresh G, not a collapse
    assert mode_collapse_alert(history(diversity=[0.8, 0.9, 0.85])) is None
    alert = mode_collapse_alert(history(diversity=[0.8, 0.9, 0.05]))
    assert alert and alert.kind == "mode_collapse" and "mode collapse suspected" in alert.message
    cov = mode_collapse_alert(history(coverage=[1.0, 1.0, 0.3]))
    assert cov and "classes" in cov.message


def test_d_overpowering_alert_on_forced_inputs():
    rising = list(np.linspace(1, 5, 10))
    assert d_overpowering_alert(history(d_fake=[0.01] * 10, g_loss=rising)).kind == "d_overpowering"
    assert d_overpowering_alert(history(d_fake=[0.01] * 10, g_loss=rising[::-1])) is None
    assert d_overpowering_alert(history(d_fake=[0.4] * 10, g_loss=rising)) is None
    assert d_overpowering_alert(history(d_fake=[0.01] * 3, g_loss=rising[:3])) is None
    both = check_alerts(history(d_fake=[0.01] * 10, g_loss=rising, diversity=[0.9] * 9 + [0.01]))
    assert {a.kind for a in both} == {"mode_collapse", "d_overpowering"}


def test_metric_history_grows_and_round_trips():
    h = MetricHistory()
    for step in range(1, 1001):
        h.append(step, {"d_loss": step * 0.5} | ({"fid": 1.0} if step % 100 == 0 else {}))
    assert len(h.steps("d_loss")) == 1000 and h.last("d_loss") == 500.0
    assert list(h.steps("fid")) == list(range(100, 1001, 100))
    h.append(1001, {"g_loss": math.nan})
    back = MetricHistory.from_json(h.to_json())
    assert np.array_equal(back.values("d_loss"), h.values("d_loss")) and math.isnan(back.last("g_loss"))
    assert back.last_step() == 1001
    with pytest.raises(ValueError):
        MetricHistory.from_json({"x": {"steps": [1], "values": []}})


def test_sample_history_thins_but_spans_the_run():
    s = SampleHistory(cap=10)
    for step in range(1, 101):
        s.append(step, np.full((2, 3, 3, 1), step, dtype=np.uint8))
    assert len(s) <= 10 and s.steps[0] == 1 and s.steps[-1] == 100
    arrays = s.arrays()
    back = SampleHistory.from_arrays(arrays["steps"], arrays["images"], cap=10)
    assert back.steps == s.steps
    grid = tile(np.zeros((5, 3, 3, 1), dtype=np.uint8) + 255, cols=3)
    assert grid.shape == (2 * 4 + 1, 3 * 4 + 1, 1)


def blobs(n: int = 240, size: int = 8) -> PreparedImages:
    rng = np.random.default_rng(0)
    labels = np.arange(n) % 3
    x = rng.normal(0, 0.1, (n, 1, size, size)).astype(np.float32) - 0.8
    for i, k in enumerate(labels):
        if k == 0:
            x[i, 0, 2, :] = 1.0
        elif k == 1:
            x[i, 0, :, 2] = 1.0
        else:
            x[i, 0, 5, 5] = 1.0
    return PreparedImages(x, labels, ["row", "col", "dot"], {"kind": "minus1_1"}, {})


def test_classifier_learns_and_gives_features():
    data = blobs()
    cfg = ClassifierConfig(width=4, feature_dim=16, epochs=8, batch_size=16, lr=5e-3, holdout=0.25)
    result = train_classifier(data, cfg)
    assert result.holdout_accuracy > 0.9
    probs = result.classifier.predict_proba(data.x[:10])
    assert probs.shape == (10, 3) and np.allclose(probs.sum(1), 1.0, atol=1e-5)
    assert result.classifier.features(data.x[:10]).shape == (10, 16)
    shares = class_shares(probs)
    assert shares.shape == (3,) and shares.sum() == pytest.approx(1.0)
    assert class_shares(probs, min_confidence=1.01).sum() == 0.0
    assert "judge" in CLASSIFIER_PRESETS and "tiny" in CLASSIFIER_PRESETS


def test_classifier_needs_labels():
    data = blobs()
    one = PreparedImages(data.x, np.zeros(len(data.x)), ["a"], data.norm, {})
    with pytest.raises(ValueError, match="at least 2"):
        train_classifier(one, CLASSIFIER_PRESETS["tiny"])


def test_loop_reports_quality_with_a_classifier():
    from playground.core import families
    from playground.core.events import ImageGrid
    from playground.core.jobs import Metrics, collect
    from playground.core.training.loop import train_job

    gan = families.get("gan")
    data = blobs()
    clf = train_classifier(data, CLASSIFIER_PRESETS["tiny"]).classifier
    settings = gan.fit(gan.preset("tiny", steps=2), data)
    _, events = collect(train_job(lambda device: gan.make_trainer(settings, data, device, {"classifier": clf}),
                                  settings.run, family="gan"))
    m = [e for e in events if isinstance(e, Metrics) and "fid" in e.values][-1]
    assert m.values["fid"] >= 0 and 0 <= m.values["coverage"] <= 1 and 0 <= m.values["confident"] <= 1
    s = [e for e in events if isinstance(e, ImageGrid)][-1]
    assert s.class_share.shape == (3,) and s.data_share.sum() == pytest.approx(1.0)
