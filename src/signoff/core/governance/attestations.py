"""Attestation periods: every model's owner states that its inventory entry is true.

An admin opens a period (a name such as ``2026-Q4`` and a due date); every model in the
inventory then is in scope. Each model's owner attests that its metadata, consumers and
limitations are accurate, or corrects them: title, description and business unit are corrected
at once, while wrong consumers or limitations (an admin's and a validator's to fix) are
recorded and raised as an alert to them. Progress is counted per business unit, and reminders
go out through the alert channels. Every step is an audited decision; on PostgreSQL the
database's ``signoff_attestation_period`` and ``signoff_attest`` check and record them
(:mod:`signoff.core.db.pgattest`), and the Python checks before them only word the refusal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event, canonical_json
from signoff.core.catalog.lookup import get_model
from signoff.core.catalog.summary import refresh_model_summary
from signoff.core.common.errors import NotFoundError, SignoffError
from signoff.core.db import model_risk as rk
from signoff.core.db.registry import db_now
from signoff.core.db.schema import Attestation, AttestationPeriod, Consumer, Finding, Model
from signoff.core.governance.alerts import (
    ATTESTATION_CORRECTION,
    ATTESTATION_REMINDER,
    Alert,
    raise_alert,
)
from signoff.core.governance.findings import parse_day
from signoff.core.governance.people import PermissionDeniedError, roles_of

NAME_LIMIT = 100


def _database(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


#: the SQLSTATEs the database's functions refuse with (anything else, such as a
#: serialization failure to retry or a lost connection, is passed on as it is)
REFUSALS = ("42501", "22023", "02000", "23505")


def _call(session: Session, sql: str, params: dict[str, Any]) -> Any:
    """One call of the database's attestation functions; its refusal in its own words."""
    try:
        return session.execute(text(sql), params).scalar_one()
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", "") not in REFUSALS:
            raise
        raise _refusal(exc) from exc


def _refusal(exc: DBAPIError) -> SignoffError:
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    words = str(getattr(diag, "message_primary", None) or orig or exc).strip()
    if getattr(orig, "sqlstate", "") == "42501":
        return PermissionDeniedError(words)
    return SignoffError(words)


def get_period(session: Session, name: str | None = None) -> AttestationPeriod:
    """The period called *name*, or (None) the newest open one; NotFoundError otherwise."""
    stmt = select(AttestationPeriod)
    if name:
        stmt = stmt.where(AttestationPeriod.name == name)
    else:
        stmt = stmt.where(AttestationPeriod.closed_at.is_(None)).order_by(
            AttestationPeriod.opened_at.desc(), AttestationPeriod.id.desc()
        )
    period = session.scalar(stmt.limit(1))
    if period is None:
        raise NotFoundError(
            f"no attestation period called '{name}'" if name else "no attestation period is open"
        )
    return period


def open_period(
    session: Session, name: str, due: date | str, *, actor: str, at: datetime | None = None
) -> int:
    """Open an attestation period over every model now in the inventory; admins only."""
    name = (name or "").strip()
    now = at or db_now(session)
    day = parse_day(due, "the due date")
    if not name or len(name) > NAME_LIMIT:
        raise SignoffError(f"an attestation period needs a name of 1 to {NAME_LIMIT} characters")
    if day < now.date():
        raise SignoffError("the attestation period's due date is in the past")
    if not roles_of(session, actor) & set(rk.PERIOD_OPENERS):
        raise PermissionDeniedError(f"{actor} may not open an attestation period: admins only")
    if session.scalar(select(AttestationPeriod.id).where(AttestationPeriod.name == name)):
        raise SignoffError(f"an attestation period called '{name}' exists already")
    if _database(session):
        return int(
            _call(
                session,
                "SELECT signoff_attestation_period('open', :n, :d, NULL, :at)",
                {"n": name, "d": day, "at": at},
            )
        )
    scope = sorted(session.scalars(select(Model.id)))
    period = AttestationPeriod(name=name, due=day, opened_by=actor, opened_at=now, scope=scope)
    session.add(period)
    session.flush()
    append_event(
        session,
        actor=actor,
        action=events.ATTESTATION_PERIOD_OPENED,
        entity_type="attestation_period",
        entity_id=name,
        payload={"period_id": period.id, "name": name, "due": day, "scope": scope, "at": now},
    )
    return period.id


