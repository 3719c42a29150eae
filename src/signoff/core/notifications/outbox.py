"""Notifications to a model's consumers: an outbox written with the event, then delivered.

:func:`queue_for_consumers` writes one outbox row per consumer and channel (webhook, e-mail)
inside the caller's transaction, so a notification exists exactly when the change that causes
it was committed; :func:`queue_alert_email` does the same for an alert to a person; a crash
between commit and delivery only delays the message. Delivering them (leases, signed POSTs,
e-mails, retries with backoff) is :mod:`signoff.core.notifications.delivery`, whose names are
importable from here too; the Consumers page's view of the outbox is at the end of this module.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.db.registry import db_now
from signoff.core.db.schema import (
    DO_NOT_USE,
    LIVE,
    Alert,
    Consumer,
    Model,
    OutboxMessage,
    Version,
)
from signoff.core.notifications.consumers import save_consumer as _save_consumer
from signoff.core.notifications.delivery import (  # noqa: F401 - re-exported: callers import them from here
    DELIVERED,
    EMAIL,
    EVENT_HEADER,
    FAILED,
    IDEMPOTENCY_HEADER,
    NO_ENDPOINT,
    PENDING,
    SIGNATURE_HEADER,
    WEBHOOK,
    DeliveryReport,
    RetryPolicy,
    deliver_due,
    deliverer_id,
    may_deliver,
    sign,
    verify_signature,
)
from signoff.core.notifications.notices import (
    ALERT,
    DO_NOT_USE_EVENT,
    EVENTS,
    REPLACEMENT_LIVE,
    do_not_use_reason,
    replacement_of,
)

log = logging.getLogger(__name__)


def _message_key(event: str, version_id: int, consumer_id: int, suffix: str | None) -> str:
    return f"signoff-{event}-{version_id}-{consumer_id}-{suffix or uuid.uuid4().hex[:12]}"


def queue_for_consumers(
    session: Session,
    version: Version,
    event: str,
    *,
    payload: dict[str, Any] | None = None,
    only_consumer_ids: set[int] | None = None,
    key_suffix: str | None = None,
) -> list[OutboxMessage]:
    """Queue *event* about *version* for every active consumer of its model (same transaction).

    One row per channel of each consumer: its webhook and its e-mail address (a consumer with
    neither gets one row marked ``no_endpoint``, so the Consumers page shows who could not be
    told). *key_suffix* makes the idempotency keys deterministic (a reminder computed twice
    is queued once); by default each call's keys are new.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    consumers = session.scalars(
        select(Consumer)
        .where(Consumer.model_id == version.model_id, Consumer.active.is_(True))
        .order_by(Consumer.id)
    )
    now = db_now(session)
    messages = []
    for consumer in consumers:
        if only_consumer_ids is not None and consumer.id not in only_consumer_ids:
            continue
        base = _message_key(event, version.id, consumer.id, key_suffix)
        channels = [WEBHOOK] if consumer.webhook_url else []
        if consumer.email:
            channels.append(EMAIL)
        for channel in channels or [WEBHOOK]:
            key = base + ("-email" if channel == EMAIL else "")
            if key_suffix is not None and session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)
            ):
                continue  # queued already (a job computed twice)
            body = {
                "event": event,
                "model": version.model.name,
                "version": version.number,
                "version_id": version.id,
                "manifest_hash": version.manifest_hash,
                "state": version.state,
                "consumer": consumer.name,
                "idempotency_key": key,
                "at": now.isoformat(timespec="microseconds"),
                **(payload or {}),
            }
            reachable = bool(channels)
            message = OutboxMessage(
                consumer_id=consumer.id,
                channel=channel,
                recipient=consumer.email if channel == EMAIL else "",
                event=event,
                payload=body,
                idempotency_key=key,
                next_attempt_at=now,
                created_at=now,
                state=PENDING if reachable else NO_ENDPOINT,
                last_error="" if reachable else "the consumer has no webhook URL or e-mail",
            )
            session.add(message)
            messages.append(message)
    session.flush()
    return messages


