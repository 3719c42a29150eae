"""Notifications to a model's consumers: an outbox written with the event, then delivered.

:func:`queue_for_consumers` writes one outbox row per consumer inside the caller's
transaction, so a notification exists exactly when the change that causes it was committed.
:func:`deliver_due` (run by ``signoff notify`` and periodically by the GUI's worker) claims
due rows, POSTs them as JSON signed with HMAC-SHA256 under the consumer's secret and with an
idempotency key, and records the outcome. A URL must pass the rules of
:mod:`signoff.core.notifications.webhooks` when it is saved and again at each delivery, and a
redirect is a failed attempt, never followed. Failures are retried with exponential backoff; a
crash between commit and delivery only delays the message, and a crash between a successful
POST and recording it re-sends with the same idempotency key, which the consumer uses to
drop the duplicate.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event, canonical_json
from signoff.core.catalog.summary import refresh_model_summary
from signoff.core.common.retry import Backoff
from signoff.core.common.text import BLANKS, name_problem
from signoff.core.db.registry import Registry, db_now
from signoff.core.db.schema import Consumer, ConsumerSecret, Model, OutboxMessage, Version
from signoff.core.notifications.webhooks import (
    WebhookURLError,
    allowed_webhook_hosts,
    check_webhook_url,
    post_webhook,
    redirect_refusal,
)

log = logging.getLogger(__name__)

PENDING, DELIVERED, FAILED, NO_ENDPOINT = "pending", "delivered", "failed", "no_endpoint"
EVENTS = ("do_not_use", "went_live", "superseded", "retired")
SIGNATURE_HEADER = "X-Signoff-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
EVENT_HEADER = "X-Signoff-Event"


@dataclass(frozen=True)
class RetryPolicy:
    """How delivery retries: first delay, growth factor, ceiling, and when to give up."""

    base_seconds: float = 5.0
    factor: float = 2.0
    max_seconds: float = 3600.0
    max_attempts: int = 12
    timeout_seconds: float = 5.0
    lease_seconds: float = 60.0

    def delay_after(self, attempts: int) -> float:
        """Seconds to wait after the *attempts*-th failed attempt (1-based)."""
        return Backoff(self.base_seconds, self.factor, self.max_seconds).delay(attempts)


def sign(secret: str, body: bytes) -> str:
    """The signature header value for *body*: ``sha256=<hex HMAC-SHA256 under secret>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """True when *header* is the valid signature of *body* under *secret* (for consumers)."""
    return hmac.compare_digest(sign(secret, body), header or "")


def queue_for_consumers(
    session: Session,
    version: Version,
    event: str,
    *,
    payload: dict[str, Any] | None = None,
    only_consumer_ids: set[int] | None = None,
) -> list[OutboxMessage]:
    """Queue *event* about *version* for every active consumer of its model (same transaction)."""
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
        key = f"signoff-{event}-{version.id}-{consumer.id}-{uuid.uuid4().hex[:12]}"
        body = {
            "event": event,
            "model": version.model.name,
            "version": version.number,
            "version_id": version.id,
            "manifest_hash": version.manifest_hash,
            "state": version.state,
            "consumer": consumer.name,
            "idempotency_key": key,
            "at": now.isoformat(),
            **(payload or {}),
        }
        message = OutboxMessage(
            consumer_id=consumer.id,
            event=event,
            payload=body,
            idempotency_key=key,
            next_attempt_at=now,
            created_at=now,
            state=PENDING if consumer.webhook_url else NO_ENDPOINT,
            last_error="" if consumer.webhook_url else "the consumer has no webhook URL",
        )
        session.add(message)
        messages.append(message)
    session.flush()
    return messages


