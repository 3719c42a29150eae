"""The lifecycle of a version: every transition and decision, with its preconditions.

One set of rules for the GUI, the command line and tests. Each public transition takes the
caller's write session (``with registry.write() as s``), locks the version (``BEGIN IMMEDIATE``
on SQLite, ``SELECT … FOR UPDATE`` on PostgreSQL), checks the optimistic lock the caller saw
(*expected_row_version*), checks the preconditions (raising :class:`TransitionError` with a
message a person can act on), writes an insert-only :class:`Decision`, changes the state,
queues consumer notifications and appends exactly one audit event — all in that one
transaction. :func:`run_transition` wraps it for callers that want retries on serialization
failures.

Gates: ``production_use`` (signed while in review) and ``go_live`` (signed while ready). A
gate's signatures are the approvals at that gate since the version was last submitted; the
gate completes when every role the policy names has signed, each by a different person, none
of them the author.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified, set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.catalog.summary import refresh_model_summary
from signoff.core.common.errors import ConcurrentChangeError, NotFoundError, TransitionError
from signoff.core.common.text import BLANKS
from signoff.core.db.lifecycle import STATE_REQUIRES
from signoff.core.db.registry import PG_NOW, Registry, db_now, remember_db_now, retrying
from signoff.core.db.schema import (
    APPROVED,
    DO_NOT_USE,
    DRAFT,
    IN_REVIEW,
    LIVE,
    PRODUCTION,
    READY,
    REJECTED,
    RETIRED,
    SUPERSEDED,
    Condition,
    Consumer,
    Decision,
    Deployment,
    Model,
    Version,
)
from signoff.core.governance.decide_pg import decide_in_database, last_change
from signoff.core.governance.deployment import record_go_live
from signoff.core.governance.finding_gates import ConditionRequest, conditions_json
from signoff.core.governance.gates import (
    ACTION_TITLES,
    ACTIONS,
    NEEDS_COMMENT,
    check_allowed,
    checks_outstanding,
    current_gate,
    gate_signatures,
    latest_evidence,
    meaning_of,
    missing_roles,
    state_problem,
)
from signoff.core.governance.outcome import Outcome
from signoff.core.governance.policy import PRODUCTION_USE, current_policy
from signoff.core.governance.states import change_state
from signoff.core.notifications.notices import replacement_fields
from signoff.core.notifications.outbox import queue_follow_ups, queue_for_consumers

log = logging.getLogger(__name__)

T = TypeVar("T")
__all__ = [
    "ACTIONS",
    "ACTION_TITLES",
    "NEEDS_COMMENT",
    "UNSET",
    "Outcome",
    "check_allowed",
    "checks_outstanding",
    "current_gate",
    "gate_signatures",
    "in_write",
    "latest_evidence",
    "meaning_of",
    "missing_roles",
    "note_evidence",
    "run_transition",
    "transition",
]
UNSET: Any = object()


# -- writing --------------------------------------------------------------------------------
def _lock_version(session: Session, model_name: str, number: int) -> Version:
    """Load the version fresh, holding the lock that serialises decisions on its model.

    SQLite: the write transaction is already ``BEGIN IMMEDIATE``. PostgreSQL: nothing is locked
    here; ``signoff_decide`` locks the version's row itself (no application login can lock it:
    that needs UPDATE on ``versions``), re-checks everything under that lock, and a unique index
    keeps a model at one open deployment per environment whatever two racers do.
    """
    on_pg = session.get_bind().dialect.name == "postgresql"
    if on_pg:  # the model and the transaction's time in one round trip
        row = session.execute(
            select(Model, text(PG_NOW))
            .where(Model.name == model_name)
            .execution_options(populate_existing=True)
        ).first()
        model = row[0] if row else None
        if row:
            remember_db_now(session, row[1])
    else:
        model = session.scalar(
            select(Model).where(Model.name == model_name).execution_options(populate_existing=True)
        )
    if model is None:
        raise NotFoundError(f"no model called '{model_name}'")
    version = session.scalar(
        select(Version)
        .where(Version.model_id == model.id, Version.number == number)
        .execution_options(populate_existing=True)
    )
    if version is None:
        raise NotFoundError(f"model '{model_name}' has no v{number}")
    # hand the locked model to the version (no history): the session only keeps weak
    # references, and ``version.model`` would otherwise load it a second time
    set_committed_value(version, "model", model)
    return version


def _check_fresh(session: Session, version: Version, expected_row_version: int | None) -> None:
    if expected_row_version is not None and version.row_version != expected_row_version:
        raise ConcurrentChangeError(
            f"{version.model.name} v{version.number} changed since you loaded it: "
            f"{last_change(session, version, expire=False)}. Reload and decide again."
        )


def _flush(session: Session, version: Version) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConcurrentChangeError(
            f"{version.model.name} v{version.number} was changed by someone else while you "
            "were deciding. Reload and decide again."
        ) from exc


def _set_state(session: Session, version: Version, state: str, at: datetime) -> None:
    # through the one writer of states (a SECURITY DEFINER function on PostgreSQL)
    change_state(session, version, state, at)


def _advance_if_checked(session: Session, version: Version, at: datetime) -> bool:
    if version.state == APPROVED and not checks_outstanding(session, version):
        _set_state(session, version, READY, at)
        return True
    return False


def transition(
    session: Session,
    action: str,
    model: str,
    number: int,
    *,
    actor: str,
    role: str | None = None,
    comment: str = "",
    environment: str = PRODUCTION,
    expected_row_version: int | None = None,
    expected_live_version: int | None = UNSET,
    at: datetime | None = None,
    conditions: Sequence[ConditionRequest] = (),
) -> Outcome:
    """Take *action* on ``model vNUMBER`` as *actor* in the caller's write transaction.

    *at* back-dates the decision (only for importing history and the demo; by default, and
    always on PostgreSQL where a trigger stamps it, the database's time). *conditions*: the
    findings an approval or a revalidation is given on condition of, each with the date by
    which it must be resolved (recorded with the signature and its audit event).

    Raises TransitionError (not allowed now, with the reason), ConcurrentChangeError (the
    version or the live version changed since the caller looked) or NotFoundError.
    """
    version = _lock_version(session, model, number)
    _check_fresh(session, version, expected_row_version)
    comment = (comment or "").strip(BLANKS)  # str.strip() would hide some control characters
    conditions = list(conditions)
    role = check_allowed(
        session, version, action, actor, role, comment, conditions=conditions, now=at
    )
    if session.get_bind().dialect.name == "postgresql":
        return decide_in_database(
            session,
            version,
            action,
            role=role,
            comment=comment,
            environment=environment,
            expected_row_version=expected_row_version,
            expected_live_version=expected_live_version,
            at=at,
            conditions=conditions_json(conditions),
        )
    now = at or db_now(session)
    before, gate = version.state, current_gate(version.state)
    if action not in ("approve", "reject", "request_changes"):
        gate = ""
    meaning = meaning_of(action, gate, role, environment)
    decision = Decision(
        version_id=version.id,
        actor=actor,
        at=now,
        action=action,
        gate=gate,
        role=role,
        meaning=meaning,
        comment=comment,
        manifest_hash=version.manifest_hash,
        review_round=version.review_round,
    )
    session.add(decision)
    if conditions:
        session.flush()
        session.add_all(
            Condition(decision_id=decision.id, finding_id=c.finding_id, due=c.due)
            for c in conditions
        )
    gate_complete, notified, payload = False, 0, {}
    if action == "submit":
        # a new review round, judged under the policy in force now
        version.review_round += 1
        version.review_rules = current_policy(session, version.model.risk_tier).to_json()
        _set_state(session, version, IN_REVIEW, now)
    elif action in ("withdraw", "request_changes"):
        _set_state(session, version, DRAFT, now)
    elif action == "reject":
        _set_state(session, version, REJECTED, now)
    elif action == "approve":
        session.flush()
        gate_complete = not missing_roles(session, version, gate, writing=decision.id)
        if gate_complete and gate == PRODUCTION_USE:
            _set_state(session, version, APPROVED, now)
            _advance_if_checked(session, version, now)
    elif action == "do_not_use":
        _set_state(session, version, DO_NOT_USE, now)
        notified = len(
            queue_for_consumers(
                session,
                version,
                "do_not_use",
                payload={
                    "reason": comment,
                    "actor": actor,
                    "state": DO_NOT_USE,
                    # the version to move to (the live one), or "none yet" and a follow-up
                    **replacement_fields(session, version.model_id, version.id),
                    "must_acknowledge": True,
                },
            )
        )
    elif action == "retire":
        for period in session.scalars(
            select(Deployment).where(
                Deployment.version_id == version.id, Deployment.live_to.is_(None)
            )
        ):
            period.live_to = now
        _set_state(session, version, RETIRED, now)
        notified = len(
            queue_for_consumers(
                session, version, "retired", payload={"actor": actor, "state": RETIRED}
            )
        )
    if version.state == before and session.get_bind().dialect.name == "sqlite":
        # still bump row_version: a decision is a change a stale screen must notice. (On
        # PostgreSQL application logins cannot UPDATE versions; the row lock serialises.)
        flag_modified(version, "state")
    _flush(session, version)
    if version.state != before and version.state in STATE_REQUIRES:
        problem = state_problem(session, version, version.state, writing=decision.id, now=now)
        if problem:  # cannot happen when check_allowed held; never trust it
            raise TransitionError(f"cannot move {model} v{number} to {version.state}: {problem}")
    payload = {
        "decision_id": decision.id,
        "actor": actor,
        "review_round": decision.review_round,
        "gate": gate,
        "role": role,
        "meaning": meaning,
        "comment": comment,
        "manifest_hash": version.manifest_hash,
        "state_from": before,
        "state_to": version.state,
        "gate_complete": gate_complete,
        "notified": notified,
        "at": now,
    }
    if conditions:
        payload["conditions"] = conditions_json(conditions)
    if action == "go_live":
        notified = _go_live(
            session, version, actor, environment, expected_live_version, payload, now
        )
    else:
        if version.state != before or notified or conditions or action == "revalidate":
            # a revalidation resets the clock; conditions set the earliest due date
            refresh_model_summary(session, version.model_id)
        else:  # a comment or a partial signature: only the activity time moves
            version.model.last_activity_at = now
        # the audit append serialises all writers until commit, so it comes last
        append_event(
            session,
            actor=actor,
            action=events.decision(action),
            entity_type="version",
            entity_id=f"{version.model.name} v{version.number}",
            model_id=version.model_id,
            version_id=version.id,
            payload=payload,
        )
    log.info("%s v%s: %s by %s (%s → %s)", model, number, action, actor, before, version.state)
    return Outcome(
        action,
        model,
        number,
        before,
        version.state,
        decision.id,
        gate,
        role,
        gate_complete,
        notified,
        meaning,
    )


def _go_live(
    session: Session,
    version: Version,
    actor: str,
    environment: str,
    expected_live_version: int | None,
    payload: dict[str, Any],
    now: datetime,
) -> int:
    current = session.execute(
        select(Version.number, Version.id)
        .join(Deployment, Deployment.version_id == Version.id)
        .where(
            Deployment.model_id == version.model_id,
            Deployment.environment == environment,
            Deployment.live_to.is_(None),
        )
    ).first()
    live_number = current[0] if current else None
    if expected_live_version is not UNSET and live_number != expected_live_version:
        who = session.scalar(
            select(Deployment.actor).where(
                Deployment.model_id == version.model_id,
                Deployment.environment == environment,
                Deployment.live_to.is_(None),
            )
        )
        expected = "none" if expected_live_version is None else f"v{expected_live_version}"
        raise ConcurrentChangeError(
            f"the live version of {version.model.name} in {environment} changed since you "
            f"looked: v{live_number} was put live by {who or 'someone else'} "
            f"(you expected {expected}). Reload and decide again."
        )
    superseded_pins: set[int] = set()
    if current is not None:
        superseded_pins = set(
            session.scalars(
                select(Consumer.id).where(
                    Consumer.model_id == version.model_id, Consumer.pinned_version_id == current[1]
                )
            )
        )
    notified = len(
        queue_for_consumers(
            session,
            version,
            "went_live",
            payload={
                "environment": environment,
                "actor": actor,
                "superseded_version": live_number,
                "state": LIVE,
            },
        )
    )
    # consumers told "no replacement yet" about a do-not-use version hear that one is live
    notified += queue_follow_ups(session, version)
    if current is not None and superseded_pins:
        old = session.get(Version, current[1])
        assert old is not None  # the version of the live deployment found above
        notified += len(
            queue_for_consumers(
                session,
                old,
                "superseded",
                only_consumer_ids=superseded_pins,
                payload={
                    "environment": environment,
                    "replaced_by": version.number,
                    "state": SUPERSEDED,
                },
            )
        )
    payload.update(notified=notified)
    record_go_live(session, version, actor=actor, environment=environment, at=now, extra=payload)
    return notified


def note_evidence(
    session: Session, model: str, number: int, *, actor: str, at: datetime | None = None
) -> bool:
    """After new check evidence: move an approved version to ready if its checks now pass.

    Returns True when the version became ready (one audit event written then).
    """
    version = _lock_version(session, model, number)
    if session.get_bind().dialect.name == "postgresql":
        became = bool(
            session.execute(text("SELECT signoff_mark_ready(:v)"), {"v": version.id}).scalar_one()
        )
        session.expire(version)
        return became
    now = at or db_now(session)
    if not _advance_if_checked(session, version, now):
        return False
    _flush(session, version)
    refresh_model_summary(session, version.model_id)
    append_event(
        session,
        actor=actor,
        action=events.VERSION_READY,
        entity_type="version",
        entity_id=f"{model} v{number}",
        model_id=version.model_id,
        version_id=version.id,
        payload={
            "state_from": APPROVED,
            "state_to": READY,
            "manifest_hash": version.manifest_hash,
            "at": now,
        },
    )
    return True


def run_transition(
    registry: Registry, action: str, model: str, number: int, **kwargs: Any
) -> Outcome:
    """Run :func:`transition` in its own write transaction, retrying serialization failures.

    The actor defaults to ``registry.actor`` (the OS login, or the database login on
    PostgreSQL).
    """
    kwargs.setdefault("actor", registry.actor)

    def work() -> Outcome:
        with registry.write() as session:
            return transition(session, action, model, number, **kwargs)

    return retrying(work)


def in_write(registry: Registry, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn(session, *args, **kwargs)`` in a write transaction with bounded retries."""

    def work() -> T:
        with registry.write() as session:
            return fn(session, *args, **kwargs)

    return retrying(work)
