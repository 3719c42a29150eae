"""Recording deployment-check evidence, by the people allowed to (never the version's author).

Evidence for the go-live gate counts only when a validator, release manager, auditor, admin or
the ``runner`` service recorded it, bound to the version's manifest, with an audit event that
repeats its whole content (so an altered row is caught, :mod:`signoff.core.audit.records`).
On PostgreSQL the database's ``signoff_record_evidence`` does the checking, the insert and the
event; on SQLite this module does the same in Python.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event, canonical_json
from signoff.core.db import lifecycle as lc
from signoff.core.db.registry import db_now
from signoff.core.db.schema import Evidence, Version
from signoff.core.governance.people import PermissionDeniedError, roles_of

RECORD = text(
    "SELECT signoff_record_evidence(:version, :check, :passed, :summary, CAST(:details AS jsonb))"
)


def evidence_refusal(session: Session, version: Version, actor: str) -> str:
    """Why *actor* may not record evidence for *version* ('' when they may)."""
    label = f"{version.model.name} v{version.number}"
    if actor == version.author:
        return (
            f"{actor} is the author of {label}; its deployment checks must be recorded by "
            "someone else (separation of duties)"
        )
    if not roles_of(session, actor) & set(lc.EVIDENCE_RECORDERS):
        return (
            f"{actor} may not record deployment-check evidence for {label}: that needs a "
            "validator, release manager, auditor, admin or the runner service login"
        )
    return ""


def require_evidence_recorder(session: Session, version: Version, actor: str) -> None:
    """Raise PermissionDeniedError unless *actor* may record evidence for *version*.

    On PostgreSQL the recorder is whoever is connected (``session_user``), whatever *actor*
    says, and the table owner (an administrator's tooling) is not bound; the database's own
    function applies the same rule again.
    """
    if session.get_bind().dialect.name == "postgresql":
        login, owner = session.execute(text("SELECT session_user::text, signoff__is_owner()")).one()
        if owner:
            return
        actor = login
    why = evidence_refusal(session, version, actor)
    if why:
        raise PermissionDeniedError(why)


def record_evidence(
    session: Session,
    version: Version,
    check: str,
    passed: bool,
    summary: str,
    details: dict[str, Any],
    *,
    actor: str,
    at: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> int:
    """Store one check result as evidence with its audit event; returns the evidence id."""
    details = json.loads(canonical_json(details))  # exactly what JSON keeps, for the cross-check
    require_evidence_recorder(session, version, actor)  # in words; the database checks again
    if session.get_bind().dialect.name == "postgresql":
        try:
            with session.begin_nested():
                return int(
                    session.execute(
                        RECORD,
                        {
                            "version": version.id,
                            "check": check,
                            "passed": passed,
                            "summary": summary,
                            "details": canonical_json(details),
                        },
                    ).scalar_one()
                )
        except DBAPIError as exc:
            message = str(getattr(getattr(exc.orig, "diag", None), "message_primary", "") or exc)
            raise PermissionDeniedError(message) from exc
    now = at or db_now(session)
    row = Evidence(
        version_id=version.id,
        check=check,
        passed=passed,
        summary=summary,
        details=details,
        at=now,
        actor=actor,
        manifest_hash=version.manifest_hash,
    )
    session.add(row)
    session.flush()
    append_event(
        session,
        actor=actor,
        action=events.EVIDENCE_RECORDED,
        entity_type="version",
        entity_id=f"{version.model.name} v{version.number}",
        model_id=version.model_id,
        version_id=version.id,
        payload={
            "evidence_id": row.id,
            "check": check,
            "passed": passed,
            "summary": summary,
            "details": details,
            "manifest_hash": version.manifest_hash,
            "actor": actor,
            "at": now,
            **(extra or {}),
        },
    )
    return row.id
