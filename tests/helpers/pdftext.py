"""The words of a PDF, as a reader sees them: extracted with Qt's PDF module (QtPdf).

Whitespace is collapsed, so a sentence wrapped across lines or table cells reads as one line.
Needs a Qt GUI application (pytest-qt's ``qapp`` or ``qtbot``).
"""

from __future__ import annotations

import re
from pathlib import Path


def pdf_text(path: Path) -> str:
    """Every page's text, joined, with runs of whitespace as one space."""
    from PySide6.QtPdf import QPdfDocument

    document = QPdfDocument()
    error = document.load(str(path))
    assert error == QPdfDocument.Error.None_, f"{path}: {error}"
    try:
        text = " ".join(document.getAllText(page).text() for page in range(document.pageCount()))
    finally:
        document.close()
    return re.sub(r"\s+", " ", text)
