"""The Audit area's case file as an auditor uses it: supply a missing input record, run a
sampled campaign, follow and cancel it, open its report, and read the PDFs' words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt

from signoff.ui.audit.audit_page import AuditPage
from signoff.ui.audit.campaign_dialog import CampaignDialog
from tests.helpers import shots
from tests.helpers.campaigns import build_campaign_registry, plant_difference
from tests.helpers.pdftext import pdf_text
from tests.helpers.reproduction import prediction_id, publish_scored_customers

pytestmark = pytest.mark.gui


def _page(qtbot, make_ctx, registry, tmp_path: Path) -> AuditPage:  # noqa: ANN001
    page = AuditPage(make_ctx(registry))
    page.reports_dir = tmp_path / "reports"
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    qtbot.waitUntil(lambda: not page.loading, timeout=10000)
    return page


def test_supply_the_input_record_of_a_prediction_recorded_by_reference(
    qtbot, registry, make_ctx, tmp_path
):
    built = build_campaign_registry(registry, tmp_path, per_model=4)
    page = _page(qtbot, make_ctx, registry, tmp_path)
    with registry.read() as session:
        from signoff.core.db.schema import Prediction

        by_ref = session.get(Prediction, 2)  # odd positions are recorded by reference
        ref, expected = by_ref.input_ref, by_ref.input_sha256
    # this workstation does not reach the data lake: the record must be supplied
    (built.lake / "limit-a" / "august.jsonl").rename(tmp_path / "august.jsonl")
    row = [page.model.record(r).id for r in range(page.model.rowCount())].index(2)
    page.select_row(row)
    qtbot.mouseClick(page.reproduce_button, Qt.MouseButton.LeftButton)
    view = page.views[-1]
    with qtbot.waitSignal(view.verdictShown, timeout=60000) as verdict:
        pass
    assert verdict.args == ["could not run"]
    assert "no such file in the data location" in view.verdict.text()
    assert view.input_button.isEnabled() and view.input_button.isDefault()

    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"income": 1, "debt": 1}))
    view.choose_input = lambda: str(wrong)
    with qtbot.waitSignal(view.verdictShown, timeout=60000) as verdict:
        qtbot.mouseClick(view.input_button, Qt.MouseButton.LeftButton)
    assert verdict.args == ["could not run"]
    text = view.verdict.text()
    assert "input hash mismatch" in text and expected in text
    assert view.step_state("verify") == "failed" and view.step_state("run") == "skipped"

    line = ref.rsplit("#", 1)[1]
    view.choose_input = lambda: f"{tmp_path / 'august.jsonl'}#{line}"
    with qtbot.waitSignal(view.verdictShown, timeout=60000) as verdict:
        qtbot.mouseClick(view.input_button, Qt.MouseButton.LeftButton)
        assert not view.input_button.isEnabled()  # no second run while one is going
    assert verdict.args == ["reproduced"], view.verdict.text()
    assert "supplied by the auditor" in view.evidence.toPlainText()
    view.choose_input = lambda: ""  # the person closed the file dialog: nothing happens
    view.supply_input()
    assert not view.running


def _dialog(qtbot, make_ctx, registry, tmp_path) -> CampaignDialog:  # noqa: ANN001
    dialog = CampaignDialog(make_ctx(registry), reports_dir=tmp_path / "reports")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.scope.count() > 4, timeout=10000)
    dialog.date_from.setDate(QDate(2026, 8, 1))
    dialog.date_to.setDate(QDate(2026, 8, 31))
    return dialog


def test_run_a_campaign_and_open_its_report(qtbot, registry, make_ctx, tmp_path):
    build_campaign_registry(registry, tmp_path, per_model=40)
    plant_difference(registry, prediction_id(registry, "LIMIT-B-0004"))
    dialog = _dialog(qtbot, make_ctx, registry, tmp_path)
    dialog.sample_size.setValue(120)  # everything: the planted difference is in the sample
    dialog.seed.clear()
    qtbot.keyClicks(dialog.seed, "gui-seed")
    assert [dialog.scope.itemText(i) for i in range(dialog.scope.count())][:5] == [
        "Every model",
        "Every high-tier model",
        "Every medium-tier model",
        "Every low-tier model",
        "Model limit-a",
    ]
    fractions: list[float] = []
    with qtbot.waitSignal(dialog.campaignFinished, timeout=120000) as done:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        assert not dialog.start_button.isEnabled() and dialog.cancel_button.isEnabled()
        dialog.handle.progressed.connect(lambda f, _m: fractions.append(f))
    assert done.args == [1]
    qtbot.waitUntil(lambda: "Campaign #1" in dialog.status.text(), timeout=10000)
    assert "120 drawn: 119 reproduced, 1 differs, 0 could not run" in dialog.status.text()
    assert fractions and fractions[-1] == 1.0
    assert "LIMIT-B-0004" in dialog.summary.toPlainText()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=10000)
    assert dialog.model.index(0, 3).data() == "finished"
    opened = []
    dialog.open_url = opened.append
    qtbot.mouseClick(dialog.report_button, Qt.MouseButton.LeftButton)
    pdf = Path(opened[0].toLocalFile())
    assert pdf.read_bytes().startswith(b"%PDF-")
    words = pdf_text(pdf)
    assert "119 of the 120 drawn predictions (99.2%) reproduced exactly" in words
    assert "gui-seed" in words and "LIMIT-B-0004" in words
    dialog.open_stored(0)  # the stored copy, read back from the artifact store
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=10000)
    assert Path(opened[1].toLocalFile()).read_bytes() == pdf.read_bytes()
    shots.save_screenshot(dialog, "campaign_dialog.png")


def test_cancel_a_campaign(qtbot, registry, make_ctx, tmp_path):
    code = "import time\ndef predict(records):\n    time.sleep(60)\n"
    publish_scored_customers(registry, tmp_path, score_code=code)
    dialog = _dialog(qtbot, make_ctx, registry, tmp_path)
    dialog.date_from.setDate(QDate(2026, 3, 1))
    dialog.date_to.setDate(QDate(2026, 3, 31))
    dialog.workers.setValue(1)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status.text() == "Drawing the sample…", timeout=5000)
    qtbot.wait(1500)  # the scoring process is sleeping by now
    with qtbot.waitSignal(dialog.handle.cancelled, timeout=30000):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        assert dialog.status.text().startswith("Cancelling…")
    assert "Cancelled" in dialog.status.text() and dialog.start_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=10000)
    assert dialog.model.index(0, 3).data() == "cancelled"
    assert "3 not run (cancelled)" in dialog.model.index(0, 6).data()


def test_a_campaign_with_nothing_to_sample_says_so(qtbot, registry, make_ctx, tmp_path):
    publish_scored_customers(registry, tmp_path)
    dialog = _dialog(qtbot, make_ctx, registry, tmp_path)
    with qtbot.waitSignal(dialog.campaignsShown, timeout=10000):
        dialog.reload()
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "did not start" in dialog.status.text(), timeout=10000)
    assert "there is nothing to sample" in dialog.status.text()
    assert dialog.start_button.isEnabled() and not dialog.report_button.isEnabled()


def test_the_audit_page_opens_the_campaign_dialog(qtbot, registry, make_ctx, tmp_path):
    publish_scored_customers(registry, tmp_path)
    page = _page(qtbot, make_ctx, registry, tmp_path)
    qtbot.mouseClick(page.campaign_button, Qt.MouseButton.LeftButton)
    assert page.campaign_dialog is not None and page.campaign_dialog.isVisible()
    assert page.open_campaigns() is page.campaign_dialog


def test_the_reproduction_pdf_names_signers_and_roles(qtbot, registry, tmp_path):
    from signoff.core.reproduction.report import write_report
    from signoff.core.reproduction.reproduce import reproduce
    from tests.core.test_reproduce_report import _story_registry

    pid = _story_registry(registry, tmp_path)
    path = tmp_path / "report.pdf"
    write_report(registry, reproduce(registry, pid), path)
    words = pdf_text(path)
    for text in (
        "Signed by",
        "Role",
        "Vera Lind (vera.validator)",
        "Validator",
        "Business owner",
        "Approval for production use",
        "run-2026-03-02",
        "loan-desk (batch)",
        "No findings.",
    ):
        assert text in words, text
    assert "production_use" not in words
