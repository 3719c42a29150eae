"""The in-app PDF viewer (Qt PDF): a report is read where it was made, whatever the desktop has.

Asking the desktop to open a PDF does nothing visible when no viewer is registered, and it
needs a file on disk, which for a confidential report is one copy too many. This viewer shows
the PDF from memory (the bytes the artifact store holds), page after page, with zoom, *Save
as…* (handled by the page that opened it, which knows where this person saves reports) and
*Print…*.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt, Signal
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from signoff.ui.widgets.printing import choose_printer, print_pdf

ZOOM_STEP = 1.25


class PdfViewer(QDialog):
    """Shows one PDF held in memory; *Save as…* calls *save*, *Print…* prints every page."""

    printed = Signal(int)  # pages printed

    def __init__(
        self,
        data: bytes,
        title: str,
        *,
        save: Callable[[], object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pdfViewer")
        self.setWindowTitle(title)
        # a page's width, and no taller than the window it opens from
        height = 900 if parent is None else min(900, max(480, parent.window().height()))
        self.resize(820, height)
        self.title = title
        # the buffer must outlive the document that reads from it
        self.buffer = QBuffer(self)
        self.buffer.setData(QByteArray(data))
        self.buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document = QPdfDocument(self)
        self.document.load(self.buffer)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.pages_label = QLabel("")
        self.pages_label.setObjectName("pdfPages")
        bar.addWidget(self.pages_label, 1)
        self.zoom_out = self._tool("−", "Zoom out", lambda: self.zoom_by(1 / ZOOM_STEP))
        self.fit_button = self._tool("Fit width", "Fit the page to the window's width", self.fit)
        self.zoom_in = self._tool("+", "Zoom in", lambda: self.zoom_by(ZOOM_STEP))
        for tool in (self.zoom_out, self.fit_button, self.zoom_in):
            bar.addWidget(tool)
        self.save_button = QPushButton("Save as…")
        self.save_button.setObjectName("pdfSaveAs")
        self.save_button.setToolTip("Save a copy only you can read, in a folder you choose")
        self.save_button.setEnabled(save is not None)
        if save is not None:
            self.save_button.clicked.connect(lambda: save())
        self.print_button = QPushButton("Print…")
        self.print_button.setObjectName("pdfPrint")
        self.print_button.clicked.connect(lambda: self.print_document())
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        for button in (self.save_button, self.print_button, close):
            bar.addWidget(button)
        layout.addLayout(bar)
        self.view = QPdfView(self)
        self.view.setObjectName("pdfView")
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.document)
        layout.addWidget(self.view, 1)
        self._show_status()

    def _tool(self, text: str, tip: str, slot: Callable[[], object]) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.clicked.connect(lambda: slot())
        return button

    def _show_status(self) -> None:
        if self.document.status() != QPdfDocument.Status.Ready:
            self.pages_label.setText(
                f"<span style='color:#c0392b'>This PDF cannot be shown "
                f"({self.document.error().name}).</span>"
            )
            self.print_button.setEnabled(False)
            return
        pages = self.document.pageCount()
        self.pages_label.setText(f"{pages} page{'s' if pages != 1 else ''}")

    @property
    def page_count(self) -> int:
        return self.document.pageCount()

    def zoom_by(self, factor: float) -> None:
        """Zoom in (factor > 1) or out, from whatever the view shows now."""
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(0.25, min(6.0, self.view.zoomFactor() * factor)))

    def fit(self) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

    def print_document(self, printer: QPrinter | None = None) -> int:
        """Print every page (on *printer*, or one the person chooses); returns pages printed."""
        if printer is None:
            printer = choose_printer(self, self.title)
            if printer is None:
                return 0
        try:
            pages = print_pdf(self.document, printer)
        except OSError as exc:
            QMessageBox.warning(self, "Not printed", f"The report could not be printed: {exc}")
            return 0
        self.printed.emit(pages)
        return pages

    def keyPressEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)
