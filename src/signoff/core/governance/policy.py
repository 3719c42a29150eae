"""Approval policy per risk tier: which roles sign at each gate, which checks go-live needs.

Policies are stored as revisions in the ``policies`` table and never edited in place; the
newest revision of a tier is the one in force. A tier with no stored revision uses the
built-in default (revision 0), so a fresh registry already has sensible rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.common.errors import SignoffError
from signoff.core.db import lifecycle as lc
from signoff.core.db import model_risk as rk
from signoff.core.db.schema import RISK_TIERS, Policy, Setting, Version
from signoff.core.governance.people import require_admin

# the gates, the roles and checks a policy may name, and the defaults are part of the one
# lifecycle declaration (the database's functions are generated from it too)
PRODUCTION_USE, GO_LIVE, GATES, GATE_TITLES = (
    lc.PRODUCTION_USE,
    lc.GO_LIVE,
    lc.GATES,
    lc.GATE_TITLES,
)
SIGNING_ROLES, CHECKS, DEFAULT_RULES = lc.SIGNING_ROLES, lc.CHECKS, lc.DEFAULT_RULES


class PolicyError(SignoffError):
    """A policy is malformed."""


@dataclass(frozen=True)
class PolicyRules:
    """The policy in force for a tier: roles per gate and required checks."""

    risk_tier: str
    revision: int
    gates: dict[str, list[str]] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    created_by: str = ""
    #: gate -> severity -> "block" or "condition": which unresolved findings hold the gate
    findings: dict[str, dict[str, str]] = field(default_factory=dict)
    #: how often a live version of the tier is revalidated
    revalidation_months: int = 0

    def roles_for(self, gate: str) -> list[str]:
        return list(self.gates.get(gate, []))

    def required(self, step: str) -> list[str]:
        """The roles a gate needs, or the checks for the ``checks`` step."""
        return list(self.checks) if step == lc.CHECKS_STEP else self.roles_for(step)

    def findings_at(self, gate: str) -> dict[str, str]:
        """Severity -> what an unresolved finding of it does at *gate* (block / condition)."""
        return dict(self.findings.get(gate, {}))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PolicyRules:
        """Rules as recorded at submission (:meth:`to_json`)."""
        return cls(
            str(data.get("risk_tier", "")),
            int(data.get("revision", 0)),
            {g: list(r) for g, r in dict(data.get("gates", {})).items()},
            list(data.get("checks", [])),
            str(data.get("created_by", "")),
            _findings_rules(data.get("findings")),
            int(data.get("revalidation_months") or 0),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "risk_tier": self.risk_tier,
            "revision": self.revision,
            "gates": {g: list(r) for g, r in self.gates.items()},
            "checks": list(self.checks),
            "created_by": self.created_by,
            "findings": {g: dict(m) for g, m in self.findings.items()},
            "revalidation_months": self.revalidation_months,
        }


def _findings_rules(value: Any) -> dict[str, dict[str, str]]:
    if not isinstance(value, dict):
        return {}
    return {
        str(g): {str(s): str(m) for s, m in modes.items()}
        for g, modes in value.items()
        if isinstance(modes, dict)
    }


def validate_rules(
    rules: dict[str, Any], severities: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """Check a rules document; return it normalised or raise PolicyError naming the problem.

    *severities*: the finding severities configured (the ``findings`` rules may name only
    those); None does not check them.
    """
    if not isinstance(rules, dict):
        raise PolicyError("a policy must be a JSON object with 'gates' and 'checks'")
    unknown = set(rules) - {"gates", "checks", *lc.OPTIONAL_POLICY_KEYS}
    if unknown:
        raise PolicyError(f"unknown policy key(s): {', '.join(sorted(unknown))}")
    gates = rules.get("gates")
    if not isinstance(gates, dict) or set(gates) != set(GATES):
        raise PolicyError(f"'gates' must name exactly the gates {', '.join(GATES)}")
    clean: dict[str, list[str]] = {}
    for gate, roles in gates.items():
        if not isinstance(roles, list) or not roles:
            raise PolicyError(f"gate '{gate}' must list at least one role")
        bad = [r for r in roles if r not in SIGNING_ROLES]
        if bad:
            raise PolicyError(
                f"gate '{gate}': {', '.join(map(str, bad))} cannot sign; "
                f"signing roles are {', '.join(SIGNING_ROLES)}"
            )
        if len(set(roles)) != len(roles):
            raise PolicyError(f"gate '{gate}' lists a role twice")
        clean[gate] = list(roles)
    checks = rules.get("checks", [])
    if not isinstance(checks, list) or any(c not in CHECKS for c in checks):
        raise PolicyError(f"'checks' must be a list drawn from {', '.join(CHECKS)}")
    out: dict[str, Any] = {"gates": clean, "checks": sorted(set(checks), key=CHECKS.index)}
    if "findings" in rules:
        out["findings"] = _validate_findings(rules["findings"], severities)
    if "revalidation_months" in rules:
        months = rules["revalidation_months"]
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120:
            raise PolicyError("'revalidation_months' must be a whole number from 1 to 120")
        out["revalidation_months"] = months
    return out


def _validate_findings(value: Any, severities: tuple[str, ...] | None) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) - set(GATES):
        raise PolicyError(f"'findings' must map gates ({', '.join(GATES)}) to severities")
    clean: dict[str, dict[str, str]] = {}
    for gate, modes in value.items():
        if not isinstance(modes, dict):
            raise PolicyError(f"'findings' of gate '{gate}' must map severities to block/condition")
        for severity, mode in modes.items():
            if mode not in rk.FINDING_MODES:
                raise PolicyError(
                    f"'findings' of gate '{gate}': {severity} must be "
                    f"{' or '.join(rk.FINDING_MODES)}, not {mode!r}"
                )
            if severities is not None and severity not in severities:
                raise PolicyError(
                    f"'findings' of gate '{gate}': unknown severity '{severity}'; "
                    f"severities are {', '.join(severities)}"
                )
        clean[gate] = dict(modes)
    return clean


def _check_tier(tier: str) -> None:
    if tier not in RISK_TIERS:
        raise PolicyError(f"unknown risk tier '{tier}'; tiers are {', '.join(RISK_TIERS)}")


def current_policy(session: Session, risk_tier: str, at: datetime | None = None) -> PolicyRules:
    """The newest policy revision for *risk_tier*, or the built-in default (revision 0).

    *at*: the revision that was in force then (for reports "as of" a past date).
    """
    tier = risk_tier if risk_tier in RISK_TIERS else "high"  # unknown tiers get the strictest
    stmt = select(Policy).where(Policy.risk_tier == tier)
    if at is not None:
        stmt = stmt.where(Policy.created_at <= at)
    row = session.scalar(stmt.order_by(Policy.revision.desc()).limit(1))
    default = DEFAULT_RULES[tier]
    if row is None:
        return PolicyRules(
            tier,
            0,
            {g: list(r) for g, r in default["gates"].items()},
            list(default["checks"]),
            "built-in default",
            _findings_rules(default["findings"]),
            int(default["revalidation_months"]),
        )
    # a revision that leaves the model-risk keys out takes the tier's defaults for them
    return PolicyRules(
        tier,
        row.revision,
        {g: list(r) for g, r in row.rules["gates"].items()},
        list(row.rules.get("checks", [])),
        row.created_by,
        _findings_rules(row.rules.get("findings", default["findings"])),
        int(row.rules.get("revalidation_months") or default["revalidation_months"]),
    )


def recorded_policy(session: Session, version: Version) -> PolicyRules:
    """The rules recorded when *version*'s review started (the current ones if none were)."""
    if isinstance(version.review_rules, dict) and version.review_rules.get("gates"):
        return PolicyRules.from_json(version.review_rules)
    return current_policy(session, version.model.risk_tier)


