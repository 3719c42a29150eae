"""The locked-down document view: QWebEngineView with no script and no network.

Why QWebEngineView and not QTextBrowser: notebooks are HTML+CSS written for a browser. nbconvert's
JupyterLab theme (CSS variables, flexbox prompts, styled DataFrames, ANSI tracebacks), SVG
figures, tables and images render faithfully only in a browser engine; QTextBrowser supports a
small HTML 4 subset and no SVG-in-img or modern CSS, so reviewers would not see the notebook as
its author did. Fidelity is worth the engine *because* the safety does not depend on it:

1. The HTML is sanitized before it gets here (``signoff.core.render``): no script, no event
   handler, no ``javascript:``, nothing remote. The page also carries a strict CSP.
2. The page's settings turn JavaScript off (and window opening, plugins, WebGL, local storage,
   remote access from local content, file access from local content, hyperlink auditing, DNS
   prefetch).
3. A URL request interceptor on each page (all share one off-the-record, in-memory profile)
   blocks every request except the one document file being shown and ``data:`` URLs —
   whatever a bug elsewhere let through, no byte leaves the machine and no other local file
   is read.
4. Navigation is refused except within the document (table-of-contents anchors). A clicked
   ``http(s)``/``mailto`` link is reported through :attr:`SafeDocumentView.linkRequested`; the
   tab asks the person before handing it to the system browser. New windows are refused.
"""

from __future__ import annotations

import atexit
import logging
import weakref
from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QUrl, Signal
from PySide6.QtGui import QColor
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

log = logging.getLogger(__name__)

ALLOWED_LINK_SCHEMES = ("http", "https", "mailto")

_OFF = (
    QWebEngineSettings.WebAttribute.JavascriptEnabled,
    QWebEngineSettings.WebAttribute.JavascriptCanOpenWindows,
    QWebEngineSettings.WebAttribute.JavascriptCanAccessClipboard,
    QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls,
    QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls,
    QWebEngineSettings.WebAttribute.LocalStorageEnabled,
    QWebEngineSettings.WebAttribute.PluginsEnabled,
    QWebEngineSettings.WebAttribute.WebGLEnabled,
    QWebEngineSettings.WebAttribute.Accelerated2dCanvasEnabled,
    QWebEngineSettings.WebAttribute.HyperlinkAuditingEnabled,
    QWebEngineSettings.WebAttribute.DnsPrefetchEnabled,
    QWebEngineSettings.WebAttribute.AllowRunningInsecureContent,
    QWebEngineSettings.WebAttribute.AllowGeolocationOnInsecureOrigins,
    QWebEngineSettings.WebAttribute.ScreenCaptureEnabled,
    QWebEngineSettings.WebAttribute.PdfViewerEnabled,
    QWebEngineSettings.WebAttribute.NavigateOnDropEnabled,
    QWebEngineSettings.WebAttribute.AutoLoadIconsForPage,
    QWebEngineSettings.WebAttribute.ErrorPageEnabled,
)


def _strip_fragment(url: QUrl) -> str:
    return url.toString().split("#", 1)[0]  # a '#' inside a file path is encoded as %23


