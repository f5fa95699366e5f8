"""Shared test set-up: offscreen Qt, settings in a temp folder, no job left behind."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("PLAYGROUND_TORCH_THREADS", "1")

import pytest


@pytest.fixture(autouse=True)
def _settings_in_tmp(tmp_path, monkeypatch):
    """Redirect the app's settings and run folders to a temp folder."""
    monkeypatch.setenv("PLAYGROUND_HOME", str(tmp_path / "home"))
    yield


@pytest.fixture
def runner(qtbot):
    """A real job runner; after the test no job may be left running."""
    from playground.ui.job_runner import JobRunner

    job_runner = JobRunner()
    yield job_runner
    still = job_runner.active_jobs()
    job_runner.shutdown(timeout_s=5.0)
    assert not still, f"jobs left running after the test: {still}"


@pytest.fixture
def no_bundled_models(tmp_path, monkeypatch):
    """The real bundled datasets but none of the bundled models, for tests of what the app lists."""
    from playground.core.paths import assets_dir

    assets = tmp_path / "assets-without-models"
    assets.mkdir()
    (assets / "datasets").symlink_to(assets_dir() / "datasets", target_is_directory=True)
    monkeypatch.setenv("PLAYGROUND_ASSETS", str(assets))
    return assets
