"""The Notebook and Release notes tabs, driven offscreen as a reviewer would use them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtWebEngineCore import QWebEnginePage

# QtWebEngine wants to be imported before the QApplication exists
from PySide6.QtWebEngineWidgets import QWebEngineView  # noqa: F401
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.helpers import shots
from tests.helpers.qtwait import document_loaded, document_message

pytestmark = pytest.mark.gui

ROOT = Path(__file__).parent.parent.parent
EXAMPLE = ROOT / "examples" / "credit-risk"
DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def example_registry(registry, tmp_path):
    """credit-risk v1 (the shipped example) and v2 (changed notes, a hostile notebook)."""
    from signoff.core.publishing.publisher import publish

    publish(registry, EXAMPLE)
    second = tmp_path / "v2"
    shutil.copytree(EXAMPLE, second)
    notes = (second / "RELEASE_NOTES.md").read_text()
    (second / "RELEASE_NOTES.md").write_text(
        notes.replace("| auc | 0.8038 |", "| auc | 0.8250 |")
        + '\n\nSee <a href="https://example.com/model-card">the model card</a>.'
        "<script>alert(1)</script>\n"
    )
    shutil.copy(DATA / "notebooks" / "hostile_cve_2021_32862.ipynb", second / "analysis.ipynb")
    publish(registry, second)
    return registry


def _plain_text(qtbot, view) -> str:
    box: list[str] = []
    view.page.toPlainText(box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=10_000)
    return box[0]


def test_version_page_shows_the_example_notebook(qtbot, make_ctx, example_registry):
    from signoff.ui.version.version_page import VersionPage

    page = VersionPage(make_ctx(example_registry))
    qtbot.addWidget(page)
    page.resize(1280, 820)
    page.show()
    tab = page.show_tab("Notebook")
    with document_loaded(qtbot, tab):
        page.show_version("credit-risk", 1, tab="Notebook")
    # the table of contents shows the notebook's headings
    toc = [tab.toc.topLevelItem(i).text(0) for i in range(tab.toc.topLevelItemCount())]
    assert toc[0].startswith("Retail credit default risk")
    children = [
        tab.toc.topLevelItem(0).child(i).text(0)
        for i in range(tab.toc.topLevelItem(0).childCount())
    ]
    assert "Validation performance" in children and "Conclusion" in children
    assert tab.status.text() == f"{len(tab.loaded.document.toc)} headings, 2 images, rendered"
    text = _plain_text(qtbot, tab.view)
    assert "Validation performance" in text and "Training data" in text
    assert tab.view.guard.blocked == []  # nothing tried to leave the machine
    # JavaScript is off, so look at pixels: jump to the figures through the table of
    # contents, as a reviewer would, and the chart's colours must be on screen
    item = tab.toc.topLevelItem(0).child(children.index("Validation performance"))
    with qtbot.waitSignal(tab.view.page.scrollPositionChanged, timeout=10_000):
        qtbot.mouseClick(
            tab.toc.viewport(), Qt.MouseButton.LeftButton, pos=tab.toc.visualItemRect(item).center()
        )
    # the engine paints the scrolled page on its own schedule: wait until the figures' colours
    # are on screen (a chart's coloured pixels); the wait fails if they never are
    qtbot.waitUntil(lambda: _coloured_pixels(tab.view.web) > 50, timeout=10_000)
    shots.save_screenshot(page, "notebook.png")


def _coloured_pixels(widget) -> int:
    image = widget.grab().toImage()
    return sum(
        1
        for x in range(0, image.width(), 4)
        for y in range(0, image.height(), 4)
        if _saturated(image.pixelColor(x, y))
    )


def _saturated(color) -> bool:
    return color.saturation() > 80 and color.value() > 60


def test_find_in_page_and_zoom(qtbot, make_ctx, example_registry):
    from signoff.ui.version.notebook_tab import NotebookTab

    tab = NotebookTab(make_ctx(example_registry))
    qtbot.addWidget(tab)
    tab.resize(1100, 700)
    tab.show()
    with document_loaded(qtbot, tab):
        tab.show_version("credit-risk", 1)
    with qtbot.waitSignal(tab.view.findResult, timeout=10_000):
        qtbot.keyClicks(tab.find_edit, "auc")
    qtbot.waitUntil(lambda: "of" in tab.match_label.text(), timeout=10_000)
    assert tab.match_label.text().startswith("1 of ")
    total = int(tab.match_label.text().split(" of ")[1])
    assert total >= 2
    with qtbot.waitSignal(tab.view.findResult, timeout=10_000):
        qtbot.mouseClick(tab.find_next, Qt.MouseButton.LeftButton)
    assert tab.match_label.text() == f"2 of {total}"
    tab.find_edit.clear()
    with qtbot.waitSignal(tab.view.findResult, timeout=10_000):
        qtbot.keyClicks(tab.find_edit, "no such words anywhere")
    qtbot.waitUntil(lambda: tab.match_label.text() == "No matches", timeout=10_000)
    qtbot.mouseClick(tab.zoom_in_button, Qt.MouseButton.LeftButton)
    assert tab.zoom_label.text() == "110%" and tab.view.zoom() == pytest.approx(1.1)
    qtbot.mouseClick(tab.zoom_out_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(tab.zoom_out_button, Qt.MouseButton.LeftButton)
    assert tab.zoom_label.text() == "90%"
    qtbot.mouseClick(tab.zoom_label, Qt.MouseButton.LeftButton)
    assert tab.zoom_label.text() == "100%"


def test_second_open_comes_from_the_cache_and_export_writes_the_page(
    qtbot, make_ctx, example_registry, tmp_path
):
    from signoff.core.render import RenderCache, cache_dir_for
    from signoff.ui.version.notebook_tab import NotebookTab

    ctx = make_ctx(example_registry)
    first = NotebookTab(ctx)
    qtbot.addWidget(first)
    with document_loaded(qtbot, first):
        first.show_version("credit-risk", 1)
    assert not first.loaded.from_cache
    second = NotebookTab(ctx)
    qtbot.addWidget(second)
    with document_loaded(qtbot, second, timeout=30_000):
        second.show_version("credit-risk", 1)
    assert second.loaded.from_cache and "from cache" in second.status.text()
    cached = RenderCache(cache_dir_for(example_registry)).get(
        second.loaded.document.source_sha256, "notebook"
    )
    assert cached is not None and cached.html == second.loaded.document.html
    assert second.suggested_export_name() == "credit-risk-v1-analysis.html"
    target = tmp_path / "export.html"
    second.export_to(target)
    qtbot.waitUntil(lambda: second.status.text().startswith("Saved"), timeout=10_000)
    assert target.read_text(encoding="utf-8") == second.loaded.document.html


def test_hostile_notebook_is_shown_without_running_or_fetching_anything(
    qtbot, make_ctx, example_registry
):
    from signoff.ui.version.notebook_tab import NotebookTab

    tab = NotebookTab(make_ctx(example_registry))
    qtbot.addWidget(tab)
    tab.resize(1000, 700)
    tab.show()
    with document_loaded(qtbot, tab):
        tab.show_version("credit-risk", 2)
    # a request could only come after the load event (nothing runs that could start one later);
    # half a second on an idle page is where one would show in the guard's list below
    qtbot.wait(500)
    text = _plain_text(qtbot, tab.view)
    assert "remote reference" in text  # the notice at the top says what was blocked
    assert "JavaScript output not shown" in text
    assert tab.view.guard.blocked == []  # the sanitized page asked for nothing remote
    assert (
        tab.view.page.settings().testAttribute(
            tab.view.page.settings().WebAttribute.JavascriptEnabled
        )
        is False
    )
    assert "remote references blocked" in tab.status.text()


@pytest.fixture
def http_server():
    """A real local HTTP server that records every request it receives."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def _raw_page(tmp_path, base):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not really a png")
    page = tmp_path / "raw.html"
    page.write_text(
        f'<html><body><h1>raw</h1><img src="{base}/img.png"><img src="file://{secret}">'
        f'<link rel="stylesheet" href="{base}/style.css"><iframe src="{base}/frame"></iframe>'
        f'<video src="{base}/video.mp4"></video>'
        '<script>document.title = "script ran"</script></body></html>'
    )
    return page