class DocumentRequestGuard(QWebEngineUrlRequestInterceptor):
    """Blocks every request except ``data:`` URLs and the one allowed document file.

    Installed on each page (``QWebEnginePage.setUrlRequestInterceptor``), so each view allows
    only its own document although all of them share one profile.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.allowed_document = ""
        self.blocked: list[str] = []

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # noqa: N802 (Qt)
        url = info.requestUrl()
        if url.scheme() == "data":
            return
        if self.allowed_document and _strip_fragment(url) == self.allowed_document:
            return
        text = url.toString()
        if len(self.blocked) < 1000:
            self.blocked.append(text)
        log.info("blocked a request from a document: %s", text[:200])
        info.block(True)


# -- the one profile, and the order Qt needs at teardown ---------------------------------------
#
# Qt requires every QWebEnginePage to be deleted before its QWebEngineProfile, and both before
# the QApplication ("Release of profile requested but WebEnginePage still not deleted", then a
# crash). Python gives no such guarantee: a view may be collected after the application, and
# QObject children are destroyed in an order nobody promises. So every document view shares one
# off-the-record profile that no widget owns; pages are tracked weakly; and when the application
# quits (or the interpreter exits without quitting, as a test run does) the live pages are
# deleted first and the profile last. A view deleted earlier takes its page with it.
_profile: QWebEngineProfile | None = None
_pages: weakref.WeakSet[QWebEnginePage] = weakref.WeakSet()


def document_profile() -> QWebEngineProfile:
    """The shared, in-memory profile of all document pages (created on first use)."""
    global _profile
    if _profile is None or not shiboken6.isValid(_profile):
        app = QCoreApplication.instance()
        if app is None:
            raise RuntimeError("document views need a QApplication")
        profile = QWebEngineProfile()  # no storage name: off the record, in memory
        profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.NoCache)
        profile.setPersistentCookiesPolicy(
            QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies
        )
        app.aboutToQuit.connect(release_document_profile)
        _profile = profile
    return _profile


def live_document_pages() -> int:
    """How many document pages exist right now (their C++ objects, not Python wrappers)."""
    return sum(1 for page in list(_pages) if shiboken6.isValid(page))


def release_document_profile() -> None:
    """Delete every document page still alive, then the shared profile (idempotent)."""
    global _profile
    for page in list(_pages):
        if shiboken6.isValid(page):
            shiboken6.delete(page)
    _pages.clear()
    if _profile is not None and shiboken6.isValid(_profile):
        shiboken6.delete(_profile)
    _profile = None


atexit.register(release_document_profile)


class _SafePage(QWebEnginePage):
    linkRequested = Signal(QUrl)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(document_profile(), parent)
        # the page's own guard is its child: deleted after the page stops sending requests
        self._guard = DocumentRequestGuard(self)
        self.setUrlRequestInterceptor(self._guard)
        _pages.add(self)
        settings = self.settings()
        for attribute in _OFF:
            settings.setAttribute(attribute, False)
        settings.setAttribute(QWebEngineSettings.WebAttribute.AutoLoadImages, True)  # data: only
        settings.setUnknownUrlSchemePolicy(
            QWebEngineSettings.UnknownUrlSchemePolicy.DisallowUnknownUrlSchemes
        )

    def acceptNavigationRequest(
        self,
        url: QUrl | str,  # noqa: N802 - Qt's name
        navigation_type: QWebEnginePage.NavigationType,
        is_main_frame: bool,
    ) -> bool:
        url = QUrl(url)
        if not is_main_frame:
            return False
        if self._guard.allowed_document and _strip_fragment(url) == self._guard.allowed_document:
            return True  # the document itself, or an anchor inside it
        if (
            navigation_type == QWebEnginePage.NavigationType.NavigationTypeLinkClicked
            and url.scheme() in ALLOWED_LINK_SCHEMES
        ):
            self.linkRequested.emit(url)
        return False

    # Qt takes a null page as "open no window"; PySide6's stub does not allow None
    def createWindow(  # type: ignore[override]  # noqa: N802
        self, _type: QWebEnginePage.WebWindowType
    ) -> QWebEnginePage | None:
        return None

    def javaScriptConsoleMessage(self, *_args: object) -> None:  # noqa: N802 - nothing runs
        return None


class SafeDocumentView(QWidget):
    """Shows one rendered page file; runs no script; loads nothing but that file and data:.

    The page is light "paper": rendered documents keep their authors' light colours (a figure
    drawn on white stays legible), and in the dark theme the paper sits in a margin of the
    window's colour with a visible edge (``QFrame#documentPaper`` in the dark style), so it
    reads as a page on a desk rather than a white hole in the window.
    """

    linkRequested = Signal(QUrl)  # a person clicked an external link (not followed)
    loaded = Signal(bool)
    findResult = Signal(int, int)  # active match (1-based, 0 = none), number of matches

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.web = QWebEngineView(self)
        self.web.setObjectName("documentWebView")
        self.page = _SafePage(self.web)  # owned by the view: deleted with it
        self.guard = self.page._guard
        self.web.setPage(self.page)
        self.web.setContextMenuPolicy(self.web.contextMenuPolicy().NoContextMenu)
        self.page.linkRequested.connect(self.linkRequested)
        self.page.loadFinished.connect(self.loaded)
        self.page.findTextFinished.connect(
            lambda result: self.findResult.emit(result.activeMatch(), result.numberOfMatches())
        )
        # the page behind the document is paper white, also before the file has loaded
        self.page.setBackgroundColor(QColor("white"))
        self.paper = QFrame(self)
        self.paper.setObjectName("documentPaper")
        paper_layout = QVBoxLayout(self.paper)
        paper_layout.setContentsMargins(0, 0, 0, 0)
        paper_layout.addWidget(self.web)
        layout = QVBoxLayout(self)
        layout.setObjectName("documentDesk")
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.paper)
        self.path: Path | None = None
        self._print_done: Callable[[bool], None] | None = None
        self.web.printFinished.connect(self._finished_printing)

    def show_file(self, path: Path) -> None:
        """Show the rendered page at *path* (a file Signoff wrote; nothing else loads)."""
        self.path = Path(path)
        url = QUrl.fromLocalFile(str(self.path.resolve()))
        self.guard.allowed_document = _strip_fragment(url)
        self.web.setUrl(url)

    def clear(self) -> None:
        """Show nothing."""
        self.path = None
        self.guard.allowed_document = ""
        self.web.setHtml("<!DOCTYPE html><html><body></body></html>", QUrl("about:blank"))

    def scroll_to_anchor(self, anchor: str) -> None:
        """Jump to the element with id *anchor* (a table-of-contents entry)."""
        if self.path is None:
            return
        url = QUrl.fromLocalFile(str(self.path.resolve()))
        url.setFragment(anchor)
        self.web.setUrl(url)

    # shadows QWidget's static find(window id), which nothing in Signoff calls
    def find(self, text: str, backward: bool = False) -> None:  # type: ignore[override]
        """Highlight *text* in the page and move to the next (or previous) match."""
        flags = QWebEnginePage.FindFlag.FindBackward if backward else QWebEnginePage.FindFlag(0)
        self.page.findText(text, flags)

    def set_zoom(self, factor: float) -> float:
        """Zoom to *factor* (clamped to 0.25-5.0); returns the factor applied."""
        factor = max(0.25, min(5.0, factor))
        self.web.setZoomFactor(factor)
        return factor

    def zoom(self) -> float:
        """The current zoom factor."""
        return self.web.zoomFactor()

    def print_to(self, printer: QPrinter, done: Callable[[bool], None]) -> None:
        """Print the page on *printer* (the engine works on its own; *done* gets the result).

        The caller keeps *printer* alive until *done* is called.
        """
        self._print_done = done
        self.web.print(printer)

    def _finished_printing(self, ok: bool) -> None:
        done, self._print_done = self._print_done, None
        if done is not None:
            done(ok)