def close_period(session: Session, name: str, *, actor: str, at: datetime | None = None) -> None:
    """Close the period *name* (nobody attests in it afterwards); admins only."""
    period = get_period(session, name)
    if period.closed_at is not None:
        raise SignoffError(f"the attestation period '{period.name}' is closed already")
    if not roles_of(session, actor) & set(rk.PERIOD_OPENERS):
        raise PermissionDeniedError(f"{actor} may not close an attestation period: admins only")
    if _database(session):
        _call(
            session,
            "SELECT signoff_attestation_period('close', NULL, NULL, :p, :at)",
            {"p": period.id, "at": at},
        )
        session.expire(period)
        return
    now = at or db_now(session)
    period.closed_at, period.closed_by = now, actor
    session.flush()
    append_event(
        session,
        actor=actor,
        action=events.ATTESTATION_PERIOD_CLOSED,
        entity_type="attestation_period",
        entity_id=period.name,
        payload={"period_id": period.id, "name": period.name, "at": now},
    )


def attested_snapshot(session: Session, model: Model) -> dict[str, Any]:
    """What an owner attests to: the inventory entry, its consumers and its limitations."""
    consumers = session.scalars(
        select(Consumer.name)
        .where(Consumer.model_id == model.id, Consumer.active.is_(True))
        .order_by(Consumer.name)
    )
    limitations = session.scalars(
        select(Finding.title)
        .where(
            Finding.model_id == model.id,
            (Finding.status == rk.ACCEPTED)
            | ((Finding.kind == "limitation") & Finding.status.in_(rk.UNRESOLVED)),
        )
        .order_by(Finding.id)
    )
    return {
        "owner": model.owner,
        "business_unit": model.business_unit,
        "title": model.title,
        "description": model.description,
        "risk_tier": model.risk_tier,
        "consumers": list(consumers),
        "limitations": list(limitations),
    }


def attest_refusal(session: Session, period: AttestationPeriod, model: Model, actor: str) -> str:
    """Why *actor* may not attest *model* in *period* ('' when they may)."""
    if period.closed_at is not None:
        return f"the attestation period '{period.name}' is closed"
    if model.id not in (period.scope or []):
        return f"{model.name} was not in the inventory when '{period.name}' opened"
    if not model.owner or actor != model.owner:
        return f"only the model's owner ({model.owner or 'nobody'}) attests {model.name}"
    return ""


def _clean_corrections(model: Model, corrections: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(corrections) - set(rk.CORRECTABLE) - set(rk.NOTED))
    if unknown:
        raise SignoffError(
            f"cannot correct {', '.join(unknown)}; corrections are "
            f"{', '.join((*rk.CORRECTABLE, *rk.NOTED))}"
        )
    out: dict[str, Any] = {}
    for key, value in corrections.items():
        if not isinstance(value, str) or not value.strip():
            raise SignoffError(f"the correction of {key} must be text")
        value = value.strip()
        if key in rk.CORRECTABLE:
            if value == getattr(model, key):
                raise SignoffError(f"the {key.replace('_', ' ')} is already {value!r}")
            out[key] = {"from": getattr(model, key), "to": value}
        else:
            out[key] = {"note": value}
    return out


def attest(
    session: Session,
    model_name: str,
    *,
    actor: str,
    period_name: str | None = None,
    corrections: dict[str, str] | None = None,
    comment: str = "",
    at: datetime | None = None,
) -> int:
    """*actor* (the model's owner) attests *model_name* in the period, or corrects it (when
    *corrections* are given); returns the attestation's id. Audited."""
    period = get_period(session, period_name)
    model = get_model(session, model_name)
    why = attest_refusal(session, period, model, actor)
    if why:
        raise PermissionDeniedError(f"cannot attest {model.name}: {why}")
    clean = _clean_corrections(model, dict(corrections or {}))
    verdict = rk.CORRECTED if clean else rk.ATTESTED
    comment = (comment or "").strip()
    if _database(session):
        plain = {k: v.get("to", v.get("note")) for k, v in clean.items()}
        attestation_id = int(
            _call(
                session,
                "SELECT signoff_attest(:p, :m, CAST(:c AS jsonb), :comment, :at)",
                {
                    "p": period.id,
                    "m": model.id,
                    "c": canonical_json(plain),
                    "comment": comment,
                    "at": at,
                },
            )
        )
        session.expire(model)
    else:
        now = at or db_now(session)
        for key, change in clean.items():
            if key in rk.CORRECTABLE:
                setattr(model, key, change["to"])
        session.flush()
        snapshot = attested_snapshot(session, model)
        row = Attestation(
            period_id=period.id,
            model_id=model.id,
            actor=actor,
            at=now,
            verdict=verdict,
            comment=comment,
            corrections=clean,
            snapshot=snapshot,
        )
        session.add(row)
        session.flush()
        append_event(
            session,
            actor=actor,
            action=events.ATTESTATION_RECORDED,
            entity_type="model",
            entity_id=model.name,
            model_id=model.id,
            payload={
                "attestation_id": row.id,
                "period_id": period.id,
                "model_id": model.id,
                "verdict": verdict,
                "comment": comment,
                "corrections": clean,
                "snapshot": snapshot,
                "actor": actor,
                "at": now,
            },
        )
        refresh_model_summary(session, model.id)
        attestation_id = row.id
    noted = {k: v["note"] for k, v in clean.items() if "note" in v}
    if noted and not _database(session):  # on PostgreSQL signoff_attest raised it
        raise_alert(
            session,
            Alert(
                ATTESTATION_CORRECTION,
                f"attestation-{attestation_id}-correction",
                model.name,
                f"{actor} corrected {model.name} when attesting for {period.name}: "
                + "; ".join(f"{k}: {v}" for k, v in noted.items()),
                ("admin", "validator"),
                {"period": period.name, "corrections": noted},
            ),
            actor=actor,
            model_id=model.id,
        )
    return attestation_id


