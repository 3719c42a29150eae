"""A decision on a shared PostgreSQL registry: one call of the database's ``signoff_decide``.

On PostgreSQL the database holds the rules (:mod:`signoff.core.db.pgrules`): the function
checks the caller and the gates under the version's row lock, records the decision, moves the
version, keeps the deployment history, queues the consumers' notifications and writes the audit
event. This module calls it and turns its refusals into the errors the rest of Signoff knows:
a version someone else changed first becomes a :class:`ConcurrentChangeError` that says what
changed and who did it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from signoff.core.common.errors import ConcurrentChangeError, NotFoundError, TransitionError
from signoff.core.db.schema import Decision, Deployment, Version
from signoff.core.governance.gates import ACTION_TITLES
from signoff.core.governance.outcome import Outcome

DECIDE = text(
    "SELECT * FROM signoff_decide(:version, :expected, :action, :role, :comment, :environment, "
    ":expected_live, :check_live, :at, CAST(:conditions AS jsonb))"
)


def database_message(exc: DBAPIError) -> tuple[str | None, str]:
    """The SQLSTATE and the primary message PostgreSQL gave for *exc*."""
    orig: Any = exc.orig
    code = getattr(orig, "sqlstate", None)
    diag = getattr(orig, "diag", None)
    return code, str(getattr(diag, "message_primary", None) or orig or exc)


def last_change(session: Session, version: Version, *, expire: bool = True) -> str:
    """Who changed *version* last and how, for the message a losing racer reads.

    *expire* re-reads the version first (after the database refused, its state has moved on).
    """
    if expire:
        session.expire(version)
    last = session.scalar(
        select(Decision)
        .where(Decision.version_id == version.id)
        .order_by(Decision.id.desc())
        .limit(1)
    )
    state = version.state.replace("_", " ")
    if last is None:
        return f"its state is now {state}"
    return (
        f"{last.actor} recorded '{ACTION_TITLES.get(last.action, last.action)}' at "
        f"{last.at:%Y-%m-%d %H:%M:%S} UTC; its state is now {state}"
    )


def _live_changed(session: Session, version: Version, environment: str, expected: Any) -> str:
    """The message for losing a go-live race: who put which version live meanwhile."""
    from signoff.core.governance.workflow import UNSET

    row = session.execute(
        select(Version.number, Deployment.actor)
        .join(Deployment, Deployment.version_id == Version.id)
        .where(
            Deployment.model_id == version.model_id,
            Deployment.environment == environment,
            Deployment.live_to.is_(None),
        )
    ).first()
    now = f"v{row[0]} was put live by {row[1]}" if row else "another version went live"
    wanted = (
        ""
        if expected is UNSET
        else f" (you expected {'none' if expected is None else f'v{expected}'})"
    )
    return (
        f"the live version of {version.model.name} in {environment} changed since you looked: "
        f"{now}{wanted}. Reload and decide again."
    )


def _in_own_session(
    session: Session, version_id: int, describe: Callable[[Session, Version], str]
) -> str:
    """*describe* the version as committed now, read outside the caller's aborted
    transaction (a refused decision leaves it unusable until it is rolled back)."""
    with Session(session.get_bind().engine) as fresh:
        version = fresh.get(Version, version_id)
        return describe(fresh, version) if version is not None else "it no longer exists"


def decide_in_database(
    session: Session,
    version: Version,
    action: str,
    *,
    role: str,
    comment: str,
    environment: str,
    expected_row_version: int | None,
    expected_live_version: Any,
    at: datetime | None,
    conditions: list[dict[str, Any]] | None = None,
) -> Outcome:
    """Record *action* on *version* through ``signoff_decide``; returns what it did."""
    from signoff.core.governance.workflow import UNSET

    label = f"{version.model.name} v{version.number}"
    params = {
        "version": version.id,
        "expected": expected_row_version,
        "action": action,
        "role": role or None,
        "comment": comment,
        "environment": environment,
        "expected_live": None if expected_live_version is UNSET else expected_live_version,
        "check_live": expected_live_version is not UNSET,
        "at": at,
        "conditions": json.dumps(conditions or []),
    }
    model_name, number, version_id = version.model.name, version.number, version.id
    try:
        # no savepoint (two more round trips on every decision): a refusal aborts the whole
        # transaction, so what the loser is told is read in a session of its own
        row = session.execute(DECIDE, params).one()
    except DBAPIError as exc:
        code, message = database_message(exc)
        if code == "40001":
            raise ConcurrentChangeError(
                f"{label} changed since you loaded it: "
                f"{_in_own_session(session, version_id, last_change)}. Reload and decide again."
                if "row version" in message
                else message + ". Reload and decide again."
            ) from exc
        if code == "02000":
            raise NotFoundError(message) from exc
        if code == "23505":  # the one-open-deployment index: another go-live won the race
            raise ConcurrentChangeError(
                _in_own_session(
                    session,
                    version_id,
                    lambda s, v: _live_changed(s, v, environment, expected_live_version),
                )
            ) from exc
        raise TransitionError(
            message if message.startswith("cannot ") else f"the database refused: {message}"
        ) from exc
    # the function moved the version: nothing of the loaded row may be trusted any more, and
    # the outcome is built from what the function returned (no reload)
    session.expire(version)
    return Outcome(
        action,
        model_name,
        number,
        row.state_from,
        row.state_to,
        row.decision_id,
        row.gate,
        row.role,
        row.gate_complete,
        row.notified,
        row.meaning,
    )
