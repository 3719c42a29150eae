"""The application object: icon, style, settings, context and main window."""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication

from signoff.core.common.logs import logging_configured, setup_logging
from signoff.core.db.registry import Registry
from signoff.ui.services.context import AppContext
from signoff.ui.services.resources import app_icon
from signoff.ui.services.settings import Settings
from signoff.ui.services.theme import apply_style
from signoff.ui.shell.crash_dialog import install_error_reporting
from signoff.ui.shell.main_window import MainWindow

log = logging.getLogger(__name__)


def make_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with Signoff's name, icon and style (created once)."""
    app = QApplication.instance()
    if app is None:
        # QtWebEngine (rendered notebooks, built lazily) needs shared GL contexts set before
        # the application exists; setting the attribute avoids importing it at start-up
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
        QApplication.setApplicationName("Signoff")
        QApplication.setOrganizationName("Signoff")
        QApplication.setApplicationDisplayName("Signoff")
        QApplication.setDesktopFileName("org.signoff.Signoff")
        app = QApplication(argv if argv is not None else sys.argv)
    if not isinstance(app, QApplication):  # someone made a QCoreApplication: no widgets
        raise RuntimeError("a Qt application without widgets is already running")
    app.setWindowIcon(app_icon())
    return app


def build_window(registry: Registry, settings: Settings | None = None) -> MainWindow:
    """A main window on *registry* (used by run_app, the tests and the screenshots)."""
    app = make_application()
    settings = settings or Settings()
    apply_style(app, settings.get("ui/theme"))
    ctx = AppContext(registry, settings)
    settings.remember_registry(registry.location.db_url, str(registry.location.artifacts))
    return MainWindow(ctx)


def run_app(registry: Registry) -> int:
    """Show the main window on *registry* and run the event loop; returns the exit code.

    While it runs, Qt's messages go to the log and an uncaught error is logged and shown in
    the error dialog instead of only reaching a terminal the person may not have.
    """
    app = make_application()
    if not logging_configured():
        setup_logging()  # started without the command line (an embedding script)
    reporting = install_error_reporting(app)
    try:
        window = build_window(registry)
        window.show()
        log.info("window open on %s", registry.display_url)
        return app.exec()
    finally:
        reporting.uninstall()
