"""Writing one registered model's import: one transaction, with its audit events.

Everything a registered model brings — the model row (created, or its metadata brought up to
date), its new versions with their components, metrics and events, the metadata of versions
imported before, the version MLflow marks live, and the notes on values that were changed or
left out — is written in one transaction after every file is in the store. A failure leaves
nothing of the model: no empty model shell, no audit event for it.

The risk tier of a model Signoff already has is never changed by an import (the tier chooses
the approval policy; only ``signoff tier`` changes it, an audited decision): a different MLflow
value is reported and noted instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import desc, select
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.catalog.summary import refresh_model_summary
from signoff.core.db.registry import Registry, db_now
from signoff.core.db.schema import (
    DO_NOT_USE,
    REJECTED,
    AuditEvent,
    Component,
    Metric,
    Model,
    Version,
)
from signoff.core.governance.deployment import record_go_live
from signoff.core.importers.mlflow import mapping as mapping
from signoff.core.importers.mlflow.report import ImportReport
from signoff.core.importers.mlflow.version import version_row


@dataclass
class ModelPlan:
    """Everything one registered model brings, gathered before anything is written."""

    name: str  # in Signoff
    mlflow_name: str
    registered: dict[str, Any]
    columns: dict[str, Any]
    notes: list[str]
    new: list[dict[str, Any]] = field(default_factory=list)  # version specs
    refreshed: list[dict[str, Any]] = field(default_factory=list)  # metadata changes
    added: list[str] = field(default_factory=list)  # blobs new to the store
    live: tuple[int, str] | None = None  # (version number, why MLflow marks it live)


@dataclass
class _Outcome:
    """What the transaction did, told to the report only once it committed."""

    created: bool = False
    updated: bool = False
    imported: list[dict[str, Any]] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    went_live: str = ""


def write_model(
    registry: Registry, plan: ModelPlan, *, actor: str, server: str, report: ImportReport
) -> None:
    """Write *plan* in one transaction; on success tell *report* what it did."""
    with registry.write() as session:
        outcome = _Outcome()
        model = _upsert_model(session, plan, actor, server, outcome)
        taken = set(session.scalars(select(Version.number).where(Version.model_id == model.id)))
        for spec in plan.new:
            if spec["number"] in taken:
                outcome.skipped.append(f"{spec['label']}: imported meanwhile")
                continue
            _add_version(session, model.id, spec, actor, server)
            outcome.imported.append(spec)
        for change in plan.refreshed:
            _refresh_version(session, change, actor)
            outcome.refreshed.append(change["line"])
        if plan.live is not None:
            session.flush()
            _apply_live(session, model, plan.live, actor, outcome)
        _record_notes(session, model, plan.notes, actor, server)
        refresh_model_summary(session, model.id)
    if outcome.created:
        report.models_created.append(plan.name)
    elif outcome.updated:
        report.models_updated.append(plan.name)
    for spec in outcome.imported:
        report.versions_imported.append(spec["label"])
        report.artifacts_stored += spec["files"]
        report.notes += spec["notes"]
    report.versions_updated += outcome.refreshed
    report.skipped += outcome.skipped
    if outcome.went_live:
        report.went_live.append(outcome.went_live)
    report.notes += [f"{plan.name}: {note}" for note in plan.notes]
    plan.added.clear()  # the blobs belong to committed versions now


def _upsert_model(
    session: Session, plan: ModelPlan, actor: str, server: str, outcome: _Outcome
) -> Model:
    columns = dict(plan.columns)
    model = session.scalar(select(Model).where(Model.name == plan.name))
    if model is None:
        row = mapping.model_row({**plan.registered, "name": plan.name}, columns, db_now(session))
        model = Model(**row)
        session.add(model)
        session.flush()
        payload = {"source": "mlflow", "server": server, **columns}
        if plan.mlflow_name != plan.name:
            payload["mlflow_name"] = plan.mlflow_name
        append_event(
            session,
            actor=actor,
            action=events.MODEL_CREATED,
            entity_type="model",
            entity_id=plan.name,
            model_id=model.id,
            payload=payload,
        )
        outcome.created = True
        return model
    tier = columns.pop("risk_tier", None)
    if tier is not None and tier != model.risk_tier:
        plan.notes.append(
            f"MLflow's risk_tier tag says {tier!r} but Signoff has {model.risk_tier!r}; an "
            "import never changes a risk tier (it chooses the approval policy), so Signoff "
            f"keeps {model.risk_tier!r}: `signoff tier {plan.name} {tier} --reason …` changes it"
        )
    changed = {
        k: {"from": getattr(model, k), "to": v}
        for k, v in columns.items()
        if getattr(model, k) != v
    }
    if changed:
        for key, value in columns.items():
            setattr(model, key, value)
        append_event(
            session,
            actor=actor,
            action=events.MODEL_UPDATED,
            entity_type="model",
            entity_id=plan.name,
            model_id=model.id,
            payload={"source": "mlflow", "changed": changed},
        )
        outcome.updated = True
    return model


def _add_version(
    session: Session, model_id: int, spec: dict[str, Any], actor: str, server: str
) -> None:
    v = spec["v"]
    created = mapping.ms_to_datetime(v.get("creation_timestamp")) or db_now(session)
    version = Version(model_id=model_id, **version_row(spec, created))
    session.add(version)
    session.flush()
    for comp in spec["components"]:
        session.add(Component(version_id=version.id, **comp))
    for metric in spec["metrics"]:
        session.add(Metric(version_id=version.id, **metric))
    payload = {
        "source": "mlflow",
        "server": server,
        "mlflow_version": v["version"],
        "run_id": spec["identity"]["run_id"],
        "manifest_hash": spec["manifest_hash"],
        "artifact_digest": spec["identity"]["artifact_digest"],
        "components": [[c["kind"], c["name"], c["sha256"]] for c in spec["components"]],
    }
    if spec.get("notes"):
        payload["notes"] = spec["notes"]
    append_event(
        session,
        actor=actor,
        action=events.VERSION_IMPORTED,
        entity_type="version",
        entity_id=spec["label"],
        model_id=model_id,
        version_id=version.id,
        payload=payload,
    )


def _refresh_version(session: Session, change: dict[str, Any], actor: str) -> None:
    version = session.get(Version, change["id"])
    assert version is not None  # read before, and versions are never deleted
    manifest = dict(version.manifest or {})
    manifest["mlflow"] = {**manifest.get("mlflow", {}), **change["fresh"]}
    version.manifest = manifest
    append_event(
        session,
        actor=actor,
        action=events.VERSION_METADATA_UPDATED,
        entity_type="version",
        entity_id=change["label"],
        model_id=version.model_id,
        version_id=version.id,
        payload={"source": "mlflow", "changed": change["changed"]},
    )


def _apply_live(
    session: Session, model: Model, live: tuple[int, str], actor: str, outcome: _Outcome
) -> None:
    number, reason = live
    if model.live_version == number:
        return
    version = session.scalar(
        select(Version).where(Version.model_id == model.id, Version.number == number)
    )
    if version is None or not (version.manifest or {}).get("mlflow"):
        return
    if version.state in (DO_NOT_USE, REJECTED):
        outcome.skipped.append(
            f"{model.name} v{number}: MLflow marks it live ({reason}) but Signoff has it "
            f"{version.state}; not made live"
        )
        return
    record_go_live(session, version, actor=actor)
    outcome.went_live = f"{model.name} v{number} (MLflow {reason})"


def _record_notes(
    session: Session, model: Model, notes: list[str], actor: str, server: str
) -> None:
    """Audit the values the import changed or left out, when they differ from those recorded
    last time (a re-import of an unchanged MLflow model adds no event)."""
    last = session.scalar(
        select(AuditEvent.payload)
        .where(AuditEvent.model_id == model.id, AuditEvent.action == events.MODEL_IMPORT_NOTES)
        .order_by(desc(AuditEvent.seq))
        .limit(1)
    )
    before = json.loads(last).get("notes", []) if last else []
    if sorted(notes) == sorted(before):
        return
    append_event(
        session,
        actor=actor,
        action=events.MODEL_IMPORT_NOTES,
        entity_type="model",
        entity_id=model.name,
        model_id=model.id,
        payload={"source": "mlflow", "server": server, "notes": sorted(notes)},
    )
