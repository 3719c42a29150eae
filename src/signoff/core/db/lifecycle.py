"""The lifecycle of a version, declared once.

Every rule that decides whether a version may move is read from the tables below: the Python
checks (:mod:`signoff.core.governance.gates`), the workflow, the buttons the GUI enables, and the
PostgreSQL functions and triggers that hold the same rules inside a shared database
(:mod:`signoff.core.db.pgrules`, generated from this module). ``tests/pg/test_lifecycle_pg.py``
proves the two agree by asking both about every state, action and role.

The declaration is plain data and imports nothing but the state names, so the database layer
can generate SQL from it without depending on the governance code above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from signoff.core.db.schema import (
    APPROVED,
    DO_NOT_USE,
    DRAFT,
    IN_REVIEW,
    LIVE,
    READY,
    REJECTED,
    RETIRED,
    STATES,
    SUPERSEDED,
)

# -- gates and the default policy ---------------------------------------------------------------
PRODUCTION_USE = "production_use"
GO_LIVE = "go_live"
GATES = (PRODUCTION_USE, GO_LIVE)
GATE_TITLES = {PRODUCTION_USE: "Approval for production use", GO_LIVE: "Approval to go live"}
GATE_SHORT = {PRODUCTION_USE: "production-use", GO_LIVE: "go-live"}
#: the state in which each gate is open for signatures
GATE_OPEN_IN = {PRODUCTION_USE: IN_REVIEW, GO_LIVE: READY}
#: roles a policy may require at a gate
SIGNING_ROLES = ("validator", "business_owner", "release_manager", "auditor", "admin")
#: deployment checks a policy may require before a version is ready
CHECKS = ("reference_outputs", "robustness", "environment", "performance")
#: who may record deployment-check evidence that counts (never the version's author);
#: ``runner`` is a service login that only runs checks
EVIDENCE_RECORDERS = ("validator", "release_manager", "auditor", "admin", "runner")
#: who may record a model's monitoring verdict (its stale flag)
STALE_SETTERS = ("validator", "business_owner", "release_manager", "auditor", "admin", "runner")
#: who may change a model's risk tier (an audited governance decision, never a manifest)
TIER_SETTERS = ("admin", "business_owner")

#: which unresolved findings hold a gate, by severity: "block" (resolve it first) or
#: "condition" (or sign with it as a condition: a date by which it must close)
_FINDINGS_STRICT = {
    PRODUCTION_USE: {"high": "block"},
    GO_LIVE: {"high": "block", "medium": "condition"},
}
_FINDINGS_LOW = {PRODUCTION_USE: {"high": "block"}, GO_LIVE: {"high": "block"}}
DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "high": {
        "gates": {PRODUCTION_USE: ["validator", "business_owner"], GO_LIVE: ["release_manager"]},
        "checks": ["reference_outputs", "robustness", "environment"],
        "findings": _FINDINGS_STRICT,
        "revalidation_months": 12,
    },
    "medium": {
        "gates": {PRODUCTION_USE: ["validator"], GO_LIVE: ["release_manager"]},
        "checks": ["reference_outputs", "environment"],
        "findings": _FINDINGS_STRICT,
        "revalidation_months": 24,
    },
    "low": {
        "gates": {PRODUCTION_USE: ["validator"], GO_LIVE: ["release_manager"]},
        "checks": ["reference_outputs"],
        "findings": _FINDINGS_LOW,
        "revalidation_months": 36,
    },
}
#: the policy keys a revision may leave out (they take the tier's default)
OPTIONAL_POLICY_KEYS = ("findings", "revalidation_months")

# -- who may act ---------------------------------------------------------------------------------
#: the version's author, or an admin
AUTHOR_OR_ADMIN = "author_or_admin"
#: a person holding a role the open gate requires (under the policy in force)
GATE_SIGNERS = "gate_signers"
#: anyone who may mark a version do not use
MARKERS = "markers"
#: release managers and admins: put live, retire
DEPLOYERS = "deployers"
#: every known person
ANYONE = "anyone"
#: validators: revalidate a live version
VALIDATORS = "validators"

WHO_ROLES: dict[str, tuple[str, ...]] = {
    AUTHOR_OR_ADMIN: ("author", "admin"),
    GATE_SIGNERS: SIGNING_ROLES,
    MARKERS: ("validator", "business_owner", "release_manager", "admin"),
    DEPLOYERS: ("release_manager", "admin"),
    # every person who takes part in reviews (viewers read only; services do not comment)
    ANYONE: ("author", *SIGNING_ROLES),
    VALIDATORS: ("validator",),
}
WHO_WORDS = {
    AUTHOR_OR_ADMIN: "its author or an admin",
    GATE_SIGNERS: "a signer the open gate requires",
    MARKERS: "a validator, business owner, release manager or admin",
    DEPLOYERS: "a release manager or an admin",
    ANYONE: "anyone but a viewer",
    VALIDATORS: "a validator",
}


@dataclass(frozen=True)
class Action:
    """One decision a person can take on a version.

    *sources*: the states in which it may be taken. *target*: the state it moves the version to
    (``None``: it stays, as a comment does). An ``approve`` moves the version only when its
    signature completes the gate, to that gate's *completes_to*. *who*: one of the groups above.
    *author_may*: whether the version's author may take it (separation of duties).
    """

    name: str
    title: str
    sources: tuple[str, ...]
    target: str | None
    who: str
    author_may: bool
    needs_comment: bool = False
    signs_gate: bool = False  # recorded at the open gate (approve, reject, request changes)


_ANY_BUT_DNU = tuple(s for s in STATES if s != DO_NOT_USE)

ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("submit", "Submit for review", (DRAFT,), IN_REVIEW, AUTHOR_OR_ADMIN, True),
        Action("withdraw", "Withdraw", (IN_REVIEW,), DRAFT, AUTHOR_OR_ADMIN, True),
        Action(
            "approve", "Approve", (IN_REVIEW, READY), None, GATE_SIGNERS, False, signs_gate=True
        ),
        Action(
            "reject",
            "Reject",
            (IN_REVIEW, READY),
            REJECTED,
            GATE_SIGNERS,
            False,
            needs_comment=True,
            signs_gate=True,
        ),
        Action(
            "request_changes",
            "Request changes",
            (IN_REVIEW,),
            DRAFT,
            GATE_SIGNERS,
            False,
            needs_comment=True,
            signs_gate=True,
        ),
        Action("comment", "Comment", STATES, None, ANYONE, True, needs_comment=True),
        Action(
            "do_not_use",
            "Mark do not use",
            _ANY_BUT_DNU,
            DO_NOT_USE,
            MARKERS,
            True,
            needs_comment=True,
        ),
        Action("go_live", "Go live", (READY,), LIVE, DEPLOYERS, False),
        Action("retire", "Retire", (LIVE, SUPERSEDED), RETIRED, DEPLOYERS, True),
        # periodic revalidation: a validator signs that the live version is still fit for use
        # (with findings as conditions); it resets the revalidation clock of the tier's policy
        Action("revalidate", "Revalidate", (LIVE,), None, VALIDATORS, False, needs_comment=True),
    )
}

#: why an action is not possible in a state outside its sources, in words
NOT_NOW = {
    "submit": "only a draft can be submitted",
    "withdraw": "only a version in review can be withdrawn",
    "approve": "no approval gate is open",
    "reject": "no approval gate is open",
    "request_changes": "changes can be requested only in review",
    "comment": "",
    "do_not_use": "it is already marked do not use",
    "go_live": "it must be ready (approved and checked) first",
    "retire": "only a live or superseded version can be retired",
    "revalidate": "only the live version is revalidated",
}

#: what a signature means, in words, recorded with the decision and shown to the signer;
#: ``{role}``, ``{gate_title}`` and ``{environment}`` are filled in
MEANINGS = {
    "submit": "Submitted for review by the author",
    "approve@" + PRODUCTION_USE: "Approved for production use, signed as {role}",
    "approve@" + GO_LIVE: "Approved to go live, signed as {role}",
    "reject": "Rejected at the gate '{gate_title}'",
    "request_changes": "Changes requested before approval",
    "comment": "Comment only; no approval implied",
    "do_not_use": "Marked do not use: must not be used or go live",
    "withdraw": "Withdrawn from review",
    "go_live": "Put live in {environment}",
    "retire": "Retired from use",
    "revalidate": "Revalidated: still fit for use in production, signed as validator",
}


def meaning_of(action: str, gate: str = "", role: str = "", environment: str = "production") -> str:
    """The meaning of a signature in words (the same text the database function records)."""
    template = MEANINGS.get(f"{action}@{gate or PRODUCTION_USE}") or MEANINGS[action]
    return template.format(
        role=role.replace("_", " "), gate_title=GATE_TITLES.get(gate, gate), environment=environment
    )


#: the state an approval moves the version to when it completes its gate (None: stays)
GATE_COMPLETES_TO = {PRODUCTION_USE: APPROVED, GO_LIVE: None}

# -- what each state requires, and the moves nobody clicks -------------------------------------
#: steps a version must have completed to be in a state: gates, and "checks" (passing evidence
#: for every required check on its current manifest)
CHECKS_STEP = "checks"
STATE_REQUIRES: dict[str, tuple[str, ...]] = {
    APPROVED: (PRODUCTION_USE,),
    READY: (PRODUCTION_USE, CHECKS_STEP),
    LIVE: (PRODUCTION_USE, CHECKS_STEP, GO_LIVE),
}
#: the step a move into a state completes (judged under the stricter of the policy recorded at
#: submission and the one in force now); the earlier steps are judged as recorded
STATE_COMPLETES = {APPROVED: PRODUCTION_USE, READY: CHECKS_STEP, LIVE: GO_LIVE}


@dataclass(frozen=True)
class Move:
    """A state change that is a consequence, not a decision of its own."""

    source: str
    target: str
    who: tuple[str, ...]  # roles that may cause it
    why: str


CONSEQUENCES: tuple[Move, ...] = (
    # the last required check passed (recorded by whoever ran the checks, or at the approval
    # that completed the gate when the evidence was already there)
    Move(APPROVED, READY, (*EVIDENCE_RECORDERS, *SIGNING_ROLES), "deployment checks passed"),
    # another version went live in the same environment
    Move(LIVE, SUPERSEDED, WHO_ROLES[DEPLOYERS], "another version went live"),
)


def moves() -> dict[tuple[str, str], tuple[str, ...]]:
    """Every allowed (from, to) state change and the roles that may make it."""
    found: dict[tuple[str, str], set[str]] = {}
    for action in ACTIONS.values():
        targets = [action.target] if action.target else []
        if action.name == "approve":
            targets = [t for t in GATE_COMPLETES_TO.values() if t]
        for source in action.sources:
            for target in targets:
                if source == target:
                    continue
                if action.name == "approve" and GATE_OPEN_IN.get(PRODUCTION_USE) != source:
                    continue  # only the production-use gate moves the version
                found.setdefault((source, target), set()).update(WHO_ROLES[action.who])
    for move in CONSEQUENCES:
        found.setdefault((move.source, move.target), set()).update(move.who)
    return {pair: tuple(sorted(roles)) for pair, roles in sorted(found.items())}


def open_gate(state: str) -> str:
    """The gate open for signatures in *state* ('' when none)."""
    return next((gate for gate, where in GATE_OPEN_IN.items() if where == state), "")


__all__ = [
    "ACTIONS",
    "ANYONE",
    "AUTHOR_OR_ADMIN",
    "CHECKS",
    "CHECKS_STEP",
    "CONSEQUENCES",
    "DEFAULT_RULES",
    "DEPLOYERS",
    "EVIDENCE_RECORDERS",
    "GATES",
    "GATE_COMPLETES_TO",
    "GATE_OPEN_IN",
    "GATE_SHORT",
    "GATE_SIGNERS",
    "GATE_TITLES",
    "GO_LIVE",
    "MARKERS",
    "MEANINGS",
    "NOT_NOW",
    "OPTIONAL_POLICY_KEYS",
    "PRODUCTION_USE",
    "SIGNING_ROLES",
    "STALE_SETTERS",
    "STATE_COMPLETES",
    "STATE_REQUIRES",
    "TIER_SETTERS",
    "VALIDATORS",
    "WHO_ROLES",
    "WHO_WORDS",
    "Action",
    "Move",
    "meaning_of",
    "moves",
    "open_gate",
]
