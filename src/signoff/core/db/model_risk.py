"""Model risk management, declared once: findings, conditions, attestations and model cards.

As :mod:`signoff.core.db.lifecycle` does for a version's gates, this module states the rules of
the model-risk workflow as plain data. The Python rules (:mod:`signoff.core.governance.findings`
and its neighbours) read them, and the PostgreSQL functions that hold the same rules inside a
shared database are generated from them (:mod:`signoff.core.db.pgrisk`);
``tests/pg/test_model_risk_pg.py`` asks both about every status, action and person.

A **finding** belongs to a version (or to a whole model). Validators and auditors raise it; the
people who must fix it (its owner, the model's owner, the version's author) answer it; it is
judged (closed, accepted as a limitation, granted an exception) by the person who raised it or
by a second validator, and never by someone who must fix it.
"""

from __future__ import annotations

from dataclasses import dataclass

from signoff.core.db import lifecycle as lc

# -- what a finding is ---------------------------------------------------------------------------
OPEN = "open"
PROPOSED = "remediation_proposed"
CLOSED = "closed"
ACCEPTED = "accepted"  # accepted as a limitation, with compensating controls
EXCEPTION = "exception"  # a policy exception, granted until an expiry date
STATUSES = (OPEN, PROPOSED, CLOSED, ACCEPTED, EXCEPTION)
#: statuses in which a finding still needs something done (an exception past its expiry too)
UNRESOLVED = (OPEN, PROPOSED)
STATUS_WORDS = {
    OPEN: "open",
    PROPOSED: "remediation proposed",
    CLOSED: "closed",
    ACCEPTED: "accepted as a limitation",
    EXCEPTION: "policy exception",
}

KINDS = ("issue", "limitation", "policy_exception")
KIND_WORDS = {"issue": "issue", "limitation": "limitation", "policy_exception": "policy exception"}
#: severities, most severe first; an admin may configure others (the settings key below)
DEFAULT_SEVERITIES = ("high", "medium", "low")
SEVERITIES_SETTING = "findings.severities"

#: what the policy may say of an unresolved finding of a severity at a gate
BLOCK = "block"  # the gate cannot be signed until the finding is resolved
CONDITION = "condition"  # ... unless a signature carries it as a condition (a date to close by)
FINDING_MODES = (BLOCK, CONDITION)

#: the fields a person gives when raising a finding, and those an amendment may change
RAISE_FIELDS = ("title", "description", "severity", "kind", "owner", "due")
#: ... of which these must be given (the type defaults to an issue, the owner to the model's)
RAISE_REQUIRED = ("title", "severity", "due")
AMEND_FIELDS = ("title", "description", "severity", "owner", "due")
#: the finding's state as recorded with every change (and replayed for "as of" reports)
SNAPSHOT_FIELDS = (
    "model_id",
    "version_id",
    "title",
    "description",
    "severity",
    "kind",
    "owner",
    "due",
    "status",
    "compensating_controls",
    "expires",
    "raised_by",
)

# -- who may act ---------------------------------------------------------------------------------
#: validators and auditors raise findings (never on what they must fix themselves)
RAISERS = "raisers"
#: the people who must fix it: the finding's owner, the model's owner, the version's author
FIXERS = "fixers"
#: who judges an answer: the person who raised it, or a second validator; never a fixer
JUDGES = "judges"
#: anyone taking part (raisers, fixers, signers); viewers read only
PARTIES = "parties"

RAISER_ROLES = ("validator", "auditor")
#: a "second validator" may judge a finding someone else raised
SECOND_JUDGE_ROLES = ("validator",)
FINDING_WHO_WORDS = {
    RAISERS: "a validator or an auditor who does not have to fix it",
    FIXERS: "the finding's owner, the model's owner or the version's author",
    JUDGES: "the person who raised it or a second validator, never someone who must fix it",
    PARTIES: "anyone taking part (not a viewer)",
}


@dataclass(frozen=True)
class FindingAction:
    """One change a person can make to a finding.

    *sources*: the statuses it may be taken in (``()``: it creates the finding). *target*: the
    status it moves to (``None``: it stays). *requires*: fields it must be given.
    """

    name: str
    title: str
    sources: tuple[str, ...]
    target: str | None
    who: str
    needs_comment: bool = False
    requires: tuple[str, ...] = ()


