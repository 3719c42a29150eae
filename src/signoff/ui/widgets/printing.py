"""Printing: a page of HTML (approval sheets, model cards), a PDF (reports), to paper or a file.

The documents themselves are built by the core as HTML (``approval_sheet_html``,
``model_card_html``) or PDF (the reproduction report); this module only puts them on a
``QPrinter``. Every entry point takes an optional printer: the window passes none and the
person chooses one in the print dialog; a test passes a printer that writes a PDF file, so the
same code path is exercised without paper.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QPageLayout, QPainter, QTextDocument
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget

log = logging.getLogger(__name__)


def pdf_printer(path: Path | str) -> QPrinter:
    """A printer that writes a PDF file at *path* (what "Print to file" does)."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


def choose_printer(parent: QWidget | None, title: str) -> QPrinter | None:
    """Ask the person for a printer (the system's print dialog); None when they cancel."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(title)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(f"Print {title}")
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return printer


def print_html(html: str, printer: QPrinter, title: str = "") -> None:
    """Lay *html* out on *printer*'s pages (a light page whatever the window's theme)."""
    document = QTextDocument()
    document.setDefaultStyleSheet(
        "body { color: #111; } table { border-collapse: collapse; } "
        "th, td { border: 1px solid #999; padding: 3px 5px; } th { background: #eee; }"
    )
    document.setHtml(html)
    if title:
        document.setMetaInformation(QTextDocument.MetaInformation.DocumentTitle, title)
        printer.setDocName(title)
    document.print_(printer)


def print_pdf(document: QPdfDocument, printer: QPrinter) -> int:
    """Print every page of *document* on *printer*, each scaled to the paper; returns pages."""
    pages = document.pageCount()
    if pages <= 0:
        return 0
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("the printer could not be started")
    try:
        dpi = printer.resolution()
        for page in range(pages):
            if page:
                printer.newPage()
            area = printer.pageLayout().paintRectPixels(dpi)
            points = document.pagePointSize(page)
            scale = min(area.width() / points.width(), area.height() / points.height())
            size = QSize(int(points.width() * scale), int(points.height() * scale))
            image = document.render(page, size)
            target = QRectF(0, 0, size.width(), size.height())
            painter.drawImage(target, image)
    finally:
        painter.end()
    return pages


def html_to_pdf(html: str, path: Path | str, title: str = "") -> Path:
    """Print *html* into a PDF file at *path* (for tests and "Print to file")."""
    printer = pdf_printer(path)
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    print_html(html, printer, title)
    return Path(path)


__all__ = [
    "choose_printer",
    "html_to_pdf",
    "pdf_printer",
    "print_html",
    "print_pdf",
]