@pytest.mark.parametrize("remote_access", [False, True])
def test_an_unsanitized_page_still_contacts_no_server(qtbot, tmp_path, http_server, remote_access):
    """Defence in depth: even raw HTML with remote URLs reaches no server and runs no script.

    With the page's remote access left off, the engine refuses by itself; with it switched on
    (as if a setting regressed), the request interceptor is what stops every request.
    """
    from PySide6.QtWebEngineCore import QWebEngineSettings

    from signoff.ui.widgets.document_view import SafeDocumentView

    base, hits = http_server
    view = SafeDocumentView()
    qtbot.addWidget(view)
    view.page.settings().setAttribute(
        QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, remote_access
    )
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        view.show_file(_raw_page(tmp_path, base))
    # proving that nothing arrives: the video and stylesheet are not part of the load event,
    # so give a request that slipped through a second to reach the server
    qtbot.wait(1000)
    assert hits == []
    assert view.web.title() != "script ran"
    if remote_access:
        assert any(u.startswith(base) for u in view.guard.blocked)


def test_links_are_not_followed_without_confirmation(
    qtbot, make_ctx, example_registry, monkeypatch
):
    from PySide6.QtGui import QDesktopServices

    from signoff.ui.version.release_notes_tab import ReleaseNotesTab

    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    tab = ReleaseNotesTab(make_ctx(example_registry))
    qtbot.addWidget(tab)
    tab.show()
    with document_loaded(qtbot, tab, timeout=60_000):
        tab.show_version("credit-risk", 2)
    text = _plain_text(qtbot, tab.view)
    assert "the model card" in text and "alert(1)" not in text

    def answer(button):
        def click():
            box = QApplication.activeModalWidget()
            assert isinstance(box, QMessageBox) and "https://example.com/model-card" in box.text()
            box.button(button).click()

        QTimer.singleShot(200, click)

    link = QUrl("https://example.com/model-card")
    clicked = QWebEnginePage.NavigationType.NavigationTypeLinkClicked
    answer(QMessageBox.StandardButton.Cancel)
    assert tab.view.page.acceptNavigationRequest(link, clicked, True) is False
    assert opened == []  # refused: nothing opened
    answer(QMessageBox.StandardButton.Open)
    assert tab.view.page.acceptNavigationRequest(link, clicked, True) is False  # never in-app
    assert opened == [link]  # handed to the system browser after confirmation
    # other schemes are not even offered
    assert tab.view.page.acceptNavigationRequest(QUrl("file:///etc/passwd"), clicked, True) is False
    assert opened == [link]


