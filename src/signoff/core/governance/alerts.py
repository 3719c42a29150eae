"""Model-risk alerts: an overdue condition or revalidation, an expired policy exception, an
attestation reminder or correction, through the one alert system.

Each becomes one :class:`Alert`. :func:`raise_alert` records it once (an alert with the same
*key* is never raised twice) as an ``alert.raised`` audit event in the caller's transaction,
and hands it to :func:`signoff.core.notifications.alerts.raise_alert` with the same key: the
people it names (logins, or roles such as ``admin``) see it under the bell and get it by
e-mail through the outbox, like every other alert. A login that may not raise alerts on a
shared PostgreSQL registry (only the service logins, reviewers and admins may) records the
event only; the service's fan-out is the one that tells people then
(:func:`signoff.core.notifications.fanout.fan_out_alerts` reads ``alert.raised`` events).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.db.schema import AuditEvent, Model
from signoff.core.notifications import alerts as al

log = logging.getLogger(__name__)

CONDITION_OVERDUE = "condition_overdue"
REVALIDATION_OVERDUE = "revalidation_overdue"
REVALIDATION_DUE = "revalidation_due"
EXCEPTION_EXPIRED = "exception_expired"
ATTESTATION_REMINDER = "attestation_reminder"
ATTESTATION_CORRECTION = "attestation_correction"
KINDS = (
    CONDITION_OVERDUE,
    REVALIDATION_OVERDUE,
    REVALIDATION_DUE,
    EXCEPTION_EXPIRED,
    ATTESTATION_REMINDER,
    ATTESTATION_CORRECTION,
)


@dataclass(frozen=True)
class Alert:
    """Something a person must act on: what, about which model, for whom, in words."""

    kind: str
    key: str  # the same key is never raised twice
    model: str
    message: str
    recipients: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "model": self.model,
            "message": self.message,
            "recipients": list(self.recipients),
            "details": self.details,
        }


def already_raised(session: Session, key: str) -> bool:
    """Whether an alert with *key* is in the trail already."""
    return (
        session.scalar(
            select(AuditEvent.seq)
            .where(AuditEvent.action == events.ALERT_RAISED, AuditEvent.entity_id == key)
            .limit(1)
        )
        is not None
    )


#: what each kind says in an alert's title, and how urgent it is
KIND_WORDS = al.RISK_KIND_WORDS


def raise_alert(session: Session, alert: Alert, *, actor: str, model_id: int | None = None) -> bool:
    """Record *alert* once, in the caller's transaction, and hand it to the channels.

    Returns False when an alert with the same key was raised before (nothing is written).
    """
    if alert.kind not in KINDS:
        raise ValueError(f"unknown alert kind {alert.kind!r}")
    if already_raised(session, alert.key):
        return False
    append_event(
        session,
        actor=actor,
        action=events.ALERT_RAISED,
        entity_type="alert",
        entity_id=alert.key,
        model_id=model_id,
        payload=alert.to_json(),
    )
    deliver(session, alert, actor=actor, model_id=model_id)
    return True


def recipients_of(session: Session, alert: Alert) -> list[str]:
    """The people *alert* names: its logins, and everyone holding the roles it names."""
    return al.expand_people(session, alert.recipients)


def deliver(
    session: Session, alert: Alert, *, actor: str = "", model_id: int | None = None
) -> int | None:
    """Send *alert* through the alert channels (the bell, e-mail through the outbox) under
    its own key; the stored alert's id, or None (raised before, or this login may not)."""
    if not al.may_raise_in(session):
        log.info("alert %s recorded; the service tells the people (%s)", alert.key, actor)
        return None
    if model_id is None and alert.model:
        model_id = session.scalar(select(Model.id).where(Model.name == alert.model))
    words, severity = KIND_WORDS[alert.kind]
    return al.raise_alert(
        session,
        alert.kind,
        alert.model,
        recipients_of(session, alert),
        title=f"{alert.model}: {words}" if alert.model else words,
        body=alert.message,
        severity=severity,
        model_id=model_id,
        payload={"key": alert.key, **alert.details},
        dedupe_key=alert.key,
        actor=actor,
    )


def alerts_raised(session: Session, model_id: int | None = None, limit: int = 200) -> list[Alert]:
    """The alerts in the trail, newest first (of one model, or all)."""
    stmt = select(AuditEvent).where(AuditEvent.action == events.ALERT_RAISED)
    if model_id is not None:
        stmt = stmt.where(AuditEvent.model_id == model_id)
    out = []
    for event in session.scalars(stmt.order_by(AuditEvent.seq.desc()).limit(limit)):
        try:
            data = json.loads(event.payload)
        except ValueError:
            continue
        out.append(
            Alert(
                str(data.get("kind", "")),
                str(data.get("key", event.entity_id)),
                str(data.get("model", "")),
                str(data.get("message", "")),
                tuple(data.get("recipients") or ()),
                dict(data.get("details") or {}),
            )
        )
    return out


__all__ = [
    "KIND_WORDS",
    "Alert",
    "alerts_raised",
    "already_raised",
    "deliver",
    "raise_alert",
    "recipients_of",
]
