"""Reminders the service sends: to consumers that have not acknowledged a do-not-use notice,
and to the reviewers of a version whose review has waited too long.

Both are computed from the stored facts on each cycle and keyed deterministically, so running
them again, or on two instances at once, sends nothing twice:

* a consumer that has not acknowledged gets a ``do_not_use_reminder`` notice every
  ``every_days`` after the notice (key ``r<k>`` for the k-th reminder);
* a version waiting in review for more than ``review_days`` raises one ``review_overdue``
  alert for the model's owner and the reviewers of its tier (one per version and
  submission);
* model risk (:func:`alert_model_risk`): each overdue condition, overdue revalidation and
  expired exception raises one alert, and each owner still to attest in the open period one
  reminder a day, through the same alert system (the bell, e-mail through the outbox).

On PostgreSQL the reminders to consumers are queued by the database's
``signoff_remind_unacknowledged`` (the service logins may call it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text

from signoff.core.db import lifecycle as lc
from signoff.core.db.registry import Registry, db_now, pg_function_exists
from signoff.core.db.schema import (
    DO_NOT_USE,
    IN_REVIEW,
    AttestationPeriod,
    Consumer,
    Model,
    Version,
)
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
        if registry.dialect == "postgresql" and pg_function_exists(
            session, "signoff_remind_unacknowledged"
        ):
            # the database computes them from the same facts (the services may call it)
            return int(
                session.execute(
                    text("SELECT signoff_remind_unacknowledged(:d, :now)"),
                    {"d": every_days, "now": now},
                ).scalar_one()
            )
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


def alert_model_risk(registry: Registry, *, now: datetime | None = None) -> int:
    """Raise the model-risk alerts due now through the one alert system: overdue conditions,
    overdue revalidations and expired policy exceptions (once each), and a reminder to the
    owner of every model still to attest in the open attestation period (at most one per
    model and day); how many were raised."""
    from signoff.core.governance.attestations import remind_owners
    from signoff.core.governance.overdue import raise_overdue_alerts

    if not al.may_raise_alerts(registry):
        return 0
    with registry.write() as session:
        moment = now or db_now(session)
        raised = len(raise_overdue_alerts(session, moment, actor=registry.actor))
        period_open = session.scalar(
            select(AttestationPeriod.id).where(AttestationPeriod.closed_at.is_(None)).limit(1)
        )
        if period_open is not None:
            raised += len(remind_owners(session, actor=registry.actor, now=moment))
    return raised
