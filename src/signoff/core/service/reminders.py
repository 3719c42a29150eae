"""Reminders the service sends: to consumers that have not acknowledged a do-not-use notice,
and to the reviewers of a version whose review has waited too long.

Both are computed from the stored facts on each cycle and keyed deterministically, so running
them again, or on two instances at once, sends nothing twice:

* a consumer that has not acknowledged gets a ``do_not_use_reminder`` notice every
  ``every_days`` after the notice (key ``r<k>`` for the k-th reminder);
* a version waiting in review for more than ``review_days`` raises one ``review_overdue``
  alert for the model's owner and the reviewers of its tier (one per version and
  submission).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from signoff.core.db import lifecycle as lc
from signoff.core.db.registry import Registry, db_now
from signoff.core.db.schema import DO_NOT_USE, IN_REVIEW, Consumer, Model, Version
from signoff.core.notifications import alerts as al
from signoff.core.notifications.acks import acks_of_version
from signoff.core.notifications.notices import REMINDER, do_not_use_reason, replacement_fields
from signoff.core.notifications.outbox import queue_for_consumers
from signoff.core.notifications.usage import notice_time

REMINDER_DAYS = 7.0
REVIEW_DAYS = 14.0


def remind_unacknowledged(
    registry: Registry, every_days: float = REMINDER_DAYS, *, now: datetime | None = None
) -> int:
    """Queue the reminders due to consumers that have not acknowledged; how many were queued.

    *now* overrides the database's clock (tests)."""
    queued = 0
    with registry.write() as session:
        now = now or db_now(session)
        unusable = session.scalars(select(Version).where(Version.state == DO_NOT_USE)).all()
        for version in unusable:
            notice = notice_time(session, version.id)
            if notice is None:
                continue
            days = (now - notice).total_seconds() / 86400
            due = int(days // every_days)
            if due < 1:
                continue
            acked = acks_of_version(session, version.id)
            waiting = set(
                session.scalars(
                    select(Consumer.id).where(
                        Consumer.model_id == version.model_id, Consumer.active.is_(True)
                    )
                )
            ) - set(acked)
            if not waiting:
                continue
            queued += len(
                queue_for_consumers(
                    session,
                    version,
                    REMINDER,
                    payload={
                        "reason": do_not_use_reason(session, version.id),
                        **replacement_fields(session, version.model_id, version.id),
                        "days_since_notice": int(days),
                        "reminder": due,
                        "must_acknowledge": True,
                    },
                    only_consumer_ids=waiting,
                    key_suffix=f"r{due}",
                )
            )
    return queued


def alert_overdue_reviews(
    registry: Registry, review_days: float = REVIEW_DAYS, *, now: datetime | None = None
) -> int:
    """Raise a ``review_overdue`` alert for each review waiting too long; how many were raised.

    *now* overrides the database's clock (tests)."""
    if not al.may_raise_alerts(registry):
        return 0
    raised = 0
    with registry.write() as session:
        now = now or db_now(session)
        waiting = session.execute(
            select(Version, Model)
            .join(Model, Model.id == Version.model_id)
            .where(Version.state == IN_REVIEW)
        ).all()
        for version, model in waiting:
            since = version.state_changed_at
            if since is None or (now - since).total_seconds() < review_days * 86400:
                continue
            days = int((now - since).total_seconds() // 86400)
            people = al.responsible_people(
                session, model, roles=al.tier_roles(session, model.risk_tier, (lc.PRODUCTION_USE,))
            )
            alert_id = al.raise_alert(
                session,
                al.REVIEW_OVERDUE,
                version.label,
                people,
                title=f"The review of {version.label} has waited {days} days",
                body=f"Submitted {since:%Y-%m-%d}; the {model.risk_tier} tier's reviewers have "
                f"not completed the production-use gate.",
                severity="warning",
                model_id=model.id,
                version_id=version.id,
                dedupe_key=f"review-overdue-{version.id}-{since:%Y%m%d%H%M%S}",
                actor=registry.actor,
            )
            raised += alert_id is not None
    return raised
