"""Uncaught errors and Qt's own messages in the desktop application: logged, then shown.

The hooks are installed as ``run_app`` installs them and restored after each test.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from signoff import __version__
from signoff.core.common.logs import LOG_DIR_ENV, LOG_FILE_NAME, setup_logging, teardown_logging
from signoff.ui.shell.app import build_window
from signoff.ui.shell.crash_dialog import HEADING, CrashDialog, install_error_reporting

pytestmark = pytest.mark.gui


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "logs"
    monkeypatch.setenv(LOG_DIR_ENV, str(folder))
    return folder


@pytest.fixture
def logged(log_dir: Path):
    """Logging set up as the command line sets it up, into this test's log folder."""
    log_file = setup_logging()
    assert log_file == log_dir / LOG_FILE_NAME
    yield log_file
    teardown_logging()


@pytest.fixture
def reporting(qtbot, logged):
    installed = install_error_reporting()
    yield installed
    installed.uninstall()


def crash_dialogs() -> list[CrashDialog]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, CrashDialog) and w.isVisible()
    ]


def raise_later(message: str) -> None:
    def failing_slot() -> None:
        raise RuntimeError(message)

    QTimer.singleShot(0, failing_slot)


def test_an_error_in_a_slot_is_logged_and_shown(qtbot, reporting, logged, caplog) -> None:
    with caplog.at_level(logging.ERROR):
        raise_later("the ledger does not balance")
        qtbot.waitUntil(lambda: len(crash_dialogs()) == 1, timeout=5000)
    dialog = crash_dialogs()[0]

    texts = [label.text() for label in dialog.findChildren(type(dialog.message_label))]
    assert any(HEADING in text for text in texts)
    assert dialog.message_label.text() == "RuntimeError: the ledger does not balance"
    assert str(logged) in dialog.note_label.text()

    records = [r for r in caplog.records if r.levelno == logging.ERROR and r.exc_info]
    assert [str(r.exc_info[1]) for r in records] == ["the ledger does not balance"]
    in_file = logged.read_text(encoding="utf-8")
    assert "ERROR" in in_file and "Traceback (most recent call last)" in in_file
    assert "RuntimeError: the ledger does not balance" in in_file

    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert f"Signoff {__version__}" in copied
    assert "Python 3." in copied and "PySide6" in copied and "Qt 6." in copied
    assert f"Log file {logged}" in copied
    assert "Traceback (most recent call last)" in copied
    assert "in failing_slot" in copied and "the ledger does not balance" in copied

    close = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Close")
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not crash_dialogs(), timeout=3000)
    assert reporting.reporter.dialog is None


def test_errors_while_the_dialog_is_open_join_it(qtbot, reporting) -> None:
    raise_later("first failure")
    qtbot.waitUntil(lambda: len(crash_dialogs()) == 1, timeout=5000)
    raise_later("second failure")
    raise_later("third failure")
    dialog = crash_dialogs()[0]
    qtbot.waitUntil(lambda: "2 more error(s)" in dialog.more_label.text(), timeout=5000)

    assert len(crash_dialogs()) == 1
    assert dialog.message_label.text() == "RuntimeError: first failure"
    assert "third failure" in dialog.more_label.text()
    details = dialog.details_view.toPlainText()
    assert all(f"{n} failure" in details for n in ("first", "second", "third"))

    # once it is closed, the next error gets a dialog of its own
    dialog.close()
    qtbot.waitUntil(lambda: not crash_dialogs(), timeout=3000)
    raise_later("fourth failure")
    qtbot.waitUntil(lambda: len(crash_dialogs()) == 1, timeout=5000)
    assert crash_dialogs()[0].message_label.text() == "RuntimeError: fourth failure"


def test_an_error_in_a_python_thread_is_shown_on_the_gui_thread(qtbot, reporting, logged) -> None:
    def importer() -> None:
        raise ValueError("the feed ended early")

    worker = threading.Thread(target=importer, name="feed-import")
    worker.start()
    worker.join(5)
    qtbot.waitUntil(lambda: len(crash_dialogs()) == 1, timeout=5000)

    dialog = crash_dialogs()[0]
    assert dialog.message_label.text() == "ValueError: the feed ended early"
    assert dialog.thread() is QApplication.instance().thread()
    in_file = logged.read_text(encoding="utf-8")
    assert "unexpected error in thread feed-import" in in_file
    assert "ValueError: the feed ended early" in in_file


def test_uninstall_restores_the_previous_hooks(qtbot, logged) -> None:
    import sys

    before = (sys.excepthook, threading.excepthook)
    installed = install_error_reporting()
    assert sys.excepthook == installed.reporter.excepthook
    installed.uninstall()
    assert (sys.excepthook, threading.excepthook) == before


def test_qt_messages_go_to_the_log(qtbot, reporting, logged, caplog) -> None:
    from PySide6.QtWidgets import QLabel

    label = QLabel("approved")
    qtbot.addWidget(label)
    with caplog.at_level(logging.WARNING, logger="signoff.qt"):
        # a style sheet Qt cannot parse: Qt itself warns when it polishes the widget
        label.setStyleSheet("QLabel { color: ")
        label.show()
        qtbot.waitUntil(lambda: any(r.name == "signoff.qt" for r in caplog.records), timeout=3000)
    record = next(r for r in caplog.records if r.name == "signoff.qt")
    assert record.levelno == logging.WARNING
    assert "stylesheet" in record.getMessage().lower()
    assert "signoff.qt" in logged.read_text(encoding="utf-8")


# -- Help › Open log folder -------------------------------------------------------------------
@pytest.fixture
def window(qtbot, registry, settings):
    w = build_window(registry, settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.ctx.runner.active_count == 0, timeout=5000)
    yield w
    w.ctx.shutdown()


def help_action(window, text: str):
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    return next(a for a in help_menu.actions() if a.text() == text)


def test_help_opens_the_log_folder(qtbot, window, log_dir: Path, monkeypatch) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    assert not log_dir.exists()

    help_action(window, "Open &log folder").trigger()

    assert log_dir.is_dir()
    assert opened == [QUrl.fromLocalFile(str(log_dir))]


def test_help_shows_the_path_when_the_desktop_cannot_open_it(
    qtbot, window, log_dir: Path, monkeypatch
) -> None:
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: False)

    help_action(window, "Open &log folder").trigger()

    def shown_boxes() -> list[QMessageBox]:
        return [b for b in window.findChildren(QMessageBox) if b.isVisible()]

    qtbot.waitUntil(lambda: len(shown_boxes()) == 1, timeout=3000)
    box = shown_boxes()[0]
    assert "could not be opened" in box.text()
    assert str(log_dir) in box.text()
    assert log_dir.is_dir()
    box.close()