@dataclass
class UnitProgress:
    """Progress of one business unit in a period."""

    business_unit: str
    models: int = 0
    attested: int = 0
    corrected: int = 0

    @property
    def pending(self) -> int:
        return self.models - self.attested - self.corrected

    @property
    def done_fraction(self) -> float:
        return (self.attested + self.corrected) / self.models if self.models else 1.0


@dataclass
class PeriodProgress:
    """Where an attestation period stands: per business unit and per model."""

    name: str
    due: date
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None
    units: list[UnitProgress] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)  # name, owner, unit, verdict, at

    @property
    def total(self) -> int:
        return sum(u.models for u in self.units)

    @property
    def done(self) -> int:
        return sum(u.attested + u.corrected for u in self.units)


def period_progress(session: Session, name: str | None = None) -> PeriodProgress:
    """Progress of the period *name* (or the open one) per business unit and per model."""
    period = get_period(session, name)
    latest: dict[int, Attestation] = {}
    for row in session.scalars(
        select(Attestation).where(Attestation.period_id == period.id).order_by(Attestation.id)
    ):
        latest[row.model_id] = row
    progress = PeriodProgress(
        period.name, period.due, period.opened_by, period.opened_at, period.closed_at
    )
    units: dict[str, UnitProgress] = {}
    scope = set(period.scope or [])
    for model in session.scalars(select(Model).where(Model.id.in_(scope)).order_by(Model.name)):
        unit = units.setdefault(
            model.business_unit or "—", UnitProgress(model.business_unit or "—")
        )
        unit.models += 1
        found = latest.get(model.id)
        if found is not None and found.verdict == rk.CORRECTED:
            unit.corrected += 1
        elif found is not None:
            unit.attested += 1
        progress.models.append(
            {
                "model": model.name,
                "owner": model.owner,
                "business_unit": model.business_unit,
                "verdict": found.verdict if found else "pending",
                "by": found.actor if found else "",
                "at": found.at if found else None,
            }
        )
    progress.units = sorted(units.values(), key=lambda u: u.business_unit)
    return progress


def remind_owners(
    session: Session, *, actor: str, name: str | None = None, now: datetime | None = None
) -> list[Alert]:
    """Raise a reminder, through the alert channels, to the owner of every model still
    pending in the period (at most one per model and day); returns those raised."""
    progress = period_progress(session, name)
    today = (now or db_now(session)).date()
    raised = []
    for row in progress.models:
        if row["verdict"] != "pending":
            continue
        days = (progress.due - today).days
        when = f"due in {days} days" if days >= 0 else f"{-days} days overdue"
        alert = Alert(
            ATTESTATION_REMINDER,
            f"attestation-{progress.name}-{row['model']}-{today.isoformat()}",
            row["model"],
            f"{row['model']}: please attest its inventory entry for {progress.name} ({when}, "
            f"by {progress.due})",
            (row["owner"],) if row["owner"] else (),
            {"period": progress.name, "due": progress.due.isoformat()},
        )
        model_id = session.scalar(select(Model.id).where(Model.name == row["model"]))
        if raise_alert(session, alert, actor=actor, model_id=model_id):
            raised.append(alert)
    return raised


def list_periods(session: Session) -> list[AttestationPeriod]:
    """Every attestation period, newest first."""
    return list(
        session.scalars(
            select(AttestationPeriod).order_by(
                AttestationPeriod.opened_at.desc(), AttestationPeriod.id.desc()
            )
        )
    )


__all__ = [
    "PeriodProgress",
    "UnitProgress",
    "attest",
    "attest_refusal",
    "attested_snapshot",
    "close_period",
    "get_period",
    "list_periods",
    "open_period",
    "period_progress",
    "remind_owners",
]
