"""The Model risk area on the demo registry, driven as people would: the validator sees
demand-forecast overdue for revalidation and signs it revalidated (it leaves the list); its
owner tries and is refused; the admin opens an attestation period, the owner attests and
corrects, the progress changes; the wrong person and a closed period are refused."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.helpers.qtwait import click_and_wait

pytestmark = pytest.mark.gui


def open_page(qtbot, make_ctx, registry, who: str):
    from signoff.ui.risk.risk_page import ModelRiskPage

    registry.set_actor_for_embedded(who)
    page = ModelRiskPage(make_ctx(registry))
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    # it starts loading when built; a reload (as F5 does) is the one waited for
    with qtbot.waitSignals([page.revalidation.loaded, page.attestations.loaded], timeout=20000):
        page.reload()
    return page


def test_the_validator_revalidates_demand_forecast_and_it_leaves_the_overdue_list(
    qtbot, make_ctx, demo_registry
) -> None:
    page = open_page(qtbot, make_ctx, demo_registry, "bob")
    panel = page.revalidation
    rows = {r.model: r for r in panel.rows()}
    assert rows["demand-forecast"].status == "overdue"
    assert "overdue for revalidation" in panel.summary.text()
    row = panel.rows().index(rows["demand-forecast"])
    index = panel.due.index(row, 6)
    assert index.data().startswith("overdue by ")
    assert panel.due.index(row, 3).data() == "carol"  # the owner
    assert panel.due.index(row, 2).data() == "medium"
    assert panel.select_model("demand-forecast")
    # no comment: refused in the core's words
    said = click_and_wait(qtbot, panel, panel.sign_button, reload=False)
    assert said.startswith("Not signed:") and "comment" in said
    qtbot.keyClicks(panel.comment, "Back-test on Q3 2026 demand; still fit for use")
    with (
        qtbot.waitSignal(panel.loaded, timeout=20000),
        qtbot.waitSignal(panel.acted, timeout=20000) as said,
    ):
        qtbot.mouseClick(panel.sign_button, Qt.MouseButton.LeftButton)
    assert said.args[0].startswith("Signed: demand-forecast v2: Revalidate")
    assert "demand-forecast" not in {r.model for r in panel.rows()}
    assert panel.message.text().startswith("Signed:")
    from signoff.core.catalog.lookup import get_version
    from signoff.core.catalog.revalidation import last_validation

    with demo_registry.read() as s:
        assert last_validation(s, get_version(s, "demand-forecast", 2).id) is not None


def test_the_owner_cannot_revalidate_her_own_model(qtbot, make_ctx, demo_registry) -> None:
    page = open_page(qtbot, make_ctx, demo_registry, "carol")
    panel = page.revalidation
    assert panel.select_model("demand-forecast")
    qtbot.keyClicks(panel.comment, "looks fine to me")
    said = click_and_wait(qtbot, panel, panel.sign_button, reload=False)
    assert said.startswith("Not signed:") and "validator" in said
    assert panel.message.text().startswith("Not signed:")
    with qtbot.waitSignal(panel.loaded, timeout=20000):
        panel.reload()
    assert any(r.model == "demand-forecast" and r.status == "overdue" for r in panel.rows())


def test_an_attestation_period_opened_attested_corrected_and_closed(
    qtbot, make_ctx, demo_registry
) -> None:
    page = open_page(qtbot, make_ctx, demo_registry, "carol")
    panel = page.attestations
    page.show_tab("Attestations")
    assert "2 of 5" in panel.summary.text() and "2026-Q4" in panel.summary.text()
    # the owner may not open a period
    qtbot.keyClicks(panel.new_name, "2027-Q1")
    said = click_and_wait(qtbot, panel, panel.open_button, reload=False)
    assert said.startswith("Refused:") and "admins only" in said
    # the admin opens it: nobody has attested yet
    demo_registry.set_actor_for_embedded("frank")
    said = click_and_wait(qtbot, panel, panel.open_button)
    assert said == "Opened the attestation period '2027-Q1'."
    assert "<b>2027-Q1</b>" in panel.summary.text() and "0 of 5" in panel.summary.text()
    assert {u.business_unit: u.pending for u in panel.unit_rows()}["Retail Credit"] == 1
    said = click_and_wait(qtbot, panel, panel.remind_button)
    assert said.startswith("Sent 5 reminder(s)")
    # a validator may not attest the owner's model
    demo_registry.set_actor_for_embedded("bob")
    assert panel.select_model("credit-risk")
    said = click_and_wait(qtbot, panel, panel.attest_button, reload=False)
    assert said.startswith("Refused:") and "only the model's owner (carol)" in said
    # the owner attests one model and corrects another
    demo_registry.set_actor_for_embedded("carol")
    assert panel.select_model("credit-risk")
    qtbot.keyClicks(panel.comment, "checked against the runbook")
    said = click_and_wait(qtbot, panel, panel.attest_button)
    assert said == "Attested credit-risk for 2027-Q1."
    assert "1 of 5" in panel.summary.text()
    units = {u.business_unit: u for u in panel.unit_rows()}
    assert (units["Retail Credit"].attested, units["Retail Credit"].pending) == (1, 0)
    row = next(i for i, u in enumerate(panel.unit_rows()) if u.business_unit == "Retail Credit")
    assert panel.units.index(row, 1).data() == "1 of 1"
    assert panel.select_model("demand-forecast")
    panel.correction_field.setCurrentText("Business unit")
    qtbot.keyClicks(panel.correction, "Supply Chain Planning")
    said = click_and_wait(qtbot, panel, panel.correct_button)
    assert said == "Corrected demand-forecast for 2027-Q1."
    models = {m["model"]: m for m in panel.model_rows()}
    assert models["demand-forecast"]["verdict"] == "corrected"
    assert models["demand-forecast"]["business_unit"] == "Supply Chain Planning"
    assert "2 of 5" in panel.summary.text()
    # closed: nobody attests in it any more
    demo_registry.set_actor_for_embedded("frank")
    said = click_and_wait(qtbot, panel, panel.close_button)
    assert said == "Closed '2027-Q1'."
    assert "closed" in panel.summary.text()
    demo_registry.set_actor_for_embedded("carol")
    assert panel.select_model("card-fraud")
    said = click_and_wait(qtbot, panel, panel.attest_button, reload=False)
    assert said.startswith("Refused:") and "is closed" in said


def test_a_revalidation_signed_on_condition_goes_overdue_when_the_clock_moves(
    qtbot, make_ctx, demo_registry, monkeypatch
) -> None:
    """The validator signs demand-forecast revalidated on condition that a finding closes
    within a week; ten days later (the dashboard's clock moved) the condition is overdue."""
    from datetime import date, timedelta

    from PySide6.QtCore import QDate

    import signoff.core.governance.dashboard as dashboard
    from signoff.core.governance.findings import act_on_finding

    with demo_registry.write() as s:
        raised = act_on_finding(
            s,
            "raise",
            actor="bob",
            model_name="demand-forecast",
            number=2,
            fields={
                "title": "holiday weeks under-forecast",
                "severity": "low",
                "due": date.today() + timedelta(days=60),
            },
        )
    page = open_page(qtbot, make_ctx, demo_registry, "bob")
    panel = page.revalidation
    assert panel.select_model("demand-forecast")
    offered = [panel.condition.itemData(i) for i in range(panel.condition.count())]
    assert raised.finding_id in offered
    panel.condition.setCurrentIndex(offered.index(raised.finding_id))
    today = panel.dashboard.now.date()
    due = today + timedelta(days=7)
    panel.condition_due.setDate(QDate(due.year, due.month, due.day))
    qtbot.keyClicks(panel.comment, "Q3 back-test fine; holiday weeks to be fixed")
    with (
        qtbot.waitSignal(panel.loaded, timeout=20000),
        qtbot.waitSignal(panel.acted, timeout=20000) as said,
    ):
        qtbot.mouseClick(panel.sign_button, Qt.MouseButton.LeftButton)
    assert said.args[0].startswith("Signed:")
    assert panel.overdue_conditions() == []
    assert "— none" in panel.conditions_heading.text()

    later = panel.dashboard.now + timedelta(days=10)
    monkeypatch.setattr(dashboard, "db_now", lambda _session: later)
    with qtbot.waitSignal(panel.loaded, timeout=20000):
        panel.reload()
    shown = panel.overdue_conditions()
    assert [c.model for c in shown] == ["demand-forecast"]
    assert shown[0].due == due and "3 days overdue" in shown[0].message
    assert panel.condition_table.model().index(0, 1).data() == due.isoformat()
    assert "1 condition(s) overdue" in panel.summary.text()
