"""The one table of words: how states, gates, roles, checks, flags and actions read to a person.

The registry stores short tokens (``in_review``, ``production_use``, ``business_owner``); a
person reads words. Every screen, the command line and the reports take their words from here,
and the titles of actions and gates come from the lifecycle declaration itself
(:mod:`signoff.core.db.lifecycle`), so a word is defined once. :func:`count` gets plurals right
("1 model", "2 models") where ``model(s)`` used to stand, and :func:`in_words` turns the tokens
inside a message from the rules (the database's own or Python's) into words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from signoff.core.db import lifecycle as lc
from signoff.core.db.schema import (
    APPROVED,
    DO_NOT_USE,
    DRAFT,
    IN_REVIEW,
    LIVE,
    READY,
    REJECTED,
    RETIRED,
    SUPERSEDED,
)

STATE_WORDS: dict[str, str] = {
    DRAFT: "draft",
    IN_REVIEW: "in review",
    APPROVED: "approved",
    READY: "ready",
    LIVE: "live",
    SUPERSEDED: "superseded",
    RETIRED: "retired",
    REJECTED: "rejected",
    DO_NOT_USE: "do not use",
}
#: the gates' titles, as the lifecycle declares them ("Approval for production use")
GATE_WORDS: dict[str, str] = dict(lc.GATE_TITLES)
#: a gate named inside a sentence ("the production-use gate")
GATE_SHORT_WORDS: dict[str, str] = {gate: f"{short} gate" for gate, short in lc.GATE_SHORT.items()}
ROLE_WORDS: dict[str, str] = {
    "viewer": "viewer",
    "author": "author",
    "validator": "validator",
    "business_owner": "business owner",
    "release_manager": "release manager",
    "auditor": "auditor",
    "admin": "admin",
    "runner": "check runner (service)",
    "notifier": "notifier (service)",
}
#: what each role is for, for the status bar and the people dialog
ROLE_PURPOSE: dict[str, str] = {
    "viewer": "reads everything, decides nothing",
    "author": "publishes versions and submits them for review",
    "validator": "signs the production-use gate after validating a version",
    "business_owner": "signs that a version fits the business use",
    "release_manager": "signs the go-live gate and puts versions live",
    "auditor": "reproduces past results and reads the audit trail",
    "admin": "manages people, roles and policies",
    "runner": "a service login that records deployment checks",
    "notifier": "a service login that delivers notifications",
}
CHECK_WORDS: dict[str, str] = {
    "reference_outputs": "reference outputs reproduce",
    "robustness": "robustness to extreme and missing values",
    "environment": "environment captured",
    "performance": "performance",
}
FLAG_WORDS: dict[str, str] = {
    "stale": "stale",
    "open_review": "open review",
    "dnu_consumed": "do-not-use still consumed",
    "dnu_used": "do-not-use still used",
    "condition_overdue": "condition overdue",
    "revalidation_overdue": "revalidation overdue",
}
#: the actions' titles, as the lifecycle declares them ("Submit for review")
ACTION_WORDS: dict[str, str] = {name: action.title for name, action in lc.ACTIONS.items()}
TIER_WORDS: dict[str, str] = {"high": "high", "medium": "medium", "low": "low"}

# irregular plurals; every other noun takes an "s"
_PLURALS = {
    "person": "people",
    "is": "are",
    "was": "were",
    "waits": "wait",
    "has": "have",
    "does": "do",
    "match": "matches",
    "reason": "reasons",
}


def state_word(state: str | None) -> str:
    """A lifecycle state in words (``in_review`` → ``in review``); an em dash for none."""
    if not state:
        return "—"
    return STATE_WORDS.get(state, state.replace("_", " "))


def gate_word(gate: str) -> str:
    """A gate's title (``production_use`` → ``Approval for production use``)."""
    return GATE_WORDS.get(gate, gate.replace("_", " "))


def role_word(role: str) -> str:
    """A role in words (``business_owner`` → ``business owner``)."""
    return ROLE_WORDS.get(role, role.replace("_", " "))


def check_word(check: str) -> str:
    """A deployment check in words (``reference_outputs`` → ``reference outputs reproduce``)."""
    return CHECK_WORDS.get(check, check.replace("_", " "))


def flag_word(flag: str) -> str:
    """An inventory flag in words (``dnu_consumed`` → ``do-not-use still consumed``)."""
    return FLAG_WORDS.get(flag, flag.replace("_", " "))


def action_word(action: str) -> str:
    """A decision's title (``request_changes`` → ``Request changes``)."""
    return ACTION_WORDS.get(action, action.replace("_", " ").capitalize())


def listing(words: Iterable[str], conjunction: str = "and") -> str:
    """Words joined as a sentence says them: ``a``, ``a and b``, ``a, b and c``."""
    items = [w for w in words if w]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def roles_in_words(roles: Iterable[str], conjunction: str = "and") -> str:
    """Several roles as a sentence says them (``validator and business owner``)."""
    return listing((role_word(r) for r in roles), conjunction)


def plural(noun: str, n: int) -> str:
    """*noun* for *n* of them: ``model`` for 1, ``models`` otherwise (irregulars known)."""
    if n == 1:
        return noun
    if noun in _PLURALS:
        return _PLURALS[noun]
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def count(n: int, noun: str) -> str:
    """A number and its noun, plural right: ``1 model``, ``2 models``, ``1,204 predictions``."""
    return f"{n:,} {plural(noun, n)}"


def policy_words(risk_tier: str, revision: int) -> str:
    """Which policy judged a version: the built-in default (revision 0) or a stored revision."""
    if revision <= 0:
        return f"the built-in {risk_tier}-tier policy"
    return f"revision {revision} of the {risk_tier}-tier policy"


# every token the registry stores, longest first so ``in_review`` wins over ``review``
_TOKENS: dict[str, str] = {
    **{k: v for k, v in STATE_WORDS.items() if "_" in k},
    **{k: v for k, v in ROLE_WORDS.items() if "_" in k},
    **{k: v.lower() for k, v in GATE_WORDS.items()},
    **{k: v for k, v in CHECK_WORDS.items() if "_" in k},
    **{k: v for k, v in FLAG_WORDS.items() if "_" in k},
    "request_changes": "request changes",
}
_TOKEN_RE = re.compile(
    r"(?<![\w-])("
    + "|".join(sorted(map(re.escape, _TOKENS), key=len, reverse=True))
    + r")(?![\w-])"
)


def in_words(text: str) -> str:
    """*text* with every stored token in it replaced by its words.

    Messages from the rules name states, roles and gates by their tokens ("still in_review",
    "the gate needs business_owner"); what a person reads says "in review" and "business
    owner". Tokens inside other words (``in_review_since``) are left alone.
    """
    return _TOKEN_RE.sub(lambda m: _TOKENS[m.group(1)], text)


__all__ = [
    "ACTION_WORDS",
    "CHECK_WORDS",
    "FLAG_WORDS",
    "GATE_SHORT_WORDS",
    "GATE_WORDS",
    "ROLE_PURPOSE",
    "ROLE_WORDS",
    "STATE_WORDS",
    "TIER_WORDS",
    "action_word",
    "check_word",
    "count",
    "flag_word",
    "gate_word",
    "in_words",
    "listing",
    "plural",
    "policy_words",
    "role_word",
    "roles_in_words",
    "state_word",
]


def component_word(kind: str) -> str:
    """A kind of versioned component in words (``model_object`` → ``model object``)."""
    return kind.replace("_", " ")
