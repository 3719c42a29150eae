"""Light and dark: the palette, the style sheet, and the one answer to "is the theme dark?"."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QLabel

from signoff.ui.services.resources import style_sheet


def dark_palette() -> QPalette:
    """A dark Fusion palette matching styles/dark.qss."""
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#23292e",
        QPalette.ColorRole.WindowText: "#e5e8eb",
        QPalette.ColorRole.Base: "#1b1f23",
        QPalette.ColorRole.AlternateBase: "#262c31",
        QPalette.ColorRole.Text: "#e5e8eb",
        QPalette.ColorRole.Button: "#2b3238",
        QPalette.ColorRole.ButtonText: "#e5e8eb",
        QPalette.ColorRole.Highlight: "#2e86c1",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#2b3238",
        QPalette.ColorRole.ToolTipText: "#e5e8eb",
        QPalette.ColorRole.Link: "#5dade2",
        QPalette.ColorRole.PlaceholderText: "#8395a7",
        QPalette.ColorRole.Mid: "#3d464e",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#6c7a89"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#6c7a89"))
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
    dark = prefers_dark(theme)
    if theme == "auto":
        app.setPalette(_system_palette)
    else:
        app.setPalette(dark_palette() if dark else app.style().standardPalette())
    app.setStyleSheet(style_sheet(dark))
    refresh_rich_text(app)


def refresh_rich_text(app: QApplication) -> None:
    """Lay every rich-text label out again under the new palette.

    A label colours its links when its text is set, with the palette of that moment; without
    this, links keep the old theme's colour after a switch (dark blue on a dark window).
    """
    for widget in app.allWidgets():
        if not isinstance(widget, QLabel):
            continue
        text = widget.text()
        rich = widget.textFormat() == Qt.TextFormat.RichText or "<" in text
        if rich and "<a" in text:
            widget.setText("")
            widget.setText(text)


def prefers_dark(theme: str = "auto") -> bool:
    """Whether to use the dark style: the setting, or the system palette when 'auto'."""
    if theme in ("light", "dark"):
        return theme == "dark"
    palette = _system_palette
    if palette is None:
        app = QGuiApplication.instance()
        if not isinstance(app, QGuiApplication):
            return False
        palette = app.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128
