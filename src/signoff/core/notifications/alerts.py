"""Alerts: what the people responsible for a model are told, in the application and by e-mail.

:func:`raise_alert` is the one way to raise one (other parts of the core call it, for example
model-risk findings): an alert has a kind, a subject, a title and body in words, the people it
is for, and a ``dedupe_key`` so that raising the same alert twice stores it once. Each person
sees it under the bell in the application (:func:`alerts_for`, :func:`mark_read`) and, when
they have an e-mail address, gets it by e-mail through the outbox.

The governance changes that alert people — a stale flag, a do-not-use mark, a go-live, use of a
do-not-use version, a failed delivery, an acknowledgement — are all audit events already, so
:func:`signoff.core.notifications.fanout.fan_out_alerts` raises their alerts from the trail:
nothing that happened can be missed, and nothing is alerted twice.

Model-risk alerts (:mod:`signoff.core.governance.alerts`: overdue conditions and
revalidations, expired exceptions, attestation reminders and corrections) are raised through
:func:`raise_alert` too, under their own keys: one bell, one outbox.

On a PostgreSQL registry alerts are written by ``signoff_raise_alert`` (the service logins,
reviewers and admins may call it; :mod:`signoff.core.db.pgfactory`) and marked read by
``signoff_mark_alerts_read``, which touches only the caller's own rows; other logins raise
none (:func:`may_raise_in`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, null, select, text, update
from sqlalchemy.orm import Session

from signoff.core.audit.chain import canonical_json
from signoff.core.db import lifecycle as lc
from signoff.core.db.registry import Registry, db_now, pg_function_exists
from signoff.core.db.schema import (
    ROLES,
    Alert,
    AlertRecipient,
    Model,
    Policy,
    User,
    UserRole,
    Version,
)

# kinds raised by Signoff itself (other parts may raise their own: a short lower-case word)
STALE = "stale"
DO_NOT_USE = "do_not_use"
DO_NOT_USE_USED = "do_not_use_used"
WENT_LIVE = "went_live"
REVIEW_OVERDUE = "review_overdue"
DELIVERY_FAILED = "delivery_failed"
ACKNOWLEDGED = "acknowledged"
SEVERITIES = ("info", "warning", "critical")
#: model-risk kinds (raised by :mod:`signoff.core.governance.alerts` and recorded as
#: ``alert.raised`` events): the words of their title, and their severity
RISK_KIND_WORDS = {
    "condition_overdue": ("a condition on a signature is overdue", "critical"),
    "revalidation_overdue": ("revalidation is overdue", "warning"),
    "revalidation_due": ("revalidation falls due within 30 days", "info"),
    "exception_expired": ("a policy exception expired", "warning"),
    "attestation_reminder": ("please attest its inventory entry", "info"),
    "attestation_correction": ("its owner corrected the inventory entry", "warning"),
}
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class AlertRow:
    """One alert as a person sees it in the list under the bell."""

    id: int
    kind: str
    severity: str
    title: str
    body: str
    subject: str
    model: str | None
    version: int | None
    created_at: datetime
    read_at: datetime | None
    people: tuple[str, ...] = ()

    @property
    def unread(self) -> bool:
        """Whether the person has not read it yet."""
        return self.read_at is None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (``signoff alerts ls --json``)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "severity": self.severity,
            "title": self.title,
            "body": self.body,
            "subject": self.subject,
            "model": self.model,
            "version": self.version,
            "created_at": self.created_at.isoformat(),
            "read_at": self.read_at.isoformat() if self.read_at else None,
            "people": list(self.people),
        }


def tier_roles(session: Session, risk_tier: str, gates: Iterable[str] = lc.GATES) -> list[str]:
    """The roles the policy in force for *risk_tier* names at *gates* (the tier's reviewers)."""
    stored = session.scalar(
        select(Policy.rules)
        .where(Policy.risk_tier == risk_tier)
        .order_by(Policy.revision.desc())
        .limit(1)
    )
    rules = stored or lc.DEFAULT_RULES.get(risk_tier, lc.DEFAULT_RULES["high"])
    out: list[str] = []
    for gate in gates:
        for role in (rules.get("gates") or {}).get(gate, []):
            if role not in out:
                out.append(role)
    return out


def people_with_roles(session: Session, roles: Iterable[str]) -> list[str]:
    """Active people holding any of *roles*, by login."""
    wanted = list(roles)
    if not wanted:
        return []
    return list(
        session.scalars(
            select(User.login)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role.in_(wanted), User.active.is_(True))
            .distinct()
            .order_by(User.login)
        )
    )


