"""Signatures and evidence, cross-checked against the audit events that recorded them.

A decision or a piece of deployment-check evidence counts only when exactly one audit event
records it, with the same content, and that event's own hash is right. So a row altered,
deleted, copied onto another version or inserted without going through Signoff (with psql, or
by editing the embedded database file) is named by ``signoff audit verify``, shown as
unverified in the Approvals tab and never counted toward a gate. The chain walk
(:func:`signoff.core.audit.chain.verify_events`) then proves the events themselves untouched.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import event_hash
from signoff.core.db.schema import AuditEvent, Decision, Evidence

DECISION_EVENT_PREFIX = events.DECISION_PREFIX
GO_LIVE_EVENT = events.VERSION_WENT_LIVE
EVIDENCE_EVENT = events.EVIDENCE_RECORDED

# the decision's columns that its event must repeat (payload key -> column)
_DECISION_PAYLOAD = ("gate", "role", "meaning", "comment", "manifest_hash", "review_round")
_EVIDENCE_PAYLOAD = ("check", "passed", "summary", "manifest_hash", "details")


@dataclass(frozen=True)
class RecordProblem:
    """A signature or a piece of evidence that does not match the trail."""

    kind: str  # "decision" or "evidence"
    record_id: int
    version_id: int | None
    problem: str

    def describe(self) -> str:
        what = _KIND_WORDS.get(self.kind, self.kind)
        return f"{what} #{self.record_id}: {self.problem}"


_KIND_WORDS = {
    "decision": "signature",
    "evidence": "evidence",
    "finding": "finding",
    "condition": "conditions of signature",
    "attestation": "attestation",
    "card": "model-card edit",
}


def _payload(event: AuditEvent) -> dict[str, Any]:
    try:
        value = json.loads(event.payload)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _same_time(recorded: Any, column: datetime | None) -> bool:
    if recorded is None or column is None:
        return recorded is None and column is None
    try:
        return datetime.fromisoformat(str(recorded)) == column
    except ValueError:
        return False


def _events(session: Session, version_ids: set[int] | None, evidence: bool) -> list[AuditEvent]:
    condition = (
        AuditEvent.action == EVIDENCE_EVENT
        if evidence
        else or_(
            AuditEvent.action.startswith(DECISION_EVENT_PREFIX), AuditEvent.action == GO_LIVE_EVENT
        )
    )
    query = select(AuditEvent).where(condition)
    if version_ids is not None:
        query = query.where(AuditEvent.version_id.in_(version_ids))
    return list(session.scalars(query.order_by(AuditEvent.seq)))


def _event_problem(event: AuditEvent) -> str:
    if event.seq <= 0:
        return ""  # written in this very transaction, not sealed yet: judged after commit
    if event_hash(event.prev_hash, event) != event.hash:
        return f"its audit event #{event.seq} no longer matches its own hash"
    return ""


def _match(
    kind: str, row: Decision | Evidence, events: list[AuditEvent], keys: Iterable[str]
) -> str:
    if not events:
        return "no audit event records it: it was written outside Signoff's workflow"
    if len(events) > 1:
        numbers = ", ".join(f"#{e.seq}" for e in events)
        return f"{len(events)} audit events claim it ({numbers})"
    event = events[0]
    payload = _payload(event)
    if event.version_id != row.version_id:
        return f"it belongs to another version than its audit event #{event.seq} says"
    if event.actor != row.actor:
        return f"its signer is {row.actor} but audit event #{event.seq} recorded {event.actor}"
    if isinstance(row, Decision):
        expected = "version.went_live" if row.action == "go_live" else f"decision.{row.action}"
        if event.action != expected:
            return f"it says '{row.action}' but audit event #{event.seq} recorded {event.action}"
    for key in keys:
        if key in payload and payload[key] != getattr(row, key):
            return (
                f"its {key.replace('_', ' ')} differs from what audit event #{event.seq} recorded"
            )
    if "at" in payload and not _same_time(payload["at"], row.at):
        return f"its time differs from what audit event #{event.seq} recorded"
    return _event_problem(event)


def check_records(
    session: Session, version_ids: set[int] | None = None
) -> tuple[dict[int, str], dict[int, str], list[RecordProblem]]:
    """Cross-check decisions and evidence (of *version_ids*, or all) with their events.

    Returns ``(decision id -> problem, evidence id -> problem, every problem)``; a problem is
    '' for a record that is verified. Events that record a row which is no longer there are
    reported too (a deleted signature).
    """
    problems: list[RecordProblem] = []
    decisions = _check_kind(session, version_ids, "decision", problems)
    evidence = _check_kind(session, version_ids, "evidence", problems)
    return decisions, evidence, problems


def _check_kind(
    session: Session, version_ids: set[int] | None, kind: str, problems: list[RecordProblem]
) -> dict[int, str]:
    table: type[Decision] | type[Evidence] = Decision if kind == "decision" else Evidence
    key = "decision_id" if kind == "decision" else "evidence_id"
    keys = _DECISION_PAYLOAD if kind == "decision" else _EVIDENCE_PAYLOAD
    query = select(table)
    if version_ids is not None:
        query = query.where(table.version_id.in_(version_ids))
    rows: list[Decision | Evidence] = list(session.scalars(query.order_by(table.id)))
    by_id: dict[int, list[AuditEvent]] = {}
    for event in _events(session, version_ids, evidence=kind == "evidence"):
        record_id = _payload(event).get(key)
        if isinstance(record_id, int):
            by_id.setdefault(record_id, []).append(event)
    verdict: dict[int, str] = {}
    for row in rows:
        verdict[row.id] = _match(kind, row, by_id.pop(row.id, []), keys)
        if verdict[row.id]:
            problems.append(RecordProblem(kind, row.id, row.version_id, verdict[row.id]))
    for record_id, orphans in sorted(by_id.items()):
        problems.append(
            RecordProblem(
                kind,
                record_id,
                orphans[0].version_id,
                f"audit event #{orphans[0].seq} records it, but it is no longer in the "
                "registry (deleted)",
            )
        )
    return verdict


__all__ = ["RecordProblem", "check_records"]
