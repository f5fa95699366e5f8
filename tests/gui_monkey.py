"""A seeded random user for the real main window ("monkey testing").

The monkey knows no tab's internals: before every action it looks at the
window's visible, enabled widgets and picks one of the things a user could do
with them (click a button, switch a tab, set a spin box, combo, slider or text
field to a legal or illegal value, click an item in a list, drop a path on the
window, trigger a menu entry, press a key). File dialogs and message boxes
are answered by ``DialogAnswers`` from a pool of hostile paths. Waits go
through ``qtbot.wait`` (a QEventLoop), never ``QTest.qWait``: that one holds
the GIL, so a training thread would starve. Text is typed with key clicks only
when it is ASCII (PySide6 6.11 aborts on other text in ``QTest.keyClicks``);
anything else is set with ``setText``.
"""

from __future__ import annotations

import faulthandler
import math
import os
import random
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QColorDialog,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFontDialog,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressDialog,
    QSpinBox,
    QTabBar,
    QTextEdit,
    QToolBar,
    QWidget,
)

# Text for fields: mostly a plausible value (so a form gets valid again and a run can
# start), otherwise something hostile. Typed text must be ASCII (see the module docstring).
LEGAL_TEXTS = ("0.002", "2e-4", "1e-3", "0.0005", "1", "7", "42", "0.5")
LINE_TEXTS = ("", "0", "-1", "1e-8", "1.5", "1e999", "-0", "nan", "inf", "-inf", "abc", " 0.001 ", "1,5", "0x1F",
              "9" * 400, "caf\u00e9 \u20ac \U0001f600", "\u0000", "1e-400")
TYPED_TEXTS = ("", "0", "-1", "123456789012", "3.5", "-0.25", "1e3", "abc", " ", "+-", "0x10", "99.999")
PLAIN_TEXTS = ("", "hello", "a b c\n" * 50, "\u00e9\u00e8 \u4e2d\u6587 \U0001f600", "x" * 20_000, "\t\n\r")
KEYS = (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown,
        Qt.Key.Key_Home, Qt.Key.Key_End, Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Tab, Qt.Key.Key_Backspace,
        Qt.Key.Key_Delete, Qt.Key.Key_Escape, Qt.Key.Key_A, Qt.Key.Key_5, Qt.Key.Key_Minus)
WAITS_MS = (0, 0, 5, 20, 50, 100)
QUIT_WORDS = ("quit", "exit", "close")  # menu entries the monkey leaves alone: the test closes the window itself