def responsible_people(
    session: Session, model: Model, *, roles: Iterable[str] = (), owner: bool = True
) -> list[str]:
    """The model's owner (when a person) and the people holding *roles*, in that order."""
    out = [model.owner] if owner and model.owner else []
    out += [p for p in people_with_roles(session, roles) if p not in out]
    return out


def expand_people(session: Session, names: Iterable[str]) -> list[str]:
    """Logins, with each role among *names* (``admin``, ``validator`` …) replaced by the
    active people who hold it."""
    wanted = [n for n in names if n]
    roles = [n for n in wanted if n in ROLES]
    people = [n for n in wanted if n not in ROLES]
    return list(dict.fromkeys([*people, *people_with_roles(session, roles)]))


def raise_alert(
    session: Session,
    kind: str,
    subject: str,
    people: Iterable[str],
    *,
    title: str,
    body: str = "",
    severity: str = "info",
    model_id: int | None = None,
    version_id: int | None = None,
    payload: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    actor: str = "",
    email: bool = True,
) -> int | None:
    """Raise an alert for *people* (logins) in the caller's transaction; its id, or None when
    an alert with the same *dedupe_key* exists already (it is never raised twice).

    Only known, active people receive it; each with an e-mail address also gets it by e-mail
    (unless *email* is False). *subject* names what it is about ("card-fraud",
    "customer-churn v2"); *kind* is a short lower-case word (see the constants above).
    """
    if not _KIND.match(kind):
        raise ValueError(f"alert kind {kind!r} must be a short lower-case word")
    if severity not in SEVERITIES:
        raise ValueError(f"alert severity {severity!r} must be one of {', '.join(SEVERITIES)}")
    logins = list(dict.fromkeys(p for p in people if p))
    key = (dedupe_key or f"{kind}:{subject}:{title}")[:200]
    if session.get_bind().dialect.name == "postgresql" and pg_function_exists(
        session, "signoff_raise_alert"
    ):
        return session.execute(
            text(
                "SELECT signoff_raise_alert(:kind, :sev, :model, :version, :subject, :title, "
                ":body, CAST(:payload AS jsonb), :key, CAST(:people AS text[]), :email)"
            ),
            {
                "kind": kind,
                "sev": severity,
                "model": model_id,
                "version": version_id,
                "subject": subject[:300],
                "title": title[:300],
                "body": body,
                "payload": canonical_json(payload or {}),
                "key": key,
                "people": logins,
                "email": email,
            },
        ).scalar_one()
    if session.scalar(select(Alert.id).where(Alert.dedupe_key == key)) is not None:
        return None
    alert = Alert(
        kind=kind,
        severity=severity,
        model_id=model_id,
        version_id=version_id,
        subject=subject[:300],
        title=title[:300],
        body=body,
        payload=payload or {},
        dedupe_key=key,
        created_at=db_now(session),
        created_by=actor,
    )
    session.add(alert)
    session.flush()
    known = dict(
        session.execute(
            select(User.login, User.email).where(User.login.in_(logins), User.active.is_(True))
        ).all()
    )
    model_name = (
        session.scalar(select(Model.name).where(Model.id == model_id)) if model_id else None
    )
    from signoff.core.notifications.outbox import queue_alert_email

    for login in logins:
        if login not in known:
            continue
        session.add(AlertRecipient(alert_id=alert.id, person=login))
        if email and known[login]:
            queue_alert_email(session, alert, login, known[login], model_name)
    session.flush()
    return alert.id


