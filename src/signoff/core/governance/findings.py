"""Findings: raised by validators and auditors, answered by those who must fix them, judged by
the person who raised them or a second validator — each change an audited decision.

The rules are read from :mod:`signoff.core.db.model_risk`; :func:`finding_refusal` is the one
precondition check (screens use it to enable buttons and explain a disabled one), and
:func:`act_on_finding` records a change: the finding row, an insert-only
:class:`~signoff.core.db.schema.FindingChange` holding the finding's whole state after the
change, and one audit event repeating it, in the caller's transaction. On PostgreSQL the
database's ``signoff_finding`` asks the same questions in the same order and writes all three
itself (:mod:`signoff.core.db.pgrisk`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event, canonical_json
from signoff.core.catalog.lookup import get_model, get_version
from signoff.core.catalog.summary import refresh_model_summary
from signoff.core.common.errors import (
    ConcurrentChangeError,
    NotFoundError,
    SignoffError,
    TransitionError,
)
from signoff.core.db import model_risk as rk
from signoff.core.db.registry import db_now
from signoff.core.db.schema import Finding, FindingChange, Model, User, Version
from signoff.core.governance.people import roles_of
from signoff.core.governance.policy import configured_severities

TITLE_LIMIT = 300
TEXT_LIMIT = 20000

FINDING_CALL = text(
    "SELECT * FROM signoff_finding(:action, :finding, :model, :version, CAST(:fields AS jsonb), "
    ":comment, :expected, :at)"
)


@dataclass(frozen=True)
class FindingOutcome:
    """What one change to a finding did."""

    finding_id: int
    action: str
    status_from: str
    status_to: str
    change_id: int
    row_version: int

    def describe(self) -> str:
        move = (
            f"{rk.STATUS_WORDS.get(self.status_from, self.status_from or 'new')} → "
            f"{rk.STATUS_WORDS[self.status_to]}"
            if self.status_from != self.status_to
            else f"still {rk.STATUS_WORDS[self.status_to]}"
        )
        return (
            f"finding #{self.finding_id}: {rk.FINDING_ACTIONS[self.action].title.lower()} ({move})"
        )


def parse_day(value: object, what: str) -> date:
    """A date from a ``date`` or ``YYYY-MM-DD`` text; SignoffError naming *what* otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise SignoffError(f"{what} must be a date like 2026-12-31, not {value!r}")


def snapshot_of(finding: Finding) -> dict[str, Any]:
    """The finding's state as recorded with each change (plain JSON values)."""
    out: dict[str, Any] = {}
    for key in rk.SNAPSHOT_FIELDS:
        value = getattr(finding, key)
        out[key] = value.isoformat() if isinstance(value, date) else value
    return out


def fixers_of(finding_owner: str, model: Model, version: Version | None) -> set[str]:
    """The people who must fix a finding: its owner, the model's owner, the version's author."""
    people = {finding_owner, model.owner or ""}
    if version is not None:
        people.add(version.author)
    return {p for p in people if p}


def is_unresolved(finding: Finding | dict[str, Any], today: date) -> bool:
    """Whether a finding still needs something done on *today* (an expired exception does)."""
    status = finding["status"] if isinstance(finding, dict) else finding.status
    if status in rk.UNRESOLVED:
        return True
    expires = finding.get("expires") if isinstance(finding, dict) else finding.expires
    if status == rk.EXCEPTION and expires is not None:
        return parse_day(expires, "expires") < today
    return False


def _known_person(session: Session, login: str) -> bool:
    return (
        session.scalar(select(User.id).where(User.login == login, User.active.is_(True)))
        is not None
    )


def clean_fields(
    session: Session, fields: dict[str, Any], allowed: tuple[str, ...], today: date
) -> dict[str, Any]:
    """Validate the given finding fields; returns them normalised or raises SignoffError."""
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise SignoffError(f"unknown finding field(s) {', '.join(unknown)}")
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key in ("due", "expires"):
            day = parse_day(value, "the due date" if key == "due" else "the expiry date")
            if day < today:
                raise SignoffError(f"the {'due' if key == 'due' else 'expiry'} date is in the past")
            out[key] = day
            continue
        if not isinstance(value, str):
            raise SignoffError(f"the finding's {key} must be text")
        value = value.strip()
        if key == "title" and not value:
            raise SignoffError("a finding needs a title")
        if key == "title" and len(value) > TITLE_LIMIT:
            raise SignoffError(f"a finding's title is at most {TITLE_LIMIT} characters")
        if len(value) > TEXT_LIMIT:
            raise SignoffError(f"the finding's {key} is longer than {TEXT_LIMIT} characters")
        if key == "severity" and value not in configured_severities(session):
            raise SignoffError(
                f"unknown severity '{value}'; severities are "
                f"{', '.join(configured_severities(session))}"
            )
        if key == "kind" and value not in rk.KINDS:
            raise SignoffError(f"unknown finding type '{value}'; types are {', '.join(rk.KINDS)}")
        if key == "owner" and not _known_person(session, value):
            raise SignoffError(f"the finding's owner '{value}' is not a known, active person")
        out[key] = value
    return out


