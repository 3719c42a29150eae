"""What has gone overdue in model-risk management, and the alerts it raises.

Three clocks run without anyone clicking: a condition on a signature (a finding that must be
resolved by a date), a live version's revalidation (the tier's interval from its last
validation) and a policy exception (its expiry date). :func:`overdue_items` reads them as of a
moment (so a test, a report or the demo can move the clock), and :func:`raise_overdue_alerts`
records one alert per overdue item, once, through :mod:`signoff.core.governance.alerts`; it
also reminds a live model's owner, once per due date, when its revalidation falls due within
30 days, so that the validators can be booked before the clock runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.catalog.revalidation import (
    BINDING_STATES,
    DUE_SOON,
    DUE_SOON_DAYS,
    OVERDUE,
    revalidations,
)
from signoff.core.db import model_risk as rk
from signoff.core.db.schema import Condition, Decision, Finding, Model, Version
from signoff.core.governance.alerts import (
    CONDITION_OVERDUE,
    EXCEPTION_EXPIRED,
    REVALIDATION_DUE,
    REVALIDATION_OVERDUE,
    Alert,
    raise_alert,
)


@dataclass(frozen=True)
class OverdueItem:
    """One thing past its date: what, which model, since when, and who must act."""

    kind: str
    key: str
    model: str
    model_id: int
    due: date
    message: str
    recipients: tuple[str, ...]


def overdue_conditions(session: Session, today: date) -> list[OverdueItem]:
    """Conditions on binding signatures whose finding is still unresolved after their date."""
    rows = session.execute(
        select(Condition, Finding, Decision, Version, Model)
        .join(Finding, Finding.id == Condition.finding_id)
        .join(Decision, Decision.id == Condition.decision_id)
        .join(Version, Version.id == Decision.version_id)
        .join(Model, Model.id == Version.model_id)
        .where(
            Condition.due < today,
            Finding.status.in_(rk.UNRESOLVED),
            Version.state.in_(BINDING_STATES),
        )
        .order_by(Condition.due, Condition.id)
    ).all()
    return [
        OverdueItem(
            CONDITION_OVERDUE,
            f"condition-{condition.id}",
            model.name,
            model.id,
            condition.due,
            f"{model.name} v{version.number}: finding #{finding.id} '{finding.title}' was a "
            f"condition of {decision.actor}'s {decision.action} and had to be resolved by "
            f"{condition.due} ({(today - condition.due).days} days overdue)",
            tuple(sorted({p for p in (finding.owner, model.owner) if p})),
        )
        for condition, finding, decision, version, model in rows
    ]


def expired_exceptions(session: Session, today: date) -> list[OverdueItem]:
    """Policy exceptions past their expiry date (the finding holds its gates again)."""
    rows = session.execute(
        select(Finding, Model)
        .join(Model, Model.id == Finding.model_id)
        .where(Finding.status == rk.EXCEPTION, Finding.expires < today)
        .order_by(Finding.expires, Finding.id)
    ).all()
    return [
        OverdueItem(
            EXCEPTION_EXPIRED,
            f"exception-{finding.id}-{finding.expires}",
            model.name,
            model.id,
            finding.expires,
            f"{model.name}: the policy exception for finding #{finding.id} '{finding.title}' "
            f"expired on {finding.expires}",
            tuple(sorted({p for p in (finding.owner, model.owner, finding.raised_by) if p})),
        )
        for finding, model in rows
        if finding.expires is not None
    ]


def _revalidation_items(
    session: Session, now: datetime, status: str, kind: str, within_days: int
) -> list[OverdueItem]:
    out = []
    for item in revalidations(session, now, within_days=within_days):
        if item.status != status:
            continue
        model = session.scalar(select(Model).where(Model.name == item.model))
        assert model is not None  # it was just read
        due = item.due.date() if item.due else now.date()
        prefix = "revalidation" if kind == REVALIDATION_OVERDUE else "revalidation-due"
        out.append(
            OverdueItem(
                kind,
                f"{prefix}-{item.model}-v{item.live_version}-{due}",
                item.model,
                model.id,
                due,
                item.describe(),
                (model.owner,) if model.owner else (),
            )
        )
    return out


def overdue_revalidations(session: Session, now: datetime) -> list[OverdueItem]:
    """Live versions past their tier's revalidation date (or never validated)."""
    return _revalidation_items(session, now, OVERDUE, REVALIDATION_OVERDUE, 0)


def revalidations_due_soon(
    session: Session, now: datetime, *, within_days: int = DUE_SOON_DAYS
) -> list[OverdueItem]:
    """Live versions whose revalidation falls due within *within_days* (not overdue yet)."""
    return _revalidation_items(session, now, DUE_SOON, REVALIDATION_DUE, within_days)


def overdue_items(session: Session, now: datetime) -> list[OverdueItem]:
    """Everything overdue at *now*: conditions, revalidations, expired exceptions."""
    today = now.date()
    return [
        *overdue_conditions(session, today),
        *overdue_revalidations(session, now),
        *expired_exceptions(session, today),
    ]


def raise_overdue_alerts(session: Session, now: datetime, *, actor: str) -> list[Alert]:
    """Raise one alert per overdue item not alerted before, and one reminder per revalidation
    falling due within 30 days, in the caller's transaction; returns the alerts raised now."""
    raised = []
    for item in [*overdue_items(session, now), *revalidations_due_soon(session, now)]:
        alert = Alert(
            item.kind,
            item.key,
            item.model,
            item.message,
            item.recipients,
            {"due": item.due.isoformat()},
        )
        if raise_alert(session, alert, actor=actor, model_id=item.model_id):
            raised.append(alert)
    return raised


__all__ = [
    "OverdueItem",
    "expired_exceptions",
    "overdue_conditions",
    "overdue_items",
    "overdue_revalidations",
    "raise_overdue_alerts",
    "revalidations_due_soon",
]
