"""The demo's people, consumers and lifecycle history.

The approval workflow (policies, gates, signatures) is a later piece of Signoff. Until it
exists, :func:`record_demo_decision` is the ONE place the demo moves a version between states
other than live/superseded: it records a Decision row bound to the manifest hash, sets the
state and appends an audit event, in the caller's transaction. Swap its body for the real
workflow calls when they exist; :func:`play_version_history` is its only caller.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from signoff.core.audit import append_event
from signoff.core.deploy import record_go_live
from signoff.core.schema import (
    APPROVED,
    DO_NOT_USE,
    IN_REVIEW,
    READY,
    REJECTED,
    RETIRED,
    Consumer,
    Decision,
    Model,
    User,
    UserRole,
    Version,
)
from signoff.core.summary import refresh_model_summary
from signoff.demo.catalog import USERS, ModelSpec, VersionSpec

# who signs what in the demo (the author never signs their own version)
VALIDATOR, BUSINESS_OWNER, RELEASE_MANAGER = "bob", "carol", "dave"
DNU_REASON = ("payment_delay_days was built from billing data that includes events after "
              "cancellation (target leakage); scores are optimistic. Use v3.")
REJECT_COMMENTS = {
    "card-fraud": "Recall at 1% false-positive rate is 6 points below v2; dropping distance "
                  "and velocity is not acceptable for a high-tier model.",
    "complaint-triage": "Validation AUC well below v1: the deep forest overfits the small "
                        "sample. Please regularise or return to the linear model.",
}


def record_demo_decision(session: Session, version: Version, *, actor: str, at: datetime,
                         action: str, new_state: str, meaning: str, comment: str = "",
                         gate: str = "", role: str = "") -> Decision:
    """STAND-IN for the workflow: record a decision on *version* and move it to *new_state*.

    Writes the Decision (bound to the version's manifest hash), the state change and an
    audit event ``version.<action>`` in the caller's transaction, then refreshes the
    model summary. No policy or separation-of-duties check is made here.
    """
    decision = Decision(version_id=version.id, actor=actor, at=at, action=action, gate=gate,
                        role=role, meaning=meaning, comment=comment,
                        manifest_hash=version.manifest_hash)
    session.add(decision)
    previous = version.state
    version.state = new_state
    version.state_changed_at = at
    session.flush()
    append_event(session, actor=actor, action=f"version.{action}", entity_type="version",
                 entity_id=f"{version.model.name} v{version.number}", model_id=version.model_id,
                 version_id=version.id,
                 payload={"from": previous, "to": new_state, "at": at, "meaning": meaning,
                          "comment": comment, "gate": gate, "role": role,
                          "manifest_hash": version.manifest_hash, "demo_stand_in": True})
    refresh_model_summary(session, version.model_id)
    return decision


def backdate_publish(session: Session, version: Version, published: datetime) -> None:
    """Give a freshly published demo version its historical publish time (audited)."""
    version.created_at = published
    version.state_changed_at = published
    session.flush()
    append_event(session, actor="frank", action="demo.version_backdated", entity_type="version",
                 entity_id=f"{version.model.name} v{version.number}", model_id=version.model_id,
                 version_id=version.id, payload={"published": published})


def play_version_history(session: Session, model: ModelSpec, spec: VersionSpec,
                         version: Version, step: str) -> None:
    """Apply one lifecycle *step* of the demo history (at its date) to *version*."""
    at = spec.events[step]
    if step == "submit":
        record_demo_decision(session, version, actor=spec.author, at=at, action="submitted",
                             new_state=IN_REVIEW, meaning="submitted for review",
                             comment=spec.summary)
    elif step == "approve":
        record_demo_decision(session, version, actor=VALIDATOR, at=at - timedelta(days=2),
                             action="signed", new_state=IN_REVIEW, gate="production",
                             role="validator", meaning="validated for production use",
                             comment="Validation report attached; metrics reproduce.")
        record_demo_decision(session, version, actor=BUSINESS_OWNER, at=at, action="approved",
                             new_state=APPROVED, gate="production", role="business_owner",
                             meaning="approved for production use")
    elif step == "ready":
        record_demo_decision(session, version, actor=RELEASE_MANAGER, at=at,
                             action="checks_passed", new_state=READY, gate="go_live",
                             role="release_manager",
                             meaning="deployment checks passed; ready to go live")
    elif step == "live":
        record_go_live(session, version, actor=RELEASE_MANAGER, at=at)
    elif step == "retire":
        record_demo_decision(session, version, actor=RELEASE_MANAGER, at=at, action="retired",
                             new_state=RETIRED, role="release_manager",
                             meaning="retired: no consumer uses it any more")
    elif step == "reject":
        record_demo_decision(session, version, actor=VALIDATOR, at=at, action="rejected",
                             new_state=REJECTED, gate="production", role="validator",
                             meaning="rejected for production use",
                             comment=REJECT_COMMENTS.get(model.name, "Not fit for production."))
    elif step == "do_not_use":
        record_demo_decision(session, version, actor=VALIDATOR, at=at,
                             action="marked_do_not_use", new_state=DO_NOT_USE,
                             role="validator", meaning="marked do not use", comment=DNU_REASON)
    else:
        raise ValueError(f"unknown demo lifecycle step {step!r}")


def add_users(session: Session, at: datetime) -> None:
    """The demo's people and their roles (users/user_roles), audited."""
    for login, display, roles in USERS:
        user = User(login=login, display_name=display, email=f"{login}@bank.example")
        user.roles = [UserRole(role=role) for role in roles]
        session.add(user)
        session.flush()
        append_event(session, actor="frank", action="user.created", entity_type="user",
                     entity_id=login, payload={"display_name": display, "roles": list(roles),
                                               "at": at})


def add_consumers(session: Session, model: ModelSpec, db_model: Model,
                  versions: dict[int, Version], at: datetime) -> list[Consumer]:
    """The model's consumers: following what is live, or pinned to one version."""
    out = []
    for entry in model.consumers:
        pinned = versions[entry["pinned"]].id if entry.get("pinned") else None
        consumer = Consumer(model_id=db_model.id, name=entry["name"], kind=entry["kind"],
                            contact=entry["contact"], webhook_url=entry["webhook_url"],
                            secret=f"demo-secret-{entry['name']}", pinned_version_id=pinned,
                            created_at=at)
        session.add(consumer)
        session.flush()
        append_event(session, actor="frank", action="consumer.registered",
                     entity_type="consumer", entity_id=f"{model.name}/{entry['name']}",
                     model_id=db_model.id,
                     payload={"kind": entry["kind"], "webhook_url": entry["webhook_url"],
                              "pinned_version": entry.get("pinned")})
        out.append(consumer)
    refresh_model_summary(session, db_model.id)
    return out
