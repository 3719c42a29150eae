"""The shared body of the Notebook and Release notes tabs.

A rendered document with its table of contents on the left, find-in-page, zoom and "Export
HTML…" above. Loading and rendering run in a worker (:meth:`AppContext.run`): the store read,
the sha256 check and nbconvert never touch the GUI thread; progress shows for large notebooks;
a cache hit (same sha256, same renderer) only reads one file, so a second open is instant.
A document that cannot be rendered shows the renderer's message instead and the app carries on.
*Print…* prints the rendered page (light paper whatever the window's theme).
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from signoff.core.common.errors import HashMismatchError, NotFoundError, SignoffError
from signoff.core.db.registry import Registry
from signoff.core.render import (
    RenderCache,
    RenderedDocument,
    RenderError,
    cache_dir_for,
    load_version_document,
)
from signoff.ui.services.context import AppContext
from signoff.ui.services.worker import TaskHandle, current_task
from signoff.ui.widgets.common import EmptyState
from signoff.ui.widgets.document_view import SafeDocumentView
from signoff.ui.widgets.printing import choose_printer

log = logging.getLogger(__name__)

ZOOM_STEPS = (0.5, 0.67, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)


@dataclass
class LoadedDocument:
    """What the worker hands back: the rendered page, its file, and where it came from."""

    model: str
    number: int
    role: str
    name: str
    document: RenderedDocument | None  # None when the version has no such document
    path: Path | None
    from_cache: bool


def load_rendered(registry: Registry, model: str, number: int, role: str) -> LoadedDocument:
    """Worker: read the version's *role* document from the store and render it (cached)."""
    control = current_task()

    def fetching(fraction: float, message: str) -> None:
        control.progress(fraction, message)  # from a bucket: "downloading analysis.ipynb: …"

    source = load_version_document(
        registry, model, number, role, progress=fetching, cancelled=lambda: control.cancelled
    )
    if not source.present:
        return LoadedDocument(model, number, role, "", None, None, False)
    assert source.data is not None
    cache = RenderCache(cache_dir_for(registry), writable=not registry.read_only)
    document, from_cache = cache.get_or_render(
        source.data,
        source.kind,
        title=source.name,
        progress=control.progress,
        cancelled=control.was_cancelled,  # a newer request cancelled this one
    )
    path = cache.html_path(document.source_sha256, document.kind)
    if not path.exists():
        path = write_private_copy(document.html)
    return LoadedDocument(model, number, role, source.name, document, path, from_cache)


def write_private_copy(html: str) -> Path:
    """Write *html* to a private temporary file (when the cache folder is not writable)."""
    folder = Path(tempfile.mkdtemp(prefix="signoff-doc-"))
    path = folder / "document.html"
    path.write_text(html, encoding="utf-8")
    return path


def describe_failure(exc: BaseException, what: str) -> str:
    """A message a reviewer can act on, for a document that could not be shown."""
    if isinstance(exc, RenderError):
        return f"This {what} cannot be shown: {exc}"
    if isinstance(exc, HashMismatchError):
        return (
            f"The stored {what} fails its integrity check, so it is not shown: {exc}. "
            "Ask an administrator to restore the artifact store."
        )
    if isinstance(exc, NotFoundError | SignoffError):
        return str(exc)
    return f"The {what} could not be loaded: {type(exc).__name__}: {exc}"


