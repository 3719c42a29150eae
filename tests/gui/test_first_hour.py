"""Each person's first hour on the demo, through the real widgets.

A reviewer picks themselves in the demo, finds what waits for them, reads the notes and signs;
an auditor finds a customer's result, reproduces it, reads the report, saves it (a copy only
they can read) and prints it; a manager filters the inventory, exports what they see and finds
their filters again after a restart.
"""

from __future__ import annotations

import csv
import stat
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialogButtonBox

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
    window.ctx.shutdown()


def act_as(qtbot, window, login: str) -> None:  # noqa: ANN001
    """Pick *login* in the tool bar's Act as box, as a person would with the keyboard."""
    combo = window.act_as.combo
    index = combo.findData(login)
    assert index >= 0, f"{login} is not offered"
    with qtbot.waitSignal(window.ctx.actorChanged, timeout=5000):
        combo.showPopup()  # open the list and click the person, as with the mouse
        view = combo.view()
        rect = view.visualRect(view.model().index(index, 0))
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.identity is not None and window.identity.login == login)
    idle(qtbot, window)


def click_side_bar(qtbot, window, key: str) -> None:  # noqa: ANN001
    item = window.side_bar.item_of(key)
    rect = window.side_bar.visualItemRect(item)
    qtbot.mouseClick(window.side_bar.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    idle(qtbot, window)


def double_click_row(qtbot, view, row: int) -> None:  # noqa: ANN001
    rect = view.visualRect(view.model().index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def sign(qtbot, tab, comment: str) -> None:  # noqa: ANN001
    qtbot.mouseClick(tab.buttons["approve"], Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.comment, comment)
    with qtbot.waitSignal(tab.decided, timeout=20000), qtbot.waitSignal(tab.loaded, timeout=20000):
        qtbot.mouseClick(
            dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
        )


def test_a_reviewer_finds_the_version_waiting_reads_it_and_signs(
    qtbot, demo_window, tmp_path: Path
) -> None:
    window = demo_window
    # the demo opens as a reviewer, says so, and offers everyone else
    assert window.banner.isVisible()
    text = window.banner.text.text()
    assert "You are looking at the demo as <b>bob (validator)</b>" in text
    assert window.banner.people_links() == ["alice", "carol", "dave", "erin", "frank", "grace"]
    assert "Acting as <b>bob</b> (validator) in the demo" in window.user_label.text()
    qtbot.waitUntil(lambda: window.side_bar.badge("reviews") == 1, timeout=10000)

    click_side_bar(qtbot, window, "reviews")
    reviews = window.areas["reviews"]
    qtbot.waitUntil(lambda: reviews.model.rowCount() == 1, timeout=10000)
    assert (reviews.model.record(0).model, reviews.model.record(0).number) == ("credit-risk", 4)
    assert "1 version</b> waits for your signature" in reviews.summary.text()
    double_click_row(qtbot, reviews.table, 0)
    idle(qtbot, window)
    page = window.version_page
    assert window.stack.currentWidget() is page
    assert page.tabs.tabText(page.tabs.currentIndex()) == "Approvals"  # as promised
    assert window.side_bar.currentItem().text() == "My reviews"  # the side bar stays put
    assert "My reviews" in window.breadcrumb.text()

    # read the release notes before signing
    notes = page.tab_widget("Release notes")
    with document_loaded(qtbot, notes):
        page.show_tab("Release notes")
    approvals = page.show_tab("Approvals")
    qtbot.waitUntil(lambda: approvals.status is not None, timeout=10000)
    assert approvals.buttons["approve"].isEnabled()
    assert "Submit for review: it is in review; only a draft can be submitted" in (
        approvals.why_text()
    )
    sign(qtbot, approvals, "Validation reproduced; AUC drop within tolerance.")
    signed = approvals.status.gates[0].signed["validator"]
    assert signed.login == "bob" and signed.printed_name.startswith("Bob Lindqvist")
    assert "needs business owner" in approvals.gate_summary.text()
    qtbot.waitUntil(lambda: window.side_bar.badge("reviews") == 0, timeout=10000)

    # the approval sheet prints with name, date and time, and meaning
    sheet = tmp_path / "approval-sheet.pdf"
    assert approvals.print_sheet(pdf_printer(sheet))
    assert sheet.read_bytes().startswith(b"%PDF-") and sheet.stat().st_size > 2000
    assert "Bob Lindqvist (model validator) (bob)" in approvals.sheet_html()
    assert "Approved for production use, signed as validator" in approvals.sheet_html()

    # the author never signs: alice sees why Approve is greyed, next to the buttons
    act_as(qtbot, window, "alice")
    qtbot.waitUntil(lambda: approvals.status is not None and approvals.status.viewer == "alice")
    assert not approvals.buttons["approve"].isEnabled()
    assert approvals.why.isVisible()  # inline, not only on hover
    assert (
        "Approve, Reject and Request changes: you are its author; the author never signs or "
        "puts it live (separation of duties)" in approvals.why_text()
    )

    # the business owner completes the gate
    act_as(qtbot, window, "carol")
    assert "as <b>carol (business owner)</b>" in window.banner.text.text()
    qtbot.waitUntil(lambda: approvals.status is not None and approvals.status.viewer == "carol")
    sign(qtbot, approvals, "Fits the lending policy.")
    assert approvals.status.state == "approved"


def test_an_auditor_reproduces_a_result_saves_and_prints_the_report(
    qtbot, demo_window, tmp_path: Path, monkeypatch
) -> None:
    window = demo_window
    act_as(qtbot, window, "erin")
    assert "Acting as <b>erin</b> (auditor and viewer)" in window.user_label.text()
    click_side_bar(qtbot, window, "audit")
    audit = window.areas["audit"]
    qtbot.waitUntil(lambda: not audit.loading, timeout=10000)
    audit.subject.clear()
    with qtbot.waitSignal(audit.searched, timeout=10000):
        qtbot.keyClicks(audit.subject, "APP-2610")
        qtbot.keyClick(audit.subject, Qt.Key.Key_Return)
    assert audit.model.rowCount() > 0
    assert all(audit.model.record(r).subject_key.startswith("APP-2610") for r in range(3))
    # the calendar opens on the month of the newest prediction, not on January 2000
    qtbot.waitUntil(lambda: audit.latest is not None, timeout=5000)
    calendar = audit.date_from.calendarWidget()
    arrow = audit.date_from.rect().right() - 6, audit.date_from.rect().center().y()
    qtbot.mouseClick(audit.date_from, Qt.MouseButton.LeftButton, pos=QPoint(*arrow))
    qtbot.waitUntil(calendar.isVisible, timeout=5000)
    assert (calendar.yearShown(), calendar.monthShown()) == (audit.latest.year, audit.latest.month)
    assert audit.date_from.text() == "any"  # opening it chose nothing
    qtbot.keyClick(calendar, Qt.Key.Key_Escape)

    audit.select_row(0)
    qtbot.mouseClick(audit.reproduce_button, Qt.MouseButton.LeftButton)
    view = audit.views[-1]
    with qtbot.waitSignal(view.verdictShown, timeout=120000) as verdict:
        pass
    assert verdict.args == ["reproduced"], view.verdict.text()
    assert "Save as" in view.evidence.toPlainText()

    qtbot.mouseClick(view.report_button, Qt.MouseButton.LeftButton)
    viewer = view.viewer
    assert viewer is not None and viewer.isVisible() and viewer.page_count >= 1
    # what the report says: signers by printed name and role, gates in words, no tokens
    shown = " ".join(viewer.document.getAllText(page).text() for page in range(viewer.page_count))
    words = " ".join(shown.split())
    assert "Lindqvist" in words and "Dave Kim" in words and "Erin Walsh" in words, words
    assert "Role" in words and "Approval for" in words
    for token in ("production_use", "go_live", "release_manager", "model_object"):
        assert token not in words

    # Save as… starts in Documents the first time, and remembers erin's folder afterwards
    case = tmp_path / "case-2611"
    case.mkdir()
    asked: list[str] = []

    def choose(_parent, _title, start, _filters):  # noqa: ANN001, ANN202
        asked.append(start)
        return str(case / "erin-report.pdf"), "PDF (*.pdf)"

    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName", choose)
    with qtbot.waitSignal(view.reportSaved, timeout=10000) as saved:
        qtbot.mouseClick(viewer.save_button, Qt.MouseButton.LeftButton)
    copy = Path(saved.args[0])
    assert copy.read_bytes() == view.report.pdf
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600  # only erin may read it
    assert window.ctx.settings.report_folder("erin") == str(case)
    assert view.suggested_report_path().parent == case
    assert window.ctx.settings.report_folder("bob") == ""  # another person's folder is theirs

    printed = tmp_path / "printed-report.pdf"
    assert viewer.print_document(pdf_printer(printed)) == viewer.page_count
    assert printed.read_bytes().startswith(b"%PDF-")
    viewer.close()
    view.close()


def test_a_manager_filters_exports_and_finds_the_filters_again(
    qtbot, demo_window, demo_registry, settings, tmp_path: Path, monkeypatch
) -> None:
    window = demo_window
    act_as(qtbot, window, "carol")
    inventory = window.areas["inventory"]
    click_side_bar(qtbot, window, "inventory")
    qtbot.waitUntil(lambda: inventory.model.rowCount() == 5, timeout=10000)
    # last activity comes from the history (October 2026), not from when the demo was built
    times = {row.last_activity_at for row in inventory.model.rows}
    assert all(t.year == 2026 and t.month in (10, 11) for t in times), times

    # the stale figure on the dashboard filters by it; the flag says why on hover
    card = inventory.dashboard.cards["stale"]
    # card-fraud drifted; demand-forecast is past its revalidation, which makes it stale too
    qtbot.waitUntil(lambda: card.value == "2", timeout=10000)
    qtbot.mouseClick(card, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: inventory.model.rowCount() == 2, timeout=10000)
    names = [row.name for row in inventory.model.rows]
    assert sorted(names) == ["card-fraud", "demand-forecast"]
    flags = inventory.model.index(names.index("card-fraud"), 9)
    assert flags.data() == "stale"
    assert flags.data(Qt.ItemDataRole.ToolTipRole).startswith("Stale: performance")
    inventory.facets.clear()
    qtbot.waitUntil(lambda: inventory.model.rowCount() == 5, timeout=10000)

    # search by business unit, and tick a tier
    qtbot.keyClicks(inventory.search, "retail")
    qtbot.waitUntil(lambda: inventory.model.rowCount() == 1, timeout=10000)
    assert inventory.model.rows[0].name == "credit-risk"
    inventory.search.clear()
    inventory.facets.tick("risk_tier", "high")
    qtbot.waitUntil(lambda: inventory.model.rowCount() == 2, timeout=10000)
    idle(qtbot, window)

    # the export dialog starts in Documents (not the working folder), then where it saved
    target = tmp_path / "exports" / "high-tier.csv"
    target.parent.mkdir()
    asked: list[str] = []

    def choose(_parent, _title, start, _filters):  # noqa: ANN001, ANN202
        asked.append(start)
        return str(target), "CSV files (*.csv)"

    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName", choose)
    with qtbot.waitSignal(inventory.exported, timeout=10000) as done:
        qtbot.mouseClick(inventory.export_button, Qt.MouseButton.LeftButton)
    assert done.args == [str(target), 2]
    assert Path(asked[0]).parent != Path.cwd() and Path(asked[0]).name == "inventory.csv"
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["name"] for r in rows) == ["card-fraud", "credit-risk"]
    assert "Exported 2 models to" in window.statusBar().currentMessage()
    assert inventory.export_path_suggestion() == str(target.parent / "inventory.csv")

    # the model card prints
    window.open_model("credit-risk")
    idle(qtbot, window)
    card_pdf = tmp_path / "card.pdf"
    assert window.model_page.print_page(pdf_printer(card_pdf))
    assert card_pdf.read_bytes().startswith(b"%PDF-")

    # a restart finds the same search and filters
    window.show_area("inventory")
    window.close()
    again = build_window(demo_registry, settings)
    qtbot.addWidget(again)
    again.show()
    again.show_area("inventory")
    restored = again.areas["inventory"]
    qtbot.waitUntil(lambda: restored.model.rowCount() == 2, timeout=10000)
    assert restored.facets.selected("risk_tier") == ["high"]
    assert again.ctx.registry.actor == "carol"  # and the demo is looked at as carol again
    wait_idle(qtbot, again.ctx, timeout=30000)
    again.ctx.shutdown()
