"""The rules of the gates: who may take which decision now, and what each one means.

Pure reads (nothing here writes). Every rule is read from the one lifecycle declaration
(:mod:`signoff.core.db.lifecycle`), from which the PostgreSQL functions that hold the same rules
on a shared registry are generated too. :func:`check_allowed` is the one precondition check the
workflow enforces and screens use to enable buttons and to explain a disabled one.

A signature counts toward a gate only when it belongs to the current review round, is bound to
the version's manifest, was not made by the author, and is *verified*: exactly one intact
audit event records it with the same content (:mod:`signoff.core.audit.records`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.audit.records import check_records
from signoff.core.common.errors import TransitionError
from signoff.core.common.text import text_problem
from signoff.core.db import lifecycle as lc
from signoff.core.db.registry import db_now
from signoff.core.db.schema import APPROVED, PRODUCTION, Decision, Evidence, Version
from signoff.core.governance.finding_gates import (
    ConditionRequest,
    conditions_problem,
    gate_findings_problem,
)
from signoff.core.governance.people import roles_of
from signoff.core.governance.policy import required_for

ACTIONS = tuple(lc.ACTIONS)
ACTION_TITLES = {name: action.title for name, action in lc.ACTIONS.items()}
NEEDS_COMMENT = tuple(name for name, action in lc.ACTIONS.items() if action.needs_comment)
DEPLOYERS = lc.WHO_ROLES[lc.DEPLOYERS]
MARKERS = lc.WHO_ROLES[lc.MARKERS]


def meaning_of(action: str, gate: str = "", role: str = "", environment: str = PRODUCTION) -> str:
    """The meaning of a signature in words, as recorded with the decision and shown to signers."""
    return lc.meaning_of(action, gate, role, environment)


# -- reading what the gates hold -----------------------------------------------------------
def current_gate(state: str) -> str:
    """The gate open in *state* ('' when no gate is being signed)."""
    return lc.open_gate(state)


def unverified_decisions(session: Session, version: Version) -> dict[int, str]:
    """Decision id -> why it cannot be trusted, for *version*'s decisions that fail the trail."""
    decisions, _evidence, _all = check_records(session, {version.id})
    return {d: why for d, why in decisions.items() if why}


def gate_signatures(
    session: Session,
    version: Version,
    gate: str,
    *,
    verified_only: bool = True,
    writing: int | None = None,
) -> list[Decision]:
    """The approvals that count at *gate*: this review round, this manifest, not the author's,
    and (unless *verified_only* is false) verified against the audit trail; oldest first.

    *writing*: the id of a decision the caller's transaction has just inserted and whose audit
    event it is about to append (it is judged by that event once committed).
    """
    rows = list(
        session.scalars(
            select(Decision)
            .where(
                Decision.version_id == version.id,
                Decision.action == "approve",
                Decision.gate == gate,
                Decision.review_round == version.review_round,
                Decision.manifest_hash == version.manifest_hash,
                Decision.actor != version.author,
            )
            .order_by(Decision.id)
        )
    )
    if verified_only and rows:
        bad = unverified_decisions(session, version)
        bad.pop(writing or 0, None)
        rows = [d for d in rows if d.id not in bad]
    return rows


def missing_roles(
    session: Session,
    version: Version,
    gate: str,
    *,
    strict: bool = True,
    writing: int | None = None,
) -> list[str]:
    """Roles *gate* needs that no distinct, counting signer has filled yet."""
    required = required_for(session, version, gate, strict=strict)
    if not required:
        return ["a signer (the policy names none: it is broken)"]
    used: set[str] = set()
    missing = []
    signatures = gate_signatures(session, version, gate, writing=writing)
    for role in required:
        signer = next((d.actor for d in signatures if d.role == role and d.actor not in used), None)
        if signer is None:
            missing.append(role)
        else:
            used.add(signer)
    return missing


def latest_evidence(session: Session, version: Version) -> dict[str, Evidence]:
    """Check name → the latest verified evidence bound to the version's current manifest."""
    _decisions, unverified, _all = check_records(session, {version.id})
    rows = session.scalars(
        select(Evidence)
        .where(Evidence.version_id == version.id, Evidence.manifest_hash == version.manifest_hash)
        .order_by(Evidence.at, Evidence.id)
    )
    return {row.check: row for row in rows if not unverified.get(row.id)}


def checks_outstanding(session: Session, version: Version, *, strict: bool = True) -> list[str]:
    """Required checks without counting, passing evidence, each with why (for messages)."""
    evidence = latest_evidence(session, version)
    out = []
    for check in required_for(session, version, lc.CHECKS_STEP, strict=strict):
        row = evidence.get(check)
        if row is None:
            out.append(f"{check} (no evidence yet)")
        elif row.actor == version.author:
            out.append(f"{check} (recorded by the author, which does not count)")
        elif not row.passed:
            out.append(f"{check} (failed: {row.summary or 'see evidence'})")
    return out


