"""Qt-free core: data, preprocessing, models, training, generators and metrics.

Nothing under this package may import PySide6, pyqtgraph or playground.ui; the
import-linter contract in pyproject.toml and tests/test_boundaries.py enforce it.
"""