class DocumentTab(QWidget):
    """A version's rendered document (``role``: ``notebook`` or ``release_notes``)."""

    printed = Signal(bool)  # the page went to the printer (or the printer refused it)

    role = "notebook"
    what = "notebook"  # used in messages
    missing_text = "This version has no notebook."

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model: str | None = None
        self.number: int | None = None
        self.loaded: LoadedDocument | None = None
        self._handle: TaskHandle | None = None
        self._printer: QPrinter | None = None
        self._build()

    # -- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        bar = QHBoxLayout()
        self.title_label = QLabel("")
        self.title_label.setObjectName("documentTitle")
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bar.addWidget(self.title_label, 1)
        self.find_edit = QLineEdit()
        self.find_edit.setObjectName("findInPage")
        self.find_edit.setPlaceholderText("Find in page")
        self.find_edit.setClearButtonEnabled(True)
        self.find_edit.setMaximumWidth(240)
        self.find_edit.textChanged.connect(lambda text: self.find(text))
        self.find_edit.returnPressed.connect(lambda: self.find(self.find_edit.text()))
        bar.addWidget(self.find_edit)
        self.find_prev = self._tool(
            "▲",
            "Previous match (Shift+F3)",
            lambda: self.find(self.find_edit.text(), backward=True),
        )
        self.find_next = self._tool(
            "▼", "Next match (F3)", lambda: self.find(self.find_edit.text())
        )
        bar.addWidget(self.find_prev)
        bar.addWidget(self.find_next)
        self.match_label = QLabel("")
        self.match_label.setObjectName("findMatches")
        self.match_label.setMinimumWidth(80)
        bar.addWidget(self.match_label)
        self.zoom_out_button = self._tool("−", "Zoom out (Ctrl+-)", lambda: self.step_zoom(-1))
        self.zoom_label = QPushButton("100%")
        self.zoom_label.setObjectName("zoomReset")
        self.zoom_label.setToolTip("Reset zoom (Ctrl+0)")
        self.zoom_label.setFlat(True)
        self.zoom_label.clicked.connect(lambda: self.set_zoom(1.0))
        self.zoom_in_button = self._tool("+", "Zoom in (Ctrl++)", lambda: self.step_zoom(1))
        for widget in (self.zoom_out_button, self.zoom_label, self.zoom_in_button):
            bar.addWidget(widget)
        self.export_button = QPushButton("Export HTML…")
        self.export_button.setObjectName("exportHtml")
        self.export_button.setToolTip("Save the rendered, sanitized page as an HTML file")
        self.export_button.clicked.connect(self._ask_export)
        bar.addWidget(self.export_button)
        self.print_button = QPushButton("Print…")
        self.print_button.setObjectName("printDocument")
        self.print_button.setToolTip(f"Print the {self.what} as rendered")
        self.print_button.clicked.connect(lambda: self.print_page())
        bar.addWidget(self.print_button)
        layout.addLayout(bar)

        progress_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setObjectName("renderProgress")
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(10)
        self.status = QLabel("")
        self.status.setObjectName("documentStatus")
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.status, 2)
        layout.addLayout(progress_row)

        self.stack = QStackedWidget()
        self.message = EmptyState(self.what.capitalize(), f"The {self.what} appears here.")
        self.toc = QTreeWidget()
        self.toc.setObjectName("documentToc")
        self.toc.setHeaderLabel("Contents")
        self.toc.itemClicked.connect(self._toc_clicked)
        self.toc.itemActivated.connect(self._toc_clicked)
        self.view = SafeDocumentView()
        self.view.findResult.connect(self._show_matches)
        self.view.linkRequested.connect(self.confirm_and_open_link)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.toc)
        self.splitter.addWidget(self._document_area())
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([220, 900])
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.splitter)
        layout.addWidget(self.stack, 1)
        self._set_busy(False)
        self._enable_document_actions(False)
        for keys, slot in (
            (QKeySequence.StandardKey.ZoomIn, lambda: self.step_zoom(1)),
            (QKeySequence.StandardKey.ZoomOut, lambda: self.step_zoom(-1)),
            ("Ctrl+0", lambda: self.set_zoom(1.0)),
            (QKeySequence.StandardKey.Find, self.find_edit.setFocus),
            (QKeySequence.StandardKey.FindNext, lambda: self.find(self.find_edit.text())),
            (
                QKeySequence.StandardKey.FindPrevious,
                lambda: self.find(self.find_edit.text(), backward=True),
            ),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def _document_area(self) -> QWidget:
        """The right-hand side; the release notes tab adds its comparison here."""
        return self.view

    def _tool(self, text: str, tip: str, slot) -> QToolButton:  # noqa: ANN001
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    def current_view(self) -> SafeDocumentView:
        """The view that find and zoom act on."""
        return self.view

    # -- loading --------------------------------------------------------------------------
    def show_version(self, model: str, number: int) -> None:
        """Load and show this version's document (in a worker; returns at once)."""
        self.model, self.number = model, number
        self.loaded = None
        self.title_label.setText(f"{model} v{number}")
        # what shows while the worker reads and renders: never "choose a version"
        self._show_message(f"Loading and rendering the {self.what} of {model} v{number}…")
        self._set_busy(True, f"Loading the {self.what}…")
        self.progress.setValue(0)
        self._handle = self.ctx.run(
            load_rendered,
            model,
            number,
            self.role,
            key=f"document-{self.role}-{id(self)}",
            on_result=self._on_loaded,
            on_error=self._on_failed,
        )
        self._handle.progressed.connect(self._on_progress)

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        if message:
            self.status.setText(message)

    def _on_loaded(self, loaded: LoadedDocument) -> None:
        if (loaded.model, loaded.number) != (self.model, self.number):
            return
        self._set_busy(False)
        self.loaded = loaded
        if loaded.document is None or loaded.path is None:
            self._show_message(self.missing_text)
            return
        document = loaded.document
        self.title_label.setText(f"{loaded.model} v{loaded.number} — {loaded.name}")
        report = document.report
        facts = [f"{len(document.toc)} headings", f"{report.images} images"]
        if report.blocked_remote:
            facts.append(f"{len(report.blocked_remote)} remote references blocked")
        if report.not_shown:
            facts.append(f"{report.not_shown} not shown (each marked in the page)")
        if report.truncated:
            facts.append("truncated (see the note at the top)")
        if report.too_large:
            facts = ["too large to show (the page says why)"]
        facts.append("from cache" if loaded.from_cache else "rendered")
        self.status.setText(", ".join(facts))
        self._fill_toc(document)
        self.view.show_file(loaded.path)
        self.stack.setCurrentWidget(self.splitter)
        self._enable_document_actions(True)

    def _on_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self._show_message(describe_failure(exc, self.what))

    def _show_message(self, text: str) -> None:
        self.message.set_text(text)
        self.stack.setCurrentWidget(self.message)
        self.toc.clear()
        self._enable_document_actions(False)

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.progress.setVisible(busy)
        if busy:
            self.status.setText(text)

    def _enable_document_actions(self, enabled: bool) -> None:
        for widget in (
            self.find_edit,
            self.find_prev,
            self.find_next,
            self.zoom_in_button,
            self.zoom_out_button,
            self.zoom_label,
            self.export_button,
            self.print_button,
        ):
            widget.setEnabled(enabled)

    # -- table of contents ----------------------------------------------------------------
    def _fill_toc(self, document: RenderedDocument) -> None:
        self.toc.clear()
        parents: list[tuple[int, QTreeWidgetItem]] = []
        for entry in document.toc:
            while parents and parents[-1][0] >= entry.level:
                parents.pop()
            item = QTreeWidgetItem([entry.text])
            item.setData(0, Qt.ItemDataRole.UserRole, entry.anchor)
            item.setToolTip(0, entry.text)
            if parents:
                parents[-1][1].addChild(item)
            else:
                self.toc.addTopLevelItem(item)
            parents.append((entry.level, item))
        self.toc.expandAll()
        self.toc.setVisible(bool(document.toc))

    def _toc_clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        anchor = item.data(0, Qt.ItemDataRole.UserRole)
        if anchor:
            self.view.scroll_to_anchor(str(anchor))

    # -- find and zoom --------------------------------------------------------------------
    # shadows QWidget's static find(window id), which nothing in Signoff calls
    def find(self, text: str, backward: bool = False) -> None:  # type: ignore[override]
        """Find *text* in the shown page (empty text clears the highlight)."""
        self.current_view().find(text, backward)
        if not text:
            self.match_label.setText("")

    def _show_matches(self, active: int, total: int) -> None:
        if not self.find_edit.text():
            self.match_label.setText("")
        elif total == 0:
            self.match_label.setText("No matches")
        else:
            self.match_label.setText(f"{active} of {total}")

    def set_zoom(self, factor: float) -> None:
        """Zoom the page to *factor* (1.0 = 100%)."""
        applied = self.current_view().set_zoom(factor)
        self.zoom_label.setText(f"{round(applied * 100)}%")

    def step_zoom(self, direction: int) -> None:
        """One zoom step in (+1) or out (-1)."""
        current = self.current_view().zoom()
        if direction > 0:
            factor = next((z for z in ZOOM_STEPS if z > current + 1e-3), ZOOM_STEPS[-1])
        else:
            factor = next((z for z in reversed(ZOOM_STEPS) if z < current - 1e-3), ZOOM_STEPS[0])
        self.set_zoom(factor)

    # -- links ----------------------------------------------------------------------------
    def confirm_and_open_link(self, url: QUrl) -> bool:
        """Ask before opening an external link in the system browser; True if opened."""
        answer = QMessageBox.question(
            self,
            "Open link?",
            f"This {self.what} links to:\n\n{url.toString()}\n\n"
            "Open it in your web browser? Signoff itself never follows links.",
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Open:
            return False
        QDesktopServices.openUrl(url)
        return True

    # -- export ---------------------------------------------------------------------------
    def suggested_export_name(self) -> str:
        """``credit-risk-v3-analysis.html`` for the document shown."""
        if self.loaded is None:
            return "document.html"
        stem = Path(self.loaded.name).stem.replace(" ", "-") or self.role
        return f"{self.loaded.model}-v{self.loaded.number}-{stem}.html"

    def _ask_export(self) -> None:
        if self.loaded is None or self.loaded.document is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export HTML", self.suggested_export_name(), "HTML files (*.html)"
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """Write the shown page, exactly as rendered, to *path* (in a worker)."""
        if self.loaded is None or self.loaded.document is None:
            return
        html = self.loaded.document.html
        self.status.setText(f"Saving {path.name}…")
        self.ctx.runner.submit(
            _write_html,
            Path(path),
            html,
            key=f"export-{id(self)}",
            on_result=lambda p: self.status.setText(f"Saved {p}"),
            on_error=lambda exc: self.status.setText(f"Could not save {path}: {exc}"),
        )

    # -- printing -------------------------------------------------------------------------
    def print_page(self, printer: QPrinter | None = None) -> bool:
        """Print the page shown (on *printer*, or one the person chooses); the result arrives
        through ``printed``. Returns whether printing started."""
        if self.loaded is None or self.loaded.document is None:
            return False
        title = f"{self.what} of {self.loaded.model} v{self.loaded.number}"
        if printer is None:
            printer = choose_printer(self, title)
            if printer is None:
                return False
        self.status.setText(f"Printing the {title}…")
        self._printer = printer  # kept until the engine has finished with it
        self.current_view().print_to(printer, self._printed)
        return True

    def _printed(self, ok: bool) -> None:
        self._printer = None
        self.status.setText("Printed." if ok else "The printer refused the page.")
        self.printed.emit(ok)


def _write_html(path: Path, html: str) -> Path:
    path.write_text(html, encoding="utf-8")
    return path
