"""Which findings hold a gate, and the conditions a signature may carry instead.

The policy of the tier says, per gate and severity, what an unresolved finding does: ``block``
(the gate is not signed until it is closed, accepted as a limitation or excepted) or
``condition`` (it may be signed if a signature carries the finding as a condition: a date by
which it must close). A version is judged under the stricter of the rules recorded when its
review started and those in force now, as for the roles of a gate. Findings of the version and
findings of its whole model count; a finding that does not match its audit trail is taken as
unresolved. The database's ``signoff__findings_problem`` applies the same rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from signoff.core.audit.risk_records import untrusted_findings
from signoff.core.common.errors import SignoffError
from signoff.core.db import lifecycle as lc
from signoff.core.db import model_risk as rk
from signoff.core.db.schema import Condition, Finding, Version
from signoff.core.governance.findings import is_unresolved
from signoff.core.governance.policy import current_policy, recorded_policy

_RANK = {"": 0, rk.CONDITION: 1, rk.BLOCK: 2}


@dataclass(frozen=True)
class ConditionRequest:
    """A finding a signature is given on condition of, and the date it must be resolved by."""

    finding_id: int
    due: date

    def to_json(self) -> dict[str, Any]:
        return {"finding_id": self.finding_id, "due": self.due.isoformat()}


def parse_conditions(text: str) -> tuple[ConditionRequest, ...]:
    """Conditions as a person types them: ``3:2026-12-31, #5:2027-01-15`` (comma or space
    separated); SignoffError naming the one that is malformed."""
    from signoff.core.governance.findings import parse_day

    out = []
    for item in text.replace(",", " ").split():
        number, _, day = item.partition(":")
        number = number.strip().lstrip("#")
        if not number.isdigit() or not day:
            raise SignoffError(f"condition '{item}': give FINDING:DATE, like 3:2026-12-31")
        out.append(ConditionRequest(int(number), parse_day(day, f"the date of condition '{item}'")))
    return tuple(out)


def conditions_json(conditions: Sequence[ConditionRequest]) -> list[dict[str, Any]]:
    """Conditions as an audit event records them, by finding."""
    return [c.to_json() for c in sorted(conditions, key=lambda c: c.finding_id)]


def findings_of(session: Session, version: Version) -> list[Finding]:
    """The findings that concern *version*: its own and its model's, oldest first."""
    return list(
        session.scalars(
            select(Finding)
            .where(
                Finding.model_id == version.model_id,
                or_(Finding.version_id.is_(None), Finding.version_id == version.id),
            )
            .order_by(Finding.id)
        )
    )


def finding_rules(session: Session, version: Version, gate: str) -> dict[str, str]:
    """Severity -> block / condition at *gate*: the stricter of recorded and current rules."""
    rules = dict(recorded_policy(session, version).findings_at(gate))
    for severity, mode in (
        current_policy(session, version.model.risk_tier).findings_at(gate).items()
    ):
        if _RANK.get(mode, 0) > _RANK.get(rules.get(severity, ""), 0):
            rules[severity] = mode
    return rules


def carried_conditions(
    session: Session, version: Version, gate: str, *, writing: int | None = None
) -> set[int]:
    """Findings carried as conditions by the signatures that count at *gate* now."""
    from signoff.core.governance.gates import gate_signatures

    ids = [d.id for d in gate_signatures(session, version, gate, writing=writing)]
    if not ids:
        return set()
    return set(session.scalars(select(Condition.finding_id).where(Condition.decision_id.in_(ids))))


def conditions_problem(
    session: Session,
    version: Version,
    action: str,
    conditions: Sequence[ConditionRequest],
    today: date,
) -> str:
    """Why these conditions cannot be carried by *action* on *version* ('' when they can)."""
    if not conditions:
        return ""
    if action not in rk.CONDITIONAL_ACTIONS:
        return "only an approval or a revalidation carries conditions"
    ids = [c.finding_id for c in conditions]
    if len(set(ids)) != len(ids):
        return "a finding is named twice among the conditions"
    for condition in conditions:
        finding = session.get(Finding, condition.finding_id)
        label = f"finding #{condition.finding_id}"
        if (
            finding is None
            or finding.model_id != version.model_id
            or finding.version_id not in (None, version.id)
        ):
            return f"{label} is not a finding of {version.model.name} v{version.number}"
        if not is_unresolved(finding, today):
            return f"{label} is {rk.STATUS_WORDS[finding.status]}; a condition needs one still open"
        if condition.due < today:
            return f"the condition on {label} must be due today or later, not {condition.due}"
    return ""


def gate_findings_problem(
    session: Session,
    version: Version,
    gate: str,
    conditions: Sequence[ConditionRequest] | None,
    today: date,
    *,
    writing: int | None = None,
) -> str:
    """Why unresolved findings hold *gate* for *version* ('' when none does).

    *conditions*: those the signature being made carries; None when not known yet (a screen
    deciding whether to offer the button), which leaves out the findings a condition could
    waive.
    """
    rules = finding_rules(session, version, gate)
    if not rules:
        return ""
    carried: set[int] | None = None
    untrusted: dict[int, str] | None = None
    for finding in findings_of(session, version):
        mode = rules.get(finding.severity, "")
        if not mode:
            continue
        if untrusted is None:
            untrusted = untrusted_findings(session, version.model_id)
        resolved = not is_unresolved(finding, today) and finding.id not in untrusted
        if resolved:
            continue
        label = (
            f"finding #{finding.id} '{finding.title}' ({finding.severity}, "
            f"{_status_words(finding, today, untrusted)})"
        )
        gate_words = f"the {lc.GATE_SHORT[gate]} gate"
        if mode == rk.BLOCK:
            return (
                f"{label} blocks {gate_words}: it must be closed, accepted as a limitation "
                "or granted an exception first"
            )
        if conditions is None:
            continue
        if carried is None:
            carried = carried_conditions(session, version, gate, writing=writing)
        if finding.id in carried or any(c.finding_id == finding.id for c in conditions):
            continue
        return (
            f"{label} blocks {gate_words} unless the signature carries it as a condition "
            "(a date by which it must close)"
        )
    return ""


def _status_words(finding: Finding, today: date, untrusted: dict[int, str]) -> str:
    if finding.id in untrusted:
        return "its record does not match the audit trail"
    if finding.status == rk.EXCEPTION:
        return f"its exception expired on {finding.expires}"
    return rk.STATUS_WORDS[finding.status]


def conditions_of_decisions(
    session: Session, decision_ids: list[int]
) -> dict[int, list[Condition]]:
    """Decision id -> the conditions it carries."""
    out: dict[int, list[Condition]] = {}
    if decision_ids:
        for row in session.scalars(
            select(Condition).where(Condition.decision_id.in_(decision_ids)).order_by(Condition.id)
        ):
            out.setdefault(row.decision_id, []).append(row)
    return out


__all__ = [
    "ConditionRequest",
    "carried_conditions",
    "conditions_json",
    "conditions_problem",
    "finding_rules",
    "findings_of",
    "gate_findings_problem",
    "parse_conditions",
]
