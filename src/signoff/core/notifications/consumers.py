"""Consumers as records: who uses which model and version, and how to reach them.

A consumer is a process or team (``billing``, ``retention-campaigns``) registered against each
model it uses, pinned to one version or following what is live, with its channels: a webhook,
an e-mail address, or both. The same name across models is the same consumer, so
``signoff consumers show billing`` lists every model and version it consumes. Changing one
field never touches the others (re-pinning keeps the contact, kind and channels), removing a
consumer keeps its history (it becomes inactive), and every change is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.catalog.summary import refresh_model_summary
from signoff.core.common.errors import NotFoundError
from signoff.core.common.text import BLANKS, name_problem
from signoff.core.db.schema import Consumer, ConsumerSecret, Model, Version
from signoff.core.notifications.webhooks import allowed_webhook_hosts, check_webhook_url

#: "leave this field as it is" (None means "clear it" for the optional fields)
KEEP: Any = object()
KINDS = ("batch", "online", "report", "team", "other")
_EMAIL = re.compile(r"^[^@\s,<>]+@[^@\s,<>]+\.[^@\s,<>]+$")


class ConsumerError(ValueError):
    """A consumer record that cannot be saved as asked (the words say why)."""


def check_email(address: str) -> None:
    """Raise ConsumerError unless *address* is a single plain e-mail address."""
    if "\r" in address or "\n" in address:
        raise ConsumerError("an e-mail address may not contain a line break")
    if not _EMAIL.match(address):
        raise ConsumerError(f"{address!r} is not an e-mail address (name@example.com)")


def save_consumer(
    session: Session,
    model: Model,
    name: str,
    *,
    actor: str,
    webhook_url: str | None = KEEP,
    secret: str | None = KEEP,
    kind: str = KEEP,
    contact: str = KEEP,
    email: str = KEEP,
    pinned_version: Version | None = KEEP,
    active: bool = KEEP,
) -> Consumer:
    """Create or update the consumer *name* of *model*; audited. The secret is never logged.

    Only the fields given change; :data:`KEEP` (the default) leaves a field as it is, so
    re-pinning a consumer keeps its contact, kind and channels. A new consumer starts as a
    batch consumer following what is live. A webhook URL that breaks the rules of
    :mod:`signoff.core.notifications.webhooks` is refused with WebhookURLError, a malformed
    e-mail address with ConsumerError (both ValueErrors naming the rule).
    """
    name = name.strip(BLANKS)
    if not name:
        raise ConsumerError("a consumer needs a name")
    for what, value, limit in (("name", name, 200), ("contact", contact, 300), ("kind", kind, 40)):
        problem = "" if value is KEEP else name_problem(value, limit)
        if problem:
            raise ConsumerError(f"the consumer's {what} {value!r} {problem}")
    if webhook_url is not KEEP and webhook_url:
        check_webhook_url(webhook_url, allowed_webhook_hosts(session))
    if email is not KEEP and email:
        check_email(email)
    if (
        pinned_version is not KEEP
        and pinned_version is not None
        and pinned_version.model_id != model.id
    ):
        raise ConsumerError("the pinned version belongs to another model")
    consumer = session.scalar(
        select(Consumer).where(Consumer.model_id == model.id, Consumer.name == name)
    )
    created = consumer is None
    if consumer is None:
        consumer = Consumer(
            model_id=model.id, name=name, kind="batch", contact="", email="", active=True
        )
        session.add(consumer)
    before = _fields(consumer) if not created else {}
    if webhook_url is not KEEP:
        consumer.webhook_url = webhook_url or None
    if kind is not KEEP:
        consumer.kind = kind or "batch"
    if contact is not KEEP:
        consumer.contact = contact or ""
    if email is not KEEP:
        consumer.email = (email or "").strip()
    if active is not KEEP:
        consumer.active = bool(active)
    if pinned_version is not KEEP:
        consumer.pinned_version_id = pinned_version.id if pinned_version is not None else None
    session.flush()
    stored = session.get(ConsumerSecret, consumer.id)
    new_secret = None if secret is KEEP else (secret or "")
    secret_changed = False
    if stored is None:
        stored = ConsumerSecret(consumer_id=consumer.id, secret=new_secret or "")
        session.add(stored)
        secret_changed = bool(new_secret)
    elif new_secret is not None and stored.secret != new_secret:
        stored.secret, secret_changed = new_secret, True
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        # the database audits consumer changes itself (and never records the secret)
        refresh_model_summary(session, model.id)
        return consumer
    after = _fields(consumer)
    changed = sorted(k for k in after if before.get(k) != after[k]) if not created else []
    if created or changed or secret_changed:
        pinned = (
            session.get(Version, consumer.pinned_version_id) if consumer.pinned_version_id else None
        )
        append_event(
            session,
            actor=actor,
            action=events.CONSUMER_ADDED if created else events.CONSUMER_CHANGED,
            entity_type="consumer",
            entity_id=f"{model.name}/{name}",
            model_id=model.id,
            payload={
                "webhook_url": consumer.webhook_url,
                "email": consumer.email,
                "kind": consumer.kind,
                "contact": consumer.contact,
                "pinned_version": pinned.number if pinned is not None else None,
                "active": consumer.active,
                "has_secret": bool(stored.secret),
                "changed": changed + (["secret"] if secret_changed else []),
            },
        )
    refresh_model_summary(session, model.id)
    return consumer


def _fields(consumer: Consumer) -> dict[str, Any]:
    return {
        "webhook_url": consumer.webhook_url,
        "email": consumer.email,
        "kind": consumer.kind,
        "contact": consumer.contact,
        "pinned_version_id": consumer.pinned_version_id,
        "active": consumer.active,
    }


def get_consumer(session: Session, model_name: str, name: str) -> Consumer:
    """The consumer *name* of the model; NotFoundError when there is none."""
    consumer = session.scalar(
        select(Consumer).join(Model).where(Model.name == model_name, Consumer.name == name)
    )
    if consumer is None:
        raise NotFoundError(f"model '{model_name}' has no consumer '{name}'")
    return consumer


@dataclass
class ConsumerUse:
    """One model a consumer uses: pinned version or following live."""

    model: str
    pinned: int | None
    live: int | None
    active: bool
    kind: str
    webhook_url: str
    email: str
    contact: str
    created_at: datetime

    @property
    def uses(self) -> str:
        """Which version it uses, in words."""
        if self.pinned is not None:
            return f"pinned to v{self.pinned}"
        return f"follows live (v{self.live})" if self.live is not None else "follows live (none)"


@dataclass
class ConsumerRecord:
    """A consumer across every model it uses."""

    name: str
    models: list[ConsumerUse] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data for ``signoff consumers show --json``."""
        return {
            "name": self.name,
            "models": [
                {
                    "model": u.model,
                    "pinned_version": u.pinned,
                    "live_version": u.live,
                    "uses": u.uses,
                    "active": u.active,
                    "kind": u.kind,
                    "webhook_url": u.webhook_url,
                    "email": u.email,
                    "contact": u.contact,
                }
                for u in self.models
            ],
        }


def consumer_records(
    session: Session, *, name: str | None = None, include_removed: bool = False
) -> list[ConsumerRecord]:
    """Consumers by name, each with every model and version it uses (removed ones on request)."""
    stmt = (
        select(Consumer, Model.name, Model.live_version, Version.number)
        .join(Model, Model.id == Consumer.model_id)
        .outerjoin(Version, Version.id == Consumer.pinned_version_id)
        .order_by(Consumer.name, Model.name)
    )
    if name is not None:
        stmt = stmt.where(Consumer.name == name)
    if not include_removed:
        stmt = stmt.where(Consumer.active.is_(True))
    records: dict[str, ConsumerRecord] = {}
    for consumer, model_name, live, pinned in session.execute(stmt).all():
        record = records.setdefault(consumer.name, ConsumerRecord(consumer.name))
        record.models.append(
            ConsumerUse(
                model_name,
                pinned,
                live,
                consumer.active,
                consumer.kind,
                consumer.webhook_url or "",
                consumer.email,
                consumer.contact,
                consumer.created_at,
            )
        )
    if name is not None and not records:
        raise NotFoundError(f"no consumer called '{name}'")
    return list(records.values())
