"""The Approvals tab, driven as a reviewer would: sign in the dialog, see the gate complete."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from signoff.core.governance.workflow import note_evidence, run_transition
from tests.helpers import shots
from tests.helpers.workflow import ALL_CHECKS, add_evidence, add_people, publish_version

pytestmark = pytest.mark.gui


@pytest.fixture
def in_review(registry, tmp_path):
    """credit v1 in review, the business owner already signed; the validator is missing."""
    add_people(registry)
    publish_version(registry, tmp_path)
    run_transition(registry, "submit", "credit", 1, actor="alice")
    run_transition(registry, "approve", "credit", 1, actor="biz", comment="business case holds")
    add_evidence(registry, "credit", 1, ALL_CHECKS[:2])
    return registry


def open_tab(qtbot, make_ctx, registry, who: str):
    from signoff.ui.version.approvals_tab import ApprovalsTab

    registry.set_actor_for_embedded(who)
    tab = ApprovalsTab(make_ctx(registry))
    qtbot.addWidget(tab)
    tab.resize(1200, 760)
    with qtbot.waitSignal(tab.loaded, timeout=10000):
        tab.show_version("credit", 1)
    return tab


def test_reviewer_approves_in_dialog_and_sees_gate_complete(qtbot, make_ctx, in_review) -> None:
    tab = open_tab(qtbot, make_ctx, in_review, "val")
    assert "needs validator" in tab.gate_summary.text()
    approve = tab.buttons["approve"]
    assert approve.isEnabled()
    qtbot.mouseClick(approve, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    assert dialog is not None and dialog.isVisible()
    assert "Approved for production use, signed as validator" in dialog.meaning_text()
    assert dialog.password is None  # embedded: the OS login is the identity
    qtbot.keyClicks(dialog.comment, "validation report reviewed; AUC stable")
    with qtbot.waitSignal(tab.decided, timeout=15000), qtbot.waitSignal(tab.loaded, timeout=15000):
        qtbot.mouseClick(
            dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
        )
    assert (
        "Approval for production use</b>: <span style='color:#27ae60'>complete"
        in tab.gate_summary.text()
    )
    assert "approved" in tab.header.text()
    signed = {
        tab.gates.record(i).role: tab.gates.record(i).signature for i in range(tab.gates.rowCount())
    }
    assert signed["validator"].printed_name == "Victor Validator"
    assert signed["validator"].comment == "validation report reviewed; AUC stable"
    assert signed["business_owner"].login == "biz"
    assert not tab.buttons["approve"].isEnabled()
    assert "waits for deployment checks: environment" in tab.buttons["approve"].toolTip()
    # the reason is also written next to the buttons, not only on hover
    assert (
        "Approve, Reject, Request changes and Go live: it is approved for production use but "
        "waits for deployment checks" in tab.why_text()
    )
    if shots.wanted():
        add_evidence(in_review, "credit", 1, ["environment"])
        with in_review.write() as s:
            note_evidence(s, "credit", 1, actor="runner")
        in_review.set_actor_for_embedded("rel")
        with qtbot.waitSignal(tab.loaded, timeout=10000):
            tab.reload()
        tab.message.setText("")
        shots.save_screenshot(tab, "approvals.png")


def test_authors_approve_button_is_disabled_with_the_reason(qtbot, make_ctx, in_review) -> None:
    tab = open_tab(qtbot, make_ctx, in_review, "alice")
    approve = tab.buttons["approve"]
    assert not approve.isEnabled()
    assert "you are its author; the author never signs" in approve.toolTip()
    why = tab.why_text()
    assert "Approve, Reject and Request changes: you are its author; the author never signs" in (
        why
    )
    assert "Submit for review: it is in review; only a draft can be submitted" in why
    assert tab.buttons["withdraw"].isEnabled() and tab.buttons["comment"].isEnabled()
    assert tab.open_decision("approve") is None


def test_reject_needs_a_reason_before_sign_is_enabled(qtbot, make_ctx, in_review) -> None:
    tab = open_tab(qtbot, make_ctx, in_review, "val")
    qtbot.mouseClick(tab.buttons["reject"], Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    sign = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not sign.isEnabled()
    qtbot.keyClicks(dialog.comment, "leaks the target")
    assert sign.isEnabled()
    dialog.reject()


def test_stale_screen_is_told_who_changed_it(qtbot, make_ctx, in_review) -> None:
    tab = open_tab(qtbot, make_ctx, in_review, "val")
    run_transition(in_review, "reject", "credit", 1, actor="multi", comment="bias found")
    qtbot.mouseClick(tab.buttons["approve"], Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(tab.decisionFailed, timeout=15000) as blocker:
        qtbot.mouseClick(
            tab.dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
        )
    assert "multi recorded 'Reject'" in blocker.args[0]
    qtbot.waitUntil(lambda: "rejected" in tab.header.text(), timeout=10000)
    assert not tab.buttons["approve"].isEnabled()


def test_do_not_use_lists_the_consumers_before_confirming(qtbot, make_ctx, in_review) -> None:
    from signoff.core.catalog.lookup import get_model
    from signoff.core.notifications.outbox import save_consumer

    with in_review.write() as s:
        save_consumer(s, get_model(s, "credit"), "billing", actor="root")
        save_consumer(s, get_model(s, "credit"), "risk-reports", actor="root")
    tab = open_tab(qtbot, make_ctx, in_review, "val")
    qtbot.mouseClick(tab.buttons["do_not_use"], Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    assert dialog.consumers_label.text() == (
        "These consumers will be notified: billing, risk-reports"
    )
    qtbot.keyClicks(dialog.comment, "target leakage found")
    with qtbot.waitSignal(tab.decided, timeout=15000) as blocker:
        qtbot.mouseClick(
            dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
        )
    assert blocker.args[0].notified == 2 and blocker.args[0].state_after == "do_not_use"


def test_password_is_asked_on_a_shared_database(qtbot) -> None:
    from signoff.ui.version.decision_dialog import DecisionDialog

    dialog = DecisionDialog(
        "approve",
        "credit v1",
        "Victor Validator (val)",
        gate="production_use",
        roles=["validator"],
        needs_password=True,
    )
    qtbot.addWidget(dialog)
    sign = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert dialog.password is not None and not sign.isEnabled()
    qtbot.keyClicks(dialog.password, "hunter2")
    assert sign.isEnabled()
    assert dialog.request().password == "hunter2" and dialog.request().role == "validator"


def test_a_tampered_signature_is_marked_not_verified_and_not_counted(
    qtbot, make_ctx, in_review, tmp_path
) -> None:
    """Someone edits the registry file and changes the business owner's signed comment."""
    import sqlite3

    registry = in_review
    db = registry.location.db_url.removeprefix("sqlite:///")
    conn = sqlite3.connect(db)
    conn.executescript(
        "DROP TRIGGER decisions_no_update;"
        "UPDATE decisions SET comment = 'approved, no questions' WHERE role = 'business_owner';"
    )
    conn.commit()
    conn.close()
    tab = open_tab(qtbot, make_ctx, registry, "val")
    rows = [tab.decisions.record(i) for i in range(tab.decisions.rowCount())]
    forged = next(r for r in rows if r.role == "business_owner")
    assert not forged.verified and "comment differs" in forged.problem
    trail = [c.title for c in tab.decisions.columns].index("Trail")
    index = tab.decisions.index(rows.index(forged), trail)
    assert tab.decisions.data(index) == "NOT VERIFIED"
    assert "1 signature does not match the audit trail and is not counted" in (
        tab.gate_summary.text()
    )
    assert "does not match the audit trail" in tab.decisions.data(
        index, Qt.ItemDataRole.ToolTipRole
    )
    signed = {tab.gates.record(i).role: tab.gates.record(i).signature for i in range(2)}
    assert signed["business_owner"] is None  # the gate is missing the business owner again
    assert "needs validator and business owner" in tab.gate_summary.text()
    image = tab.grab()
    assert not image.isNull()
    image.save(str(tmp_path / "approvals-unverified.png"))
    shots.save_screenshot(tab, "approvals-unverified")


def test_a_comment_with_a_direction_override_is_refused_in_words(
    qtbot, make_ctx, in_review
) -> None:
    tab = open_tab(qtbot, make_ctx, in_review, "val")
    qtbot.mouseClick(tab.buttons["approve"], Qt.MouseButton.LeftButton)
    # pasted from elsewhere (a key press cannot type it): it displays as "reviewed not"
    QApplication.clipboard().setText("reviewed \u202eton")
    qtbot.keyClick(tab.dialog.comment, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert "\u202e" in tab.dialog.comment.toPlainText()
    with qtbot.waitSignal(tab.decisionFailed, timeout=15000) as blocker:
        qtbot.mouseClick(
            tab.dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
        )
    assert blocker.args[0].startswith("Not signed: cannot approve credit v1: the comment contains")
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in blocker.args[0]
    qtbot.waitUntil(lambda: "U+202E" in tab.message.text(), timeout=10000)
    # nothing was signed: once the tab has reloaded, the reviewer may correct it and sign
    qtbot.waitUntil(lambda: tab.buttons["approve"].isEnabled(), timeout=10000)
    assert "needs validator" in tab.gate_summary.text()
