"""The Audit area as an auditor uses it: search a customer, reproduce, read the verdict."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt

from signoff.core.runner import Limits
from signoff.ui.audit.audit_page import AuditPage
from tests.helpers import shots
from tests.helpers.reproduction import alter_prediction, prediction_id, publish_scored_customers

pytestmark = pytest.mark.gui


def subjects(page: AuditPage) -> list[str]:
    return [page.model.index(r, 1).data() for r in range(page.model.rowCount())]


def make_page(qtbot, make_ctx, registry, tmp_path: Path) -> AuditPage:
    page = AuditPage(make_ctx(registry))
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    qtbot.waitUntil(lambda: not page.loading, timeout=10000)
    return page


def search(qtbot, page: AuditPage, text: str) -> None:
    page.subject.clear()
    with qtbot.waitSignal(page.searched, timeout=10000):
        qtbot.keyClicks(page.subject, text)
        qtbot.keyClick(page.subject, Qt.Key.Key_Return)


def reproduce_row(qtbot, page: AuditPage, subject: str):  # noqa: ANN201
    page.select_row(subjects(page).index(subject))
    assert page.reproduce_button.isEnabled()
    qtbot.mouseClick(page.reproduce_button, Qt.MouseButton.LeftButton)
    assert page.views, "no reproduction view opened"
    return page.views[-1]


def test_search_a_customer_reproduce_and_see_the_verdict(
    qtbot, qtmodeltester, registry, make_ctx, tmp_path
):
    publish_scored_customers(registry, tmp_path)
    page = make_page(qtbot, make_ctx, registry, tmp_path)
    assert subjects(page) == ["C-2001", "C-1002", "C-1001"]
    assert page.count_label.text() == "3 predictions"
    qtmodeltester.check(page.model)

    search(qtbot, page, "C-10")
    assert subjects(page) == ["C-1002", "C-1001"]
    page.date_to.setDate(QDate(2026, 3, 2))  # predictions on 03-02 and 03-03: "to" is inclusive
    with qtbot.waitSignal(page.searched, timeout=10000):
        qtbot.mouseClick(page.search_button, Qt.MouseButton.LeftButton)
    assert subjects(page) == ["C-1001"]
    assert page.model.index(0, 4).data() == "v1"

    view = reproduce_row(qtbot, page, "C-1001")
    with qtbot.waitSignal(view.verdictShown, timeout=60000) as verdict:
        pass
    assert verdict.args == ["reproduced"], view.verdict.text()
    assert "Reproduced" in view.verdict.text()
    assert [view.step_state(s) for s in ("resolve", "verify", "environment", "run", "compare")] == [
        "done"
    ] * 5
    assert view.step_details["verify"].text() == "6 components verified; input hash matches"
    evidence = view.evidence.toPlainText()
    assert "Recorded and reproduced output match:" in evidence and "mismatched" not in evidence
    assert not view.cancel_button.isEnabled() and view.report_button.isEnabled()
    # the report opens in the window's own viewer, from the bytes the store holds
    qtbot.mouseClick(view.report_button, Qt.MouseButton.LeftButton)
    assert view.viewer is not None and view.viewer.isVisible() and view.viewer.page_count >= 1
    assert view.report is not None and view.report.pdf.startswith(b"%PDF-")
    with qtbot.waitSignal(view.reportSaved, timeout=10000) as saved:
        view.save_report_as(tmp_path / "C-1001.pdf")
    pdf = Path(saved.args[0])
    assert pdf.read_bytes() == view.report.pdf
    assert pdf.stat().st_mode & 0o777 == 0o600
    shots.save_screenshot(page, "audit_page.png")
    shots.save_screenshot(view, "reproduce_view.png")


def test_a_changed_recorded_output_differs_with_the_difference_shown(
    qtbot, registry, make_ctx, tmp_path
):
    publish_scored_customers(registry, tmp_path)
    pid = prediction_id(registry, "C-1002")
    alter_prediction(registry, pid, output={"score": 0.5, "label": "decline"})
    page = make_page(qtbot, make_ctx, registry, tmp_path)
    view = reproduce_row(qtbot, page, "C-1002")
    with qtbot.waitSignal(view.verdictShown, timeout=60000) as verdict:
        pass
    assert verdict.args == ["differs"], view.verdict.text()
    assert "Differs" in view.verdict.text() and "output.score" in view.verdict.text()
    assert view.step_state("compare") == "failed"
    evidence = view.evidence.toPlainText()
    assert "output.score" in evidence and "0.5" in evidence and "0.804839" in evidence
    shots.save_screenshot(view, "reproduce_view_differs.png")


def test_cancel_a_long_run(qtbot, registry, make_ctx, tmp_path):
    code = "import time\ndef predict(records):\n    time.sleep(60)\n"
    publish_scored_customers(registry, tmp_path, score_code=code)
    page = make_page(qtbot, make_ctx, registry, tmp_path)
    page.limits = Limits(time_s=120)
    view = reproduce_row(qtbot, page, "C-2001")
    qtbot.waitUntil(lambda: view.step_state("run") == "running", timeout=30000)
    assert view.cancel_button.isEnabled() and view.verdict.text() == ""
    started = time.monotonic()
    with qtbot.waitSignal(view.verdictShown, timeout=15000) as verdict:
        qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
        assert view.verdict.text() == "Cancelling…"  # the GUI answered at once
    assert verdict.args == ["cancelled"]
    assert time.monotonic() - started < 10
    assert "Cancelled" in view.verdict.text()
    assert view.step_state("compare") == "skipped" and not view.report_button.isEnabled()
    assert not view.save_button.isEnabled() and not view.print_button.isEnabled()


def test_the_side_bar_audit_area_is_this_page(qtbot, registry, make_ctx, tmp_path):
    from signoff.ui.shell.main_window import MainWindow

    publish_scored_customers(registry, tmp_path)
    window = MainWindow(make_ctx(registry))
    qtbot.addWidget(window)
    window.show_area("audit")
    page = window.area("audit")
    assert isinstance(page, AuditPage)
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=10000)
