"""Read models of the workflow for screens and the command line: gates, checks, queues.

Everything here is plain data built in one read session, so a GUI worker can compute it and
hand it to the GUI thread. What is allowed is decided by the same precondition code the
transitions run (:func:`signoff.core.governance.workflow.check_allowed`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.catalog.lookup import consumers_of, get_model, get_version, live_versions
from signoff.core.catalog.words import action_word, count, in_words, role_word, state_word
from signoff.core.common.errors import TransitionError
from signoff.core.db.lifecycle import CHECKS_STEP
from signoff.core.db.registry import db_now
from signoff.core.db.schema import APPROVED, IN_REVIEW, READY, AuditEvent, Decision, Model, Version
from signoff.core.governance.gates import missing_roles, unverified_decisions
from signoff.core.governance.people import printed_names, roles_of
from signoff.core.governance.policy import (
    GATE_TITLES,
    GATES,
    recorded_policy,
    required_for,
)
from signoff.core.governance.workflow import (
    ACTIONS,
    check_allowed,
    current_gate,
    gate_signatures,
    latest_evidence,
)


@dataclass(frozen=True)
class Signature:
    """A signed decision as 21 CFR Part 11 asks it be shown: name, date/time, meaning."""

    decision_id: int
    login: str
    printed_name: str
    role: str
    gate: str
    action: str
    at: datetime
    meaning: str
    comment: str
    manifest_hash: str
    bound_to_current: bool
    problem: str = ""  # why the trail does not vouch for it ('' when it does)

    @property
    def verified(self) -> bool:
        """True when exactly one intact audit event records this signature unchanged."""
        return not self.problem


@dataclass(frozen=True)
class GateStatus:
    gate: str
    title: str
    required: list[str]
    signed: dict[str, Signature]
    missing: list[str]
    complete: bool
    open: bool


@dataclass(frozen=True)
class CheckStatus:
    check: str
    required: bool
    passed: bool | None  # None: no evidence for the current manifest
    at: datetime | None
    summary: str
    actor: str


@dataclass
class ApprovalStatus:
    """Everything the Approvals tab shows for one version and one viewer."""

    model: str
    number: int
    version_id: int
    state: str
    author: str
    risk_tier: str
    manifest_hash: str
    row_version: int
    policy_revision: int
    viewer: str
    viewer_roles: list[str]
    gates: list[GateStatus]
    checks: list[CheckStatus]
    decisions: list[Signature]
    live_version: int | None
    consumers: list[str]
    allowed: dict[str, str | None] = field(default_factory=dict)  # action → None or reason

    def may(self, action: str) -> bool:
        return self.allowed.get(action, "unknown action") is None


def _signature(
    d: Decision, names: dict[str, str], manifest_hash: str, problem: str = ""
) -> Signature:
    return Signature(
        d.id,
        d.actor,
        names.get(d.actor, d.actor),
        d.role,
        d.gate,
        d.action,
        d.at,
        d.meaning,
        d.comment,
        d.manifest_hash,
        d.manifest_hash == manifest_hash,
        problem,
    )


def approval_status(session: Session, model: str, number: int, viewer: str) -> ApprovalStatus:
    """Gates, signatures, checks, decisions and the actions *viewer* may take now."""
    version = get_version(session, model, number)
    policy = recorded_policy(session, version)
    unverified = unverified_decisions(session, version)
    decisions = list(
        session.scalars(
            select(Decision).where(Decision.version_id == version.id).order_by(Decision.id)
        )
    )
    names = printed_names(session, {d.actor for d in decisions} | {version.author})
    gates = []
    for gate in GATES:
        signed = {
            d.role: _signature(d, names, version.manifest_hash)
            for d in gate_signatures(session, version, gate)
        }
        still_open = current_gate(version.state) == gate
        required = required_for(session, version, gate, strict=still_open)
        missing = missing_roles(session, version, gate, strict=still_open)
        gates.append(
            GateStatus(
                gate,
                GATE_TITLES[gate],
                required,
                signed,
                missing,
                not missing,
                current_gate(version.state) == gate,
            )
        )
    evidence = latest_evidence(session, version)
    checks = []
    required_checks = required_for(session, version, CHECKS_STEP, strict=version.state == APPROVED)
    for check in dict.fromkeys([*required_checks, *evidence]):
        row = evidence.get(check)
        checks.append(
            CheckStatus(
                check,
                check in required_checks,
                row.passed if row else None,
                row.at if row else None,
                row.summary if row else "",
                row.actor if row else "",
            )
        )
    status = ApprovalStatus(
        model=model,
        number=number,
        version_id=version.id,
        state=version.state,
        author=version.author,
        risk_tier=version.model.risk_tier,
        manifest_hash=version.manifest_hash,
        row_version=version.row_version,
        policy_revision=policy.revision,
        viewer=viewer,
        viewer_roles=sorted(roles_of(session, viewer)),
        gates=gates,
        checks=checks,
        decisions=[
            _signature(d, names, version.manifest_hash, unverified.get(d.id, "")) for d in decisions
        ],
        live_version=live_versions(session, version.model_id).get("production"),
        consumers=[c.name for c in consumers_of(session, version.model_id) if c.active],
    )
    for action in ACTIONS:
        try:
            check_allowed(session, version, action, viewer)
            status.allowed[action] = None
        except TransitionError as exc:
            status.allowed[action] = str(exc).split(": ", 1)[-1]
    return status


@dataclass(frozen=True)
class ReviewItem:
    """A version waiting for a decision by one of the viewer's roles."""

    model: str
    number: int
    title: str
    risk_tier: str
    state: str
    gate: str
    gate_title: str
    my_roles: list[str]
    missing: list[str]
    author: str
    waiting_since: datetime
    age: timedelta


