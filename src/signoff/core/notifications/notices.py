"""What each notice to a consumer says: its events, the replacement it names, its words.

A notice's JSON is built in two places that must agree: here for the embedded registry, and in
the database's own functions on a shared PostgreSQL registry (:mod:`signoff.core.db.pgfactory`;
``tests/pg/test_factory_pg.py`` compares the two). Every notice carries::

    event, model, version, version_id, manifest_hash, state, consumer, idempotency_key, at

and the fields of its event (see :data:`EVENT_FIELDS`). The do-not-use family also carries
``replacement`` (the version to move to, or null) and ``replacement_status`` (``"live"`` or
``"none yet"``), and ``must_acknowledge``; the deliverer adds the signed ``ack_url`` when it
sends them, since only it may read the key that signs the link.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.db.schema import DO_NOT_USE, LIVE, PRODUCTION, Decision, Deployment, Version

DO_NOT_USE_EVENT = "do_not_use"
REPLACEMENT_LIVE = "replacement_live"  # the follow-up: a fixed version is now live
REMINDER = "do_not_use_reminder"
STILL_USED = "do_not_use_used"  # the factory reported use after the notice
WENT_LIVE, SUPERSEDED, RETIRED = "went_live", "superseded", "retired"
ALERT = "alert"  # an alert e-mailed to a person responsible
STALE_CHANGED = "stale_changed"  # monitoring flagged the live version stale, or cleared it

EVENTS = (
    DO_NOT_USE_EVENT,
    REPLACEMENT_LIVE,
    REMINDER,
    STILL_USED,
    WENT_LIVE,
    SUPERSEDED,
    RETIRED,
    STALE_CHANGED,
    ALERT,
)
#: notices a consumer acknowledges (their deliveries carry the signed acknowledgement link)
ACK_EVENTS = frozenset({DO_NOT_USE_EVENT, REPLACEMENT_LIVE, REMINDER, STILL_USED})
NONE_YET = "none yet"

#: the fields each event adds to the common ones (documented in the README)
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    DO_NOT_USE_EVENT: (
        "reason",
        "actor",
        "replacement",
        "replacement_status",
        "must_acknowledge",
    ),
    REPLACEMENT_LIVE: ("reason", "replacement", "replacement_status", "must_acknowledge"),
    REMINDER: (
        "reason",
        "replacement",
        "replacement_status",
        "days_since_notice",
        "reminder",
        "must_acknowledge",
    ),
    STILL_USED: (
        "used_by",
        "executions",
        "predictions",
        "rows_scored",
        "first_used_at",
        "last_used_at",
        "replacement",
        "replacement_status",
        "must_acknowledge",
    ),
    WENT_LIVE: ("environment", "actor", "superseded_version"),
    SUPERSEDED: ("environment", "replaced_by"),
    RETIRED: ("actor",),
    STALE_CHANGED: ("stale", "reasons"),
}


def replacement_fields(session: Session, model_id: int, unusable_id: int) -> dict[str, Any]:
    """``replacement`` and ``replacement_status`` for a notice about version *unusable_id*: the
    version live in production now when it is another one, else none yet."""
    row = session.execute(
        select(Version.id, Version.number, Version.manifest_hash)
        .join(Deployment, Deployment.version_id == Version.id)
        .where(
            Deployment.model_id == model_id,
            Deployment.environment == PRODUCTION,
            Deployment.live_to.is_(None),
            Version.id != unusable_id,
            Version.state == LIVE,
        )
        .order_by(Deployment.live_from.desc())
        .limit(1)
    ).first()
    if row is None:
        return {"replacement": None, "replacement_status": NONE_YET}
    return {"replacement": replacement_of(row[0], row[1], row[2]), "replacement_status": LIVE}


def replacement_of(version_id: int, number: int, manifest_hash: str) -> dict[str, Any]:
    """The ``replacement`` object of a notice."""
    return {"version": number, "version_id": version_id, "manifest_hash": manifest_hash}


def do_not_use_reason(session: Session, version_id: int) -> str:
    """The reason recorded when the version was marked do not use (the latest such decision)."""
    return (
        session.scalar(
            select(Decision.comment)
            .where(Decision.version_id == version_id, Decision.action == DO_NOT_USE)
            .order_by(Decision.id.desc())
            .limit(1)
        )
        or ""
    )


def subject_line(body: dict[str, Any]) -> str:
    """The e-mail subject of a notice."""
    label = f"{body.get('model')} v{body.get('version')}"
    event = body.get("event")
    if event == DO_NOT_USE_EVENT:
        return f"[Signoff] Stop using {label}: marked do not use"
    if event == REPLACEMENT_LIVE:
        replacement = body.get("replacement") or {}
        return f"[Signoff] {body.get('model')} v{replacement.get('version')} replaces {label}"
    if event == REMINDER:
        return f"[Signoff] Reminder: {label} is marked do not use"
    if event == STILL_USED:
        return f"[Signoff] {label} is marked do not use but still used"
    if event == WENT_LIVE:
        return f"[Signoff] {label} is live in {body.get('environment', PRODUCTION)}"
    if event == SUPERSEDED:
        return f"[Signoff] {label} was superseded by v{body.get('replaced_by')}"
    if event == RETIRED:
        return f"[Signoff] {label} was retired"
    if event == STALE_CHANGED:
        now = "is stale" if body.get("stale") else "is no longer stale"
        return f"[Signoff] {label} {now}"
    if event == ALERT:
        return f"[Signoff] {body.get('title', 'alert')}"
    return f"[Signoff] {event}: {label}"


def notice_text(body: dict[str, Any], ack_url: str = "") -> str:
    """The plain-text part of a notice e-mail, for a person reading it."""
    if body.get("event") == ALERT:
        lines = [str(body.get("title", "")), "", str(body.get("body", ""))]
        return "\n".join(lines).strip() + "\n"
    lines = [subject_line(body).removeprefix("[Signoff] ") + ".", ""]
    if body.get("reason"):
        lines += [f"Reason: {body['reason']}", ""]
    if body.get("event") in ACK_EVENTS:
        replacement = body.get("replacement")
        lines.append(
            f"Move to v{replacement['version']} (live now)."
            if replacement
            else "Replacement: none yet; you will get a follow-up notice when a fixed "
            "version goes live."
        )
    if body.get("event") == STILL_USED:
        lines.append(
            f"After the notice, {body.get('used_by') or 'a process'} reported "
            f"{body.get('executions', 0)} execution(s) and {body.get('predictions', 0)} "
            f"prediction(s) by this version (last at {body.get('last_used_at')})."
        )
    if body.get("event") == STALE_CHANGED and body.get("reasons"):
        lines += [str(r) for r in body["reasons"]]
    if ack_url:
        lines += ["", f"Acknowledge this notice: {ack_url}"]
    lines += [
        "",
        "The attached notice.json is the notice itself; its HMAC-SHA256 under your secret is",
        "in the X-Signoff-Signature header.",
    ]
    return "\n".join(lines) + "\n"


__all__ = [
    "ACK_EVENTS",
    "EVENTS",
    "EVENT_FIELDS",
    "NONE_YET",
    "do_not_use_reason",
    "notice_text",
    "replacement_fields",
    "subject_line",
]