def finding_refusal(
    session: Session,
    action: str,
    actor: str,
    *,
    finding: Finding | None,
    model: Model,
    version: Version | None,
    fields: dict[str, Any] | None = None,
    comment: str | None = "",
    today: date | None = None,
) -> str:
    """Why *actor* may not take *action* now ('' when they may); writes nothing.

    *finding* is None for ``raise``. *comment* None skips the comment check (it is not typed
    yet), and *fields* None the check of the fields (for enabling buttons).
    """
    spec = rk.FINDING_ACTIONS.get(action)
    if spec is None:
        return f"unknown action '{action}'; actions are {', '.join(rk.FINDING_ACTIONS)}"
    today = today or db_now(session).date()
    if comment is not None and spec.needs_comment and not comment.strip():
        return "a comment is required (say what was done, or why)"
    if finding is None:
        if action != "raise":
            return "no finding named"
        owner = str((fields or {}).get("owner") or model.owner or "")
    else:
        if finding.status not in spec.sources:
            return f"it is {rk.STATUS_WORDS[finding.status]}; {rk.FINDING_NOT_NOW[action]}"
        owner = finding.owner
    if fields is not None:
        try:
            allowed = rk.RAISE_FIELDS if action == "raise" else _fields_for(action)
            given = clean_fields(session, fields, allowed, today)
        except SignoffError as exc:
            return str(exc)
        missing = [f for f in spec.requires if f not in given]
        if action == "raise" and "owner" not in given and not model.owner:
            missing.append("owner")
        if missing:
            return "it needs " + ", ".join(m.replace("_", " ") for m in missing)
        if action == "amend" and not given:
            return "nothing to amend: give a new title, description, severity, owner or due date"
        owner = str(given.get("owner", owner))
    fixers = fixers_of(owner, model, version)
    held = roles_of(session, actor)
    who = spec.who
    if who == rk.RAISERS:
        if not held & set(rk.RAISER_ROLES):
            return f"only {rk.FINDING_WHO_WORDS[who]} may {spec.title.lower()} a finding"
        if actor in fixers:
            return "you would have to fix it yourself; someone else must raise it"
    elif who == rk.FIXERS:
        if actor not in fixers:
            return f"only {rk.FINDING_WHO_WORDS[who]} may {spec.title.lower()}"
    elif who == rk.JUDGES:
        if actor in fixers:
            return (
                "you must fix it, so you cannot judge it; the person who raised it or a "
                "second validator does (separation of duties)"
            )
        raiser = finding.raised_by if finding is not None else ""
        if not (
            (actor == raiser and held & set(rk.RAISER_ROLES))
            or (actor != raiser and held & set(rk.SECOND_JUDGE_ROLES))
        ):
            return f"only {rk.FINDING_WHO_WORDS[who]} may {spec.title.lower()} it"
    elif who == rk.PARTIES and actor not in fixers and not held & set(rk.parties_roles()):
        return f"only {rk.FINDING_WHO_WORDS[who]} may comment"
    return ""


def _fields_for(action: str) -> tuple[str, ...]:
    if action == "amend":
        return rk.AMEND_FIELDS
    if action == "accept_limitation":
        return ("compensating_controls",)
    if action == "grant_exception":
        return ("expires", "compensating_controls")
    return ()


def _finding(session: Session, finding_id: int) -> tuple[Finding, Model, Version | None]:
    finding = session.get(Finding, finding_id, populate_existing=True)
    if finding is None:
        raise NotFoundError(f"no finding #{finding_id}")
    model = session.get(Model, finding.model_id)
    assert model is not None  # a foreign key
    version = session.get(Version, finding.version_id) if finding.version_id else None
    return finding, model, version


