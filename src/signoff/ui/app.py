"""The application object: icon, style, settings, context and main window."""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from signoff.core.db import Registry
from signoff.ui.context import AppContext
from signoff.ui.main_window import MainWindow
from signoff.ui.resources import app_icon, style_sheet
from signoff.ui.settings import Settings

log = logging.getLogger("signoff.ui")


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
    app.setWindowIcon(app_icon())
    return app


def dark_palette() -> QPalette:
    """A dark Fusion palette matching styles/dark.qss."""
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#23292e", QPalette.ColorRole.WindowText: "#e5e8eb",
        QPalette.ColorRole.Base: "#1b1f23", QPalette.ColorRole.AlternateBase: "#262c31",
        QPalette.ColorRole.Text: "#e5e8eb", QPalette.ColorRole.Button: "#2b3238",
        QPalette.ColorRole.ButtonText: "#e5e8eb", QPalette.ColorRole.Highlight: "#2e86c1",
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#2b3238",
        QPalette.ColorRole.ToolTipText: "#e5e8eb", QPalette.ColorRole.Link: "#5dade2",
        QPalette.ColorRole.PlaceholderText: "#8395a7", QPalette.ColorRole.Mid: "#3d464e",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#6c7a89"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText,
                     QColor("#6c7a89"))
    return palette


_system_palette: QPalette | None = None


def apply_style(app: QApplication, theme: str) -> None:
    """Apply the Fusion style with the light or dark palette and style sheet.

    *theme* is the 'ui/theme' setting: auto (follow the system palette), light or dark.
    """
    global _system_palette
    if _system_palette is None:
        _system_palette = QPalette(app.palette())
    app.setStyle("Fusion")
    if theme == "auto":
        app.setPalette(_system_palette)
        dark = _system_palette.color(QPalette.ColorRole.Window).lightness() < 128
    else:
        dark = theme == "dark"
        app.setPalette(dark_palette() if dark else app.style().standardPalette())
    app.setStyleSheet(style_sheet(dark))


def build_window(registry: Registry, settings: Settings | None = None) -> MainWindow:
    """A main window on *registry* (used by run_app, the tests and the screenshots)."""
    app = make_application()
    settings = settings or Settings()
    apply_style(app, settings.get("ui/theme"))
    ctx = AppContext(registry, settings)
    settings.remember_registry(registry.location.db_url, str(registry.location.artifacts))
    return MainWindow(ctx)


def run_app(registry: Registry) -> int:
    """Show the main window on *registry* and run the event loop; returns the exit code."""
    app = make_application()
    window = build_window(registry)
    window.show()
    return app.exec()
