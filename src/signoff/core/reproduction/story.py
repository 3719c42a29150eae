"""The whole story of a recorded prediction, for its report: where it came from and went.

The scoring run (execution) that produced it, with its input and output files and their hashes
(checked when the input file lies in a data location), the consumer it went to, the actual
outcome seen later, the deployment period that covered it, and the signatures on its version by
printed name and role. Plain data read in one session; the report renders it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from signoff.core.artifacts.store import sha256_file
from signoff.core.catalog.subject_history import outcome_for
from signoff.core.catalog.words import gate_word, role_word
from signoff.core.db.registry import Registry
from signoff.core.db.schema import (
    PRODUCTION,
    Consumer,
    Decision,
    Deployment,
    Execution,
    Prediction,
    User,
    Version,
)
from signoff.core.reproduction.inputs import DataLocation, RecordUnavailable, location_for

ACTIONS = {
    "approve": "Approved",
    "reject": "Rejected",
    "submit": "Submitted for review",
    "go_live": "Put live",
    "do_not_use": "Marked do not use",
    "retire": "Retired",
    "withdraw": "Withdrawn",
}


def when(value: datetime | None) -> str:
    """A stored (naive UTC) time as the report prints it."""
    return f"{value:%Y-%m-%d %H:%M:%S} UTC" if value is not None else "-"


def printed_names(session: Session, logins: set[str]) -> dict[str, str]:
    """Login -> printed name (the login itself for someone the registry does not know)."""
    if not logins:
        return {}
    found = dict(
        session.execute(select(User.login, User.display_name).where(User.login.in_(logins))).all()
    )
    return {login: found.get(login) or login for login in logins}


def signatures(session: Session, version_id: int, manifest_hash: str) -> list[dict[str, Any]]:
    """Every decision on the version, oldest first, by printed name and role in words."""
    rows = list(
        session.scalars(
            select(Decision)
            .where(Decision.version_id == version_id)
            .order_by(Decision.at, Decision.id)
        )
    )
    names = printed_names(session, {d.actor for d in rows})
    return [
        {
            "name": names[d.actor],
            "login": d.actor,
            "who": names[d.actor] if names[d.actor] == d.actor else f"{names[d.actor]} ({d.actor})",
            "when": when(d.at),
            "action": ACTIONS.get(d.action, d.action.replace("_", " ").capitalize()),
            "gate": gate_word(d.gate) if d.gate else "-",
            "role": role_word(d.role).capitalize() if d.role else "-",
            "meaning": d.meaning,
            "comment": d.comment,
            "bound": d.manifest_hash == manifest_hash,
        }
        for d in rows
    ]


def _file_check(uri: str, recorded: str, locations: list[DataLocation]) -> str:
    """Whether the run's file, when a data location holds it, still has its recorded hash."""
    if not uri:
        return "-"
    location = location_for(locations, uri)
    if location is None:
        return "not checked: under no configured data location"
    try:
        path, _fragment = location.path_for(uri.partition("#")[0])
    except RecordUnavailable as exc:
        return f"not checked: {exc}"
    if not path.is_file():
        return f"MISSING from the data location ({path})"
    if not recorded:
        return "present; no hash was recorded to check it against"
    actual = sha256_file(path)
    if actual == recorded.lower():
        return "verified: the file has its recorded sha256"
    return f"DOES NOT MATCH: the file now hashes to {actual}"


def _execution(
    session: Session, prediction: Prediction, locations: list[DataLocation]
) -> dict[str, Any] | None:
    if prediction.execution_id is None:
        return None
    run = session.get(Execution, prediction.execution_id)
    if run is None:
        return None
    return {
        "run_id": run.external_id,
        "status": run.status,
        "started": when(run.started_at),
        "ended": when(run.ended_at),
        "rows_scored": run.rows_scored,
        "duration_s": run.duration_s,
        "consumer": run.consumer,
        "input_uri": run.input_uri or "-",
        "input_sha256": run.input_sha256 or "(none recorded)",
        "input_check": _file_check(run.input_uri, run.input_sha256, locations),
        "output_uri": run.output_uri or "-",
        "output_sha256": run.output_sha256 or "(none recorded)",
        "output_check": _file_check(run.output_uri, run.output_sha256, locations),
    }


def _consumer(session: Session, model_id: int, name: str) -> dict[str, Any] | None:
    if not name:
        return None
    consumer = session.scalar(
        select(Consumer).where(Consumer.model_id == model_id, Consumer.name == name)
    )
    if consumer is None:
        return {"name": name, "registered": False}
    pinned = consumer.pinned_version
    return {
        "name": consumer.name,
        "registered": True,
        "kind": consumer.kind,
        "contact": consumer.contact or "-",
        "uses": f"pinned to v{pinned.number}" if pinned else "follows the live version",
        "active": consumer.active,
    }


def _deployment(session: Session, version: Version, at: datetime) -> dict[str, Any] | None:
    period = session.scalar(
        select(Deployment)
        .where(
            Deployment.model_id == version.model_id,
            Deployment.environment == PRODUCTION,
            Deployment.live_from <= at,
            or_(Deployment.live_to.is_(None), Deployment.live_to > at),
        )
        .order_by(Deployment.live_from.desc())
        .limit(1)
    )
    if period is None:
        return None
    names = printed_names(session, {period.actor} if period.actor else set())
    return {
        "environment": period.environment,
        "version": period.version.number,
        "live_from": when(period.live_from),
        "live_to": when(period.live_to) if period.live_to else "still live",
        "put_live_by": names.get(period.actor, period.actor) or "-",
        "this_version": period.version_id == version.id,
    }


def prediction_story(
    registry: Registry, prediction_id: int, manifest_hash: str, locations: list[DataLocation]
) -> dict[str, Any]:
    """Execution, consumer, outcome, deployment period and signatures of one prediction."""
    with registry.read() as session:
        prediction = session.get(Prediction, prediction_id)
        if prediction is None:
            return {
                "execution": None,
                "consumer": None,
                "outcome": None,
                "deployment": None,
                "signatures": [],
            }
        version = session.get(Version, prediction.version_id)
        assert version is not None  # foreign key
        execution = _execution(session, prediction, locations)
        outcome = outcome_for(
            session, prediction.subject_key, prediction.predicted_at, version.model_id
        )
        return {
            "execution": execution,
            "consumer": _consumer(session, version.model_id, execution["consumer"])
            if execution
            else None,
            "outcome": {
                "actual": outcome.actual,
                "observed": when(outcome.observed_at),
                "after_days": round(
                    (outcome.observed_at - prediction.predicted_at).total_seconds() / 86400, 1
                ),
                "scope": "for this model"
                if outcome.for_model
                else "for every model of the subject",
            }
            if outcome
            else None,
            "deployment": _deployment(session, version, prediction.predicted_at),
            "signatures": signatures(session, version.id, manifest_hash),
        }
