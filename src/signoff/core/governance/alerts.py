"""Alerts: the one place model-risk management tells people something needs them.

An overdue condition, an overdue revalidation, an expired policy exception, a correction made
at attestation or an attestation reminder each become one :class:`Alert`. :func:`raise_alert`
records it once (an alert with the same *key* is never raised twice) as an audit event in the
caller's transaction, so it is in the trail with who raised it and when. The alert channels
(webhooks, mail) are wired here and nowhere else: a delivery mechanism needs only to replace
:func:`deliver` or to read the ``alert.raised`` events.
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
from signoff.core.db.schema import AuditEvent

log = logging.getLogger(__name__)

CONDITION_OVERDUE = "condition_overdue"
REVALIDATION_OVERDUE = "revalidation_overdue"
EXCEPTION_EXPIRED = "exception_expired"
ATTESTATION_REMINDER = "attestation_reminder"
ATTESTATION_CORRECTION = "attestation_correction"
KINDS = (
    CONDITION_OVERDUE,
    REVALIDATION_OVERDUE,
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
    deliver(alert)
    return True


def deliver(alert: Alert) -> None:
    """Send *alert* through the alert channels (until they exist: the log)."""
    who = ", ".join(alert.recipients) or "-"
    log.warning("alert (%s) for %s: %s", alert.kind, who, alert.message)


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


__all__ = ["Alert", "alerts_raised", "already_raised", "deliver", "raise_alert"]