def my_reviews(session: Session, viewer: str, *, limit: int = 500) -> list[ReviewItem]:
    """Versions in a gate where *viewer* may sign a missing role now, oldest first."""
    held = roles_of(session, viewer)
    if not held:
        return []
    now = db_now(session)
    rows = session.execute(
        select(Version, Model)
        .join(Model, Model.id == Version.model_id)
        .where(Version.state.in_((IN_REVIEW, READY)), Version.author != viewer)
        .order_by(Version.state_changed_at, Version.id)
        .limit(limit * 4)
    ).all()
    items = []
    for version, model in rows:
        gate = current_gate(version.state)
        signatures = gate_signatures(session, version, gate)
        if any(d.actor == viewer for d in signatures):
            continue
        missing = missing_roles(session, version, gate)
        mine = [r for r in missing if r in held]
        if not mine:
            continue
        items.append(
            ReviewItem(
                model.name,
                version.number,
                model.title,
                model.risk_tier,
                version.state,
                gate,
                GATE_TITLES[gate],
                mine,
                missing,
                version.author,
                version.state_changed_at,
                now - version.state_changed_at,
            )
        )
        if len(items) >= limit:
            break
    return items


def version_events(session: Session, model: str, number: int | None = None) -> list[AuditEvent]:
    """Audit events of a version (or of a whole model when *number* is None), oldest first."""
    if number is None:
        model_id = get_model(session, model).id
        stmt = select(AuditEvent).where(AuditEvent.model_id == model_id)
    else:
        version = get_version(session, model, number)
        stmt = select(AuditEvent).where(AuditEvent.version_id == version.id)
    return list(session.scalars(stmt.order_by(AuditEvent.seq)))


@dataclass(frozen=True)
class TimelineEntry:
    """One audit event as the Audit tab shows it; signatures carry name, time and meaning."""

    seq: int
    at: datetime  # when it happened (the history's time; for most events, when recorded)
    login: str
    printed_name: str
    action: str
    title: str
    details: str
    is_signature: bool
    meaning: str
    hash: str
    recorded_at: datetime | None = None  # when the audit chain recorded it (database clock)


def _occurred_at(payload: dict[str, Any], recorded: datetime) -> datetime:
    """When an event happened: the time its payload carries (a decision back-dated to its
    day by an import or the demo), else the time the chain recorded it."""
    value = payload.get("at") or payload.get("published")
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).replace(tzinfo=None)
        except ValueError:
            return recorded
    return recorded


def _describe(action: str, payload: dict[str, Any]) -> tuple[str, str]:
    if events.is_decision(action):
        what = action.split(".", 1)[1]
        words = [
            f"{state_word(payload.get('state_from'))} → {state_word(payload.get('state_to'))}"
            if payload.get("state_from") != payload.get("state_to")
            else ""
        ]
        if payload.get("role"):
            words.insert(0, f"as {role_word(str(payload['role']))}")
        if payload.get("comment"):
            words.append(f"“{payload['comment']}”")
        return action_word(what).lower(), "; ".join(w for w in words if w)
    if action == events.VERSION_WENT_LIVE:
        sup = payload.get("superseded") or []
        return "went live", (
            f"in {payload.get('environment')}"
            + (f"; superseded v{', v'.join(map(str, sup))}" if sup else "")
            + (
                f"; {count(int(payload['notified']), 'notification')} queued"
                if payload.get("notified")
                else ""
            )
        )
    if action == events.VERSION_BACKDATED:
        return "published (the demo's history)", f"published {payload.get('published', '')}"
    keys = [
        k
        for k in (
            "check",
            "passed",
            "summary",
            "consumer",
            "event",
            "state_to",
            "risk_tier",
            "revision",
            "roles",
        )
        if k in payload
    ]
    details = ", ".join(f"{k.replace('_', ' ')}: {payload[k]}" for k in keys)
    return action.replace(".", " ").replace("_", " "), in_words(details)


def timeline(session: Session, model: str, number: int | None = None) -> list[TimelineEntry]:
    """The audit events of a version (or a whole model) as a timeline, oldest first."""
    trail = version_events(session, model, number)
    names = printed_names(session, {e.actor for e in trail})
    payloads = {e.seq: _payload(e) for e in trail}
    # a version the demo back-dated was published in its history, not at the build minute
    published = {
        e.version_id: _occurred_at(payloads[e.seq], e.at)
        for e in trail
        if e.action == events.VERSION_BACKDATED
    }
    entries = []
    for e in trail:
        payload = payloads[e.seq]
        title, details = _describe(e.action, payload)
        occurred = _occurred_at(payload, e.at)
        if e.action == events.VERSION_PUBLISHED and e.version_id in published:
            occurred = published[e.version_id]
        is_signature = events.is_decision(e.action) or (
            e.action == events.VERSION_WENT_LIVE and "decision_id" in payload
        )
        entries.append(
            TimelineEntry(
                e.seq,
                occurred,
                e.actor,
                names.get(e.actor, e.actor),
                e.action,
                title,
                details,
                is_signature,
                payload.get("meaning", "") if is_signature else "",
                e.hash,
                e.at,
            )
        )
    return entries


def _payload(event: AuditEvent) -> dict[str, Any]:
    try:
        payload = json.loads(event.payload)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}
