"""Delivering the outbox: leases, signed webhook POSTs, e-mails, retries with backoff.

:func:`deliver_due` (run by ``signoff serve``, ``signoff notify`` and periodically by the GUI's
worker) takes a lease on one due row at a time, POSTs it as JSON signed with HMAC-SHA256 under
the consumer's secret and with an idempotency key (or e-mails it, the same JSON attached and
signed), and records the outcome; only the lease holder may record it, so two deliverers never
both deliver one message. A URL must pass the rules of
:mod:`signoff.core.notifications.webhooks` again at each delivery, and a redirect is a failed
attempt, never followed. A crash between a successful POST and recording it re-sends with the
same idempotency key, which the consumer uses to drop the duplicate. What is queued, and when,
is :mod:`signoff.core.notifications.outbox`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests
from sqlalchemy import select, text

from signoff.core.audit import events
from signoff.core.audit.chain import append_event, canonical_json
from signoff.core.common.retry import Backoff
from signoff.core.db.registry import Registry, db_now
from signoff.core.db.schema import (
    Consumer,
    ConsumerSecret,
    OutboxMessage,
)
from signoff.core.notifications.acks import ack_key, ack_url, public_url
from signoff.core.notifications.email import (
    EmailError,
    SmtpSettings,
    compose,
    send,
    smtp_settings,
)
from signoff.core.notifications.notices import (
    ACK_EVENTS,
    notice_text,
    subject_line,
)
from signoff.core.notifications.webhooks import (
    WebhookURLError,
    allowed_webhook_hosts,
    post_webhook,
    redirect_refusal,
)

log = logging.getLogger(__name__)

PENDING, DELIVERED, FAILED, NO_ENDPOINT = "pending", "delivered", "failed", "no_endpoint"
WEBHOOK, EMAIL = "webhook", "email"
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
    """True when *header* is the valid signature of *body* under *secret* (for consumers).

    Surrounding whitespace is ignored: an e-mail header this long arrives folded."""
    return hmac.compare_digest(sign(secret, body), (header or "").strip())


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
    channel: str
    url: str
    recipient: str
    secret: str
    event: str
    key: str
    body: bytes
    attempts: int
    consumer: str
    person: str
    holder: str
    ack_url: str = ""
    allowed_hosts: frozenset[str] = frozenset()


def deliverer_id() -> str:
    """A name for this deliverer, unique per call: host, process and a random part."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _claim_due(
    registry: Registry,
    now: datetime | None,
    limit: int,
    retry: RetryPolicy,
    holder: str,
    email_ready: bool,
) -> list[_Claim]:
    """Take a lease on due messages: a second deliverer (another ``signoff serve``, a GUI)
    skips them until the lease ends, and only the holder may record the outcome."""
    with registry.write() as session:
        clock = now or db_now(session)
        stmt = (
            select(OutboxMessage, Consumer, ConsumerSecret.secret)
            .outerjoin(Consumer, Consumer.id == OutboxMessage.consumer_id)
            .outerjoin(ConsumerSecret, ConsumerSecret.consumer_id == OutboxMessage.consumer_id)
            .where(OutboxMessage.state == PENDING, OutboxMessage.next_attempt_at <= clock)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if not email_ready:  # e-mails wait for an SMTP server rather than failing
            stmt = stmt.where(OutboxMessage.channel != EMAIL)
        if registry.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=OutboxMessage)
        rows = session.execute(stmt).all()
        if not rows:
            return []
        allowed = allowed_webhook_hosts(session)
        needs_ack = any(m.event in ACK_EVENTS for m, _c, _s in rows)
        key = ack_key(session) if needs_ack else ""
        base = public_url(session) if needs_ack else ""
        claims = []
        for message, consumer, secret in rows:
            message.attempts += 1
            message.next_attempt_at = clock + timedelta(seconds=retry.lease_seconds)
            message.claimed_by = holder
            payload = dict(message.payload)
            link = ""
            if message.event in ACK_EVENTS and consumer is not None:
                link = ack_url(base, key, consumer.id, int(payload.get("version_id") or 0))
                payload["ack_url"] = link
            claims.append(
                _Claim(
                    message.id,
                    message.channel,
                    (consumer.webhook_url or "") if consumer is not None else "",
                    message.recipient,
                    secret or "",
                    message.event,
                    message.idempotency_key,
                    canonical_json(payload).encode(),
                    message.attempts,
                    consumer.name if consumer is not None else "",
                    message.person,
                    holder,
                    link,
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


def _mail(claim: _Claim, smtp: SmtpSettings) -> str | None:
    """Send one message by e-mail; None on success, else the error in words."""
    body = json.loads(claim.body)
    message = compose(
        smtp,
        to=claim.recipient,
        subject=subject_line(body),
        text=notice_text(body, claim.ack_url),
        key=claim.key,
        event=claim.event,
        attachment=claim.body,
        # a consumer verifies a notice as it would a webhook; a person's alert is not signed
        signature=sign(claim.secret, claim.body) if claim.consumer else "",
    )
    try:
        send(smtp, message)
    except EmailError as exc:
        return str(exc)[:500]
    return None


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
        if message is None or message.state != PENDING or message.claimed_by != claim.holder:
            return  # delivered or taken over by another deliverer after the lease ended
        clock = now or db_now(session)
        consumer = session.get(Consumer, message.consumer_id) if message.consumer_id else None
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
                claim.consumer or claim.person,
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
                "person": claim.person,
                "channel": claim.channel,
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
    holder: str | None = None,
) -> DeliveryReport:
    """Deliver every due outbox message once; returns what was delivered, retried, given up.

    Webhooks are POSTed, e-mails sent through the registry's SMTP server (they wait while
    none is configured). *now* overrides the clock (tests of backoff); by default the
    database's time. *holder* names this deliverer in the leases it takes.
    """
    retry = retry or RetryPolicy()
    report = DeliveryReport()
    if not may_deliver(registry):
        return report
    with registry.read() as session:
        smtp = smtp_settings(session)
    holder = holder or deliverer_id()
    for _ in range(limit):
        # one message per lease: a lease covers one attempt (bounded by the timeout), never
        # a batch that could outlast it and be taken over while still being sent
        claims = _claim_due(registry, now, 1, retry, holder, smtp.configured)
        if not claims:
            break
        claim = claims[0]
        error = _mail(claim, smtp) if claim.channel == EMAIL else _post(claim, retry)
        _record(registry, claim, error, now, retry, report)
    if report.attempted:
        log.info("notify: %s", report.describe())
    return report
