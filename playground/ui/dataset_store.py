"""The datasets the user has open, and which one the other tabs work on."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from playground.core.data.dataset import AnyDataset


class DatasetStore(QObject):
    """Open datasets by name, plus the current one (``current_changed(dataset)``)."""

    dataset_added = Signal(object)
    current_changed = Signal(object)
    prepared_changed = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._datasets: dict[str, AnyDataset] = {}
        self._current: AnyDataset | None = None
        self._prepared: Any = None
        self._prepared_from: AnyDataset | None = None

    def get(self, name: str) -> AnyDataset | None:
        return self._datasets.get(name)

    def names(self) -> list[str]:
        return list(self._datasets)

    def add(self, dataset: AnyDataset) -> None:
        self._datasets[dataset.name] = dataset
        self.dataset_added.emit(dataset)

    @property
    def current(self) -> AnyDataset | None:
        return self._current

    def set_current(self, dataset: AnyDataset | None) -> None:
        if dataset is not self._current:
            self._current = dataset
            self.current_changed.emit(dataset)

    @property
    def prepared(self) -> Any:
        """The data the Preprocess tab prepared last (or None); see ``prepared_for``."""
        return self._prepared

    def prepared_for(self, dataset: AnyDataset | None) -> Any:
        """What the Preprocess tab prepared from ``dataset`` itself (this object, not a namesake), or None."""
        return self._prepared if dataset is not None and self._prepared_from is dataset else None

    def set_prepared(self, prepared: Any, dataset: AnyDataset | None = None) -> None:
        """Record ``prepared``, made from ``dataset`` (default: the current dataset)."""
        self._prepared = prepared
        self._prepared_from = dataset if dataset is not None else self._current
        self.prepared_changed.emit(prepared)
