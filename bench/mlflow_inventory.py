"""The MLflow benchmark's synthetic inventory, how it gets into both registries, and checks.

    python bench/mlflow_inventory.py build DB MODELS VERSIONS SEED NOW_MS  # prints experiment id

* :func:`synthetic_models` yields a seeded inventory — N registered models × M versions, each
  version with a run of 8 metrics and 10 params, model tags (owner, business unit, risk tier)
  and aliases (``champion`` on one version of ~70 % of models, ``challenger`` on some) —
  each model as MLflow's REST API returns it (:class:`MlflowRecord`).
* :func:`build_mlflow_store` writes those records into an MLflow SQLite store through
  MLflow's own SQLAlchemy models in bulk (the client API, one call at a time, would take most
  of an hour at N=1,000 on this machine; the stored rows are the same).
* Signoff gets the same records either in bulk (``signoff.core.importers.mlflow.bulk``) or
  over REST from a real ``mlflow server`` (:func:`serve_mlflow`) with the real importer.
* :func:`registry_rows` is what the two Signoff loads are compared on, table by table.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from signoff.core.importers.mlflow.bulk import MlflowRecord  # noqa: E402
from tests.helpers.mlflow_server import serve_mlflow  # noqa: E402,F401 - the benchmark's server

METRICS = ("auc", "accuracy", "precision", "recall", "f1", "log_loss", "brier", "ks")
PARAMS = (
    "C",
    "penalty",
    "max_iter",
    "solver",
    "class_weight",
    "l1_ratio",
    "tol",
    "n_features",
    "train_rows",
    "seed",
)
UNITS = ("retail", "corporate", "cards", "mortgages", "insurance", "treasury")
WORDS = (
    "credit",
    "churn",
    "fraud",
    "pricing",
    "limit",
    "collections",
    "propensity",
    "default",
    "uplift",
    "aml",
    "kyc",
    "claims",
    "lapse",
    "segmentation",
)


def synthetic_models(
    n_models: int, n_versions: int, seed: int, experiment_id: str, now_ms: int
) -> Iterator[MlflowRecord]:
    """The seeded inventory, one registered model at a time, shaped as MLflow's REST answers.

    The same arguments always yield the same records (MLflow store and Signoff bulk load
    each walk it once).
    """
    rng = random.Random(seed)
    for i in range(n_models):
        name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{i:05d}"
        tags = [
            {"key": "owner", "value": f"team-{rng.randrange(40)}"},
            {"key": "business_unit", "value": rng.choice(UNITS)},
            {"key": "risk_tier", "value": rng.choice(("high", "medium", "low"))},
        ]
        versions, runs = [], {}
        for v in range(1, n_versions + 1):
            run_id = f"{i:06d}{v:04d}" + "0" * 22
            metrics = [
                {"key": key, "value": round(rng.random(), 6), "timestamp": now_ms, "step": 0}
                for key in METRICS
            ]
            params = [{"key": key, "value": str(rng.randrange(1000))} for key in PARAMS]
            runs[run_id] = {
                "info": {
                    "run_id": run_id,
                    "run_uuid": run_id,
                    "run_name": f"{name}-run-{v}",
                    "experiment_id": experiment_id,
                    "user_id": "bench",
                    "status": "FINISHED",
                    "start_time": now_ms,
                    "end_time": now_ms,
                    "lifecycle_stage": "active",
                    "artifact_uri": f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts",
                },
                "data": {
                    "metrics": metrics,
                    "params": params,
                    "tags": [{"key": "mlflow.user", "value": "bench"}],
                },
                "inputs": {},
            }
            versions.append(
                {
                    "name": name,
                    "version": str(v),
                    "creation_timestamp": now_ms + v,
                    "last_updated_timestamp": now_ms + v,
                    "description": "",
                    "user_id": "bench",
                    "current_stage": "None",
                    "source": f"runs:/{run_id}/model",
                    "run_id": run_id,
                    "status": "READY",
                }
            )
        aliases = []
        if rng.random() < 0.7:
            aliases.append({"alias": "champion", "version": str(rng.randint(1, n_versions))})
        if rng.random() < 0.3:
            aliases.append({"alias": "challenger", "version": str(n_versions)})
        yield MlflowRecord(
            {
                "name": name,
                "creation_timestamp": now_ms,
                "last_updated_timestamp": now_ms,
                "description": f"Synthetic model {i}",
                "tags": tags,
                "aliases": aliases,
            },
            versions,
            runs,
        )


def _mlflow_rows(record: MlflowRecord, experiment_id: str, rows: dict[str, list]) -> None:
    """Append one record's rows for MLflow's tables to *rows* (table name → rows)."""
    reg = record.registered
    name = reg["name"]
    rows["models"].append(
        {
            "name": name,
            "creation_time": reg["creation_timestamp"],
            "last_updated_time": reg["last_updated_timestamp"],
            "description": reg["description"],
        }
    )
    rows["mtags"] += [{"name": name, **tag} for tag in reg["tags"]]
    rows["aliases"] += [
        {"name": name, "alias": a["alias"], "version": int(a["version"])} for a in reg["aliases"]
    ]
    for v in record.versions:
        run = record.runs[v["run_id"]]
        info, data = run["info"], run["data"]
        rows["runs"].append(
            {
                "run_uuid": info["run_id"],
                "name": info["run_name"],
                "source_type": "LOCAL",
                "source_name": "bench",
                "entry_point_name": "",
                "user_id": info["user_id"],
                "status": info["status"],
                "start_time": info["start_time"],
                "end_time": info["end_time"],
                "source_version": "",
                "lifecycle_stage": info["lifecycle_stage"],
                "artifact_uri": info["artifact_uri"],
                "experiment_id": int(experiment_id),
            }
        )
        for metric in data["metrics"]:
            row = {**metric, "is_nan": False, "run_uuid": info["run_id"]}
            rows["metrics"].append(row)
            rows["latest"].append(dict(row))
        rows["params"] += [{**p, "run_uuid": info["run_id"]} for p in data["params"]]
        rows["rtags"] += [{**t, "run_uuid": info["run_id"]} for t in data["tags"]]
        rows["versions"].append(
            {
                "name": name,
                "version": int(v["version"]),
                "creation_time": v["creation_timestamp"],
                "last_updated_time": v["last_updated_timestamp"],
                "description": v["description"],
                "user_id": v["user_id"],
                "current_stage": v["current_stage"],
                "source": v["source"],
                "storage_location": None,
                "run_id": v["run_id"],
                "run_link": "",
                "status": v["status"],
                "status_message": "",
            }
        )


def build_mlflow_store(
    db: Path, n_models: int, n_versions: int, seed: int, now_ms: int
) -> tuple[str, list[str]]:
    """Create the MLflow SQLite store with the synthetic inventory: (experiment id, names)."""
    from mlflow.store.model_registry.dbmodels import models as reg
    from mlflow.store.tracking.dbmodels import models as trk
    from mlflow.tracking import MlflowClient
    from sqlalchemy import create_engine, insert

    uri = f"sqlite:///{db}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment_id = client.create_experiment("bench")  # also creates the schema
    tables = (
        ("runs", trk.SqlRun),
        ("metrics", trk.SqlMetric),
        ("latest", trk.SqlLatestMetric),
        ("params", trk.SqlParam),
        ("rtags", trk.SqlTag),
        ("models", reg.SqlRegisteredModel),
        ("mtags", reg.SqlRegisteredModelTag),
        ("versions", reg.SqlModelVersion),
        ("aliases", reg.SqlRegisteredModelAlias),
    )
    engine = create_engine(uri)
    names: list[str] = []
    rows: dict[str, list] = {key: [] for key, _t in tables}

    def flush() -> None:
        with engine.begin() as conn:
            for key, table in tables:
                for start in range(0, len(rows[key]), 5000):
                    conn.execute(insert(table.__table__), rows[key][start : start + 5000])
                rows[key].clear()

    for record in synthetic_models(n_models, n_versions, seed, experiment_id, now_ms):
        names.append(record.registered["name"])
        _mlflow_rows(record, experiment_id, rows)
        if len(names) % 1000 == 0:
            flush()
    flush()
    engine.dispose()
    return experiment_id, names


def registry_rows(registry: Any) -> dict[str, list[tuple]]:
    """A registry's content, table by table, without ids and import times, sorted.

    What a REST import and a bulk load of the same MLflow records must agree on: every
    column of models (summary columns included), versions (manifest included), components
    (and whether their blobs are in the store), metrics and deployments; the other tables'
    row counts; whether the audit chain is intact and which models have audit events. Times
    set at load time (the live version's state change, the deployment's start, last
    activity) are compared as "present" only.
    """
    from sqlalchemy import func, select

    from signoff.core.audit.chain import canonical_json, verify_chain
    from signoff.core.db import schema as s

    out: dict[str, list[tuple]] = {}
    with registry.read() as session:
        names = dict(session.execute(select(s.Model.id, s.Model.name)).all())
        ref = {
            vid: (names[mid], number)
            for vid, mid, number in session.execute(
                select(s.Version.id, s.Version.model_id, s.Version.number)
            )
        }
        out["models"] = sorted(
            (
                m.name,
                m.title,
                m.description,
                m.owner,
                m.business_unit,
                m.risk_tier,
                tuple(m.tags),
                m.search_text,
                m.task,
                canonical_json(m.monitoring_rules),
                m.created_at,
                m.latest_version,
                m.latest_state,
                m.live_version,
                m.version_count,
                m.flag_stale,
                m.stale_reason,
                m.flag_open_review,
                m.flag_dnu_consumed,
                m.review_waiting_since,
                m.last_activity_at is not None,
            )
            for m in session.scalars(select(s.Model))
        )
        out["versions"] = sorted(
            (
                *ref[v.id],
                v.author,
                v.created_at,
                v.state,
                "at load" if v.state == s.LIVE else v.state_changed_at,
                v.release_notes,
                v.manifest_hash,
                canonical_json(v.manifest),
                v.entry_point,
                v.python_version,
            )
            for v in session.scalars(select(s.Version))
        )
        out["components"] = sorted(
            (
                *ref[c.version_id],
                c.kind,
                c.name,
                c.path or "",
                c.uri or "",
                c.sha256 or "",
                c.size or 0,
                c.stored,
                c.role,
                canonical_json(c.details),
                bool(c.sha256) and registry.store.has(c.sha256),
            )
            for c in session.scalars(select(s.Component))
        )
        out["metrics"] = sorted(
            (*ref[vid], name, value, dataset)
            for vid, name, value, dataset in session.execute(
                select(s.Metric.version_id, s.Metric.name, s.Metric.value, s.Metric.dataset)
            )
        )
        out["deployments"] = sorted(
            (*ref[d.version_id], d.environment, d.live_to is None, d.actor)
            for d in session.scalars(select(s.Deployment))
        )
        out["other tables (rows)"] = [
            (t.__tablename__, session.scalar(select(func.count()).select_from(t)))
            for t in (
                s.Consumer,
                s.Decision,
                s.Evidence,
                s.Execution,
                s.Prediction,
                s.Outcome,
                s.OutboxMessage,
            )
        ]
        out["audit"] = [
            ("chain intact", verify_chain(session).intact),
            *sorted(
                ("has events", names[mid])
                for mid in session.scalars(
                    select(s.AuditEvent.model_id)
                    .where(s.AuditEvent.model_id.is_not(None))
                    .distinct()
                )
            ),
        ]
    return out


def row_differences(
    a: dict[str, list[tuple]], b: dict[str, list[tuple]], limit: int = 5
) -> list[str]:
    """Where two :func:`registry_rows` snapshots differ, in words ([] when identical)."""
    out = []
    for table in sorted(set(a) | set(b)):
        left, right = a.get(table, []), b.get(table, [])
        if left == right:
            continue
        left_set, right_set = set(left), set(right)
        only_a = [r for r in left if r not in right_set][:limit]
        only_b = [r for r in right if r not in left_set][:limit]
        out.append(
            f"{table}: {len(left)} vs {len(right)} rows; only in the first: {only_a}; "
            f"only in the second: {only_b}"
        )
    return out


if __name__ == "__main__":
    if len(sys.argv) != 7 or sys.argv[1] != "build":
        sys.exit(__doc__.split("\n\n")[1])
    import warnings

    warnings.filterwarnings("ignore")
    experiment, _names = build_mlflow_store(Path(sys.argv[2]), *map(int, sys.argv[3:7]))
    print(json.dumps({"experiment_id": experiment}))