def state_problem(
    session: Session,
    version: Version,
    state: str,
    *,
    writing: int | None = None,
    now: datetime | None = None,
) -> str:
    """Why *version* may not be in *state* now ('' when its gates allow it).

    The gate being completed by the move is also held by unresolved findings its policy names
    (unless a signature at it carries them as conditions, where the policy allows that).
    """
    for step in lc.STATE_REQUIRES.get(state, ()):
        strict = lc.STATE_COMPLETES.get(state) == step
        if step == lc.CHECKS_STEP:
            outstanding = checks_outstanding(session, version, strict=strict)
            if outstanding:
                return "deployment checks not passed: " + ", ".join(outstanding)
        else:
            missing = missing_roles(session, version, step, strict=strict, writing=writing)
            if missing:
                return f"the {lc.GATE_SHORT[step]} gate still needs {', '.join(missing)}"
            if strict:
                today = (now or db_now(session)).date()
                held = gate_findings_problem(session, version, step, [], today, writing=writing)
                if held:
                    return held
    return ""


# -- preconditions ------------------------------------------------------------------------
def _words(state: str) -> str:
    return state.replace("_", " ")


def check_allowed(
    session: Session,
    version: Version,
    action: str,
    actor: str,
    role: str | None = None,
    comment: str | None = None,
    *,
    conditions: Sequence[ConditionRequest] | None = None,
    now: datetime | None = None,
) -> str:
    """Raise TransitionError unless *actor* may take *action* now; returns the role to sign as.

    Writes nothing: the GUI uses it to enable buttons and to give the reason when disabled.
    *comment* None skips the comment check (the comment is not written yet); *conditions*
    None leaves out the findings a signature's conditions could waive (they are not chosen
    yet). The database's ``signoff_decide`` asks the same questions in the same order.
    """
    spec = lc.ACTIONS.get(action)
    if spec is None:
        raise TransitionError(f"unknown action '{action}'; actions are {', '.join(ACTIONS)}")
    label = f"{version.model.name} v{version.number}"

    def refuse(why: str) -> TransitionError:
        return TransitionError(f"cannot {spec.title.lower()} {label}: {why}")

    if comment is not None and spec.needs_comment and not comment.strip():
        if action in ("reject", "do_not_use"):
            raise refuse("a reason is required (write it in the comment)")
        raise refuse("a comment is required")
    # the comment is printed beside the signature and kept in the audit trail: it must read
    # as it is stored
    if comment is not None and (problem := text_problem(comment)):
        raise refuse(f"the comment {problem}")
    if version.state not in spec.sources:
        raise refuse(_not_possible_reason(session, version, spec))
    if not spec.author_may and actor == version.author:
        raise refuse(
            "you are its author; the author never signs or puts it live (separation of duties)"
        )
    held = roles_of(session, actor)
    chosen = ""
    if spec.who == lc.AUTHOR_OR_ADMIN:
        if not (actor == version.author or "admin" in held):
            raise refuse(
                f"only its author ({version.author}) or an admin may {spec.title.lower()} it"
            )
    elif spec.who == lc.GATE_SIGNERS:
        chosen = _signing_role(session, version, action, actor, role, held, refuse)
    elif not held & set(lc.WHO_ROLES[spec.who]):
        raise refuse(f"only {lc.WHO_WORDS[spec.who]} may {spec.title.lower()} a version")
    today = (now or db_now(session)).date()
    if conditions:
        problem = conditions_problem(session, version, action, conditions, today)
        if problem:
            raise refuse(problem)
    if action == "approve":
        problem = gate_findings_problem(
            session, version, current_gate(version.state), conditions, today
        )
        if problem:
            raise refuse(problem)
    if action == "go_live":
        problem = state_problem(session, version, lc.ACTIONS["go_live"].target or "", now=now)
        if problem:
            raise refuse(problem)
    return chosen


def _signing_role(
    session: Session,
    version: Version,
    action: str,
    actor: str,
    role: str | None,
    held: set[str],
    refuse: Callable[[str], TransitionError],
) -> str:
    gate = current_gate(version.state)
    required = required_for(session, version, gate, strict=True)
    mine = [r for r in required if r in held]
    if not mine:
        raise refuse(
            f"the {lc.GATE_TITLES[gate].lower()} gate needs {', '.join(required)}; "
            f"you hold {', '.join(sorted(held)) or 'no role'}"
        )
    if role and role not in mine:
        raise refuse(f"you cannot sign as {role} here; you may sign as {', '.join(mine)}")
    if action != "approve":
        return role or mine[0]
    signed = gate_signatures(session, version, gate, verified_only=False)
    for d in signed:
        if d.actor == actor:
            raise refuse(
                f"you already signed this gate as {d.role}; one person fills one role per gate"
            )
    taken = {d.role: d.actor for d in signed}
    free = [r for r in ([role] if role else mine) if r not in taken]
    if not free:
        r = role or mine[0]
        raise refuse(f"the {r} role at this gate was already signed by {taken[r]}")
    return free[0]


def _not_possible_reason(session: Session, version: Version, spec: lc.Action) -> str:
    state = version.state
    if state == APPROVED and (spec.signs_gate or spec.name == "go_live"):
        outstanding = checks_outstanding(session, version)
        return (
            "it is approved for production use but waits for deployment checks: "
            + ", ".join(outstanding)
            if outstanding
            else "it is approved; checks pending"
        )
    return f"it is {_words(state)}; {lc.NOT_NOW[spec.name]}"
