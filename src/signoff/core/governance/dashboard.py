"""What the model-risk dashboard shows: live versions falling due for revalidation, and the
conditions on signatures that are past their date; and a version card's edit history.

Pure reads (plain data for the desktop's Model risk area and the card tab); every write goes
through :func:`signoff.core.governance.workflow.transition` (``revalidate``),
:mod:`signoff.core.governance.attestations` and :mod:`signoff.core.governance.cards`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.catalog.lookup import get_version
from signoff.core.catalog.revalidation import DUE_SOON_DAYS, revalidations
from signoff.core.db import model_risk as rk
from signoff.core.db.registry import db_now
from signoff.core.db.schema import CardEntry, Finding, Model, Version
from signoff.core.governance.cards import ModelCard, card_of, card_refusal, compare_cards
from signoff.core.governance.overdue import OverdueItem, overdue_conditions


@dataclass(frozen=True)
class DueRevalidation:
    """One live version on the dashboard: its model, tier, owner, dates and open findings."""

    model: str
    live_version: int
    risk_tier: str
    owner: str
    business_unit: str
    last_validated: datetime | None
    due: datetime | None
    status: str  # overdue / due soon
    days: int  # days until due (negative: overdue by)
    unresolved: tuple[tuple[int, str, str], ...]  # (finding id, severity, title)

    def when(self) -> str:
        """ "overdue by 43 days", "due in 12 days" or "never validated"."""
        if self.due is None:
            return "never validated"
        days = abs(self.days)
        span = f"{days} day" if days == 1 else f"{days} days"
        return f"overdue by {span}" if self.days < 0 else f"due in {span}"


@dataclass(frozen=True)
class RevalidationDashboard:
    """The dashboard as of *now*: what falls due (most overdue first) and overdue conditions."""

    now: datetime
    within_days: int
    due: list[DueRevalidation] = field(default_factory=list)
    conditions: list[OverdueItem] = field(default_factory=list)

    @property
    def overdue(self) -> list[DueRevalidation]:
        return [row for row in self.due if row.status == "overdue"]


def _unresolved(session: Session, model_id: int) -> tuple[tuple[int, str, str], ...]:
    rows = session.execute(
        select(Finding.id, Finding.severity, Finding.title)
        .where(Finding.model_id == model_id, Finding.status.in_(rk.UNRESOLVED))
        .order_by(Finding.id)
    ).all()
    return tuple((int(i), str(s), str(t)) for i, s, t in rows)


def revalidation_dashboard(
    session: Session, now: datetime | None = None, *, within_days: int = DUE_SOON_DAYS
) -> RevalidationDashboard:
    """Live versions due for revalidation within *within_days* of *now* (the database's time
    by default) or overdue, with their owners and unresolved findings; and every condition on a
    signature that is past its date."""
    moment = now or db_now(session)
    rows = []
    for item in revalidations(session, moment, within_days=within_days):
        model = session.scalar(select(Model).where(Model.name == item.model))
        if model is None:  # cannot happen: revalidations() just read it
            continue
        rows.append(
            DueRevalidation(
                item.model,
                item.live_version,
                item.risk_tier,
                model.owner or "",
                model.business_unit or "",
                item.last_validated,
                item.due,
                item.status,
                item.days,
                _unresolved(session, model.id),
            )
        )
    return RevalidationDashboard(
        moment, within_days, rows, overdue_conditions(session, moment.date())
    )


@dataclass(frozen=True)
class CardEdit:
    """One audited edit of a card field: what was set, why, by whom, when."""

    field: str
    title: str
    value: str
    reason: str
    actor: str
    at: datetime


def card_history(session: Session, model: str, number: int) -> list[CardEdit]:
    """Every edit made to ``model vNUMBER``'s card, newest first."""
    version = get_version(session, model, number)
    entries = session.scalars(
        select(CardEntry).where(CardEntry.version_id == version.id).order_by(CardEntry.id.desc())
    )
    return [
        CardEdit(e.field, rk.CARD_TITLES.get(e.field, e.field), e.value, e.reason, e.actor, e.at)
        for e in entries
    ]


@dataclass(frozen=True)
class CardPage:
    """What the card tab shows for one version, as *viewer* sees it."""

    card: ModelCard
    refusal: str  # why the viewer may not edit it ('' when they may)
    history: list[CardEdit]
    versions: list[int]  # the model's other versions, newest first (to compare with)


def card_page(session: Session, model: str, number: int, viewer: str) -> CardPage:
    """The card of ``model vNUMBER``, whether *viewer* may edit it, its edits, and the
    versions it can be compared with."""
    version = get_version(session, model, number)
    others = session.scalars(
        select(Version.number)
        .where(Version.model_id == version.model_id, Version.id != version.id)
        .order_by(Version.number.desc())
    )
    return CardPage(
        card_of(session, model, number),
        card_refusal(session, version, viewer),
        card_history(session, model, number),
        [int(n) for n in others],
    )


@dataclass(frozen=True)
class CardComparison:
    """Two versions' cards field by field: (title, value in a, value in b, same?)."""

    model: str
    a: int
    b: int
    rows: list[tuple[str, str, str, bool]]

    @property
    def differing(self) -> list[str]:
        return [title for title, _a, _b, same in self.rows if not same]


def compare_version_cards(session: Session, model: str, a: int, b: int) -> CardComparison:
    """The cards of ``model vA`` and ``model vB`` side by side."""
    return CardComparison(
        model, a, b, compare_cards(card_of(session, model, a), card_of(session, model, b))
    )


__all__ = [
    "CardComparison",
    "CardPage",
    "CardEdit",
    "DueRevalidation",
    "RevalidationDashboard",
    "card_history",
    "card_page",
    "compare_version_cards",
    "revalidation_dashboard",
]
