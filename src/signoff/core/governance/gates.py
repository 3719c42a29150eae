"""The rules of the gates: who may take which decision now, and what each one means.

Pure reads (nothing here writes): :func:`check_allowed` is the one precondition check that
the transitions in :mod:`signoff.core.governance.workflow` enforce and that screens use to enable
buttons and explain why a button is disabled.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.common.errors import TransitionError
from signoff.core.db.schema import (
    APPROVED,
    DO_NOT_USE,
    DRAFT,
    IN_REVIEW,
    LIVE,
    PRODUCTION,
    READY,
    SUPERSEDED,
    Decision,
    Evidence,
    Version,
)
from signoff.core.governance.people import roles_of
from signoff.core.governance.policy import GATE_TITLES, GO_LIVE, PRODUCTION_USE, current_policy

ACTIONS = (
    "submit",
    "approve",
    "reject",
    "request_changes",
    "comment",
    "do_not_use",
    "withdraw",
    "go_live",
    "retire",
)
ACTION_TITLES = {
    "submit": "Submit for review",
    "approve": "Approve",
    "reject": "Reject",
    "request_changes": "Request changes",
    "comment": "Comment",
    "do_not_use": "Mark do not use",
    "withdraw": "Withdraw",
    "go_live": "Go live",
    "retire": "Retire",
}
NEEDS_COMMENT = ("reject", "request_changes", "comment", "do_not_use")
DEPLOYERS = ("release_manager", "admin")
MARKERS = ("validator", "business_owner", "release_manager", "admin")


def meaning_of(action: str, gate: str = "", role: str = "", environment: str = PRODUCTION) -> str:
    """The meaning of a signature in words, as recorded with the decision and shown to signers."""
    role_words = role.replace("_", " ")
    return {
        "submit": "Submitted for review by the author",
        "approve": (
            f"Approved for production use, signed as {role_words}"
            if gate == PRODUCTION_USE
            else f"Approved to go live, signed as {role_words}"
        ),
        "reject": f"Rejected at the gate '{GATE_TITLES.get(gate, gate)}'",
        "request_changes": "Changes requested before approval",
        "comment": "Comment only; no approval implied",
        "do_not_use": "Marked do not use: must not be used or go live",
        "withdraw": "Withdrawn from review",
        "go_live": f"Put live in {environment}",
        "retire": "Retired from use",
    }[action]


# -- reading what the gates hold -----------------------------------------------------------
def current_gate(state: str) -> str:
    """The gate open in *state* ('' when no gate is being signed)."""
    return {IN_REVIEW: PRODUCTION_USE, READY: GO_LIVE}.get(state, "")


def gate_signatures(session: Session, version: Version, gate: str) -> list[Decision]:
    """The approvals that count at *gate*: since the latest submission, oldest first."""
    last_submit = (
        session.scalar(
            select(Decision.id)
            .where(Decision.version_id == version.id, Decision.action == "submit")
            .order_by(Decision.id.desc())
            .limit(1)
        )
        or 0
    )
    return list(
        session.scalars(
            select(Decision)
            .where(
                Decision.version_id == version.id,
                Decision.action == "approve",
                Decision.gate == gate,
                Decision.id > last_submit,
            )
            .order_by(Decision.id)
        )
    )


def missing_roles(session: Session, version: Version, gate: str) -> list[str]:
    """Roles the policy needs at *gate* that nobody has signed yet."""
    required = current_policy(session, version.model.risk_tier).roles_for(gate)
    signed = {d.role for d in gate_signatures(session, version, gate)}
    return [r for r in required if r not in signed]


def latest_evidence(session: Session, version: Version) -> dict[str, Evidence]:
    """Check name → latest evidence bound to the version's current manifest hash."""
    rows = session.scalars(
        select(Evidence)
        .where(Evidence.version_id == version.id, Evidence.manifest_hash == version.manifest_hash)
        .order_by(Evidence.at, Evidence.id)
    )
    return {row.check: row for row in rows}


def checks_outstanding(session: Session, version: Version) -> list[str]:
    """Required checks without passing evidence, each with why (for messages)."""
    required = current_policy(session, version.model.risk_tier).checks
    evidence = latest_evidence(session, version)
    out = []
    for check in required:
        row = evidence.get(check)
        if row is None:
            out.append(f"{check} (no evidence yet)")
        elif not row.passed:
            out.append(f"{check} (failed: {row.summary or 'see evidence'})")
    return out