def save_consumer(
    session: Session,
    model: Model,
    name: str,
    *,
    actor: str,
    webhook_url: str | None = None,
    secret: str = "",
    kind: str = "batch",
    contact: str = "",
    pinned_version: Version | None = None,
    active: bool = True,
) -> Consumer:
    """Create or update a consumer of *model* (by name); audited. The secret is never logged.

    A webhook URL that breaks the rules of :mod:`signoff.core.notifications.webhooks` is
    refused with WebhookURLError (a ValueError) naming the rule; a name, contact or kind with
    control or invisible characters is refused too.
    """
    name = name.strip(BLANKS)
    if not name:
        raise ValueError("a consumer needs a name")
    for what, value, limit in (("name", name, 200), ("contact", contact, 300), ("kind", kind, 40)):
        problem = name_problem(value, limit)
        if problem:
            raise ValueError(f"the consumer's {what} {value!r} {problem}")
    if webhook_url:
        check_webhook_url(webhook_url, allowed_webhook_hosts(session))
    if pinned_version is not None and pinned_version.model_id != model.id:
        raise ValueError("the pinned version belongs to another model")
    consumer = session.scalar(
        select(Consumer).where(Consumer.model_id == model.id, Consumer.name == name)
    )
    created = consumer is None
    if consumer is None:
        consumer = Consumer(model_id=model.id, name=name)
        session.add(consumer)
    consumer.webhook_url = webhook_url or None
    consumer.kind, consumer.contact, consumer.active = kind, contact, active
    consumer.pinned_version_id = pinned_version.id if pinned_version else None
    session.flush()
    stored = session.get(ConsumerSecret, consumer.id)
    if stored is None:
        session.add(ConsumerSecret(consumer_id=consumer.id, secret=secret))
    elif stored.secret != secret:
        stored.secret = secret
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        # the database audits consumer changes itself (and never records the secret)
        refresh_model_summary(session, model.id)
        return consumer
    append_event(
        session,
        actor=actor,
        action=events.CONSUMER_ADDED if created else events.CONSUMER_CHANGED,
        entity_type="consumer",
        entity_id=f"{model.name}/{name}",
        model_id=model.id,
        payload={
            "webhook_url": consumer.webhook_url,
            "kind": kind,
            "contact": contact,
            "pinned_version": pinned_version.number if pinned_version else None,
            "active": active,
            "has_secret": bool(secret),
        },
    )
    refresh_model_summary(session, model.id)
    return consumer


@dataclass
class DeliveryReport:
    """What one pass of the deliverer did."""

    delivered: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return len(self.delivered) + len(self.retrying) + len(self.failed)

    def describe(self) -> str:
        return (
            f"{len(self.delivered)} delivered, {len(self.retrying)} to retry, "
            f"{len(self.failed)} given up"
        )


@dataclass(frozen=True)
class _Claim:
    id: int
    url: str
    secret: str
    event: str
    key: str
    body: bytes
    attempts: int
    consumer: str
    allowed_hosts: frozenset[str] = frozenset()


def _claim_due(
    registry: Registry, now: datetime | None, limit: int, retry: RetryPolicy
) -> list[_Claim]:
    """Take a lease on due messages so a second deliverer (GUI and CLI) skips them."""
    with registry.write() as session:
        clock = now or db_now(session)
        stmt = (
            select(OutboxMessage, Consumer, ConsumerSecret.secret)
            .join(Consumer, Consumer.id == OutboxMessage.consumer_id)
            .outerjoin(ConsumerSecret, ConsumerSecret.consumer_id == Consumer.id)
            .where(OutboxMessage.state == PENDING, OutboxMessage.next_attempt_at <= clock)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if registry.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=OutboxMessage)
        claims = []
        allowed = allowed_webhook_hosts(session)
        for message, consumer, secret in session.execute(stmt).all():
            message.attempts += 1
            message.next_attempt_at = clock + timedelta(seconds=retry.lease_seconds)
            claims.append(
                _Claim(
                    message.id,
                    consumer.webhook_url or "",
                    secret or "",
                    message.event,
                    message.idempotency_key,
                    canonical_json(message.payload).encode(),
                    message.attempts,
                    consumer.name,
                    allowed,
                )
            )
        return claims


def _post(claim: _Claim, retry: RetryPolicy) -> str | None:
    """POST one message; None on success (2xx), else the error in words."""
    headers = {
        "Content-Type": "application/json",
        IDEMPOTENCY_HEADER: claim.key,
        EVENT_HEADER: claim.event,
        SIGNATURE_HEADER: sign(claim.secret, claim.body),
        "User-Agent": "signoff-notify",
    }
    try:
        response = post_webhook(
            claim.url, claim.body, headers, retry.timeout_seconds, claim.allowed_hosts
        )
    except WebhookURLError as exc:
        return str(exc)[:500]
    except requests.RequestException as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    with response:
        if 200 <= response.status_code < 300:
            return None
        if 300 <= response.status_code < 400:
            return redirect_refusal(response)[:500]
        return f"HTTP {response.status_code}: {response.text[:200]}"


