"""Findings: raised, answered and judged by the right people; open ones hold the gates; a
signature may carry one as a condition, which goes overdue when the clock passes its date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from signoff.core.audit.verify import verify_registry
from signoff.core.catalog.lookup import get_model
from signoff.core.common.errors import TransitionError
from signoff.core.db.registry import db_now
from signoff.core.db.schema import AuditEvent, Condition, Finding, FindingChange
from signoff.core.governance.finding_gates import ConditionRequest
from signoff.core.governance.findings import act_on_finding
from signoff.core.governance.people import save_person
from signoff.core.governance.workflow import note_evidence, run_transition
from tests.helpers.workflow import ALL_CHECKS, add_evidence, add_people, publish_version


@pytest.fixture
def reg(registry, tmp_path):
    add_people(registry)
    with registry.write() as s:
        save_person(s, "val2", actor="root", display_name="Second Validator", roles=["validator"])
        save_person(s, "aud", actor="root", display_name="Audrey Auditor", roles=["auditor"])
    publish_version(registry, tmp_path)
    return registry


def _today(reg) -> date:
    with reg.read() as s:
        return db_now(s).date()


def finding(reg, action, who, finding_id=None, **kw):
    with reg.write() as s:
        return act_on_finding(s, action, actor=who, finding_id=finding_id, **kw)


def raise_one(reg, severity="high", who="val", number=1, **fields):
    due = _today(reg) + timedelta(days=30)
    return finding(
        reg,
        "raise",
        who,
        model_name="credit",
        number=number,
        fields={"title": f"{severity} issue", "severity": severity, "due": due, **fields},
    )


def act(reg, action, who, number=1, **kw):
    return run_transition(reg, action, "credit", number, actor=who, **kw)


def test_raise_answer_close_each_audited(reg) -> None:
    raised = raise_one(reg, description="PD calibration drifts above 0.6")
    assert (raised.status_from, raised.status_to) == ("", "open")
    proposed = finding(
        reg, "propose_remediation", "alice", raised.finding_id, comment="recalibrated on 2025"
    )
    assert proposed.status_to == "remediation_proposed"
    closed = finding(reg, "close", "val", raised.finding_id)
    assert closed.status_to == "closed"
    with reg.read() as s:
        changes = s.scalars(select(FindingChange).order_by(FindingChange.id)).all()
        assert [(c.actor, c.action) for c in changes] == [
            ("val", "raise"),
            ("alice", "propose_remediation"),
            ("val", "close"),
        ]
        assert changes[-1].snapshot["status"] == "closed"
        names = s.scalars(
            select(AuditEvent.action).where(AuditEvent.entity_type == "finding")
        ).all()
        assert names == ["finding.raise", "finding.propose_remediation", "finding.close"]
        report = verify_registry(s)
        assert report.records == [] and report.chain.intact


def test_separation_of_duties(reg) -> None:
    # the author (who must fix it) cannot raise it, nor can a business owner
    for who in ("alice", "biz"):
        with pytest.raises(TransitionError):
            raise_one(reg, who=who)
    raised = raise_one(reg)
    # only those who must fix it answer it
    with pytest.raises(TransitionError, match="only the finding's owner"):
        finding(reg, "propose_remediation", "val2", raised.finding_id, comment="fixed")
    finding(reg, "propose_remediation", "alice", raised.finding_id, comment="fixed")
    # the one who must fix it never closes it
    with pytest.raises(TransitionError, match="separation of duties"):
        finding(reg, "close", "alice", raised.finding_id)
    # a business owner who did not raise it is no judge; a second validator is
    with pytest.raises(TransitionError, match="second validator"):
        finding(reg, "close", "biz", raised.finding_id)
    assert finding(reg, "close", "val2", raised.finding_id).status_to == "closed"
    # an auditor may raise, but only the auditor who raised it (or a validator) judges it
    audited = raise_one(reg, who="aud", severity="low")
    with pytest.raises(TransitionError, match="comment is required"):
        finding(reg, "reject_remediation", "aud", audited.finding_id)
    assert finding(reg, "close", "aud", audited.finding_id).status_to == "closed"


def test_bad_inputs_are_refused_with_nothing_written(reg) -> None:
    past = _today(reg) - timedelta(days=1)
    cases = [
        ({"title": "x", "severity": "urgent", "due": _today(reg)}, "unknown severity"),
        ({"title": "", "severity": "high", "due": _today(reg)}, "needs a title"),
        ({"title": "x", "severity": "high", "due": past}, "in the past"),
        ({"title": "x", "severity": "high", "due": "31/12/2026"}, "must be a date"),
        ({"title": "x", "severity": "high"}, "it needs due"),
        ({"title": "x", "severity": "high", "due": _today(reg), "owner": "ghost"}, "not a known"),
    ]
    for fields, message in cases:
        with pytest.raises(TransitionError, match=message):
            finding(reg, "raise", "val", model_name="credit", number=1, fields=fields)
    with reg.read() as s:
        assert s.scalars(select(Finding)).all() == []


def test_accepted_limitation_and_expiring_exception(reg) -> None:
    raised = raise_one(reg, severity="medium")
    with pytest.raises(TransitionError, match="compensating controls"):
        finding(reg, "accept_limitation", "val", raised.finding_id)
    accepted = finding(
        reg,
        "accept_limitation",
        "val",
        raised.finding_id,
        fields={"compensating_controls": "manual review of scores above 0.9"},
    )
    assert accepted.status_to == "accepted"
    other = raise_one(reg, severity="high")
    expires = _today(reg) + timedelta(days=10)
    finding(
        reg,
        "grant_exception",
        "val",
        other.finding_id,
        fields={"expires": expires},
        comment="board approved until the rebuild",
    )
    # the exception holds today; once the clock passes its expiry the finding blocks again
    act(reg, "submit", "alice")
    with reg.read() as s:
        from signoff.core.catalog.lookup import get_version
        from signoff.core.governance.gates import check_allowed

        version = get_version(s, "credit", 1)
        check_allowed(s, version, "approve", "val")
        later = db_now(s) + timedelta(days=11)
        with pytest.raises(TransitionError, match="exception expired"):
            check_allowed(s, version, "approve", "val", now=later)


def test_open_high_finding_blocks_production_use(reg) -> None:
    act(reg, "submit", "alice")
    raised = raise_one(reg, severity="high")
    with pytest.raises(TransitionError, match=f"finding #{raised.finding_id}.*blocks"):
        act(reg, "approve", "val")
    # a condition cannot waive a blocking finding
    due = _today(reg) + timedelta(days=5)
    with pytest.raises(TransitionError, match="blocks"):
        act(reg, "approve", "val", conditions=[ConditionRequest(raised.finding_id, due)])
    finding(reg, "close", "val", raised.finding_id)
    assert act(reg, "approve", "val").role == "validator"


def _to_ready(reg) -> None:
    act(reg, "submit", "alice")
    act(reg, "approve", "val")
    act(reg, "approve", "biz")
    add_evidence(reg, "credit", 1, ALL_CHECKS)
    with reg.write() as s:
        note_evidence(s, "credit", 1, actor="runner")


def test_medium_finding_goes_live_only_as_a_condition_which_goes_overdue(reg) -> None:
    _to_ready(reg)
    raised = raise_one(reg, severity="medium")
    with pytest.raises(TransitionError, match="unless the signature carries it as a condition"):
        act(reg, "approve", "rel")
    due = _today(reg) + timedelta(days=14)
    with pytest.raises(TransitionError, match="due today or later"):
        act(
            reg,
            "approve",
            "rel",
            conditions=[ConditionRequest(raised.finding_id, _today(reg) - timedelta(days=1))],
        )
    signed = act(reg, "approve", "rel", conditions=[ConditionRequest(raised.finding_id, due)])
    assert signed.gate == "go_live"
    assert act(reg, "go_live", "rel").state_after == "live"
    with reg.read() as s:
        (condition,) = s.scalars(select(Condition)).all()
        assert (condition.finding_id, condition.due) == (raised.finding_id, due)
        assert get_model(s, "credit").condition_due == due
        assert verify_registry(s).records == []
    # closing the finding clears the model's condition clock
    finding(reg, "close", "val", raised.finding_id)
    with reg.read() as s:
        assert get_model(s, "credit").condition_due is None


def test_conditions_only_on_approvals_and_only_open_findings(reg) -> None:
    act(reg, "submit", "alice")
    raised = raise_one(reg, severity="low")
    due = _today(reg) + timedelta(days=5)
    with pytest.raises(TransitionError, match="only an approval or a revalidation"):
        act(
            reg,
            "comment",
            "val",
            comment="hm",
            conditions=[ConditionRequest(raised.finding_id, due)],
        )
    with pytest.raises(TransitionError, match="not a finding of credit v1"):
        act(reg, "approve", "val", conditions=[ConditionRequest(999, due)])
    finding(reg, "close", "val", raised.finding_id)
    with pytest.raises(TransitionError, match="a condition needs one still open"):
        act(reg, "approve", "val", conditions=[ConditionRequest(raised.finding_id, due)])
