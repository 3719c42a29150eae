"""The demo's people, consumers and lifecycle history, played through the real workflow.

Every step of a version's history is a :func:`signoff.core.governance.workflow.transition`
back-dated to its day (submit, the approvals at each gate, reject, go live, do not use, retire),
so the decisions, gates, notifications and audit events are exactly what the workflow writes.
The one step the workflow cannot take by itself is "ready": it follows from passing deployment
checks, which the demo runs in process (:mod:`signoff.demo.evidence`) before handing the
evidence to :func:`signoff.core.governance.workflow.note_evidence`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.db.schema import Consumer, Model, Version
from signoff.core.governance.people import ADMIN as ADMIN_ROLE
from signoff.core.governance.people import save_person
from signoff.core.governance.policy import GO_LIVE, PRODUCTION_USE, current_policy
from signoff.core.governance.workflow import note_evidence, transition
from signoff.core.notifications.outbox import save_consumer
from signoff.demo.catalog import ADMINISTRATOR, USERS, ModelSpec, VersionSpec
from signoff.demo.evidence import record_demo_evidence

# who signs as which role in the demo (authors are alice and grace, who never sign)
SIGNERS = {"validator": "bob", "business_owner": "carol", "release_manager": "dave"}
VALIDATOR, RELEASE_MANAGER = SIGNERS["validator"], SIGNERS["release_manager"]
DNU_REASON = (
    "payment_delay_days was built from billing data that includes events after "
    "cancellation (target leakage); scores are optimistic. Use v3."
)
REJECT_COMMENTS = {
    "card-fraud": "Recall at 1% false-positive rate is 6 points below v2; dropping distance "
    "and velocity is not acceptable for a high-tier model.",
    "complaint-triage": "Validation AUC well below v1: the deep forest overfits the small "
    "sample. Please regularise or return to the linear model.",
}
APPROVAL_COMMENTS = {
    "validator": "Validation report attached; development metrics reproduce.",
    "business_owner": "Fits the business use; thresholds agreed with the operations team.",
    "release_manager": "Deployment checks passed; release window agreed.",
}


def backdate_publish(session: Session, version: Version, published: datetime) -> None:
    """Give a freshly published demo version its historical publish time (audited)."""
    version.created_at = published
    version.state_changed_at = published
    session.flush()
    append_event(
        session,
        actor=ADMINISTRATOR,
        action=events.VERSION_BACKDATED,
        entity_type="version",
        entity_id=f"{version.model.name} v{version.number}",
        model_id=version.model_id,
        version_id=version.id,
        payload={"published": published},
    )


def play_version_history(
    session: Session,
    model: ModelSpec,
    spec: VersionSpec,
    version: Version,
    step: str,
    folder: Path,
    predict: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
) -> None:
    """Apply one lifecycle *step* of the demo history to *version*, back-dated to its day."""
    at = spec.events[step]
    name, number = model.name, spec.number
    policy = current_policy(session, model.risk_tier)
    if step == "submit":
        transition(session, "submit", name, number, actor=spec.author, comment=spec.summary, at=at)
    elif step == "approve":
        roles = policy.roles_for(PRODUCTION_USE)
        for i, role in enumerate(roles):
            transition(
                session,
                "approve",
                name,
                number,
                actor=SIGNERS[role],
                role=role,
                comment=APPROVAL_COMMENTS[role],
                at=at - timedelta(days=2 * (len(roles) - 1 - i)),
            )
    elif step == "ready":
        record_demo_evidence(
            session, version, folder, predict, policy.checks, actor=RELEASE_MANAGER, at=at
        )
        if not note_evidence(session, name, number, actor=RELEASE_MANAGER, at=at):
            raise RuntimeError(f"demo: {name} v{number} did not become ready after its checks")
    elif step == "live":
        for i, role in enumerate(policy.roles_for(GO_LIVE)):
            transition(
                session,
                "approve",
                name,
                number,
                actor=SIGNERS[role],
                role=role,
                comment=APPROVAL_COMMENTS[role],
                at=at - timedelta(hours=2 - i),
            )
        transition(session, "go_live", name, number, actor=RELEASE_MANAGER, at=at)
    elif step == "retire":
        transition(
            session,
            "retire",
            name,
            number,
            actor=RELEASE_MANAGER,
            comment="No consumer uses it any more.",
            at=at,
        )
    elif step == "reject":
        transition(
            session,
            "reject",
            name,
            number,
            actor=VALIDATOR,
            comment=REJECT_COMMENTS.get(name, "Not fit for production."),
            at=at,
        )
    elif step == "do_not_use":
        transition(session, "do_not_use", name, number, actor=VALIDATOR, comment=DNU_REASON, at=at)
    else:
        raise ValueError(f"unknown demo lifecycle step {step!r}")


def add_users(session: Session) -> None:
    """The demo's people and their roles, saved as an administrator would (audited).

    The administrator comes first: saving the first admin is the registry's bootstrap, and
    everyone after is saved by that admin.
    """
    for login, display, roles in sorted(USERS, key=lambda user: ADMIN_ROLE not in user[2]):
        save_person(
            session,
            login,
            actor=ADMINISTRATOR,
            display_name=display,
            email=f"{login}@bank.example",
            roles=roles,
        )


def add_consumers(
    session: Session, model: ModelSpec, db_model: Model, versions: dict[int, Version], at: datetime
) -> list[Consumer]:
    """The model's consumers: following what is live, or pinned to one version (audited)."""
    out = []
    for entry in model.consumers:
        consumer = save_consumer(
            session,
            db_model,
            entry["name"],
            actor=ADMINISTRATOR,
            webhook_url=entry["webhook_url"],
            secret=f"demo-secret-{entry['name']}",
            kind=entry["kind"],
            contact=entry["contact"],
            pinned_version=versions[entry["pinned"]] if entry.get("pinned") else None,
        )
        consumer.created_at = at  # registered in the demo's past, before the first go-live
        out.append(consumer)
    session.flush()
    return out
