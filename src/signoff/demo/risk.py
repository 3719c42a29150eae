"""The demo's model-risk management: findings, a limitation, a revalidation that has fallen
due and an attestation period half done, each recorded through the same core functions a
person's clicks go through, back-dated into the demo's story like its lifecycle history.

* credit-risk v4 (in review): an open medium finding the validator raised, which holds the
  go-live gate unless a signature carries it as a condition (the production-use approval the
  first-hour reviewer signs stays open to them), and a low one its author has answered with a
  proposed remediation;
* card-fraud v2 (live): a limitation accepted with compensating controls;
* medium-tier models are revalidated every 7 months under the policy the administrator set, so
  demand-forecast v2 (validated 2026-03-20) is overdue and customer-churn falls due soon;
* attestation period 2026-Q4: the owner has attested two of the five models.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from signoff.core.db.registry import Registry
from signoff.core.governance.attestations import attest, open_period
from signoff.core.governance.findings import act_on_finding
from signoff.core.governance.policy import current_policy, set_policy
from signoff.demo.catalog import ADMINISTRATOR

#: the revalidation interval the demo's administrator sets for the medium tier
MEDIUM_REVALIDATION_MONTHS = 7
PERIOD = "2026-Q4"
ATTESTED = ("card-fraud", "complaint-triage")


def _finding(registry: Registry, action: str, actor: str, at: str, **kw: Any) -> int:
    with registry.write() as session:
        outcome = act_on_finding(session, action, actor=actor, at=datetime.fromisoformat(at), **kw)
        return outcome.finding_id


def add_model_risk(registry: Registry) -> None:
    """Record the demo's findings, policy, and attestation period (see the module's text)."""
    high = _finding(
        registry,
        "raise",
        "bob",
        "2026-10-27T10:15:00",
        model_name="credit-risk",
        number=4,
        fields={
            "title": "PD under-predicts defaults in the 2026 vintage",
            "description": "Back-test on applications from Jan-Jun 2026: observed default rate "
            "4.1% against 2.9% predicted in the top two score bands.",
            "severity": "medium",
            "due": date(2027, 1, 31),
        },
    )
    medium = _finding(
        registry,
        "raise",
        "bob",
        "2026-10-27T10:40:00",
        model_name="credit-risk",
        number=4,
        fields={
            "title": "No sensitivity analysis for the income feature",
            "severity": "low",
            "due": date(2027, 1, 15),
        },
    )
    _finding(
        registry,
        "propose_remediation",
        "alice",
        "2026-10-29T16:05:00",
        finding_id=medium,
        comment="Added a +/-20% income shock to the validation notebook (section 5).",
    )
    assert high != medium
    limitation = _finding(
        registry,
        "raise",
        "erin",
        "2026-02-16T09:30:00",
        model_name="card-fraud",
        number=2,
        fields={
            "title": "Not validated on card-not-present crypto merchants",
            "kind": "limitation",
            "severity": "medium",
            "due": date(2026, 6, 30),
        },
    )
    _finding(
        registry,
        "accept_limitation",
        "erin",
        "2026-02-20T11:00:00",
        finding_id=limitation,
        fields={
            "compensating_controls": "Transactions at merchant category 6051 are routed to "
            "manual review whatever the score."
        },
    )
    with registry.write() as session:
        medium_rules = current_policy(session, "medium").to_json()
        set_policy(
            session,
            "medium",
            {
                "gates": medium_rules["gates"],
                "checks": medium_rules["checks"],
                "revalidation_months": MEDIUM_REVALIDATION_MONTHS,
            },
            actor=ADMINISTRATOR,
        )
    with registry.write() as session:
        open_period(
            session,
            PERIOD,
            date(2026, 12, 31),
            actor=ADMINISTRATOR,
            at=datetime(2026, 10, 1, 9, 0),
        )
    for i, model in enumerate(ATTESTED):
        with registry.write() as session:
            attest(
                session,
                model,
                actor="carol",
                period_name=PERIOD,
                comment="Metadata, consumers and limitations checked against the runbook.",
                at=datetime(2026, 10, 12 + i, 15, 0),
            )


__all__ = ["ATTESTED", "MEDIUM_REVALIDATION_MONTHS", "PERIOD", "add_model_risk"]
