"""The model-risk dashboard's reads on the demo registry: what falls due for revalidation, the
conditions past their date, and a card as one person sees it (may they edit it, its edits,
what it is compared with)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from signoff.core.db.registry import db_now
from signoff.core.governance.cards import edit_card
from signoff.core.governance.dashboard import (
    card_page,
    compare_version_cards,
    revalidation_dashboard,
)
from signoff.core.governance.finding_gates import ConditionRequest
from signoff.core.governance.findings import act_on_finding
from signoff.core.governance.workflow import transition


def test_demand_forecast_is_overdue_and_leaves_the_list_once_revalidated(demo_registry) -> None:
    with demo_registry.read() as s:
        board = revalidation_dashboard(s)
    rows = {r.model: r for r in board.due}
    forecast = rows["demand-forecast"]
    assert forecast.status == "overdue" and forecast.days < 0
    assert forecast.risk_tier == "medium" and forecast.owner == "carol"
    assert forecast.last_validated is not None and forecast.due is not None
    assert forecast.when().startswith("overdue by ")
    assert [r.model for r in board.overdue] == ["demand-forecast"]
    assert all(r.days <= 30 for r in board.due)
    assert board.conditions == []
    with demo_registry.write() as s:
        transition(
            s, "revalidate", "demand-forecast", 2, actor="bob", comment="back-test on Q3 data"
        )
    with demo_registry.read() as s:
        after = revalidation_dashboard(s)
    assert "demand-forecast" not in {r.model for r in after.due}


def test_a_condition_past_its_date_is_on_the_dashboard(demo_registry) -> None:
    with demo_registry.read() as s:
        now = db_now(s)
    raised, signed = now - timedelta(days=20), now - timedelta(days=19)
    with demo_registry.write() as s:
        outcome = act_on_finding(
            s,
            "raise",
            actor="bob",
            at=raised,
            model_name="demand-forecast",
            number=2,
            fields={
                "title": "Holiday weeks under-forecast",
                "severity": "medium",
                "due": (raised + timedelta(days=30)).date(),
            },
        )
    with demo_registry.write() as s:
        transition(
            s,
            "revalidate",
            "demand-forecast",
            2,
            actor="bob",
            comment="fit for use on condition of the holiday fix",
            at=signed,
            conditions=[ConditionRequest(outcome.finding_id, (signed + timedelta(days=5)).date())],
        )
    with demo_registry.read() as s:
        board = revalidation_dashboard(s)
    assert [c.model for c in board.conditions] == ["demand-forecast"]
    assert "Holiday weeks under-forecast" in board.conditions[0].message
    assert board.conditions[0].due < date.today() + timedelta(days=1)


def test_a_card_as_a_validator_and_an_auditor_see_it_and_two_versions_compared(
    demo_registry,
) -> None:
    with demo_registry.read() as s:
        as_bob = card_page(s, "credit-risk", 4, "bob")
        as_erin = card_page(s, "credit-risk", 4, "erin")
        compared = compare_version_cards(s, "credit-risk", 3, 4)
    assert as_bob.refusal == "" and "only the model's owner" in as_erin.refusal
    assert as_bob.card.value("intended_use").startswith("Probability that a retail loan")
    assert 3 in as_bob.versions and 4 not in as_bob.versions
    assert as_bob.history == []
    assert compared.differing == ["Data", "Method", "Performance"]
    with demo_registry.write() as s:
        edit_card(
            s,
            "credit-risk",
            4,
            "ethical_considerations",
            "Income is not a protected attribute; age is used only above 18.",
            reason="the validator's review",
            actor="bob",
            at=datetime(2026, 11, 20, 10, 0),
        )
    with demo_registry.read() as s:
        edited = card_page(s, "credit-risk", 4, "bob")
    assert [(e.field, e.actor, e.reason) for e in edited.history] == [
        ("ethical_considerations", "bob", "the validator's review")
    ]
    assert edited.card.fields[7].source == "edited by bob on 2026-11-20"
