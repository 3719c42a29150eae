"""Alerts raised from the audit trail: every governance change people must hear about.

The events that alert someone are written by the workflow, monitoring, ingest and the
deliverer (on PostgreSQL by the database's own functions), so the trail is the one complete,
trustworthy list of what happened. :func:`fan_out_alerts` walks it from the job's cursor
(``service_jobs``: the last event fanned out), raises one alert per event for the people
responsible (dedupe key ``event-<seq>``: a second pass raises nothing), and moves the cursor,
all in one transaction under the job's lease: a crash raises nothing or everything, and two
services never both fan out the same event.

============================  ==========================  =================================
event                         alert                       for
============================  ==========================  =================================
``decision.do_not_use``       do_not_use (warning)        owner, the tier's reviewers
``version.went_live``         went_live                   owner
``monitoring.flagged_stale``  stale (critical)            owner, production-use reviewers
``monitoring.stale_*``        stale (info / warning)      owner, production-use reviewers
``monitoring.do_not_use_used`` do_not_use_used (critical) owner
``notification.failed``       delivery_failed (warning)   owner, admins
``consumer.acknowledged``     acknowledged                owner
``alert.raised``              its model-risk kind         the people and roles it names
============================  ==========================  =================================

A model-risk alert (``alert.raised``, from :mod:`signoff.core.governance.alerts`) keeps its
own key: the login that recorded it has usually raised it already, and then nothing is
raised twice; one that could not (an owner attesting on PostgreSQL) leaves it to the fan-out.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.db import lifecycle as lc
from signoff.core.db.jobs import claim_job, finish_job, job_state
from signoff.core.db.registry import Registry, pg_function_exists
from signoff.core.db.schema import AuditEvent, Model, Version
from signoff.core.notifications import alerts as al
from signoff.core.notifications.notices import replacement_fields

log = logging.getLogger(__name__)

JOB = "alerts-fan-out"
BATCH = 500
FAN_OUT_ACTIONS = (
    events.decision("do_not_use"),
    events.VERSION_WENT_LIVE,
    events.FLAGGED_STALE,
    events.STALE_CLEARED,
    events.STALE_REASON_CHANGED,
    events.DO_NOT_USE_USED,
    events.NOTIFICATION_FAILED,
    events.CONSUMER_ACKNOWLEDGED,
    events.ALERT_RAISED,
)


@dataclass(frozen=True)
class AlertSpec:
    """The alert one event raises."""

    kind: str
    severity: str
    title: str
    body: str
    people: list[str]
    dedupe_key: str = ""  # "" for the event's own key, ``event-<seq>``


def _payload(event: AuditEvent) -> dict[str, Any]:
    try:
        value = json.loads(event.payload)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def alert_for_event(session: Session, event: AuditEvent) -> AlertSpec | None:
    """The alert *event* raises, or None (not an alerting event, or about nothing left)."""
    model = session.get(Model, event.model_id) if event.model_id else None
    version = session.get(Version, event.version_id) if event.version_id else None
    data = _payload(event)
    if model is None:
        return None
    name = model.name
    label = f"{name} v{version.number}" if version is not None else name
    action = event.action
    if action == events.decision("do_not_use") and version is not None:
        found = replacement_fields(session, model.id, version.id)
        moved = found["replacement"]
        return AlertSpec(
            al.DO_NOT_USE,
            "warning",
            f"{label} was marked do not use",
            f"Reason: {data.get('comment', '')}\n"
            + (
                f"Replacement: v{moved['version']} (live).\n"
                if moved
                else "Replacement: none yet.\n"
            )
            + f"{data.get('notified', 0)} consumer notice(s) queued; marked by "
            f"{data.get('actor', event.actor)}.",
            al.responsible_people(session, model, roles=al.tier_roles(session, model.risk_tier)),
        )
    if action == events.VERSION_WENT_LIVE and version is not None:
        before = data.get("superseded") or []
        return AlertSpec(
            al.WENT_LIVE,
            "info",
            f"{label} is live in {data.get('environment', 'production')}",
            f"Put live by {data.get('actor', event.actor)}"
            + (f"; it replaces v{', v'.join(str(n) for n in before)}." if before else "."),
            al.responsible_people(session, model),
        )
    reviewers = al.tier_roles(session, model.risk_tier, (lc.PRODUCTION_USE,))
    if action == events.FLAGGED_STALE:
        return AlertSpec(
            al.STALE,
            "critical",
            f"{name} is stale",
            "\n".join(data.get("reasons") or []),
            al.responsible_people(session, model, roles=reviewers),
        )
    if action == events.STALE_CLEARED:
        return AlertSpec(
            al.STALE,
            "info",
            f"{name} is no longer stale",
            "Every monitoring rule holds again.",
            al.responsible_people(session, model, roles=reviewers),
        )
    if action == events.STALE_REASON_CHANGED:
        return AlertSpec(
            al.STALE,
            "warning",
            f"{name} is still stale, for other reasons",
            "\n".join(data.get("reasons") or []),
            al.responsible_people(session, model, roles=reviewers),
        )
    if action == events.DO_NOT_USE_USED:
        who = data.get("consumer") or "a process that did not say who it is"
        return AlertSpec(
            al.DO_NOT_USE_USED,
            "critical",
            f"{label} is marked do not use, but {who} still uses it",
            f"After the notice the factory reported {data.get('executions', 0)} execution(s), "
            f"{data.get('predictions', 0)} prediction(s) and {data.get('rows_scored', 0)} "
            f"rows scored by it (last at {data.get('last_used_at')}). The records are stored "
            "and flagged.",
            al.responsible_people(session, model),
        )
    if action == events.NOTIFICATION_FAILED:
        if data.get("event") == "alert":
            return None  # an alert about a failed alert e-mail would only fail the same way
        to = data.get("consumer") or data.get("person") or "?"
        return AlertSpec(
            al.DELIVERY_FAILED,
            "warning",
            f"A {str(data.get('event', '')).replace('_', ' ')} notice to {to} could not be "
            "delivered",
            f"Given up after {data.get('attempts')} attempt(s) by {data.get('channel', 'webhook')}"
            f": {data.get('error', '')}",
            al.responsible_people(session, model, roles=("admin",)),
        )
    if action == events.ALERT_RAISED:
        kind = str(data.get("kind", ""))
        words, severity = al.RISK_KIND_WORDS.get(kind, (kind.replace("_", " "), "warning"))
        return AlertSpec(
            kind,
            severity,
            f"{data.get('model') or name}: {words}",
            str(data.get("message", "")),
            al.expand_people(session, data.get("recipients") or []),
            str(data.get("key") or ""),
        )
    if action == events.CONSUMER_ACKNOWLEDGED:
        how = "by its link" if data.get("via") == "link" else f"(recorded by {event.actor})"
        return AlertSpec(
            al.ACKNOWLEDGED,
            "info",
            f"{data.get('consumer')} acknowledged that {label} must not be used",
            f"Acknowledged {how}. {data.get('note', '')}".strip(),
            al.responsible_people(session, model),
        )
    return None


def _may_lease(registry: Registry) -> bool:
    """Whether this login takes the service's leases (on PostgreSQL: the service logins and
    admins only)."""
    if registry.dialect != "postgresql":
        return True
    with registry.read() as session:
        if not pg_function_exists(session, "signoff_claim_job"):
            return True  # a registry before 0011: the portable path decides
        return bool(
            session.execute(
                text(
                    "SELECT has_function_privilege(current_user, "
                    "'signoff_claim_job(text, text, integer, boolean, timestamp)', 'EXECUTE')"
                )
            ).scalar_one()
        )


def fan_out_alerts(registry: Registry, *, holder: str = "", limit: int = BATCH) -> int:
    """Raise the alerts of the audit events since the cursor; returns how many were raised.

    Does nothing when another instance holds the fan-out's lease, or when this login may not
    raise alerts and take leases (on PostgreSQL: the service logins and admins).
    """
    if not al.may_raise_alerts(registry) or not _may_lease(registry):
        return 0
    holder = holder or f"fan-out:{registry.actor}"
    raised = 0
    with registry.write() as session:
        if not claim_job(session, JOB, holder, 300):
            return 0
        state = job_state(session, JOB)
        cursor = state.cursor if state is not None else 0
        top = session.scalar(select(func.max(AuditEvent.seq))) or 0
        batch = list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.seq > cursor, AuditEvent.action.in_(FAN_OUT_ACTIONS))
                .order_by(AuditEvent.seq)
                .limit(limit)
            )
        )
        # the cursor moves past non-alerting events too, unless the batch was cut short
        new_cursor = batch[-1].seq if len(batch) >= limit else top
        for event in batch:
            spec = alert_for_event(session, event)
            if spec is None:
                continue
            alert_id = al.raise_alert(
                session,
                spec.kind,
                f"{event.entity_id}",
                spec.people,
                title=spec.title,
                body=spec.body,
                severity=spec.severity,
                model_id=event.model_id,
                version_id=event.version_id,
                payload={"event_seq": event.seq, "action": event.action},
                dedupe_key=spec.dedupe_key or f"event-{event.seq}",
                actor=registry.actor,
            )
            raised += alert_id is not None
        finish_job(session, JOB, holder, result=f"{raised} alert(s)", cursor=new_cursor)
    if raised:
        log.info("alerts: %d raised from the audit trail", raised)
    return raised
