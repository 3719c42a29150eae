"""What the desktop application does with an error nobody caught: log it, then say so.

An exception escaping a slot or a Python thread reaches ``sys.excepthook`` /
``threading.excepthook``. :func:`install_error_reporting` replaces both with a
:class:`CrashReporter` that logs the error at ERROR with its traceback (so it is in the log file)
and shows a :class:`CrashDialog` on the GUI thread: what went wrong, a *Copy details* button
(traceback, versions, log file, for a bug report) and *Open log folder*.

Re-entrancy: errors arriving while the dialog is open are added to that dialog (it counts
them) instead of stacking new dialogs, and an error inside the reporting itself is only logged.
"""

from __future__ import annotations

import logging
import platform
import sys
import threading
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import PySide6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal, Slot, qInstallMessageHandler
from PySide6.QtCore import qVersion as qt_version
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from signoff import __version__
from signoff.core.common.logs import active_log_file, logging_configured
from signoff.ui.services.qt_log import QtMessageHandler, install_qt_message_handler, open_log_folder

log = logging.getLogger(__name__)

HEADING = "Signoff hit an unexpected error"
KEPT_TRACEBACKS = 20  # a storm of errors must not grow the dialog without bound


def log_file_words() -> str:
    """The log file in use, or why there is none, in words for the dialog and the report."""
    log_file = active_log_file()
    if log_file is not None:
        return str(log_file)
    if logging_configured():
        return "none: the log folder cannot be written"
    return "none: this process does not log to a file"


def environment_report() -> str:
    """The lines a bug report needs besides the traceback: versions, platform, log file."""
    return "\n".join(
        (
            f"Signoff {__version__}",
            f"Python {sys.version.splitlines()[0]}",
            f"Qt {qt_version()}, PySide6 {PySide6.__version__}",
            f"Platform {platform.platform()}",
            f"Log file {log_file_words()}",
            f"Reported {datetime.now(UTC).isoformat(timespec='seconds')}",
        )
    )


class CrashDialog(QDialog):
    """Tells the person an unexpected error happened, and helps them report it."""

    def __init__(self, summary: str, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Signoff — unexpected error")
        self.setObjectName("crashDialog")
        self._tracebacks = [details]
        self._count = 1

        heading = QLabel(f"<b>{HEADING}</b>")
        self.message_label = QLabel(summary)
        self.message_label.setObjectName("crashMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where = (
            f"The details are in the log file {active_log_file()}."
            if active_log_file() is not None
            else f"Log file: {log_file_words()}; copy the details before closing."
        )
        self.note_label = QLabel(
            f"{where} Your work in the registry is safe: every change is saved when it is "
            "made. If this keeps happening, send the details to your administrator."
        )
        self.note_label.setWordWrap(True)
        self.more_label = QLabel("")
        self.more_label.setObjectName("crashMore")
        self.more_label.hide()
        self.details_view = QPlainTextEdit(details)
        self.details_view.setReadOnly(True)
        self.details_view.setMinimumHeight(160)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("&Copy details")
        self.folder_button = QPushButton("Open &log folder")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.folder_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self.copy_details)
        self.folder_button.clicked.connect(lambda: open_log_folder(self))

        layout = QVBoxLayout(self)
        for widget in (heading, self.message_label, self.note_label, self.more_label):
            layout.addWidget(widget)
        layout.addWidget(self.details_view, 1)
        layout.addWidget(buttons)
        self.resize(640, 420)

    def add_error(self, summary: str, details: str) -> None:
        """Another error arrived while this dialog was open: count it, keep its traceback."""
        self._count += 1
        if len(self._tracebacks) < KEPT_TRACEBACKS:
            self._tracebacks.append(details)
            self.details_view.appendPlainText("\n" + details)
        self.more_label.setText(f"{self._count - 1} more error(s) since, the last: {summary}")
        self.more_label.show()

    def details_text(self) -> str:
        """Everything *Copy details* puts on the clipboard."""
        return environment_report() + "\n\n" + "\n".join(self._tracebacks)

    def copy_details(self) -> None:
        """Put the tracebacks, versions and log file on the clipboard."""
        QGuiApplication.clipboard().setText(self.details_text())
        self.copy_button.setText("Copied")