def _record(
    registry: Registry,
    claim: _Claim,
    error: str | None,
    now: datetime | None,
    retry: RetryPolicy,
    report: DeliveryReport,
) -> None:
    with registry.write() as session:
        message = session.get(OutboxMessage, claim.id)
        if message is None or message.state != PENDING:
            return
        clock = now or db_now(session)
        consumer = session.get(Consumer, message.consumer_id)
        if error is None:
            message.state, message.delivered_at, message.last_error = DELIVERED, clock, ""
            report.delivered.append(claim.id)
            action = events.NOTIFICATION_DELIVERED
        elif claim.attempts >= retry.max_attempts:
            message.state, message.last_error = FAILED, error
            report.failed.append(claim.id)
            action = events.NOTIFICATION_FAILED
        else:
            message.last_error = error
            message.next_attempt_at = clock + timedelta(seconds=retry.delay_after(claim.attempts))
            report.retrying.append(claim.id)
            log.info(
                "delivery to %s failed (%s); retry at %s",
                claim.consumer,
                error,
                message.next_attempt_at,
            )
            return
        append_event(
            session,
            actor=registry.actor,
            action=action,
            entity_type="notification",
            entity_id=claim.key,
            model_id=consumer.model_id if consumer else None,
            version_id=message.payload.get("version_id"),
            payload={
                "consumer": claim.consumer,
                "event": claim.event,
                "attempts": claim.attempts,
                "error": error or "",
            },
        )


def may_deliver(registry: Registry) -> bool:
    """Whether this login delivers notifications: always on SQLite; on a shared PostgreSQL
    registry only the notifier service login and admins may read the webhook secrets; never
    on a registry open read-only (delivering records each attempt)."""
    if registry.read_only:
        return False
    if registry.dialect != "postgresql":
        return True
    with registry.read() as session:
        return bool(
            session.execute(
                text(
                    "SELECT has_table_privilege(current_user, 'consumer_secrets', 'SELECT') "
                    "AND has_column_privilege(current_user, 'outbox', 'state', 'UPDATE')"
                )
            ).scalar_one()
        )


def deliver_due(
    registry: Registry,
    *,
    now: datetime | None = None,
    limit: int = 50,
    retry: RetryPolicy | None = None,
) -> DeliveryReport:
    """Deliver every due outbox message once; returns what was delivered, retried, given up.

    *now* overrides the clock (tests of backoff); by default the database's time.
    """
    retry = retry or RetryPolicy()
    report = DeliveryReport()
    if not may_deliver(registry):
        return report
    for claim in _claim_due(registry, now, limit, retry):
        error = _post(claim, retry)
        _record(registry, claim, error, now, retry, report)
    if report.attempted:
        log.info("notify: %s", report.describe())
    return report


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


def delivery_rows(
    session: Session, *, model_name: str | None = None, limit: int = 500
) -> list[DeliveryRow]:
    """Notifications newest first, optionally for one model, with consumer and state."""
    stmt = (
        select(OutboxMessage, Consumer, Model.name)
        .join(Consumer, Consumer.id == OutboxMessage.consumer_id)
        .join(Model, Model.id == Consumer.model_id)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    if model_name:
        stmt = stmt.where(Model.name == model_name)
    return [
        DeliveryRow(
            m.id,
            name,
            c.name,
            c.webhook_url or "",
            m.event,
            m.payload.get("version"),
            m.state,
            m.attempts,
            m.next_attempt_at,
            m.last_error,
            m.created_at,
            m.delivered_at,
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
                "model": model_name,
                "name": consumer.name,
                "kind": consumer.kind,
                "pinned": pinned,
                "webhook": consumer.webhook_url or "",
                "contact": consumer.contact,
                "active": consumer.active,
                "last": f"{last[0].replace('_', ' ')}: {last[1].replace('_', ' ')}" if last else "",
                "last_state": last[1] if last else None,
            }
        )
    return consumers, delivery_rows(session, limit=500)
