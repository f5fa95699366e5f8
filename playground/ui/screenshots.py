"""What each screenshot shows: a tab with its default data loaded (used by the CLI)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from playground.ui.main_window import MainWindow

Scene = Callable[[], Callable[[], bool]]


def tab_scenes(window: MainWindow) -> Iterator[tuple[str, Scene]]:
    """Yield ``(filename, scene)``; calling scene sets the tab up and returns a ready-check."""
    datasets = window.datasets_tab

    def datasets_scene(modality: str) -> Scene:
        def scene() -> Callable[[], bool]:
            window.tabs.setCurrentWidget(datasets)
            datasets.select_default(modality)

            def ready() -> bool:
                shown = datasets.shown_overview()
                probed = not window.device_label.text().endswith("detecting…")
                return probed and not datasets.is_loading() and shown is not None and shown.dataset.modality == modality

            return ready

        return scene

    for modality in ("image", "text", "audio", "points"):
        yield f"datasets-{modality}.png", datasets_scene(modality)
    for name, scene in getattr(window, "extra_scenes", lambda: [])():
        yield name, scene
