"""QtWebEngine teardown: pages go before their profile, both before the application.

Qt prints "Release of profile requested but WebEnginePage still not deleted" and may crash when
the order is wrong; these tests fail on that message (in the test process through
``qt_log_level_fail``, in a child process by reading its output).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_level_fail("WARNING")]


def _page(tmp_path: Path, n: int) -> Path:
    path = tmp_path / f"doc{n}.html"
    path.write_text(f"<!DOCTYPE html><html><body><h1>Document {n}</h1></body></html>")
    return path


def test_views_created_and_destroyed_repeatedly_leave_no_page_alive(qtbot, tmp_path):
    from signoff.ui.widgets import document_view as view_module
    from signoff.ui.widgets.document_view import SafeDocumentView

    gone: list[int] = []
    for n in range(6):
        view = SafeDocumentView()
        view.resize(400, 300)
        view.show()
        with qtbot.waitSignal(view.loaded, timeout=30_000) as loaded:
            view.show_file(_page(tmp_path, n))
        assert loaded.args == [True]
        view.page.destroyed.connect(lambda *_, n=n: gone.append(n))
        view.deleteLater()
        qtbot.waitUntil(lambda n=n: gone[-1:] == [n], timeout=10_000)
    assert view_module.live_document_pages() == 0  # each view took its page with it
    profile = view_module.document_profile()
    view_module.release_document_profile()
    assert view_module._profile is None
    # a later view gets a new profile and still works
    view = SafeDocumentView()
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        view.show_file(_page(tmp_path, 99))
    assert view_module.document_profile() is not profile


def test_releasing_the_profile_while_views_are_open_deletes_their_pages_first(qtbot, tmp_path):
    from signoff.ui.widgets import document_view as view_module
    from signoff.ui.widgets.document_view import SafeDocumentView

    views = [SafeDocumentView() for _ in range(3)]
    for n, view in enumerate(views):
        qtbot.addWidget(view)
        with qtbot.waitSignal(view.loaded, timeout=30_000):
            view.show_file(_page(tmp_path, n))
    view_module.release_document_profile()  # what quitting the application does
    assert view_module.live_document_pages() == 0
    # the widgets stay usable: a view whose page went away shows a fresh default page
    assert all(view.web.page() is not None for view in views)


EXIT_SCRIPT = """
import sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from signoff.ui.shell.app import make_application
from signoff.ui.widgets.document_view import SafeDocumentView

app = make_application(["test"])
folder = Path(sys.argv[1])
views = []
for n in range(3):
    path = folder / f"d{n}.html"
    path.write_text(f"<html><body>document {n}</body></html>")
    view = SafeDocumentView()
    view.show()
    view.show_file(path)
    views.append(view)
views[0].deleteLater()
QTimer.singleShot(1500, app.quit)
code = app.exec() if sys.argv[2] == "quit" else 0
if sys.argv[2] == "exit-without-quit":
    for _ in range(30):
        app.processEvents()
print("finished", code)
"""


@pytest.mark.parametrize("how", ["quit", "exit-without-quit"])
def test_the_process_ends_cleanly_with_views_open(tmp_path, how):
    # the application quits with document views still open (aboutToQuit), or the interpreter
    # simply exits with them alive (as a script or a test run does): no warning, no crash
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(EXIT_SCRIPT), str(tmp_path), how],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "finished 0" in result.stdout
    assert "still not deleted" not in result.stderr, result.stderr[-2000:]