def test_release_notes_diff_defaults_to_previous_version_and_highlights_changes(
    qtbot, make_ctx, example_registry
):
    from signoff.ui.version.release_notes_tab import ReleaseNotesTab

    tab = ReleaseNotesTab(make_ctx(example_registry))
    qtbot.addWidget(tab)
    tab.resize(1200, 700)
    tab.show()
    with document_loaded(qtbot, tab, timeout=60_000):
        tab.show_version("credit-risk", 2)
    toc = [tab.toc.topLevelItem(i).text(0) for i in range(tab.toc.topLevelItemCount())]
    assert toc and toc[0].startswith("Retail credit default risk")
    qtbot.waitUntil(lambda: tab.compare_combo.count() == 1, timeout=30_000)
    assert tab.compare_combo.currentText() == "v1 (draft)"
    with qtbot.waitSignal(tab.diff_view.loaded, timeout=30_000):
        tab.inner_tabs.setCurrentIndex(1)
    assert "v1 → v2" in tab.diff_summary.text() and "changed" in tab.diff_summary.text()
    text = _plain_text(qtbot, tab.diff_view)
    assert "0.8038" in text and "0.8250" in text
    html = tab.diff.path.read_text()
    assert '<span class="w">0.8038</span>' in html and '<span class="w">0.8250</span>' in html
    shots.save_screenshot(tab, "release-notes-diff.png", settle_ms=1000)


def test_live_version_is_the_default_comparison():
    from signoff.core.render.versions import VersionChoice
    from signoff.ui.version.release_notes_tab import default_comparison

    choices = [
        VersionChoice(3, "draft", False),
        VersionChoice(2, "live", True),
        VersionChoice(1, "superseded", False),
    ]
    assert default_comparison(choices, 3) == 2
    assert default_comparison(choices, 2) == 1  # this one is live: the one before
    assert default_comparison(choices[2:], 1) is None


def test_malformed_and_missing_documents_show_a_message(qtbot, make_ctx, registry, tmp_path):
    from signoff.core.publishing.publisher import publish
    from signoff.ui.version.notebook_tab import NotebookTab

    folder = tmp_path / "broken"
    shutil.copytree(EXAMPLE, folder)
    shutil.copy(DATA / "notebooks" / "malformed_json.ipynb", folder / "analysis.ipynb")
    publish(registry, folder)
    tab = NotebookTab(make_ctx(registry))
    qtbot.addWidget(tab)
    tab.show()
    with document_message(qtbot, tab) as shown:
        tab.show_version("credit-risk", 1)
    assert "cannot be shown" in shown.message and "invalid JSON" in shown.message, shown.message
    assert not tab.export_button.isEnabled()
    with document_message(qtbot, tab, timeout=30_000) as shown:
        tab.show_version("credit-risk", 99)
    assert "no v99" in shown.message, shown.message


