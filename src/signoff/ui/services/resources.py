"""Icons and style sheets read from the package's ``resources`` folder (no compiled .qrc)."""

from __future__ import annotations

import logging
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon, QPixmap

log = logging.getLogger(__name__)

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def resource(*parts: str) -> Traversable:
    """A file under ``signoff/resources``."""
    node = files("signoff") / "resources"
    for part in parts:
        node = node / part
    return node


def read_text(*parts: str) -> str:
    """The text of a resource file ('' if it is missing, which is logged)."""
    node = resource(*parts)
    try:
        return node.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        log.warning("resource %s is missing", "/".join(parts))
        return ""


def app_icon() -> QIcon:
    """The application icon at every size shipped."""
    icon = QIcon()
    for size in ICON_SIZES:
        node = resource("icons", f"signoff-{size}.png")
        if isinstance(node, Path):  # a file: Qt reads it when that size is first drawn
            if node.is_file():
                icon.addFile(str(node), QSize(size, size))
        elif node.is_file():
            pixmap = QPixmap()
            pixmap.loadFromData(node.read_bytes())
            icon.addPixmap(pixmap)
    return icon


def style_sheet(dark: bool) -> str:
    """The shared style plus the light or dark colours (``@ICONS@`` names the icon folder)."""
    text = read_text("style.qss") + "\n" + read_text("styles", "dark.qss" if dark else "light.qss")
    icons = resource("icons")
    # a style sheet's url() is a file path; forward slashes work on every platform
    return text.replace("@ICONS@", str(icons).replace("\\", "/"))
