"""The app's persistent settings, one typed property each (no attribute-name strings)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

from playground.core.paths import home_dir


class AppSettings:
    """Settings stored as an INI file in the user's playground folder."""

    def __init__(self, qsettings: QSettings | None = None):
        self._s = qsettings or QSettings(str(home_dir() / "settings.ini"), QSettings.Format.IniFormat)

    @property
    def last_folder(self) -> str:
        return str(self._s.value("paths/last_folder", "", type=str))

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        self._s.setValue("paths/last_folder", value)

    @property
    def window_geometry(self) -> QByteArray | None:
        value = self._s.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    @window_geometry.setter
    def window_geometry(self, value: QByteArray) -> None:
        self._s.setValue("window/geometry", value)

    def sync(self) -> None:
        self._s.sync()