def act_on_finding(
    session: Session,
    action: str,
    *,
    actor: str,
    finding_id: int | None = None,
    model_name: str | None = None,
    number: int | None = None,
    fields: dict[str, Any] | None = None,
    comment: str = "",
    expected_row_version: int | None = None,
    at: datetime | None = None,
) -> FindingOutcome:
    """Take *action* on a finding (``raise`` makes one on *model_name* [v*number*]) as
    *actor*, in the caller's write transaction; audited.

    Raises TransitionError (not allowed now, with the reason), ConcurrentChangeError (the
    finding changed since the caller looked) or NotFoundError.
    """
    fields = dict(fields or {})
    comment = (comment or "").strip()
    if action == "raise":
        if model_name is None:
            raise NotFoundError("name the model (and version) the finding is about")
        model = get_model(session, model_name)
        version = get_version(session, model_name, number) if number is not None else None
        finding: Finding | None = None
    else:
        if finding_id is None:
            raise NotFoundError("name the finding (its number, like 3)")
        finding, model, version = _finding(session, finding_id)
        if expected_row_version is not None and finding.row_version != expected_row_version:
            raise ConcurrentChangeError(
                f"finding #{finding.id} changed since you loaded it (it is now "
                f"{rk.STATUS_WORDS[finding.status]}). Reload and decide again."
            )
    label = "a finding" if finding is None else f"finding #{finding.id}"
    now = at or db_now(session)
    why = finding_refusal(
        session,
        action,
        actor,
        finding=finding,
        model=model,
        version=version,
        fields=fields,
        comment=comment,
        today=now.date(),
    )
    if why:
        raise TransitionError(f"cannot {rk.FINDING_ACTIONS[action].title.lower()} {label}: {why}")
    if session.get_bind().dialect.name == "postgresql":
        return _in_database(session, action, finding, model, version, fields, comment, at)
    allowed = rk.RAISE_FIELDS if action == "raise" else _fields_for(action)
    given = clean_fields(session, fields, allowed, now.date())
    spec = rk.FINDING_ACTIONS[action]
    if finding is None:
        finding = Finding(
            model_id=model.id,
            version_id=version.id if version else None,
            description="",
            kind="issue",
            owner=model.owner,
            compensating_controls="",
            raised_by=actor,
            raised_at=now,
            status=rk.OPEN,
            row_version=0,
        )
        session.add(finding)
        before = ""
    else:
        before = finding.status
    for key, value in given.items():
        setattr(finding, key, value)
    if spec.target is not None:
        finding.status = spec.target
    if action == "reopen":
        finding.expires = None
    finding.updated_at = now
    finding.row_version = (finding.row_version or 0) + 1
    session.flush()
    snapshot = snapshot_of(finding)
    change = FindingChange(
        finding_id=finding.id,
        at=now,
        actor=actor,
        action=action,
        status_from=before,
        status_to=finding.status,
        comment=comment,
        snapshot=snapshot,
    )
    session.add(change)
    session.flush()
    append_event(
        session,
        actor=actor,
        action=events.finding(action),
        entity_type="finding",
        entity_id=f"#{finding.id}",
        model_id=model.id,
        version_id=finding.version_id,
        payload={
            "change_id": change.id,
            "finding_id": finding.id,
            "action": action,
            "actor": actor,
            "comment": comment,
            "status_from": before,
            "status_to": finding.status,
            "snapshot": snapshot,
            "at": now,
        },
    )
    refresh_model_summary(session, model.id)
    return FindingOutcome(
        finding.id, action, before, finding.status, change.id, finding.row_version
    )


def _in_database(
    session: Session,
    action: str,
    finding: Finding | None,
    model: Model,
    version: Version | None,
    fields: dict[str, Any],
    comment: str,
    at: datetime | None,
) -> FindingOutcome:
    """Record the change through the database's ``signoff_finding`` (it checks again)."""
    from signoff.core.governance.decide_pg import database_message

    plain = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in fields.items()}
    try:
        with session.begin_nested():
            row = session.execute(
                FINDING_CALL,
                {
                    "action": action,
                    "finding": finding.id if finding else None,
                    "model": model.id,
                    "version": version.id if version else None,
                    "fields": canonical_json(plain),
                    "comment": comment,
                    "expected": finding.row_version if finding else None,
                    "at": at,
                },
            ).one()
    except DBAPIError as exc:
        code, message = database_message(exc)
        if code == "40001":
            raise ConcurrentChangeError(message + ". Reload and decide again.") from exc
        raise TransitionError(
            message if message.startswith("cannot ") else f"the database refused: {message}"
        ) from exc
    if finding is not None:
        session.expire(finding)
    return FindingOutcome(
        row.finding_id, action, row.status_from, row.status_to, row.change_id, row.row_version
    )


__all__ = [
    "FindingOutcome",
    "act_on_finding",
    "clean_fields",
    "finding_refusal",
    "fixers_of",
    "is_unresolved",
    "parse_day",
    "snapshot_of",
]
