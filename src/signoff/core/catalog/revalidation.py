"""When a live version is due for revalidation, and which conditions on signatures are due.

Every live version is revalidated on its tier's schedule: the policy in force names the
interval in months (``revalidation_months``), counted from the live version's last validation
(the latest approval at its production-use gate, or its latest revalidation). The clock is kept
on the model as a summary column (``models.last_validated_at``), so the inventory, the
dashboard and monitoring judge "due in 30 days" and "overdue" at query time without a job.

Pure reads of the tables; the rules that write (revalidating, signing with conditions) live in
:mod:`signoff.core.governance`.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from signoff.core.db import lifecycle as lc
from signoff.core.db import model_risk as rk
from signoff.core.db.schema import (
    APPROVED,
    IN_REVIEW,
    LIVE,
    READY,
    RISK_TIERS,
    Condition,
    Decision,
    Finding,
    Model,
    Policy,
    Version,
)

#: a live version whose revalidation falls due within this many days is "due soon"
DUE_SOON_DAYS = 30
OVERDUE, DUE_SOON, ON_SCHEDULE = "overdue", "due soon", "on schedule"
#: a version whose conditions still bind (one that is on its way live, or live)
BINDING_STATES = (IN_REVIEW, APPROVED, READY, LIVE)


def add_months(value: datetime, months: int) -> datetime:
    """*value* plus *months* calendar months (the 31st becomes the month's last day)."""
    index = value.month - 1 + months
    year, month = value.year + index // 12, index % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def revalidation_months(session: Session, tier: str, at: datetime | None = None) -> int:
    """The interval the policy in force (then, with *at*) sets for *tier*."""
    tier = tier if tier in RISK_TIERS else "high"
    stmt = select(Policy.rules).where(Policy.risk_tier == tier)
    if at is not None:
        stmt = stmt.where(Policy.created_at <= at)
    rules = session.scalar(stmt.order_by(Policy.revision.desc()).limit(1))
    months = rules.get("revalidation_months") if isinstance(rules, dict) else None
    return int(months or lc.DEFAULT_RULES[tier]["revalidation_months"])


def last_validation(
    session: Session, version_id: int, at: datetime | None = None
) -> datetime | None:
    """When *version_id* was last validated (by *at*): its latest production-use approval or
    revalidation, or None."""
    stmt = select(func.max(Decision.at)).where(
        Decision.version_id == version_id,
        or_(
            and_(Decision.action == "approve", Decision.gate == lc.PRODUCTION_USE),
            Decision.action == "revalidate",
        ),
    )
    if at is not None:
        stmt = stmt.where(Decision.at <= at)
    return session.scalar(stmt)


def earliest_condition_due(session: Session, model_id: int) -> date | None:
    """The earliest date a condition on a binding signature of the model is due by, among
    conditions whose finding is still unresolved (None when none is)."""
    return session.scalar(
        select(func.min(Condition.due))
        .join(Finding, Finding.id == Condition.finding_id)
        .join(Decision, Decision.id == Condition.decision_id)
        .join(Version, Version.id == Decision.version_id)
        .where(
            Finding.model_id == model_id,
            Finding.status.in_(rk.UNRESOLVED),
            Version.state.in_(BINDING_STATES),
        )
    )


@dataclass(frozen=True)
class Revalidation:
    """Where one live model stands on its revalidation schedule (plain data)."""

    model: str
    risk_tier: str
    live_version: int
    last_validated: datetime | None
    months: int
    due: datetime | None
    status: str  # overdue / due soon / on schedule
    days: int  # days until due (negative: overdue by)

    def describe(self) -> str:
        """One line: "credit-risk v3 (high, every 12 months): overdue by 12 days (due …)"."""
        head = f"{self.model} v{self.live_version} ({self.risk_tier}, every {self.months} months)"
        if self.due is None:
            return f"{head}: never validated"
        when = f"due {self.due:%Y-%m-%d}, last validated {self.last_validated:%Y-%m-%d}"
        if self.status == OVERDUE:
            return f"{head}: overdue by {-self.days} days ({when})"
        return f"{head}: {self.status}, in {self.days} days ({when})"


def judge(last: datetime | None, months: int, now: datetime) -> tuple[datetime | None, str, int]:
    """Due date, status and days left for a version last validated at *last*."""
    if last is None:
        return None, OVERDUE, 0
    due = add_months(last, months)
    days = math.floor((due - now).total_seconds() / 86400)
    if due < now:
        return due, OVERDUE, days
    if due - now <= timedelta(days=DUE_SOON_DAYS):
        return due, DUE_SOON, days
    return due, ON_SCHEDULE, days


def revalidation_of(session: Session, model: Model, now: datetime) -> Revalidation | None:
    """The revalidation schedule of *model*'s live version (None when nothing is live)."""
    if model.live_version is None:
        return None
    months = revalidation_months(session, model.risk_tier)
    due, status, days = judge(model.last_validated_at, months, now)
    return Revalidation(
        model.name,
        model.risk_tier,
        model.live_version,
        model.last_validated_at,
        months,
        due,
        status,
        days,
    )


def revalidations(
    session: Session, now: datetime, *, within_days: int | None = DUE_SOON_DAYS
) -> list[Revalidation]:
    """Live models due for revalidation within *within_days* (None: every live model), the
    most overdue first."""
    rows = session.scalars(select(Model).where(Model.live_version.is_not(None)))
    out = [r for m in rows if (r := revalidation_of(session, m, now)) is not None]
    if within_days is not None:
        out = [r for r in out if r.days <= within_days]
    return sorted(out, key=lambda r: (r.days, r.model))


def overdue_cutoffs(session: Session, now: datetime, ahead_days: int = 0) -> dict[str, datetime]:
    """Tier -> the validation time before which a live version is overdue (at *now* plus
    *ahead_days*): for filtering and counting in SQL."""
    moment = now + timedelta(days=ahead_days)
    return {tier: add_months(moment, -revalidation_months(session, tier)) for tier in RISK_TIERS}


def revalidation_condition(cutoffs: dict[str, datetime]) -> ColumnElement[bool]:
    """The SQL condition "the live version's revalidation is overdue" for these cut-offs."""
    return and_(
        Model.live_version.is_not(None),
        or_(
            Model.last_validated_at.is_(None),
            *(
                and_(Model.risk_tier == tier, Model.last_validated_at < cutoff)
                for tier, cutoff in cutoffs.items()
            ),
            and_(Model.risk_tier.not_in(tuple(cutoffs)), Model.last_validated_at < cutoffs["high"]),
        ),
    )


__all__ = [
    "DUE_SOON",
    "DUE_SOON_DAYS",
    "ON_SCHEDULE",
    "OVERDUE",
    "Revalidation",
    "add_months",
    "earliest_condition_due",
    "last_validation",
    "overdue_cutoffs",
    "revalidation_condition",
    "revalidation_months",
    "revalidation_of",
    "revalidations",
]