def test_a_large_notebook_shows_progress_and_the_window_stays_responsive(
    qtbot, make_ctx, registry, tmp_path
):
    import json

    from signoff.core.publishing.publisher import publish
    from signoff.ui.version.notebook_tab import NotebookTab

    folder = tmp_path / "large"
    shutil.copytree(EXAMPLE, folder)
    cells = []
    for i in range(300):
        cells.append({"cell_type": "markdown", "metadata": {}, "source": f"## Part {i}"})
        cells.append(
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": i,
                "source": f"value_{i} = compute({i})\nprint(value_{i})",
                "outputs": [{"output_type": "stream", "name": "stdout", "text": f"{i}\n"}],
            }
        )
    (folder / "analysis.ipynb").write_text(
        json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})
    )
    publish(registry, folder)
    tab = NotebookTab(make_ctx(registry))
    qtbot.addWidget(tab)
    tab.show()
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    fractions: list[float] = []
    messages: list[str] = []
    with document_loaded(qtbot, tab, timeout=180_000):
        tab.show_version("credit-risk", 1)
        tab._handle.progressed.connect(lambda f, m: (fractions.append(f), messages.append(m)))
        assert tab.progress.isVisibleTo(tab)
    timer.stop()
    assert tab.toc.topLevelItemCount() == 300
    assert len(fractions) >= 5 and fractions == sorted(fractions)
    assert any(m.startswith("Rendering cell ") and "of 600" in m for m in messages)
    assert not tab.progress.isVisibleTo(tab)
    assert len(ticks) >= 10  # the event loop kept running while the worker rendered


@pytest.fixture
def plotly_registry(registry, tmp_path):
    """credit-risk v1 whose notebook is a real one with plotly figures (jupytext's tests)."""
    from signoff.core.publishing.publisher import publish

    folder = tmp_path / "plotly"
    shutil.copytree(EXAMPLE, folder)
    corpus = DATA / "notebooks" / "corpus"
    shutil.copy(corpus / "jupytext_ipynb_py_plotly_graphs.ipynb", folder / "analysis.ipynb")
    publish(registry, folder)
    return registry


def test_the_notebook_tab_marks_what_it_cannot_show(qtbot, make_ctx, plotly_registry):
    from signoff.ui.version.notebook_tab import NotebookTab

    tab = NotebookTab(make_ctx(plotly_registry))
    qtbot.addWidget(tab)
    tab.resize(1100, 760)
    tab.show()
    with qtbot.waitSignal(tab.view.loaded, timeout=120_000) as loaded:
        tab.show_version("credit-risk", 1)
    assert loaded.args == [True]
    # plotly's loader (HTML that is only a script) and its two figures: three notes
    assert "3 not shown (each marked in the page)" in tab.status.text()
    text = _plain_text(qtbot, tab.view)
    assert text.count("Interactive output not shown (application/vnd.plotly.v1+json") == 2
    assert text.count("Interactive output not shown (text/html with <script>)") == 1
    assert "it needs JavaScript, which this view never runs" in text
    assert "could not be shown as the notebook's author saw them" in text  # the summary
    assert tab.view.guard.blocked == []
    # the notes are drawn in the notice colours, where the figures would be
    qtbot.wait(800)
    image = tab.view.web.grab().toImage()
    amber = sum(
        1
        for x in range(0, image.width(), 3)
        for y in range(0, image.height(), 3)
        if abs(image.pixelColor(x, y).red() - 0xFF) < 8
        and abs(image.pixelColor(x, y).green() - 0xF8) < 8
        and abs(image.pixelColor(x, y).blue() - 0xE1) < 10
    )
    assert amber > 200, "the notes' background is on screen"
    shots.save_screenshot(tab, "notebook-notices.png")


def test_a_read_only_registry_shows_its_notebook_and_stores_nothing(
    qtbot, make_ctx, example_registry
):
    from signoff.core.db.registry import open_registry
    from signoff.core.render import cache_dir_for
    from signoff.ui.version.notebook_tab import NotebookTab

    home = Path(example_registry.engine.url.database).parent
    example_registry.close()
    registry = open_registry(home=home, read_only=True)
    try:
        tab = NotebookTab(make_ctx(registry))
        qtbot.addWidget(tab)
        with document_loaded(qtbot, tab, timeout=60_000):
            tab.show_version("credit-risk", 1)
        text = _plain_text(qtbot, tab.view)
        assert "Validation performance" in text and "Training data" in text
        assert not cache_dir_for(registry).exists()  # an auditor's copy is left as it was
    finally:
        registry.close()