FINDING_ACTIONS: dict[str, FindingAction] = {
    a.name: a
    for a in (
        FindingAction("raise", "Raise", (), OPEN, RAISERS, requires=RAISE_REQUIRED),
        FindingAction(
            "propose_remediation", "Propose remediation", (OPEN,), PROPOSED, FIXERS, True
        ),
        FindingAction("reject_remediation", "Reject remediation", (PROPOSED,), OPEN, JUDGES, True),
        FindingAction("close", "Close", (OPEN, PROPOSED), CLOSED, JUDGES),
        FindingAction(
            "accept_limitation",
            "Accept as limitation",
            (OPEN, PROPOSED),
            ACCEPTED,
            JUDGES,
            requires=("compensating_controls",),
        ),
        FindingAction(
            "grant_exception",
            "Grant exception",
            (OPEN, PROPOSED, EXCEPTION),
            EXCEPTION,
            JUDGES,
            True,
            requires=("expires",),
        ),
        FindingAction("reopen", "Reopen", (CLOSED, ACCEPTED, EXCEPTION), OPEN, RAISERS, True),
        FindingAction("amend", "Amend", (OPEN, PROPOSED), None, JUDGES, True),
        FindingAction("comment", "Comment", STATUSES, None, PARTIES, True),
    )
}
FINDING_NOT_NOW = {
    "raise": "",
    "propose_remediation": "a remediation is proposed for an open finding",
    "reject_remediation": "only a proposed remediation can be rejected",
    "close": "only an open finding, or one with a proposed remediation, can be closed",
    "accept_limitation": "only an open finding can be accepted as a limitation",
    "grant_exception": "only an open finding (or an exception, to renew it) can be granted one",
    "reopen": "only a closed, accepted or excepted finding can be reopened",
    "amend": "only an open finding can be amended",
    "comment": "",
}

# -- conditions on signatures ----------------------------------------------------------------
#: decisions that may carry conditions (findings that must close by a date)
CONDITIONAL_ACTIONS = ("approve", "revalidate")

# -- attestations --------------------------------------------------------------------------------
ATTESTED = "attested"
CORRECTED = "corrected"
VERDICTS = (ATTESTED, CORRECTED)
#: who opens and closes an attestation period
PERIOD_OPENERS = ("admin",)
#: metadata the model's owner corrects directly when attesting
CORRECTABLE = ("title", "description", "business_unit")
#: what an owner can only report as wrong (others fix it: consumers are an admin's,
#: limitations a validator's)
NOTED = ("consumers", "limitations")

# -- model cards ---------------------------------------------------------------------------------
CARD_FIELDS = (
    "intended_use",
    "out_of_scope_uses",
    "users",
    "data",
    "method",
    "performance",
    "limitations",
    "ethical_considerations",
    "risk_rationale",
)
CARD_TITLES = {
    "intended_use": "Intended use",
    "out_of_scope_uses": "Out-of-scope uses",
    "users": "Users",
    "data": "Data",
    "method": "Method",
    "performance": "Performance",
    "limitations": "Limitations",
    "ethical_considerations": "Ethical considerations",
    "risk_rationale": "Risk rationale",
}
#: roles that may edit any card (besides the model's owner and the version's author)
CARD_EDITOR_ROLES = ("validator", "admin")
CARD_TEXT_LIMIT = 20000

# -- audit events --------------------------------------------------------------------------------
FINDING_EVENT_PREFIX = "finding."
ATTESTATION_PERIOD_OPENED = "attestation.period_opened"
ATTESTATION_PERIOD_CLOSED = "attestation.period_closed"
ATTESTATION_RECORDED = "attestation.recorded"
CARD_EDITED = "card.edited"


def finding_event(action: str) -> str:
    """The audit event of a change to a finding: ``finding.raise``, ``finding.close`` …"""
    return FINDING_EVENT_PREFIX + action


#: events only the database's own functions write on a shared registry
RESERVED_EVENTS = (
    FINDING_EVENT_PREFIX + "%",
    ATTESTATION_PERIOD_OPENED,
    ATTESTATION_PERIOD_CLOSED,
    ATTESTATION_RECORDED,
    CARD_EDITED,
)


def parties_roles() -> tuple[str, ...]:
    """Roles that may comment on a finding (the same people who comment on versions)."""
    return lc.WHO_ROLES[lc.ANYONE]


__all__ = [
    "ACCEPTED",
    "AMEND_FIELDS",
    "BLOCK",
    "CARD_FIELDS",
    "CARD_TITLES",
    "CLOSED",
    "CONDITION",
    "CONDITIONAL_ACTIONS",
    "DEFAULT_SEVERITIES",
    "EXCEPTION",
    "FINDING_ACTIONS",
    "FINDING_MODES",
    "KINDS",
    "OPEN",
    "PROPOSED",
    "RAISE_FIELDS",
    "STATUSES",
    "UNRESOLVED",
    "FindingAction",
    "finding_event",
]