# -- preconditions ------------------------------------------------------------------------
def check_allowed(
    session: Session,
    version: Version,
    action: str,
    actor: str,
    role: str | None = None,
    comment: str | None = None,
) -> str:
    """Raise TransitionError unless *actor* may take *action* now; returns the role to sign as.

    Writes nothing: the GUI uses it to enable buttons and to give the reason when disabled.
    *comment* None skips the comment check (the comment is not written yet).
    """
    if action not in ACTIONS:
        raise TransitionError(f"unknown action '{action}'; actions are {', '.join(ACTIONS)}")
    state, label = version.state, f"{version.model.name} v{version.number}"
    is_author = actor == version.author

    def refuse(why: str) -> None:
        raise TransitionError(f"cannot {ACTION_TITLES[action].lower()} {label}: {why}")

    if comment is not None and action in NEEDS_COMMENT and not comment.strip():
        if action in ("reject", "do_not_use"):
            refuse("a reason is required (write it in the comment)")
        refuse("a comment is required")
    if action == "comment":
        return ""
    held = roles_of(session, actor)
    if action == "submit":
        if state != DRAFT:
            refuse(f"it is {state.replace('_', ' ')}; only a draft can be submitted")
        if not (is_author or held & {"author", "admin"}):
            refuse(f"only its author ({version.author}) or an admin may submit it")
        return ""
    if action == "withdraw":
        if state != IN_REVIEW:
            refuse(f"it is {state.replace('_', ' ')}; only a version in review can be withdrawn")
        if not (is_author or "admin" in held):
            refuse(f"only its author ({version.author}) or an admin may withdraw it")
        return ""
    if action == "do_not_use":
        if state == DO_NOT_USE:
            refuse("it is already marked do not use")
        if not held & set(MARKERS):
            # the same groups the database allows (signoff.core.db.pgroles TRANSITIONS)
            refuse(
                "only a validator, business owner, release manager or admin may mark a "
                "version do not use"
            )
        return ""
    if action == "retire":
        if state not in (LIVE, SUPERSEDED):
            refuse(
                f"it is {state.replace('_', ' ')}; only a live or superseded version can be retired"
            )
        if not held & set(DEPLOYERS):
            refuse("only a release manager or an admin may retire a version")
        return ""
    if action == "go_live":
        if state != READY:
            refuse(_not_ready_reason(session, version))
        if is_author:
            refuse("the author of a version may not put it live (separation of duties)")
        if not held & set(DEPLOYERS):
            refuse("only a release manager or an admin may put a version live")
        missing = missing_roles(session, version, GO_LIVE)
        if missing:
            refuse(f"the go-live gate still needs {', '.join(missing)}")
        outstanding = checks_outstanding(session, version)
        if outstanding:
            refuse(f"deployment checks not passed: {', '.join(outstanding)}")
        return ""
    # approve, reject, request_changes: a reviewer at the open gate
    gate = current_gate(state)
    if action == "request_changes" and state != IN_REVIEW:
        refuse(f"it is {state.replace('_', ' ')}; changes can be requested only in review")
    if not gate:
        refuse(
            _not_ready_reason(session, version)
            if state == APPROVED
            else f"it is {state.replace('_', ' ')}; no approval gate is open"
        )
    if is_author:
        refuse("you are its author; the author never signs (separation of duties)")
    required = current_policy(session, version.model.risk_tier).roles_for(gate)
    mine = [r for r in required if r in held]
    if not mine:
        refuse(
            f"the {GATE_TITLES[gate].lower()} gate needs {', '.join(required)}; "
            f"you hold {', '.join(sorted(held)) or 'no role'}"
        )
    if role and role not in mine:
        refuse(f"you cannot sign as {role} here; you may sign as {', '.join(mine)}")
    if action != "approve":
        return role or mine[0]
    signatures = gate_signatures(session, version, gate)
    for d in signatures:
        if d.actor == actor:
            refuse(f"you already signed this gate as {d.role}; one person fills one role per gate")
    taken = {d.role: d.actor for d in signatures}
    free = [r for r in ([role] if role else mine) if r not in taken]
    if not free:
        r = role or mine[0]
        refuse(f"the {r} role at this gate was already signed by {taken[r]}")
    return free[0]


def _not_ready_reason(session: Session, version: Version) -> str:
    state = version.state
    if state == APPROVED:
        outstanding = checks_outstanding(session, version)
        return (
            (
                "it is approved for production use but waits for deployment checks: "
                + ", ".join(outstanding)
            )
            if outstanding
            else "it is approved; checks pending"
        )
    return f"it is {state.replace('_', ' ')}; it must be ready (approved and checked) first"
