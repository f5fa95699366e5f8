"""What each screenshot shows: every tab with its default data loaded (used by the CLI).

A scene sets a tab up and returns a ready-check; the CLI pumps the event loop
until it holds, then grabs the window. The Train scenes grab mid-run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from playground.ui.main_window import MainWindow
from playground.ui.tabs.preprocess_tab import PreprocessTab
from playground.ui.tabs.train_tab import TrainTab

Scene = Callable[[], Callable[[], bool]]
TRAIN_STEPS_SHOWN = {"image": 600, "points": 1500}  # grab once training got this far


def tab_scenes(window: MainWindow) -> Iterator[tuple[str, Scene]]:
    """Yield ``(filename, scene)`` for every tab and modality worth showing."""
    datasets = window.datasets_tab
    preprocess = window.tab(PreprocessTab)
    train = window.tab(TrainTab)
    assert isinstance(preprocess, PreprocessTab) and isinstance(train, TrainTab)

    def loaded(modality: str) -> bool:
        shown = datasets.shown_overview()
        probed = not window.device_label.text().endswith("detecting…")
        return probed and not datasets.is_loading() and shown is not None and shown.dataset.modality == modality

    def datasets_scene(modality: str) -> Scene:
        def scene() -> Callable[[], bool]:
            window.tabs.setCurrentWidget(datasets)
            datasets.select_default(modality)
            return lambda: loaded(modality)

        return scene

    def preprocess_scene(modality: str) -> Scene:
        def scene() -> Callable[[], bool]:
            datasets.select_default(modality)
            window.tabs.setCurrentWidget(preprocess)
            return lambda: loaded(modality) and preprocess.screenshot_ready()

        return scene

    def train_scene(modality: str) -> Scene:
        def scene() -> Callable[[], bool]:
            datasets.select_default(modality)
            window.tabs.setCurrentWidget(train)
            state = {"started": False}

            def ready() -> bool:
                if not loaded(modality):
                    return False
                if not state["started"]:
                    state["started"] = train.start() is not None
                    return False
                return train.history().last_step() >= TRAIN_STEPS_SHOWN[modality] or not train.is_running()

            return ready

        return scene

    for modality in ("image", "text", "audio", "points"):
        yield f"datasets-{modality}.png", datasets_scene(modality)
    for modality in ("image", "text", "audio"):
        yield f"preprocess-{modality}.png", preprocess_scene(modality)
    for modality in ("image", "points"):
        yield f"train-{modality}.png", train_scene(modality)
