"""The inventory summary columns on ``models``, recomputed after every write to a model."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from signoff.core.catalog.lookup import live_version_of
from signoff.core.catalog.revalidation import earliest_condition_due, last_validation
from signoff.core.db.schema import (
    DO_NOT_USE,
    IN_REVIEW,
    Consumer,
    Decision,
    DoNotUseUse,
    Evidence,
    Model,
    Version,
)


def refresh_model_summary(session: Session, model_id: int) -> None:
    """Recompute latest/live version, counts, activity, the review and do-not-use flags
    (consumed: still pinned or live; used: executions or predictions after the notice), and
    the model-risk clocks (last validation of the live version, earliest condition due).

    The stale flag belongs to monitoring (``signoff.core.monitoring.windows``) and is left alone.
    On PostgreSQL the database recomputes the columns itself (``signoff_refresh_summary``: no
    application login may write them, so nobody can fake a flag or a live version).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.flush()
        session.execute(text("SELECT signoff_refresh_summary(:m)"), {"m": model_id})
        cached = session.get(Model, model_id)
        if cached is not None:
            session.expire(cached)
        return
    model = session.get(Model, model_id)
    if model is None:
        return
    session.flush()
    for column, value in summary_values(session, model).items():
        setattr(model, column, value)


#: the summary columns :func:`summary_values` computes (the stale flag is monitoring's)
SUMMARY_COLUMNS = (
    "latest_version",
    "latest_state",
    "version_count",
    "live_version",
    "flag_open_review",
    "review_waiting_since",
    "flag_dnu_consumed",
    "last_validated_at",
    "condition_due",
    "flag_dnu_used",
    "last_activity_at",
    "search_text",
)


def summary_values(session: Session, model: Model) -> dict[str, Any]:
    """The summary columns of *model* as the rules compute them from the stored facts, without
    writing them (``tests/pg`` compares them with what ``signoff_refresh_summary`` stored)."""
    model_id = model.id
    out: dict[str, Any] = {}
    latest = session.execute(
        select(Version.number, Version.state)
        .where(Version.model_id == model_id)
        .order_by(Version.number.desc())
        .limit(1)
    ).first()
    out["latest_version"], out["latest_state"] = (latest[0], latest[1]) if latest else (None, None)
    out["version_count"] = (
        session.scalar(select(func.count()).where(Version.model_id == model_id)) or 0
    )
    live = live_version_of(session, model_id)
    out["live_version"] = live.number if live else None
    waiting = session.scalar(
        select(func.min(Version.state_changed_at)).where(
            Version.model_id == model_id, Version.state == IN_REVIEW
        )
    )
    out["flag_open_review"] = waiting is not None
    out["review_waiting_since"] = waiting
    out["flag_dnu_consumed"] = _dnu_still_consumed(session, model_id, live.id if live else None)
    out["last_validated_at"] = last_validation(session, live.id) if live else None
    out["condition_due"] = earliest_condition_due(session, model_id)
    out["flag_dnu_used"] = _dnu_still_used(session, model_id)
    # the history's times: when versions were published and moved, and when decisions and
    # evidence were signed (an import or the demo back-dates those; the audit chain's own
    # recording time says when the registry learnt of them, which is not "activity")
    versions_of_model = select(Version.id).where(Version.model_id == model_id)
    activity = [
        session.scalar(
            select(func.max(Version.state_changed_at)).where(Version.model_id == model_id)
        ),
        session.scalar(select(func.max(Version.created_at)).where(Version.model_id == model_id)),
        session.scalar(
            select(func.max(Decision.at)).where(Decision.version_id.in_(versions_of_model))
        ),
        session.scalar(
            select(func.max(Evidence.at)).where(Evidence.version_id.in_(versions_of_model))
        ),
    ]
    known = [a for a in activity if a is not None]
    out["last_activity_at"] = max(known) if known else model.created_at
    out["search_text"] = " ".join(
        [model.name, model.title or "", model.owner or "", *(model.tags or [])]
    ).lower()
    return out


def _dnu_still_used(session: Session, model_id: int) -> bool:
    """Executions or predictions by a do-not-use version after its notice were flagged."""
    return (
        session.scalar(
            select(DoNotUseUse.id)
            .join(Version, Version.id == DoNotUseUse.version_id)
            .where(DoNotUseUse.model_id == model_id, Version.state == DO_NOT_USE)
            .limit(1)
        )
        is not None
    )


def _dnu_still_consumed(session: Session, model_id: int, live_version_id: int | None) -> bool:
    """A version marked do-not-use that a consumer still pins, or that is still live."""
    dnu_ids = set(
        session.scalars(
            select(Version.id).where(Version.model_id == model_id, Version.state == DO_NOT_USE)
        )
    )
    if not dnu_ids:
        return False
    consumers = session.execute(
        select(Consumer.pinned_version_id).where(
            Consumer.model_id == model_id, Consumer.active.is_(True)
        )
    ).all()
    for (pinned,) in consumers:
        if pinned in dnu_ids or (pinned is None and live_version_id in dnu_ids):
            return True
    return False
