"""Findings, conditions, attestations and card edits, cross-checked against their audit events.

As for signatures (:mod:`signoff.core.audit.records`): every change to a finding, every
condition on a signature, every attestation and every card edit counts only when exactly one
intact audit event records it with the same content, and a finding as it stands must equal the
state its last recorded change left it in. A row written or altered outside Signoff (with psql,
or by editing the embedded database file) is named by ``signoff audit verify``, and a finding
that does not match its trail is never taken as resolved at a gate.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.audit.chain import canonical_json, event_hash
from signoff.core.audit.records import RecordProblem
from signoff.core.db import model_risk as rk
from signoff.core.db.schema import (
    Attestation,
    AuditEvent,
    CardEntry,
    Condition,
    Decision,
    Finding,
    FindingChange,
)


def _payload(event: AuditEvent) -> dict[str, Any]:
    try:
        value = json.loads(event.payload)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _plain(value: Any) -> Any:
    """*value* as the JSON an event holds (dates as ISO text)."""
    return json.loads(canonical_json(value))


def _same_time(recorded: Any, column: datetime) -> bool:
    try:
        return datetime.fromisoformat(str(recorded)) == column
    except ValueError:
        return False


def _sealed_problem(event: AuditEvent) -> str:
    if event.seq > 0 and event_hash(event.prev_hash, event) != event.hash:
        return f"its audit event #{event.seq} no longer matches its own hash"
    return ""


def _by_key(session: Session, actions: list[str], key: str) -> dict[int, list[AuditEvent]]:
    out: dict[int, list[AuditEvent]] = {}
    query = select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.seq)
    for event in session.scalars(query):
        record = _payload(event).get(key)
        if isinstance(record, int):
            out.setdefault(record, []).append(event)
    return out


def _one(events: list[AuditEvent]) -> tuple[AuditEvent | None, str]:
    if not events:
        return None, "no audit event records it: it was written outside Signoff's workflow"
    if len(events) > 1:
        return (
            None,
            f"{len(events)} audit events claim it ({', '.join(f'#{e.seq}' for e in events)})",
        )
    return events[0], ""


def _compare(event: AuditEvent, actor: str, expected: dict[str, Any], at: datetime) -> str:
    payload = _payload(event)
    if event.actor != actor:
        return f"it was made by {actor} but audit event #{event.seq} recorded {event.actor}"
    for key, value in expected.items():
        if payload.get(key) != _plain(value):
            return (
                f"its {key.replace('_', ' ')} differs from what audit event #{event.seq} recorded"
            )
    if "at" in payload and not _same_time(payload["at"], at):
        return f"its time differs from what audit event #{event.seq} recorded"
    return _sealed_problem(event)


def finding_problems(session: Session, model_id: int | None = None) -> list[RecordProblem]:
    """Every finding change that does not match its event, and every finding that is not what
    its last recorded change says (of one model, or all)."""
    problems: list[RecordProblem] = []
    query = select(FindingChange).join(Finding, Finding.id == FindingChange.finding_id)
    findings = select(Finding)
    if model_id is not None:
        query = query.where(Finding.model_id == model_id)
        findings = findings.where(Finding.model_id == model_id)
    actions = [rk.finding_event(a) for a in rk.FINDING_ACTIONS]
    events = _by_key(session, actions, "change_id")
    last: dict[int, FindingChange] = {}
    for change in session.scalars(query.order_by(FindingChange.id)):
        last[change.finding_id] = change
        event, why = _one(events.pop(change.id, []))
        if event is not None:
            why = (
                f"it says '{change.action}' but audit event #{event.seq} recorded {event.action}"
                if event.action != rk.finding_event(change.action)
                else _compare(
                    event,
                    change.actor,
                    {
                        "finding_id": change.finding_id,
                        "status_from": change.status_from,
                        "status_to": change.status_to,
                        "comment": change.comment,
                        "snapshot": change.snapshot,
                    },
                    change.at,
                )
            )
        if why:
            problems.append(
                RecordProblem("finding", change.finding_id, None, f"change #{change.id}: {why}")
            )
    for finding in session.scalars(findings.order_by(Finding.id)):
        latest = last.get(finding.id)
        if latest is None:
            problems.append(
                RecordProblem(
                    "finding", finding.id, finding.version_id, "no recorded change made it"
                )
            )
            continue
        now = {k: _plain(getattr(finding, k)) for k in rk.SNAPSHOT_FIELDS}
        differs = [k for k in rk.SNAPSHOT_FIELDS if latest.snapshot.get(k) != now[k]]
        if differs:
            problems.append(
                RecordProblem(
                    "finding",
                    finding.id,
                    finding.version_id,
                    f"its {', '.join(d.replace('_', ' ') for d in differs)} is not what its last "
                    f"recorded change (#{latest.id}) left",
                )
            )
    if model_id is None:
        for change_id, orphans in sorted(events.items()):
            problems.append(
                RecordProblem(
                    "finding",
                    int(_payload(orphans[0]).get("finding_id") or 0),
                    orphans[0].version_id,
                    f"audit event #{orphans[0].seq} records change #{change_id}, which is no "
                    "longer in the registry (deleted)",
                )
            )
    return problems


def untrusted_findings(session: Session, model_id: int) -> dict[int, str]:
    """Finding id -> why its state cannot be trusted, for one model's findings."""
    out: dict[int, str] = {}
    for problem in finding_problems(session, model_id):
        out.setdefault(problem.record_id, problem.problem)
    return out