class CrashReporter(QObject):
    """The excepthooks' target: logs every uncaught error and shows one dialog at a time."""

    crashed = Signal(str, str)  # summary, formatted traceback; may be emitted from any thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dialog: CrashDialog | None = None
        self._showing = False
        self._dialog_failed = False
        # queued even on the GUI thread: the dialog is built from the event loop, not inside
        # the slot (a paint event, a model method) that raised
        self.crashed.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def report(
        self,
        kind: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
        thread: str | None = None,
    ) -> None:
        """Log an uncaught error at ERROR with its traceback and ask for the dialog."""
        where = thread or threading.current_thread().name
        log.error("unexpected error in thread %s", where, exc_info=(kind, exc, tb))
        lines = str(exc).strip().splitlines()
        summary = f"{kind.__name__}: {lines[0]}" if lines else kind.__name__
        details = "".join(traceback.format_exception(kind, exc, tb))
        self.crashed.emit(summary, details)

    def excepthook(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        """``sys.excepthook``: an error escaped a slot or the main thread."""
        if issubclass(kind, KeyboardInterrupt):
            log.info("interrupted: quitting")
            QCoreApplication.exit(130)
            return
        try:
            self.report(kind, exc, tb)
        except Exception:  # noqa: BLE001 - the hook must never raise; fall back to Python's
            sys.__excepthook__(kind, exc, tb)

    def thread_excepthook(self, args: Any) -> None:
        """``threading.excepthook``: an error ended a Python thread."""
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else None
        try:
            self.report(args.exc_type, args.exc_value, args.exc_traceback, thread=name)
        except Exception:  # noqa: BLE001
            threading.__excepthook__(args)

    @Slot(str, str)
    def _show(self, summary: str, details: str) -> None:
        if self._showing or self._dialog_failed:
            return  # the dialog itself failed, or is being built: the log has the error
        self._showing = True
        try:
            if self.dialog is not None:
                self.dialog.add_error(summary, details)
                return
            # top-level: a parent window closing (or the one that failed) must not take it along
            dialog = CrashDialog(summary, details)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.finished.connect(self._dialog_closed)
            self.dialog = dialog
            dialog.show()
            dialog.raise_()
        except Exception:  # noqa: BLE001 - never report the reporter's own failure by itself
            self._dialog_failed = True
            log.exception("the error dialog could not be shown")
        finally:
            self._showing = False

    def _dialog_closed(self) -> None:
        self.dialog = None


@dataclass
class ErrorReporting:
    """The installed hooks, and what they replaced (:meth:`uninstall` puts it back)."""

    reporter: CrashReporter
    previous_excepthook: Any
    previous_thread_excepthook: Any
    previous_qt_handler: QtMessageHandler | None

    def uninstall(self) -> None:
        """Restore the hooks and Qt message handler that were there before."""
        sys.excepthook = self.previous_excepthook
        threading.excepthook = self.previous_thread_excepthook
        qInstallMessageHandler(self.previous_qt_handler)
        if self.reporter.dialog is not None:
            self.reporter.dialog.close()
        self.reporter.deleteLater()


def install_error_reporting(parent: QObject | None = None) -> ErrorReporting:
    """Log Qt's messages and every uncaught error, and show the error dialog on the GUI thread.

    Call it once the QApplication exists (``run_app`` does); the returned object restores the
    previous hooks.
    """
    reporter = CrashReporter(parent or QCoreApplication.instance())
    installed = ErrorReporting(
        reporter=reporter,
        previous_excepthook=sys.excepthook,
        previous_thread_excepthook=threading.excepthook,
        previous_qt_handler=install_qt_message_handler(),
    )
    sys.excepthook = reporter.excepthook
    threading.excepthook = reporter.thread_excepthook
    return installed
