"""Periodic revalidation and overdue conditions: judged as of a moment, so the tests move the
clock; overdue items flag the inventory, make the model stale and raise one alert each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from signoff.core.audit.verify import verify_registry
from signoff.core.catalog.inventory import InventoryQuery, inventory
from signoff.core.catalog.lookup import get_model
from signoff.core.catalog.revalidation import DUE_SOON, OVERDUE, add_months, revalidations
from signoff.core.common.errors import TransitionError
from signoff.core.db.registry import db_now
from signoff.core.db.schema import AuditEvent, Decision
from signoff.core.governance.alerts import alerts_raised
from signoff.core.governance.finding_gates import ConditionRequest
from signoff.core.governance.findings import act_on_finding
from signoff.core.governance.overdue import overdue_items, raise_overdue_alerts
from signoff.core.governance.workflow import note_evidence, run_transition
from signoff.core.monitoring.staleness import assess_model
from tests.helpers.workflow import ALL_CHECKS, add_evidence, add_people, publish_version


def act(reg, action, who, **kw):
    return run_transition(reg, action, "credit", 1, actor=who, **kw)


@pytest.fixture
def live(registry, tmp_path):
    """credit v1 (high tier: revalidated every 12 months) live, no findings."""
    add_people(registry)
    publish_version(registry, tmp_path)
    act(registry, "submit", "alice")
    act(registry, "approve", "val")
    act(registry, "approve", "biz")
    add_evidence(registry, "credit", 1, ALL_CHECKS)
    with registry.write() as s:
        note_evidence(s, "credit", 1, actor="runner")
    act(registry, "approve", "rel")
    act(registry, "go_live", "rel")
    return registry


def _now(reg):
    with reg.read() as s:
        return db_now(s)


def test_add_months_keeps_the_day_or_takes_the_months_last() -> None:
    from datetime import datetime

    assert add_months(datetime(2025, 1, 31), 1) == datetime(2025, 2, 28)
    assert add_months(datetime(2024, 3, 15), 12) == datetime(2025, 3, 15)
    assert add_months(datetime(2025, 11, 30), 3) == datetime(2026, 2, 28)


def test_revalidation_falls_due_goes_overdue_and_resets(live) -> None:
    now = _now(live)
    with live.read() as s:
        validated = get_model(s, "credit").last_validated_at
        approval = s.scalar(
            select(Decision.at)
            .where(Decision.gate == "production_use")
            .order_by(Decision.id.desc())
        )
        assert validated == approval
        assert revalidations(s, now) == []  # a year to go
        soon = revalidations(s, now + timedelta(days=350))
        assert [(r.model, r.status) for r in soon] == [("credit", DUE_SOON)]
        later = now + timedelta(days=380)
        (overdue,) = revalidations(s, later)
        assert overdue.status == OVERDUE and overdue.days < 0
        assert "overdue by" in overdue.describe()
        # the inventory flags it, filtered by the database as well
        (row,) = inventory(s, InventoryQuery(now=later))
        assert row.revalidation_overdue and "revalidation overdue" in row.flag_words
        flagged = InventoryQuery(flags=["revalidation_overdue"], now=later)
        assert [r.name for r in inventory(s, flagged)] == ["credit"]
        assert inventory(s, InventoryQuery(flags=["revalidation_overdue"], now=now)) == []
        # and monitoring names it as a staleness reason
        health = assess_model(s, get_model(s, "credit"), later)
        assert any(r.startswith("revalidation: credit v1") for r in health.reasons)
    # neither the author nor a business owner revalidates; a validator does, with a comment
    for who in ("alice", "biz"):
        with pytest.raises(TransitionError):
            act(live, "revalidate", who, comment="still fine")
    with pytest.raises(TransitionError, match="comment"):
        act(live, "revalidate", "val", comment="")
    done = act(live, "revalidate", "val", comment="back-tested on 2026 data: still fit")
    assert done.state_after == "live"
    with live.read() as s:
        model = get_model(s, "credit")
        assert model.last_validated_at > validated
        assert revalidations(s, now + timedelta(days=300)) == []
        assert verify_registry(s).records == []


def test_a_revalidation_may_carry_conditions(live) -> None:
    now = _now(live)
    with live.write() as s:
        raised = act_on_finding(
            s,
            "raise",
            actor="val",
            model_name="credit",
            number=1,
            fields={"title": "back-test gap", "severity": "low", "due": now.date()},
        )
    due = now.date() + timedelta(days=20)
    act(
        live,
        "revalidate",
        "multi",
        comment="fit, on condition the gap is closed",
        conditions=[ConditionRequest(raised.finding_id, due)],
    )
    with live.read() as s:
        assert get_model(s, "credit").condition_due == due


def test_an_overdue_condition_flags_the_inventory_and_raises_one_alert(live, tmp_path) -> None:
    # v2 goes live with a medium finding carried as a condition at its go-live gate
    publish_version(live, tmp_path, weights='{"a": 0.3, "b": 0.1}')
    run_transition(live, "submit", "credit", 2, actor="alice")
    run_transition(live, "approve", "credit", 2, actor="val")
    run_transition(live, "approve", "credit", 2, actor="biz")
    add_evidence(live, "credit", 2, ALL_CHECKS)
    with live.write() as s:
        note_evidence(s, "credit", 2, actor="runner")
    now = _now(live)
    with live.write() as s:
        raised = act_on_finding(
            s,
            "raise",
            actor="val",
            model_name="credit",
            number=2,
            fields={"title": "segment drift", "severity": "medium", "due": now.date()},
        )
    due = now.date() + timedelta(days=14)
    run_transition(
        live,
        "approve",
        "credit",
        2,
        actor="rel",
        conditions=[ConditionRequest(raised.finding_id, due)],
    )
    run_transition(live, "go_live", "credit", 2, actor="rel")
    later = now + timedelta(days=20)
    with live.read() as s:
        assert [i.kind for i in overdue_items(s, now)] == []
        (item,) = overdue_items(s, later)
        assert item.kind == "condition_overdue" and "6 days overdue" in item.message
        (row,) = inventory(s, InventoryQuery(now=later))
        assert row.condition_overdue and "condition overdue" in row.flag_words
        assert not inventory(s, InventoryQuery(now=now))[0].condition_overdue
    with live.write() as s:
        (alert,) = raise_overdue_alerts(s, later, actor="monitor")
        assert alert.recipients == ("alice",)
    with live.write() as s:
        assert raise_overdue_alerts(s, later, actor="monitor") == []  # once only
    with live.read() as s:
        assert [a.kind for a in alerts_raised(s)] == ["condition_overdue"]
        events = s.scalars(select(AuditEvent.action).where(AuditEvent.action == "alert.raised"))
        assert len(list(events)) == 1
    # resolving the finding ends it
    with live.write() as s:
        act_on_finding(s, "close", actor="val", finding_id=raised.finding_id)
    with live.read() as s:
        assert overdue_items(s, later) == []


def test_the_owner_is_reminded_once_when_revalidation_falls_due_within_30_days(live) -> None:
    from signoff.core.governance.alerts import REVALIDATION_DUE, REVALIDATION_OVERDUE
    from signoff.core.notifications.alerts import alerts_for

    now = _now(live)
    with live.write() as s:
        assert raise_overdue_alerts(s, now, actor="root") == []  # a year to go: nothing
        soon = now + timedelta(days=350)
        (reminder,) = raise_overdue_alerts(s, soon, actor="root")
        assert reminder.kind == REVALIDATION_DUE and reminder.recipients == ("alice",)
        assert "due soon, in" in reminder.message
        assert raise_overdue_alerts(s, soon + timedelta(days=5), actor="root") == []  # once
        (overdue,) = raise_overdue_alerts(s, now + timedelta(days=380), actor="root")
        assert overdue.kind == REVALIDATION_OVERDUE and overdue.key != reminder.key
    with live.read() as s:
        words = [a.title for a in alerts_for(s, "alice")]
        assert any("revalidation falls due within 30 days" in t for t in words)
        assert any("revalidation is overdue" in t for t in words)
