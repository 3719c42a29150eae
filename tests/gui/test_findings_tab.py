"""The Findings tab, driven as people would: the validator raises a finding, the author
answers it and cannot close it, the validator closes it; each sees the table change."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.helpers.workflow import add_people, publish_version

pytestmark = pytest.mark.gui


@pytest.fixture
def reg(registry, tmp_path):
    add_people(registry)
    publish_version(registry, tmp_path)
    return registry


def open_tab(qtbot, make_ctx, registry, who: str):
    from signoff.ui.version.findings_tab import FindingsTab

    registry.set_actor_for_embedded(who)
    tab = FindingsTab(make_ctx(registry))
    qtbot.addWidget(tab)
    tab.resize(1100, 600)
    with qtbot.waitSignal(tab.loaded, timeout=10000):
        tab.show_version("credit", 1)
    return tab


def click_and_wait(qtbot, tab, button, reload: bool = True) -> str:
    with qtbot.waitSignal(tab.acted, timeout=15000) as said:
        if reload:
            with qtbot.waitSignal(tab.loaded, timeout=15000):
                qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        else:
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    return said.args[0]


def select_first(tab) -> None:
    tab.table.selectRow(0)


def test_raise_answer_and_close_with_separation_of_duties(qtbot, make_ctx, reg) -> None:
    tab = open_tab(qtbot, make_ctx, reg, "val")
    assert "0 finding(s)" in tab.header.text()
    assert [tab.severity.itemText(i) for i in range(tab.severity.count())] == [
        "high",
        "medium",
        "low",
    ]
    qtbot.keyClicks(tab.title, "PD drifts in the 2026 vintage")
    said = click_and_wait(qtbot, tab, tab.raise_button)
    assert "finding #1: raise" in said
    assert "1 finding(s), 1 unresolved" in tab.header.text()
    assert tab.findings.record(0).status_words == "open"
    # the author answers it, then tries to close it: refused, and told why
    author = open_tab(qtbot, make_ctx, reg, "alice")
    select_first(author)
    said = click_and_wait(qtbot, author, author.buttons["propose_remediation"], reload=False)
    assert "a comment is required" in said and author.message.text() == said
    qtbot.keyClicks(author.comment, "recalibrated on 2026 data")
    said = click_and_wait(qtbot, author, author.buttons["propose_remediation"])
    assert "open → remediation proposed" in said
    select_first(author)
    said = click_and_wait(qtbot, author, author.buttons["close"], reload=False)
    assert "separation of duties" in said
    # the validator who raised it closes it
    validator = open_tab(qtbot, make_ctx, reg, "val")
    select_first(validator)
    said = click_and_wait(qtbot, validator, validator.buttons["close"])
    assert "remediation proposed → closed" in said
    assert validator.findings.record(0).status_words == "closed"
    assert "0 unresolved" in validator.header.text()


def test_release_manager_signs_go_live_with_a_condition(qtbot, make_ctx, reg) -> None:
    from datetime import timedelta

    from PySide6.QtWidgets import QDialogButtonBox
    from sqlalchemy import select

    from signoff.core.db.registry import db_now
    from signoff.core.db.schema import Condition
    from signoff.core.governance.findings import act_on_finding
    from signoff.core.governance.workflow import note_evidence, run_transition
    from signoff.ui.version.approvals_tab import ApprovalsTab
    from tests.helpers.workflow import ALL_CHECKS, add_evidence

    for action, who in (("submit", "alice"), ("approve", "val"), ("approve", "biz")):
        run_transition(reg, action, "credit", 1, actor=who)
    add_evidence(reg, "credit", 1, ALL_CHECKS)
    with reg.write() as s:
        note_evidence(s, "credit", 1, actor="runner")
        today = db_now(s).date()
        act_on_finding(
            s,
            "raise",
            actor="val",
            model_name="credit",
            number=1,
            fields={"title": "segment gap", "severity": "medium", "due": today},
        )
    reg.set_actor_for_embedded("rel")
    tab = ApprovalsTab(make_ctx(reg))
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.loaded, timeout=10000):
        tab.show_version("credit", 1)

    def sign(conditions: str, signal):
        qtbot.mouseClick(tab.buttons["approve"], Qt.MouseButton.LeftButton)
        dialog = tab.dialog
        assert dialog is not None and dialog.conditions is not None
        qtbot.keyClicks(dialog.conditions, conditions)
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if not ok.isEnabled():
            return dialog
        # either way the tab reloads afterwards; wait for it before the next click
        reloaded = qtbot.waitSignal(tab.loaded, timeout=15000)
        with reloaded, qtbot.waitSignal(signal, timeout=15000) as caught:
            qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
        return caught.args[0]

    # a malformed condition keeps the Sign button disabled, with the reason as its tooltip
    dialog = sign("1 by friday", tab.decided)
    assert "give FINDING:DATE" in dialog.conditions.toolTip()
    dialog.reject()
    refused = sign("", tab.decisionFailed)
    assert "unless the signature carries it as a condition" in refused
    due = (today + timedelta(days=14)).isoformat()
    outcome = sign(f"1:{due}", tab.decided)
    assert outcome.gate == "go_live"
    with reg.read() as s:
        (condition,) = s.scalars(select(Condition)).all()
        assert (condition.finding_id, condition.due.isoformat()) == (1, due)
