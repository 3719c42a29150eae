"""The model inventory for regulators, as it stood at a chosen moment, as CSV and PDF.

Every fact is reconstructed from the history, never read from today's summary columns: the
risk tier from the tier-change events, the live version from the deployment periods, each
version's state from its audit events, the last validation from the decisions, the findings
from their insert-only changes (each holds the finding's whole state), the monitoring status
from the stale-flag events and the consumers from their creation time. So "the inventory as
it stood on 31 March" is exact, and the report is signed with the audit chain's head at that
moment (the last event then: its number and hash), which ``signoff audit verify`` can check.

Owner, title and business unit are the model's current metadata (their edits are not
versioned, except the corrections an owner makes at attestation, which the trail records).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.catalog.findings_view import list_findings, open_by_severity
from signoff.core.catalog.lookup import live_version_at
from signoff.core.catalog.revalidation import add_months, last_validation, revalidation_months
from signoff.core.db import model_risk as rk
from signoff.core.db.schema import (
    LIVE,
    PRODUCTION,
    READY,
    SUPERSEDED,
    AuditEvent,
    Consumer,
    Deployment,
    Model,
    Version,
)

CSV_COLUMNS = (
    "model",
    "title",
    "risk_tier",
    "tier_rationale",
    "owner",
    "business_unit",
    "latest_version_state",
    "live_version",
    "live_since",
    "last_validated",
    "next_validation_due",
    "open_findings",
    "limitations",
    "exceptions",
    "consumers",
    "monitoring",
)


@dataclass
class InventoryEntry:
    """One model's line in the report (plain values as of the report's moment)."""

    model: str
    title: str
    risk_tier: str
    tier_rationale: str
    owner: str
    business_unit: str
    state: str  # of the latest version: "v4 in_review"
    live_version: int | None
    live_since: str
    last_validated: str
    next_validation_due: str
    open_findings: dict[str, int] = field(default_factory=dict)
    limitations: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    consumers: list[str] = field(default_factory=list)
    monitoring: str = ""

    def open_findings_words(self) -> str:
        return ", ".join(f"{n} {s}" for s, n in self.open_findings.items()) or "none"


@dataclass
class InventoryReport:
    """The whole report: when it stands, the chain's head then, and one entry per model."""

    as_of: datetime
    generated_at: datetime
    generated_by: str
    head_seq: int
    head_hash: str
    entries: list[InventoryEntry]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_of"], data["generated_at"] = self.as_of.isoformat(), self.generated_at.isoformat()
        return data


def _payload(event: AuditEvent) -> dict[str, Any]:
    try:
        value = json.loads(event.payload)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _when(event: AuditEvent) -> datetime:
    """When the recorded thing happened: the time the payload states (a decision imported or
    back-dated with its history), else when the event was written."""
    stated = _payload(event).get("at")
    if isinstance(stated, str):
        try:
            return datetime.fromisoformat(stated)
        except ValueError:
            pass
    return event.at


def _model_events(
    session: Session, model_id: int, actions: tuple[str, ...], at: datetime
) -> list[AuditEvent]:
    return [
        e
        for e in session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.model_id == model_id,
                AuditEvent.action.in_(actions),
            )
            .order_by(AuditEvent.seq)
        )
        if _when(e) <= at
    ]


def tier_at(session: Session, model: Model, at: datetime) -> tuple[str, str]:
    """The model's risk tier at *at*, and its rationale (the reason recorded with the change
    that set it, or "tier at registration")."""
    changes = list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.model_id == model.id, AuditEvent.action == events.RISK_TIER_CHANGED)
            .order_by(AuditEvent.seq)
        )
    )
    before = [e for e in changes if _when(e) <= at]
    if before:
        last = _payload(before[-1])
        return str(last.get("to", model.risk_tier)), str(last.get("reason", ""))
    if changes:  # changed only later: it was what the first change moved it from
        return str(_payload(changes[0]).get("from", model.risk_tier)), "tier at registration"
    return model.risk_tier, "tier at registration"


def state_at(session: Session, version: Version, at: datetime) -> str:
    """The state *version* was in at *at*: its decisions' audit events, and its deployment
    periods for live and superseded (a version is superseded by another's go-live, which
    writes no event of its own)."""
    state = "draft"
    for event in session.scalars(
        select(AuditEvent)
        .where(AuditEvent.version_id == version.id)
        .order_by(AuditEvent.seq.desc())
    ):
        if _when(event) > at:
            continue
        found = _payload(event).get("state_to")
        if isinstance(found, str) and found:
            state = found
            break
    periods = session.execute(
        select(Deployment.live_from, Deployment.live_to).where(
            Deployment.version_id == version.id,
            Deployment.environment == PRODUCTION,
            Deployment.live_from <= at,
        )
    ).all()
    if any(end is None or end > at for _start, end in periods):
        return LIVE
    if periods and state in (READY, LIVE):
        return SUPERSEDED
    return state