def required_for(session: Session, version: Version, step: str, *, strict: bool) -> list[str]:
    """What *step* (a gate, or ``checks``) needs of *version*.

    The policy recorded at submission judges the version; for the step being completed now
    (*strict*), any addition in the policy in force today applies as well: a later revision can
    make a review stricter, never weaker. The same rule as ``signoff__required`` in SQL.
    """
    needed = recorded_policy(session, version).required(step)
    if strict:
        for extra in current_policy(session, version.model.risk_tier).required(step):
            if extra not in needed:
                needed.append(extra)
    return needed


def set_policy(
    session: Session, risk_tier: str, rules: dict[str, Any], *, actor: str
) -> PolicyRules:
    """Store *rules* as the next revision for *risk_tier*; admins only, audited."""
    _check_tier(risk_tier)
    clean = validate_rules(rules, configured_severities(session))
    bootstrap = require_admin(session, actor)
    last = session.scalar(select(func.max(Policy.revision)).where(Policy.risk_tier == risk_tier))
    before = current_policy(session, risk_tier)
    row = Policy(risk_tier=risk_tier, revision=(last or 0) + 1, rules=clean, created_by=actor)
    session.add(row)
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        # the database stamps, numbers, validates and audits the revision itself
        session.refresh(row)
        return current_policy(session, risk_tier)
    append_event(
        session,
        actor=actor,
        action=events.POLICY_CHANGED,
        entity_type="policy",
        entity_id=f"{risk_tier}#{row.revision}",
        payload={
            "risk_tier": risk_tier,
            "revision": row.revision,
            "rules": clean,
            "previous": before.to_json(),
            "bootstrap_without_admin": bootstrap,
        },
    )
    return current_policy(session, risk_tier)


def all_policies(session: Session) -> list[PolicyRules]:
    """The policy in force for every tier."""
    return [current_policy(session, tier) for tier in RISK_TIERS]


def configured_severities(session: Session) -> tuple[str, ...]:
    """The finding severities in use, most severe first (an admin's setting, else the
    declared default: high, medium, low)."""
    row = session.get(Setting, rk.SEVERITIES_SETTING)
    values = row.value.get("severities") if row is not None else None
    if isinstance(values, list) and values and all(isinstance(v, str) and v for v in values):
        return tuple(values)
    return rk.DEFAULT_SEVERITIES
