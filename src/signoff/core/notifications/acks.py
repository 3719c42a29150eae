"""Acknowledgements of do-not-use notices: a signed link in every notice, or an admin's record.

The link names the consumer and the version and carries an HMAC under the registry's
acknowledgement key (``service_keys``, readable only by the notifier service and admins), so
nobody can acknowledge for a consumer without its notice. ``signoff serve`` answers the link;
``signoff consumers ack`` and the Consumers page let an admin record an acknowledgement given
another way (a phone call), with a note. The first acknowledgement counts; each is audited.
On a PostgreSQL registry that has it, both go through ``signoff_record_ack`` (only the notifier
and admins may call it).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlencode, urlsplit

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.common.errors import NotFoundError, SignoffError
from signoff.core.db.registry import db_now, pg_function_exists
from signoff.core.db.schema import (
    DO_NOT_USE,
    Consumer,
    ConsumerAck,
    ServiceKey,
    Setting,
    Version,
)

ACK_KEY = "ack"
VIA_LINK, VIA_ADMIN = "link", "admin"
SERVICE_SETTING = "service"  # {"public_url": "https://signoff.example"}
PUBLIC_URL_ENV = "SIGNOFF_PUBLIC_URL"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8750"


class AckError(SignoffError):
    """An acknowledgement that cannot be recorded (a bad link, an unknown consumer)."""


@dataclass(frozen=True)
class AckRecord:
    """An acknowledgement as the Migration view shows it."""

    consumer_id: int
    version_id: int
    at: datetime
    via: str
    actor: str
    note: str


def ack_key(session: Session) -> str:
    """The key signing acknowledgement links (only the notifier and admins can read it)."""
    row = session.get(ServiceKey, ACK_KEY)
    if row is None:
        raise SignoffError("the registry has no acknowledgement key (run signoff db upgrade)")
    return row.key


def public_url(session: Session) -> str:
    """Where ``signoff serve`` answers acknowledgement links: the environment, the registry's
    ``service`` setting, or the service's default address."""
    env = os.environ.get(PUBLIC_URL_ENV)
    if env:
        return env.rstrip("/")
    row = session.get(Setting, SERVICE_SETTING)
    url = row.value.get("public_url") if row is not None else None
    return str(url).rstrip("/") if url else DEFAULT_PUBLIC_URL


def ack_signature(key: str, consumer_id: int, version_id: int) -> str:
    """The link's MAC for (consumer, version)."""
    message = f"signoff-ack\x1f{consumer_id}\x1f{version_id}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:40]


def ack_url(base: str, key: str, consumer_id: int, version_id: int) -> str:
    """The signed acknowledgement link of one consumer for one version."""
    query = urlencode(
        {"c": consumer_id, "v": version_id, "s": ack_signature(key, consumer_id, version_id)}
    )
    return f"{base.rstrip('/')}/ack?{query}"


def parse_ack(key: str, url_or_query: str) -> tuple[int, int]:
    """(consumer id, version id) of a genuine link; AckError for a forged or broken one."""
    query = urlsplit(url_or_query).query if "?" in url_or_query else url_or_query
    fields = parse_qs(query)
    try:
        consumer_id = int(fields["c"][0])
        version_id = int(fields["v"][0])
        signature = fields["s"][0]
    except (KeyError, IndexError, ValueError) as exc:
        raise AckError("this acknowledgement link is incomplete") from exc
    if not hmac.compare_digest(ack_signature(key, consumer_id, version_id), signature):
        raise AckError("this acknowledgement link is not genuine (its signature does not match)")
    return consumer_id, version_id


def record_ack(
    session: Session,
    consumer_id: int,
    version_id: int,
    *,
    via: str,
    actor: str,
    note: str = "",
    notice_key: str = "",
) -> bool:
    """Record that the consumer acknowledged the do-not-use notice of the version; audited.

    Returns False when it had already acknowledged (the first acknowledgement stands).
    Through ``signoff_record_ack`` where the PostgreSQL registry has it (the database then
    checks the caller: the notifier service or an admin).
    """
    if via not in (VIA_LINK, VIA_ADMIN):
        raise AckError(f"unknown acknowledgement channel {via!r}")
    if session.get_bind().dialect.name == "postgresql" and pg_function_exists(
        session, "signoff_record_ack"
    ):
        try:
            return bool(
                session.execute(
                    text("SELECT signoff_record_ack(:c, :v, :via, :note, :key)"),
                    {
                        "c": consumer_id,
                        "v": version_id,
                        "via": via,
                        "note": note,
                        "key": notice_key,
                    },
                ).scalar_one()
            )
        except DBAPIError as exc:  # the database's refusal, in its words
            if getattr(exc.orig, "sqlstate", "") not in ("42501", "22023", "02000"):
                raise  # a serialization failure to retry, a lost connection
            raise AckError(_pg_message(exc)) from exc
    consumer = session.get(Consumer, consumer_id)
    version = session.get(Version, version_id)
    if consumer is None or version is None or consumer.model_id != version.model_id:
        raise AckError("no such consumer of that version's model")
    if version.state != DO_NOT_USE:
        raise AckError(f"{version.label} is not marked do not use; there is nothing to acknowledge")
    existing = session.scalar(
        select(ConsumerAck).where(
            ConsumerAck.consumer_id == consumer_id, ConsumerAck.version_id == version_id
        )
    )
    if existing is not None:
        return False
    now = db_now(session)
    session.add(
        ConsumerAck(
            consumer_id=consumer_id,
            version_id=version_id,
            at=now,
            via=via,
            actor=actor,
            note=note.strip(),
            notice_key=notice_key,
        )
    )
    session.flush()
    append_event(
        session,
        actor=actor,
        action=events.CONSUMER_ACKNOWLEDGED,
        entity_type="consumer",
        entity_id=f"{version.model.name}/{consumer.name}",
        model_id=version.model_id,
        version_id=version.id,
        payload={
            "consumer": consumer.name,
            "version": version.number,
            "via": via,
            "note": note.strip(),
            "notice_key": notice_key,
        },
    )
    return True


def ack_by_names(
    session: Session, model: str, consumer: str, number: int, *, actor: str, note: str
) -> bool:
    """An admin records an acknowledgement given another way (``signoff consumers ack``)."""
    row = session.execute(
        select(Consumer.id, Version.id)
        .join(Version, Version.model_id == Consumer.model_id)
        .join(Consumer.model)
        .where(Consumer.name == consumer, Version.number == number)
        .where(Consumer.model.has(name=model))
    ).first()
    if row is None:
        raise NotFoundError(f"no consumer '{consumer}' of {model} v{number}")
    if not note.strip():
        raise AckError('say how the consumer acknowledged (--note "phone call with …")')
    return record_ack(session, row[0], row[1], via=VIA_ADMIN, actor=actor, note=note)


def acks_of_version(session: Session, version_id: int) -> dict[int, AckRecord]:
    """Consumer id → its acknowledgement of the version."""
    return {
        a.consumer_id: AckRecord(a.consumer_id, a.version_id, a.at, a.via, a.actor, a.note)
        for a in session.scalars(select(ConsumerAck).where(ConsumerAck.version_id == version_id))
    }


def _pg_message(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    diag = getattr(orig, "diag", None)
    primary = getattr(diag, "message_primary", None)
    return str(primary or orig or exc).strip()