def monitoring_at(session: Session, model: Model, at: datetime) -> str:
    """ "stale: reason" or "ok" from the monitoring verdicts recorded by *at*."""
    verdicts = _model_events(
        session,
        model.id,
        (events.FLAGGED_STALE, events.STALE_CLEARED, "monitoring.stale_reason_changed"),
        at,
    )
    if not verdicts or verdicts[-1].action == events.STALE_CLEARED:
        return "ok"
    reasons = _payload(verdicts[-1]).get("reasons") or []
    words = "; ".join(str(r) for r in reasons) if isinstance(reasons, list) else str(reasons)
    return f"stale: {words}" if words else "stale"


def entry_at(session: Session, model: Model, at: datetime) -> InventoryEntry:
    """One model's entry as of *at*."""
    tier, rationale = tier_at(session, model, at)
    versions = [v for v in model.versions if v.created_at <= at]
    latest = versions[-1] if versions else None
    live = live_version_at(session, model.name, at)
    since = last = due = ""
    if live is not None:
        start = session.scalar(
            select(Deployment.live_from)
            .where(Deployment.version_id == live.id, Deployment.live_from <= at)
            .order_by(Deployment.live_from.desc())
            .limit(1)
        )
        since = f"{start:%Y-%m-%d}" if start else ""
        validated = last_validation(session, live.id, at)
        if validated is not None:
            last = f"{validated:%Y-%m-%d}"
            due = f"{add_months(validated, revalidation_months(session, tier, at)):%Y-%m-%d}"
        else:
            due = "never validated"
    findings = list_findings(session, model=model.name, as_of=at)
    consumers = session.scalars(
        select(Consumer.name)
        .where(Consumer.model_id == model.id, Consumer.created_at <= at)
        .order_by(Consumer.name)
    )
    return InventoryEntry(
        model.name,
        model.title or "",
        tier,
        rationale,
        model.owner or "",
        model.business_unit or "",
        f"v{latest.number} {state_at(session, latest, at)}" if latest else "no version yet",
        live.number if live else None,
        since,
        last,
        due,
        open_by_severity(findings, at.date()),
        [
            f"#{f.id} {f.title} (controls: {f.compensating_controls})"
            for f in findings
            if f.status == rk.ACCEPTED
        ],
        [f"#{f.id} {f.title} (until {f.expires})" for f in findings if f.status == rk.EXCEPTION],
        list(consumers),
        monitoring_at(session, model, at),
    )


def build_report(
    session: Session, as_of: datetime, *, generated_by: str, generated_at: datetime
) -> InventoryReport:
    """The inventory of every model registered by *as_of*, as it stood then."""
    head = session.execute(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.at <= as_of, AuditEvent.seq > 0)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    models = session.scalars(select(Model).where(Model.created_at <= as_of).order_by(Model.name))
    return InventoryReport(
        as_of,
        generated_at,
        generated_by,
        head[0] if head else 0,
        head[1] if head else "",
        [entry_at(session, m, as_of) for m in models],
    )


def render_csv(report: InventoryReport) -> str:
    """The report as CSV: a comment line with the moment and the chain head, then one row a
    model."""
    out = io.StringIO()
    out.write(
        f"# Signoff model inventory as of {report.as_of:%Y-%m-%d %H:%M:%S} UTC; audit head "
        f"#{report.head_seq} {report.head_hash}\n"
    )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in report.entries:
        writer.writerow(
            [
                e.model,
                e.title,
                e.risk_tier,
                e.tier_rationale,
                e.owner,
                e.business_unit,
                e.state,
                e.live_version or "",
                e.live_since,
                e.last_validated,
                e.next_validation_due,
                e.open_findings_words(),
                "; ".join(e.limitations),
                "; ".join(e.exceptions),
                "; ".join(e.consumers),
                e.monitoring,
            ]
        )
    return out.getvalue()


__all__ = [
    "CSV_COLUMNS",
    "InventoryEntry",
    "InventoryReport",
    "build_report",
    "entry_at",
    "render_csv",
    "state_at",
    "tier_at",
]
