"""The core must stay Qt-free: importing every core module pulls in no Qt."""

import importlib
import pkgutil
import subprocess
import sys

import playground.core


def test_core_imports_without_qt():
    names = [m.name for m in pkgutil.walk_packages(playground.core.__path__, "playground.core.")]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6')"
        " or m.startswith('playground.ui')]\n"
        "assert not bad, bad\n"
        "print(len(sys.modules))\n"
    )
    # A fresh interpreter: this test process has Qt loaded already.
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert len(names) >= 3


def test_import_linter_contract():
    lint = importlib.util.find_spec("importlinter")
    assert lint is not None, "import-linter is part of the test extra"
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