class DialogAnswers:
    """Stands in for every modal dialog: random answers from pools of paths, cancel included."""

    def __init__(self, rng: random.Random, folders: tuple[str, ...], files: tuple[str, ...], saves: tuple[str, ...],
                 note: Callable[[str], None]):
        self.rng, self.folders, self.files, self.saves, self.note = rng, folders, files, saves, note

    def install(self, monkeypatch) -> None:  # noqa: ANN001 - pytest's MonkeyPatch
        answers = self

        def directory(*_a: Any, **_k: Any) -> str:
            return answers._pick("getExistingDirectory", answers.folders)

        def open_file(*_a: Any, **_k: Any) -> tuple[str, str]:
            return answers._pick("getOpenFileName", answers.files), ""

        def open_files(*_a: Any, **_k: Any) -> tuple[list[str], str]:
            path = answers._pick("getOpenFileNames", answers.files)
            return ([path] if path else []), ""

        def save_file(*_a: Any, **_k: Any) -> tuple[str, str]:
            return answers._pick("getSaveFileName", answers.saves), ""

        def message(*args: Any, **_k: Any) -> QMessageBox.StandardButton:
            choice = answers.rng.choice((QMessageBox.StandardButton.Ok, QMessageBox.StandardButton.Yes,
                                         QMessageBox.StandardButton.No, QMessageBox.StandardButton.Cancel))
            answers.note(f"message box {args[1:3]!r} -> {choice.name}")
            return choice

        def modal(self_: QDialog, *_a: Any) -> int:
            code = answers.rng.choice((QDialog.DialogCode.Accepted, QDialog.DialogCode.Rejected))
            answers.note(f"{type(self_).__name__}.exec -> {code.name}")
            return int(code.value)

        def text(*_a: Any, **_k: Any) -> tuple[str, bool]:
            value = answers.rng.choice(LEGAL_TEXTS + LINE_TEXTS)
            answers.note(f"input dialog -> {value[:30]!r}")
            return value, bool(value)

        monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(directory))
        monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(open_file))
        monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(open_files))
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_file))
        for name in ("information", "warning", "critical", "question"):
            monkeypatch.setattr(QMessageBox, name, staticmethod(message))
        for name in ("about", "aboutQt"):
            monkeypatch.setattr(QMessageBox, name, staticmethod(lambda *a, **k: None))
        monkeypatch.setattr(QInputDialog, "getText", staticmethod(text))
        for cls in (QDialog, QMessageBox, QFileDialog, QInputDialog, QColorDialog, QFontDialog, QProgressDialog):
            monkeypatch.setattr(cls, "exec", modal)
        monkeypatch.setattr(QMenu, "exec", lambda *a, **k: None)

    def _pick(self, what: str, pool: tuple[str, ...]) -> str:
        path = self.rng.choice(pool + ("",) * max(1, len(pool) // 5))  # "" is Cancel
        self.note(f"{what} -> {path or 'cancel'}")
        return path


class Trouble:
    """Everything that went wrong unseen: exceptions in slots and threads, job crashes, Qt warnings."""

    def __init__(self) -> None:
        self.exceptions: list[str] = []
        self.job_errors: list[tuple[BaseException, str]] = []

    @contextmanager
    def watching(self) -> Iterator[Trouble]:
        """Record exceptions that reach ``sys.excepthook``, ``threading.excepthook`` or unraisable hooks.

        Installed inside the test body: pytest-qt swaps its own hook in and out
        around each test phase, and the previous hook is still called.
        """
        old = sys.excepthook, threading.excepthook, sys.unraisablehook

        def on_exception(kind, value, tb):  # noqa: ANN001
            self.exceptions.append("".join(traceback.format_exception(kind, value, tb)))
            old[0](kind, value, tb)

        def on_thread(args):  # noqa: ANN001
            self.exceptions.append("in thread " + "".join(traceback.format_exception(args.exc_type, args.exc_value,
                                                                                   args.exc_traceback)))
            old[1](args)

        def on_unraisable(args):  # noqa: ANN001
            self.exceptions.append(f"unraisable in {args.object!r}: " + "".join(
                traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)))
            old[2](args)

        sys.excepthook, threading.excepthook, sys.unraisablehook = on_exception, on_thread, on_unraisable
        try:
            yield self
        finally:
            sys.excepthook, threading.excepthook, sys.unraisablehook = old

    def describe_error_spy(self, real: Callable[[BaseException], str]) -> Callable[[BaseException], str]:
        """Wraps the job runner's ``describe_error``: it sees every exception that escapes a job."""

        def spy(exc: BaseException) -> str:
            self.job_errors.append((exc, traceback.format_exc()))
            return real(exc)

        return spy


class Watchdog:
    """Ends the process, printing ``report()`` and every thread's stack, when one action runs too long.

    A slot that blocks the GUI thread for good (reading a named pipe, say) would
    otherwise hang the test run until CI kills it, with nothing to replay.
    """

    def __init__(self, seconds: float, report: Callable[[], str]):
        self.seconds, self.report = seconds, report
        self._deadline: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="monkey-watchdog", daemon=True)

    def __enter__(self) -> Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def arm(self) -> None:
        self._deadline = time.monotonic() + self.seconds

    def disarm(self) -> None:
        self._deadline = None

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            deadline = self._deadline
            if deadline is not None and time.monotonic() > deadline:
                out = sys.__stderr__
                out.write(f"\nthe GUI thread has been stuck for {self.seconds:.0f} s\n{self.report()}\n")
                out.flush()
                faulthandler.dump_traceback(file=out, all_threads=True)
                os._exit(1)