def condition_problems(session: Session) -> list[RecordProblem]:
    """Conditions that their decision's audit event does not record, and the reverse."""
    problems: list[RecordProblem] = []
    recorded: dict[int, set[tuple[int, str]]] = {}
    for event in session.scalars(
        select(AuditEvent).where(
            AuditEvent.action.in_([f"decision.{a}" for a in rk.CONDITIONAL_ACTIONS])
        )
    ):
        payload = _payload(event)
        decision = payload.get("decision_id")
        if isinstance(decision, int):
            recorded[decision] = {
                (int(c.get("finding_id", 0)), str(c.get("due", "")))
                for c in payload.get("conditions") or []
                if isinstance(c, dict)
            }
    stored: dict[int, set[tuple[int, str]]] = {}
    for row in session.scalars(select(Condition).order_by(Condition.id)):
        stored.setdefault(row.decision_id, set()).add((row.finding_id, row.due.isoformat()))
    for decision_id in sorted(set(recorded) | set(stored)):
        want, have = recorded.get(decision_id, set()), stored.get(decision_id, set())
        if want != have:
            version = session.scalar(select(Decision.version_id).where(Decision.id == decision_id))
            extra = ", ".join(f"#{f} by {d}" for f, d in sorted(have - want))
            lost = ", ".join(f"#{f} by {d}" for f, d in sorted(want - have))
            words = "; ".join(
                w
                for w in (
                    f"conditions not in its audit event: {extra}" if extra else "",
                    f"conditions its audit event records but the registry lost: {lost}"
                    if lost
                    else "",
                )
                if w
            )
            problems.append(RecordProblem("condition", decision_id, version, words))
    return problems


def attestation_problems(session: Session) -> list[RecordProblem]:
    """Attestations that no (or more than one) matching audit event records."""
    problems: list[RecordProblem] = []
    events = _by_key(session, [rk.ATTESTATION_RECORDED], "attestation_id")
    for row in session.scalars(select(Attestation).order_by(Attestation.id)):
        event, why = _one(events.pop(row.id, []))
        if event is not None:
            why = _compare(
                event,
                row.actor,
                {
                    "period_id": row.period_id,
                    "model_id": row.model_id,
                    "verdict": row.verdict,
                    "comment": row.comment,
                    "corrections": row.corrections,
                    "snapshot": row.snapshot,
                },
                row.at,
            )
        if why:
            problems.append(RecordProblem("attestation", row.id, None, why))
    return problems


def card_problems(session: Session) -> list[RecordProblem]:
    """Card edits that no (or more than one) matching audit event records."""
    problems: list[RecordProblem] = []
    events = _by_key(session, [rk.CARD_EDITED], "card_entry_id")
    for row in session.scalars(select(CardEntry).order_by(CardEntry.id)):
        event, why = _one(events.pop(row.id, []))
        if event is not None:
            why = _compare(
                event,
                row.actor,
                {"field": row.field, "value": row.value, "reason": row.reason},
                row.at,
            )
        if why:
            problems.append(RecordProblem("card", row.id, row.version_id, why))
    return problems


def risk_record_problems(session: Session) -> list[RecordProblem]:
    """Every model-risk record that does not match the trail."""
    return [
        *finding_problems(session),
        *condition_problems(session),
        *attestation_problems(session),
        *card_problems(session),
    ]


__all__ = [
    "attestation_problems",
    "card_problems",
    "condition_problems",
    "finding_problems",
    "risk_record_problems",
    "untrusted_findings",
]