def _rows(session: Session, stmt: Any) -> list[AlertRow]:
    out = []
    for alert, model_name, number, read_at in session.execute(stmt).all():
        out.append(
            AlertRow(
                alert.id,
                alert.kind,
                alert.severity,
                alert.title,
                alert.body,
                alert.subject,
                model_name,
                number,
                alert.created_at,
                read_at,
            )
        )
    return out


def alerts_for(
    session: Session, person: str | None, *, unread_only: bool = False, limit: int = 200
) -> list[AlertRow]:
    """The alerts of *person*, newest first (every alert, unread state unknown, for None)."""
    base = (
        select(Alert, Model.name, Version.number)
        .outerjoin(Model, Model.id == Alert.model_id)
        .outerjoin(Version, Version.id == Alert.version_id)
        .order_by(Alert.id.desc())
        .limit(limit)
    )
    if person is None:
        rows = _rows(session, base.add_columns(null().label("read_at")))
        people = _people_of(session, [r.id for r in rows])
        return [replace(r, people=tuple(people.get(r.id, ()))) for r in rows]
    stmt = (
        base.add_columns(AlertRecipient.read_at)
        .join(AlertRecipient, AlertRecipient.alert_id == Alert.id)
        .where(AlertRecipient.person == person)
    )
    if unread_only:
        stmt = stmt.where(AlertRecipient.read_at.is_(None))
    return _rows(session, stmt)


def _people_of(session: Session, alert_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if not alert_ids:
        return out
    for alert_id, person in session.execute(
        select(AlertRecipient.alert_id, AlertRecipient.person)
        .where(AlertRecipient.alert_id.in_(alert_ids))
        .order_by(AlertRecipient.person)
    ):
        out.setdefault(alert_id, []).append(person)
    return out


def unread_count(session: Session, person: str) -> int:
    """How many alerts *person* has not read (the number on the bell)."""
    return (
        session.scalar(
            select(func.count(AlertRecipient.id)).where(
                AlertRecipient.person == person, AlertRecipient.read_at.is_(None)
            )
        )
        or 0
    )


def mark_read(session: Session, person: str, alert_ids: Iterable[int] | None = None) -> int:
    """Mark *person*'s own alerts read (all of them when *alert_ids* is None); how many."""
    ids = None if alert_ids is None else sorted(set(alert_ids))
    if session.get_bind().dialect.name == "postgresql" and pg_function_exists(
        session, "signoff_mark_alerts_read"
    ):
        # the database marks only the caller's own rows, whoever *person* claims to be
        return int(
            session.execute(
                text("SELECT signoff_mark_alerts_read(CAST(:ids AS integer[]))"), {"ids": ids}
            ).scalar_one()
        )
    stmt = (
        update(AlertRecipient)
        .where(AlertRecipient.person == person, AlertRecipient.read_at.is_(None))
        .values(read_at=db_now(session))
    )
    if ids is not None:
        stmt = stmt.where(AlertRecipient.alert_id.in_(ids))
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def may_raise_in(session: Session) -> bool:
    """Whether the session's login raises alerts: always on SQLite; on PostgreSQL the service
    logins, reviewers and admins (``signoff_raise_alert``)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    if not pg_function_exists(session, "signoff_raise_alert"):
        return False  # alerts on a shared PostgreSQL registry need its functions
    return bool(
        session.execute(
            text(
                "SELECT has_function_privilege(current_user, 'signoff_raise_alert(text, "
                "text, integer, integer, text, text, text, jsonb, text, text[], boolean)', "
                "'EXECUTE')"
            )
        ).scalar_one()
    )


def may_raise_alerts(registry: Registry) -> bool:
    """:func:`may_raise_in` for a registry (read-only registries raise nothing)."""
    if registry.read_only:
        return False
    with registry.read() as session:
        return may_raise_in(session)


def mark_read_for(registry: Registry, person: str, alert_ids: Iterable[int] | None = None) -> int:
    """:func:`mark_read` in its own write transaction (the application's bell)."""
    with registry.write() as session:
        return mark_read(session, person, alert_ids)


def bell(session: Session, person: str, limit: int = 100) -> tuple[int, list[AlertRow]]:
    """What the bell shows: the unread count and the latest alerts of *person*."""
    return unread_count(session, person), alerts_for(session, person, limit=limit)