def describe(widget: QWidget) -> str:
    """A short, stable name for a widget in the action log: class, text or label, and where it is."""
    text = ""
    if isinstance(widget, (QAbstractButton, QLabel)):
        text = widget.text()
    elif isinstance(widget, QComboBox):
        text = widget.currentText()
    text = text or widget.accessibleName() or widget.toolTip() or widget.objectName()
    if not text:
        parent = widget.parentWidget()
        layout = parent.layout() if parent is not None else None
        label = layout.labelForField(widget) if layout is not None and hasattr(layout, "labelForField") else None
        text = label.text() if isinstance(label, QLabel) else ""
    path, node = [], widget.parentWidget()
    while node is not None and not isinstance(node, QMainWindow) and len(path) < 12:
        if type(node).__module__.startswith("playground"):
            path.append(type(node).__name__)
        node = node.parentWidget()
    where = "/".join(reversed(path[:2]))
    return f"{type(widget).__name__} {text[:40]!r}" + (f" in {where}" if where else "")


class Monkey:
    """Random actions on ``window``, each logged; ``step()`` performs one."""

    def __init__(self, window: QMainWindow, qtbot, rng: random.Random, drops: tuple[str, ...], root: str = "",  # noqa: ANN001
                 jobs: Callable[[], list[str]] = list):
        self.window, self.qtbot, self.rng, self.drops, self.root, self.jobs = window, qtbot, rng, drops, root, jobs
        self._jobs_seen: list[str] = []
        self.log: list[str] = []  # one line per action, and one per dialog it answered
        self.count = 0
        self.uses: dict[Any, int] = {}  # per target: the least used get picked more often
        self.slowest: list[tuple[float, str]] = []  # (seconds, action) of the ten slowest actions
        self.kinds: dict[str, tuple[int, Callable[[], list[Any]], Callable[[Any], str]]] = {
            "click": (30, lambda: self._widgets(QAbstractButton), self._click),
            "tab": (8, lambda: self._widgets(QTabBar), self._tab),
            "combo": (10, lambda: self._widgets(QComboBox), self._combo),
            "spin": (10, lambda: self._widgets(QAbstractSpinBox), self._spin),
            "slider": (5, lambda: self._widgets(QAbstractSlider), self._slider),
            "line": (8, lambda: [w for w in self._widgets(QLineEdit) if not _inside_compound(w)], self._line),
            "text": (2, lambda: [w for w in self._widgets((QPlainTextEdit, QTextEdit)) if not w.isReadOnly()], self._text),
            "item": (14, lambda: [v for v in self._views() if _rows(v)], self._item),
            "check": (3, lambda: [v for v in self._views() if _checkable(v)], self._check),
            "drop": (3, lambda: list(self.drops), self._drop),
            "menu": (2, self._actions, self._menu),
            "poke": (4, lambda: self._widgets((QLabel, QAbstractItemView)), self._poke),
            "key": (4, lambda: self._widgets(QWidget, focusable=True), self._key),
            "resize": (1, lambda: [self.window], self._resize),
            "wait": (4, lambda: [None], self._wait),
        }

    def note(self, text: str) -> None:
        self.log.append(f"      {self.short(text)}")

    def short(self, text: str) -> str:
        """Paths under the hostile folder, relative to it (the log stays readable)."""
        return text.replace(self.root, "<hostile>") if self.root else text

    def last(self, actions: int) -> list[str]:
        """The log from the ``actions``-th last action on."""
        starts = [i for i, line in enumerate(self.log) if not line.startswith("      ")]
        return self.log[starts[-actions] if len(starts) >= actions else 0:]

    def step(self) -> None:
        """Pick an action among those possible now, do it, then let the event loop run a little."""
        kinds = list(self.kinds)
        weights = [self.kinds[k][0] for k in kinds]
        while True:
            kind = self.rng.choices(kinds, weights)[0]
            targets = self.kinds[kind][1]()
            if targets:
                break
        target = self.rng.choices(targets, [1.0 / (1 + self.uses.get(t, 0)) for t in targets])[0]
        self.uses[target] = self.uses.get(target, 0) + 1
        self.count += 1
        name = describe(target) if isinstance(target, QWidget) else target.text() if isinstance(target, QAction) else target
        line = len(self.log)
        self.log.append(self.short(f"{self.count:5d} {kind}: {name}"))
        started = time.perf_counter()
        detail = self.kinds[kind][2](target)
        seconds = time.perf_counter() - started
        if detail:
            self.log[line] += f" -> {self.short(detail)}"
        self.slowest = sorted(self.slowest + [(seconds, self.log[line])], reverse=True)[:10]
        self.qtbot.wait(self.rng.choice(WAITS_MS))
        jobs = sorted(self.jobs())
        if jobs != self._jobs_seen:
            self._jobs_seen = jobs
            self.note(f"jobs running: {', '.join(jobs) or 'none'}")

    # -- discovery ----------------------------------------------------------
    def _widgets(self, kind: type | tuple[type, ...], focusable: bool = False) -> list[Any]:
        kinds = kind if isinstance(kind, tuple) else (kind,)
        found = [w for k in kinds for w in self.window.findChildren(k) if w.isVisible() and w.isEnabled()]
        if focusable:
            found = [w for w in found if w.focusPolicy() != Qt.FocusPolicy.NoFocus]
        return found

    def _views(self) -> list[QAbstractItemView]:
        return [v for v in self._widgets(QAbstractItemView) if not isinstance(v, QHeaderView)]  # headers get pokes

    def _actions(self) -> list[QAction]:
        """Entries of the menu bar and tool bars: the actions a user can reach without a right click."""
        found, menus = [], [self.window.menuBar()] + self.window.findChildren(QToolBar)
        while menus:
            for action in menus.pop().actions():
                if action.menu() is not None:
                    menus.append(action.menu())
                elif (action.isEnabled() and action.isVisible() and not action.isSeparator() and action.text()
                      and not any(action.text().replace("&", "").lower().startswith(w) for w in QUIT_WORDS)):
                    found.append(action)
        return found

    # -- actions (each returns a detail for the log) ---------------------------
    def _click(self, button: QAbstractButton) -> str:
        if self.rng.random() < 0.1:
            self.qtbot.mouseDClick(button, Qt.MouseButton.LeftButton)
            return "double click"
        self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        return ""

    def _tab(self, bar: QTabBar) -> str:
        index = self.rng.randrange(bar.count())
        self.qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
        return bar.tabText(index)

    def _combo(self, combo: QComboBox) -> str:
        if combo.count() == 0:
            return "empty"
        if combo.isEditable() and self.rng.random() < 0.3:
            return self._type(combo, self._text_for(TYPED_TEXTS))
        index = self.rng.randrange(combo.count())
        combo.setCurrentIndex(index)
        return repr(combo.itemText(index))

    def _spin(self, spin: QAbstractSpinBox) -> str:
        if not isinstance(spin, (QSpinBox, QDoubleSpinBox)) or self.rng.random() < 0.25:
            return self._type(spin, self._text_for(TYPED_TEXTS))
        lo, hi = spin.minimum(), spin.maximum()
        pick = self.rng.random()
        if pick < 0.25:
            value = self.rng.choice((lo, hi))
        elif isinstance(spin, QSpinBox) and lo >= 0 and hi > 1:  # log-uniform: small sizes as often as big ones
            value = min(hi, max(lo, int(math.exp(self.rng.uniform(0, math.log(hi))))))
        elif isinstance(spin, QSpinBox):
            value = self.rng.randint(lo, hi)
        else:
            value = self.rng.uniform(lo, hi)
        spin.setValue(value)
        return f"setValue({value})"

    def _slider(self, slider: QAbstractSlider) -> str:
        if self.rng.random() < 0.3:
            key = self.rng.choice((Qt.Key.Key_PageUp, Qt.Key.Key_PageDown, Qt.Key.Key_Home, Qt.Key.Key_End))
            self.qtbot.keyClick(slider, key)
            return key.name
        value = self.rng.choice((slider.minimum(), slider.maximum(), self.rng.randint(slider.minimum(), slider.maximum())))
        slider.setValue(value)
        return f"setValue({value})"

    def _line(self, edit: QLineEdit) -> str:
        if self.rng.random() < 0.4:
            return self._type(edit, self._text_for(TYPED_TEXTS))
        text = self._text_for(LINE_TEXTS)
        edit.setText(text)
        edit.editingFinished.emit()  # what Enter or leaving the field does, even for text a validator refuses
        return f"setText({text[:30]!r})"

    def _text(self, edit: QPlainTextEdit | QTextEdit) -> str:
        text = self.rng.choice(PLAIN_TEXTS)
        edit.setPlainText(text)
        return f"setPlainText({text[:20]!r})"

    def _text_for(self, hostile: tuple[str, ...]) -> str:
        return self.rng.choice(LEGAL_TEXTS if self.rng.random() < 0.65 else hostile)

    def _type(self, widget: QWidget, text: str) -> str:
        assert text.isascii()  # QTest.keyClicks aborts the process on other text (PySide6 6.11)
        editor = widget.lineEdit() if isinstance(widget, (QAbstractSpinBox, QComboBox)) else widget
        if editor is not None:
            editor.selectAll()
        self.qtbot.keyClicks(widget, text)
        self.qtbot.keyClick(widget, self.rng.choice((Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab)))
        return f"typed {text[:30]!r}"

    def _item(self, view: QAbstractItemView) -> str:
        model = view.model()
        row = self.rng.randrange(min(_rows(view), 500))
        column = self.rng.randrange(_columns(view))
        index = model.index(row, column, view.rootIndex())
        view.scrollTo(index)
        rect = view.visualRect(index)
        if not rect.isValid() or not view.viewport().rect().contains(rect.center()):
            view.setCurrentIndex(index)
            return f"setCurrentIndex({row}, {column})"
        double = self.rng.random() < 0.15
        click = self.qtbot.mouseDClick if double else self.qtbot.mouseClick
        click(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        return f"{'double ' if double else ''}click row {row}, column {column}"

    def _check(self, view: QAbstractItemView) -> str:
        model = view.model()
        rows = [r for r in range(min(_rows(view), 500)) if _has_box(model, model.index(r, 0, view.rootIndex()))]
        index = model.index(self.rng.choice(rows), 0, view.rootIndex())
        state = model.data(index, Qt.ItemDataRole.CheckStateRole)
        checked = state in (Qt.CheckState.Checked, Qt.CheckState.Checked.value)
        new = Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked
        model.setData(index, new, Qt.ItemDataRole.CheckStateRole)  # what a click on the box does
        return f"row {index.row()} {new.name}"

    def _drop(self, path: str) -> str:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(path)])
        pos = self.window.rect().center()
        enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(self.window, enter)
        if not enter.isAccepted():
            return "refused"
        drop = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(self.window, drop)
        return "dropped"

    def _menu(self, action: QAction) -> str:
        action.trigger()
        return ""

    def _poke(self, widget: QWidget) -> str:
        target = widget.viewport() if isinstance(widget, QAbstractItemView) else widget
        w, h = max(1, target.width()), max(1, target.height())
        pos = QPoint(self.rng.randrange(w), self.rng.randrange(h))
        self.qtbot.mouseClick(target, Qt.MouseButton.LeftButton, pos=pos)
        return f"at {pos.x()},{pos.y()}"

    def _key(self, widget: QWidget) -> str:
        key = self.rng.choice(KEYS)
        self.qtbot.keyClick(widget, key)
        return key.name

    def _resize(self, window: QMainWindow) -> str:
        w, h = self.rng.randint(300, 1600), self.rng.randint(200, 1000)
        window.resize(w, h)
        return f"{w}x{h}"

    def _wait(self, _none: None) -> str:
        ms = self.rng.choice((200, 500, 1000))
        self.qtbot.wait(ms)
        return f"{ms} ms"


def _inside_compound(edit: QLineEdit) -> bool:
    """The line edit inside a spin box or combo box (those get their own actions)."""
    return isinstance(edit.parentWidget(), (QAbstractSpinBox, QComboBox))


def _rows(view: QAbstractItemView) -> int:
    model = view.model()
    return model.rowCount(view.rootIndex()) if model is not None else 0


def _columns(view: QAbstractItemView) -> int:
    try:
        return max(1, view.model().columnCount(view.rootIndex()))
    except TypeError:  # a list model, whose columnCount the binding keeps private
        return 1


def _has_box(model, index) -> bool:  # noqa: ANN001
    """An item that shows a check box a user can click."""
    return bool(model.flags(index) & Qt.ItemFlag.ItemIsUserCheckable) and model.data(index, Qt.ItemDataRole.CheckStateRole) is not None


def _checkable(view: QAbstractItemView) -> bool:
    model = view.model()
    return model is not None and any(_has_box(model, model.index(r, 0, view.rootIndex())) for r in range(min(_rows(view), 200)))
