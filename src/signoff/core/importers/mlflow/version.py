"""What one new MLflow model version becomes in Signoff: its run, components, spec and row.

Shared by the REST importer (:mod:`signoff.core.importers.mlflow.importer`) and the bulk loader
(:mod:`signoff.core.importers.mlflow.bulk`), so both write the same rows for the same
MLflow records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from signoff.core.artifacts.protocol import Store
from signoff.core.audit.chain import canonical_json
from signoff.core.common.text import name_problem
from signoff.core.importers.mlflow import mapping as mapping
from signoff.core.importers.mlflow.artifacts import _Run
from signoff.core.importers.mlflow.client import HostileAnswerError
from signoff.core.importers.mlflow.mapping import tag_dict


def parse_run(run_id: str, run: dict[str, Any], label: str) -> _Run:
    """What the importer keeps of a run, from the run as MLflow's REST API returns it.

    Raises HostileAnswerError when the run's parts are not the objects and lists they should
    be. A run MLflow has deleted (lifecycle stage ``deleted``) is kept and marked.
    """
    data = run.get("data") or {}
    inputs = run.get("inputs") or {}
    info = run["info"]
    if not isinstance(data, dict) or not isinstance(inputs, dict):
        raise HostileAnswerError(f"{label}: the run's data is not an object")
    metrics = data.get("metrics") or []
    if not isinstance(metrics, list):
        raise HostileAnswerError(f"{label}: the run's metrics are not a list")
    datasets = inputs.get("dataset_inputs") or []
    if not isinstance(datasets, list):
        raise HostileAnswerError(f"{label}: the run's dataset inputs are not a list")
    uri = info.get("artifact_uri")
    return _Run(
        run_id,
        info,
        metrics,
        tag_dict(data.get("params")),
        tag_dict(data.get("tags")),
        [d for d in datasets if isinstance(d, dict)],
        uri if isinstance(uri, str) else None,
        deleted=info.get("lifecycle_stage") == "deleted",
    )


def run_components(store: Store, run: _Run | None, added: list[str]) -> list[dict[str, Any]]:
    """The components a run gives a version besides its files: ``params.json`` and datasets.

    The params are stored in *store* as canonical JSON; a blob that is new to the store is
    appended to *added* so that a failed import can remove it again.
    """
    if run is None:
        return []
    out = []
    if run.params:
        sha, size, new = store.put_bytes(canonical_json(run.params).encode())
        if new:
            added.append(sha)
        out.append(
            {
                "kind": "configuration",
                "name": "params.json",
                "path": None,
                "uri": None,
                "sha256": sha,
                "size": size,
                "stored": True,
                "role": "params",
                "details": {"origin": "run", "source": "mlflow", "params": run.params},
            }
        )
    return out + [mapping.dataset_component(d) for d in run.datasets]


def version_spec(
    server: str,
    name: str,
    v: dict[str, Any],
    run: _Run | None,
    aliases: list[str],
    components: list[dict[str, Any]],
    stored: list[dict[str, Any]],
    listing: list[tuple[str, int | None]],
    python: str = "",
    mlflow_name: str | None = None,
) -> dict[str, Any]:
    """Everything to write for one new version: identity, manifest, hash, metrics, author.

    *stored* are the artifact files downloaded (path, origin, sha256, size) and *listing*
    the artifact listing they came from. What could not be imported as MLflow has it (metric
    values that are not finite, a creation time that is no time, a deleted run) is described
    in the spec's ``notes`` (for the report, and recorded in the version's audit event).
    *mlflow_name* is the model's name in MLflow when it is imported under another (*name*).
    """
    number = v["version"]
    label = f"{name} v{number}"
    notes: list[str] = []
    metrics = mapping.run_metrics(run.metrics if run else [], label, notes)
    stamp = mapping.timestamp_note(v.get("creation_timestamp"), label)
    if stamp:
        notes.append(stamp)
    if run is not None and run.deleted:
        notes.append(
            f"{label}: its MLflow run {run.run_id} is deleted (lifecycle stage 'deleted'); "
            "imported and marked as such"
        )
    digest = mapping.content_digest([(c["path"], c["sha256"]) for c in stored])
    identity = {
        "server": server,
        "name": mlflow_name or name,
        "version": number,
        "run_id": run.run_id if run else None,
        "source": v.get("source", ""),
        "status": v.get("status", "READY"),
        "stage": v.get("current_stage", "None"),
        "aliases": aliases,
        "description": v.get("description") or "",
        "tags": tag_dict(v.get("tags")),
        "artifact_digest": digest,
        "artifact_listing": mapping.artifact_listing_digest(listing),
        "artifact_count": len(stored),
        "created_ms": v.get("creation_timestamp"),
        "experiment_id": run.info.get("experiment_id") if run else None,
        "run_name": run.info.get("run_name") if run else None,
        "run_tags": dict(run.tags) if run else {},
        "run_deleted": bool(run and run.deleted),
    }
    params = run.params if run else {}
    author = v.get("user_id") or (run.info.get("user_id") if run else "") or "mlflow"
    if not isinstance(author, str) or name_problem(author, 200):
        notes.append(
            f"{label}: its author {str(author)[:40]!r} is not a usable name; recorded as 'mlflow'"
        )
        author = "mlflow"
    return {
        "label": label,
        "number": int(number),
        "v": v,
        "identity": identity,
        "manifest": {"mlflow": identity, "params": params},
        "manifest_hash": mapping.version_manifest_hash(name, components, metrics, params),
        "components": components,
        "metrics": metrics,
        "author": str(author)[:200],
        "python": python,
        "files": len(stored),
        "notes": notes,
    }


def version_row(spec: dict[str, Any], created: datetime) -> dict[str, Any]:
    """The ``versions`` columns of a new version (all but ``model_id``) as first written."""
    v = spec["v"]
    return {
        "number": spec["number"],
        "author": spec["author"],
        "created_at": created,
        "state": mapping.initial_state(v),
        "state_changed_at": created,
        "release_notes": v.get("description") or "",
        "manifest_hash": spec["manifest_hash"],
        "manifest": spec["manifest"],
        "entry_point": "",
        "python_version": spec["python"],
    }