def queue_follow_ups(session: Session, live: Version) -> int:
    """After *live* went live: the follow-up notice (``replacement_live``) to every consumer
    told that a version of this model must not be used while no replacement was live yet.

    Sent once per do-not-use version; returns how many messages were queued.
    """
    queued = 0
    unusable = session.scalars(
        select(Version).where(
            Version.model_id == live.model_id, Version.state == DO_NOT_USE, Version.id != live.id
        )
    ).all()
    for version in unusable:
        told = session.execute(
            select(OutboxMessage.event, OutboxMessage.consumer_id, OutboxMessage.payload)
            .join(Consumer, Consumer.id == OutboxMessage.consumer_id)
            .where(
                Consumer.model_id == live.model_id,
                OutboxMessage.event.in_((DO_NOT_USE_EVENT, REPLACEMENT_LIVE)),
            )
        ).all()
        mine = [(e, c, p) for e, c, p in told if p.get("version_id") == version.id]
        if any(e == REPLACEMENT_LIVE for e, _c, _p in mine):
            continue  # followed up already
        waiting = {c for e, c, p in mine if e == DO_NOT_USE_EVENT and p.get("replacement") is None}
        if not waiting:
            continue
        queued += len(
            queue_for_consumers(
                session,
                version,
                REPLACEMENT_LIVE,
                payload={
                    "reason": do_not_use_reason(session, version.id),
                    "replacement": replacement_of(live.id, live.number, live.manifest_hash),
                    "replacement_status": LIVE,
                    "must_acknowledge": True,
                },
                only_consumer_ids=waiting,
            )
        )
    return queued


def queue_alert_email(
    session: Session, alert: Alert, person: str, address: str, model: str | None
) -> OutboxMessage | None:
    """Queue the e-mail of *alert* to *person* at *address* (once per alert and person)."""
    key = f"signoff-alert-{alert.id}-{person}"[:100]
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)):
        return None
    now = db_now(session)
    body = {
        "event": ALERT,
        "alert_id": alert.id,
        "kind": alert.kind,
        "severity": alert.severity,
        "title": alert.title,
        "body": alert.body,
        "subject": alert.subject,
        "model": model,
        "version_id": alert.version_id,
        "person": person,
        "idempotency_key": key,
        "at": now.isoformat(timespec="microseconds"),
    }
    message = OutboxMessage(
        consumer_id=None,
        channel=EMAIL,
        recipient=address,
        person=person,
        alert_id=alert.id,
        event=ALERT,
        payload=body,
        idempotency_key=key,
        next_attempt_at=now,
        created_at=now,
        state=PENDING,
        last_error="",
    )
    session.add(message)
    session.flush()
    return message


def save_consumer(session: Session, model: Model, name: str, **fields: Any) -> Consumer:
    """Create or update a consumer; see :func:`.consumers.save_consumer`, which it calls."""
    return _save_consumer(session, model, name, **fields)


@dataclass(frozen=True)
class DeliveryRow:
    """One notification as the Consumers page shows it."""

    id: int
    model: str
    consumer: str
    webhook_url: str
    event: str
    version: int | None
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
    channel: str = WEBHOOK
    recipient: str = ""
    person: str = ""

    @property
    def to(self) -> str:
        """Who it goes to: the consumer, or the person an alert is for."""
        return self.consumer or self.person


def delivery_rows(
    session: Session, *, model_name: str | None = None, limit: int = 500
) -> list[DeliveryRow]:
    """Notifications newest first, optionally for one model, with consumer and state
    (alert e-mails to people included when no model is asked for)."""
    stmt = (
        select(OutboxMessage, Consumer, Model.name)
        .outerjoin(Consumer, Consumer.id == OutboxMessage.consumer_id)
        .outerjoin(Model, Model.id == Consumer.model_id)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    if model_name:
        stmt = stmt.where(Model.name == model_name)
    return [
        DeliveryRow(
            m.id,
            name or str(m.payload.get("model") or ""),
            c.name if c is not None else "",
            (c.webhook_url or "") if c is not None else "",
            m.event,
            m.payload.get("version"),
            m.state,
            m.attempts,
            m.next_attempt_at,
            m.last_error,
            m.created_at,
            m.delivered_at,
            m.channel,
            m.recipient,
            m.person,
        )
        for m, c, name in session.execute(stmt).all()
    ]


def consumer_overview(session: Session) -> tuple[list[dict[str, Any]], list[DeliveryRow]]:
    """Every consumer with its latest notification state, and the recent deliveries."""
    consumers = []
    rows = session.execute(
        select(Consumer, Model.name, Version.number)
        .join(Model, Model.id == Consumer.model_id)
        .outerjoin(Version, Version.id == Consumer.pinned_version_id)
        .order_by(Model.name, Consumer.name)
    ).all()
    for consumer, model_name, pinned in rows:
        last = session.execute(
            select(OutboxMessage.event, OutboxMessage.state)
            .where(OutboxMessage.consumer_id == consumer.id)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        ).first()
        consumers.append(
            {
                "id": consumer.id,
                "model": model_name,
                "name": consumer.name,
                "kind": consumer.kind,
                "pinned": pinned,
                "webhook": consumer.webhook_url or "",
                "email": consumer.email,
                "contact": consumer.contact,
                "active": consumer.active,
                "last": f"{last[0].replace('_', ' ')}: {last[1].replace('_', ' ')}" if last else "",
                "last_state": last[1] if last else None,
            }
        )
    return consumers, delivery_rows(session, limit=500)
