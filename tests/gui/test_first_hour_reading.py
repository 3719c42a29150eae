"""What a newcomer reads on the demo at the smallest window: why each flag is raised, the
full text of what a table cuts short, the history's own dates in the audit trail, and a
notebook on light paper in the dark theme that prints."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QLabel

from signoff.ui.shell.app import build_window
from signoff.ui.widgets.printing import pdf_printer
from tests.helpers.qtwait import document_loaded, wait_idle

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def idle(qtbot, window) -> None:  # noqa: ANN001
    wait_idle(qtbot, window.ctx, timeout=30000)


@pytest.fixture
def demo_window(qtbot, demo_registry, settings):
    window = build_window(demo_registry, settings)
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    qtbot.waitExposed(window)
    idle(qtbot, window)
    yield window
    window.set_theme("light")
    window.ctx.shutdown()


def click_side_bar(qtbot, window, key: str) -> None:  # noqa: ANN001
    item = window.side_bar.item_of(key)
    rect = window.side_bar.visualItemRect(item)
    qtbot.mouseClick(window.side_bar.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    idle(qtbot, window)


def click_row(qtbot, view, row: int) -> None:  # noqa: ANN001
    rect = view.visualRect(view.model().index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_every_flag_and_every_cut_reason_can_be_read_in_full(qtbot, demo_window) -> None:
    window = demo_window
    inventory = window.areas["inventory"]
    click_side_bar(qtbot, window, "inventory")
    qtbot.waitUntil(lambda: inventory.model.rowCount() == 5, timeout=10000)
    row = next(i for i, r in enumerate(inventory.model.rows) if r.name == "customer-churn")
    flags = inventory.model.index(row, 9)
    tip = flags.data(Qt.ItemDataRole.ToolTipRole)
    assert flags.data().startswith("do-not-use")
    assert "v2 was marked do not use" in tip and "target leakage" in tip
    assert "still used by retention-campaigns" in tip

    # monitoring: the table cuts the reason short; the row's tooltip and the pane below hold it
    click_side_bar(qtbot, window, "monitoring")
    page = window.areas["monitoring"]
    table = page.table
    qtbot.waitUntil(lambda: table.model().rowCount() == 5, timeout=10000)
    stale = next(
        r
        for r in range(table.model().rowCount())
        if table.model().index(r, 0).data() == "card-fraud"
    )
    click_row(qtbot, table, stale)
    reason_column = next(
        c
        for c in range(table.model().columnCount())
        if table.model().headerData(c, Qt.Orientation.Horizontal) == "Reason"
    )
    cell = table.model().index(stale, reason_column)
    full = cell.data(Qt.ItemDataRole.ToolTipRole)
    assert "AUC was below baseline 0.878" in full and "PSI" in full
    pane = page.findChild(QLabel, "monitoringReason")
    qtbot.waitUntil(lambda: "AUC was below baseline 0.878" in pane.text(), timeout=10000)
    assert pane.wordWrap() and pane.isVisible()


def test_the_audit_trail_shows_the_historys_dates_and_when_the_chain_recorded_them(
    qtbot, demo_window
) -> None:
    window = demo_window
    window.open_version("credit-risk", 4, "Audit")
    idle(qtbot, window)
    tab = window.version_page.tab_widget("Audit")
    qtbot.waitUntil(lambda: tab.events.rowCount() > 0, timeout=20000)
    entries = [tab.events.record(r) for r in range(tab.events.rowCount())]
    submit = next(e for e in entries if e.action == "decision.submit")
    # the submission happened when the history says (the version waits since 2026-10-22) ...
    assert submit.at.date() == date(2026, 10, 22)
    # ... and the chain recorded it when the demo was built, shown as a second column
    row = entries.index(submit)
    headers = [
        tab.events.headerData(c, Qt.Orientation.Horizontal) for c in range(tab.events.columnCount())
    ]
    shown = tab.events.index(row, headers.index("Date and time")).data()
    recorded = tab.events.index(row, headers.index("Recorded")).data()
    assert shown.startswith("2026-10-22")
    assert recorded not in ("", "same") and not recorded.startswith("2026-10-22")
    assert submit.recorded_at is not None and submit.recorded_at > submit.at


def test_a_notebook_stays_on_light_paper_in_the_dark_theme_and_prints(
    qtbot, demo_window, tmp_path: Path
) -> None:
    window = demo_window
    window.set_theme("dark")
    app = QApplication.instance()
    assert app.palette().color(QPalette.ColorRole.Window).lightness() < 100
    window.open_version("credit-risk", 4)
    idle(qtbot, window)
    page = window.version_page
    notebook = page.tab_widget("Notebook")
    with document_loaded(qtbot, notebook):
        page.show_tab("Notebook")
        # while it renders, the tab says so (not "Choose a version.")
        assert notebook.stack.currentWidget() is notebook.message
        assert notebook.message.text_label.text().startswith(
            "Loading and rendering the notebook of credit-risk v4"
        )
    assert notebook.stack.currentWidget() is not notebook.message
    view = notebook.current_view()
    # the page itself is white paper (figures drawn on white stay legible)
    image = view.web.grab().toImage()
    middle = image.pixelColor(image.width() // 2, 8)
    assert middle.lightness() > 230, middle.name()
    printed = tmp_path / "notebook.pdf"
    with qtbot.waitSignal(notebook.printed, timeout=60000) as done:
        assert page.print_page(pdf_printer(printed))  # File › Print on the Notebook tab
    assert done.args == [True]
    assert printed.read_bytes().startswith(b"%PDF-") and printed.stat().st_size > 5000
    window.set_theme("light")
    assert app.palette().color(QPalette.ColorRole.Window).lightness() > 180


def test_greyed_buttons_say_beside_them_what_makes_them_available(qtbot, demo_window) -> None:
    window = demo_window
    window.open_model("credit-risk")
    idle(qtbot, window)
    page = window.model_page
    qtbot.waitUntil(lambda: page.versions.rowCount() == 4, timeout=10000)
    assert not page.open_button.isEnabled() and not page.compare_button.isEnabled()
    assert page.selection_hint.isVisible()
    assert page.selection_hint.text().startswith("Select a version to open it")
    click_row(qtbot, page.table, 0)
    assert page.open_button.isEnabled() and not page.compare_button.isEnabled()
    assert page.selection_hint.text() == "Ctrl+click a second version to compare them."
    rect = page.table.visualRect(page.versions.index(1, 0))
    qtbot.mouseClick(
        page.table.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ControlModifier,
        rect.center(),
    )
    assert page.compare_button.isEnabled() and page.selection_hint.text() == ""

    click_side_bar(qtbot, window, "audit")
    audit = window.areas["audit"]
    qtbot.waitUntil(lambda: audit.model.rowCount() > 0, timeout=20000)
    assert not audit.reproduce_button.isEnabled()
    assert audit.reproduce_hint.isVisible()
    assert audit.reproduce_hint.text() == "Select a prediction to reproduce it."
    click_row(qtbot, audit.table, 0)
    assert audit.reproduce_button.isEnabled() and not audit.reproduce_hint.isVisible()
