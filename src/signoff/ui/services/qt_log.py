"""Qt's own messages in Signoff's log, and the log folder shown to a person.

Qt reports problems (a missing plugin, a failed OpenGL context, a bad style sheet) through its
message handler, which by default prints to stderr where a desktop user never looks.
:func:`install_qt_message_handler` routes them to the ``signoff.qt`` logger instead, so they
land in the log file with everything else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QMessageLogContext, Qt, QtMsgType, QUrl, qInstallMessageHandler
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from signoff.core.common.logs import ensure_log_folder, log_folder

qt_log = logging.getLogger("signoff.qt")

QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}

QtMessageHandler = Callable[[QtMsgType, QMessageLogContext, str], Any]


def log_qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's message handler: one record on ``signoff.qt`` at the level matching *kind*.

    The category (``qt.qpa.fonts``, ``js``, ...) prefixes the message when it is not Qt's
    default one, so a person reading the log knows which part of Qt spoke.
    """
    level = QT_LEVELS.get(kind, logging.WARNING)
    category = context.category if context is not None else None
    if category and category != "default":
        qt_log.log(level, "%s: %s", category, message)
    else:
        qt_log.log(level, "%s", message)


def install_qt_message_handler() -> QtMessageHandler | None:
    """Route Qt's messages into Python logging; returns the handler it replaced.

    Pass the returned handler to ``qInstallMessageHandler`` to restore it (the tests do).
    """
    return qInstallMessageHandler(log_qt_message)


def open_log_folder(parent: QWidget | None = None) -> QMessageBox | None:
    """Open the log folder in the system's file manager (creating the folder if needed).

    When the folder cannot be created or the desktop cannot open it, a message box shows its
    path instead so the person can find it by hand; that box is returned (None on success).
    """
    try:
        folder = ensure_log_folder()
    except OSError as exc:
        return _show_folder(parent, f"The log folder cannot be created: {exc}", str(log_folder()))
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
        return None
    return _show_folder(parent, "The log folder could not be opened here.", str(folder))


def _show_folder(parent: QWidget | None, problem: str, path: str) -> QMessageBox:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle("Signoff log folder")
    box.setText(f"{problem}\nSignoff's log files are in:\n{path}")
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
