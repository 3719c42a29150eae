"""Load MLflow registry records into Signoff in bulk: the importer's rows, without REST.

``bulk_load_mlflow(registry, server, records)`` takes registered models, their versions and
the runs behind them *as MLflow's REST API returns them* (records already in hand: the
MLflow benchmark generates them) and writes what ``import_mlflow(registry, server,
artifacts=False)`` would write for them — models, versions (``manifest["mlflow"]`` included,
so a later REST import treats them as imported), ``params.json`` components and their blobs,
dataset components, metrics, the production deployment of the version a live alias or the
``Production`` stage names, and the inventory summary columns — with SQLAlchemy Core
``executemany`` inserts, one transaction per chunk of models. The row contents come from the
importer's own functions (:mod:`mlflow_mapping`, :mod:`mlflow_version`) and summaries from
:func:`signoff.core.catalog.summary.refresh_model_summary`; ``tests/mlflow/test_bulk_load.py``
compares a bulk load with a REST import of the same MLflow server table by table.

It is a first load only: a model name already in the registry stops it before anything of
that chunk is written. Artifact files are not read (there is no server to read them from).
Records are held to the REST import's rules (:mod:`.checks`): a model name that breaks the
name rule, a version number that is not a positive whole number, or text with control
characters is skipped with its reason; tier values are mapped and noted the same way.

Audit, by choice: one ``model.imported`` event per model (appended through
:func:`signoff.core.audit.chain.append_event`, so the chain stays valid) listing every version with
its manifest hash and the version made live, instead of the REST import's ``model.created``,
one ``version.imported`` per version and ``version.went_live``. One event per model keeps the
trail per model (what arrived, with which hashes) at a tenth of the events; per-version
events would make the audit chain — appended one event at a time — most of the load time.
The live version is inserted live (``row_version`` 1) rather than updated to live afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnDefault, Table, insert, select
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event
from signoff.core.catalog.summary import refresh_model_summary
from signoff.core.common.errors import SignoffError
from signoff.core.common.progress import ProgressCallback
from signoff.core.db.registry import Registry, db_now
from signoff.core.db.schema import LIVE, PRODUCTION, Component, Deployment, Metric, Model, Version
from signoff.core.importers.mlflow import checks
from signoff.core.importers.mlflow import mapping as mapping
from signoff.core.importers.mlflow import version as new_version
from signoff.core.importers.mlflow.report import ImportReport

log = logging.getLogger(__name__)


@dataclass
class MlflowRecord:
    """One registered model as MLflow's REST API returns it, with its versions and runs."""

    registered: dict[str, Any]  # an item of registered-models/search
    versions: list[dict[str, Any]]  # the items of model-versions/search for it
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)  # run id → runs/search item


def bulk_load_mlflow(
    registry: Registry,
    server: str,
    records: Iterable[MlflowRecord],
    *,
    actor: str | None = None,
    chunk: int = 500,
    total: int | None = None,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Write *records* into *registry* as the REST importer would (first load, no artifacts).

    *server* is recorded as each version's origin, as the importer records the server URL.
    Promises: each chunk of *chunk* models arrives completely (rows, blobs, audit events,
    summaries) or not at all; a chunk that fails removes the blobs it added. Raises
    SignoffError when a model of the same name already exists.
    """
    actor = actor or registry.actor
    report = ImportReport(server)
    batch: list[MlflowRecord] = []
    done = 0
    for record in records:
        name, why = checks.model_name(str(record.registered.get("name", "")), {})
        problem = checks.registered_model_problem(record.registered) if name else None
        if name is None or problem:
            report.skipped.append(why or f"{name}: not loaded: {problem}")
            continue
        batch.append(record)
        if len(batch) >= chunk:
            _load_chunk(registry, server, actor, batch, report)
            done += len(batch)
            batch = []
            if progress:
                progress(done / total if total else 0.0, f"{done} models")
    if batch:
        _load_chunk(registry, server, actor, batch, report)
    if progress:
        progress(1.0, "done")
    log.info("%s", "; ".join(report.lines()))
    return report


def _load_chunk(
    registry: Registry, server: str, actor: str, batch: list[MlflowRecord], report: ImportReport
) -> None:
    added: list[str] = []  # blobs new to the store, removed again if the chunk fails
    try:
        with registry.write() as session:
            now = db_now(session)
            names = [r.registered["name"] for r in batch]
            taken = list(session.scalars(select(Model.name).where(Model.name.in_(names))))
            if taken:
                raise SignoffError(
                    f"the bulk load is a first load only; Signoff already has "
                    f"{len(taken)} of these models (e.g. {taken[0]!r})"
                )
            mapped = {r.registered["name"]: mapping.model_mapping(r.registered) for r in batch}
            columns = {name: found[0] for name, found in mapped.items()}
            model_table = cast(Table, Model.__table__)  # typed FromClause; declared: a Table
            session.execute(
                insert(model_table),
                _uniform(
                    model_table,
                    [
                        mapping.model_row(r.registered, columns[name], now)
                        for r, name in zip(batch, names, strict=True)
                    ],
                ),
            )
            model_ids = dict(
                session.execute(select(Model.name, Model.id).where(Model.name.in_(names))).all()
            )
            specs, live = _version_specs(registry, server, batch, model_ids, added, report)
            _insert_versions(session, specs, live, actor, now)
            for name in names:
                model_id = model_ids[name]
                target = live.get(model_id)
                append_event(
                    session,
                    actor=actor,
                    action=events.MODEL_IMPORTED,
                    entity_type="model",
                    entity_id=name,
                    model_id=model_id,
                    payload={
                        "source": "mlflow",
                        "server": server,
                        "load": "bulk",
                        **columns[name],
                        "versions": [[s["number"], s["manifest_hash"]] for s in specs[model_id]],
                        **({"notes": mapped[name][1]} if mapped[name][1] else {}),
                        "live": target
                        and {
                            "version": target[0],
                            "reason": target[1],
                            "environment": PRODUCTION,
                            "at": now,
                        },
                    },
                )
                refresh_model_summary(session, model_id)
    except BaseException:
        for sha in added:
            registry.store.remove(sha)
        raise
    for name in names:
        report.models_created.append(name)
        report.notes += [f"{name}: {note}" for note in mapped[name][1]]
        report.versions_imported += [s["label"] for s in specs[model_ids[name]]]
        report.notes += [note for s in specs[model_ids[name]] for note in s["notes"]]
        if model_ids[name] in live:
            number, reason = live[model_ids[name]]
            report.went_live.append(f"{name} v{number} (MLflow {reason})")


def _version_specs(
    registry: Registry,
    server: str,
    batch: list[MlflowRecord],
    model_ids: dict[str, int],
    added: list[str],
    report: ImportReport,
) -> tuple[dict[int, list[dict[str, Any]]], dict[int, tuple[int, str]]]:
    """{model id: version specs} and {model id: (live version number, reason)}."""
    specs: dict[int, list[dict[str, Any]]] = {}
    live: dict[int, tuple[int, str]] = {}
    for record in batch:
        name = record.registered["name"]
        aliases = mapping.aliases_by_version(record.registered)
        ready = []
        usable = checks.usable_versions(name, name, list(record.versions), report.skipped)
        for v in usable:
            if mapping.is_ready(v):
                ready.append(v)
            else:
                report.skipped.append(
                    f"{name} v{v['version']}: registration status {v.get('status')}; not loaded"
                )
        model_specs = specs[model_ids[name]] = []
        for v in ready:
            label = f"{name} v{v['version']}"
            run_id = v.get("run_id")
            if run_id and run_id not in record.runs:
                raise SignoffError(f"{label}: its run {run_id} is not among the records' runs")
            run = new_version.parse_run(run_id, record.runs[run_id], label) if run_id else None
            model_specs.append(
                new_version.version_spec(
                    server,
                    name,
                    v,
                    run,
                    aliases.get(str(v["version"]), []),
                    new_version.run_components(registry.store, run, added),
                    [],
                    [],
                )
            )
        target, reason = mapping.live_target(record.registered, ready)
        if target is not None and int(target) in {s["number"] for s in model_specs}:
            live[model_ids[name]] = (int(target), reason)
    return specs, live


def _insert_versions(
    session: Session,
    specs: dict[int, list[dict[str, Any]]],
    live: dict[int, tuple[int, str]],
    actor: str,
    now: datetime,
) -> None:
    """Versions, then their components, metrics and live deployments, a table at a time."""
    rows = []
    for model_id, model_specs in specs.items():
        for spec in model_specs:
            created = mapping.ms_to_datetime(spec["v"].get("creation_timestamp")) or now
            row = {"model_id": model_id, **new_version.version_row(spec, created)}
            if live.get(model_id, (None,))[0] == spec["number"]:
                row.update(state=LIVE, state_changed_at=now)
            rows.append(row)
    if not rows:
        return
    session.execute(insert(cast(Table, Version.__table__)), rows)
    ids = {
        (m, n): i
        for i, m, n in session.execute(
            select(Version.id, Version.model_id, Version.number).where(
                Version.model_id.in_(list(specs))
            )
        )
    }
    components, metrics, deployments = [], [], []
    for model_id, model_specs in specs.items():
        for spec in model_specs:
            version_id = ids[(model_id, spec["number"])]
            components += [{"version_id": version_id, **c} for c in spec["components"]]
            metrics += [{"version_id": version_id, **m} for m in spec["metrics"]]
        if model_id in live:
            deployments.append(
                {
                    "model_id": model_id,
                    "version_id": ids[(model_id, live[model_id][0])],
                    "environment": PRODUCTION,
                    "live_from": now,
                    "live_to": None,
                    "actor": actor,
                }
            )
    for table, table_rows in (
        (Component.__table__, components),
        (Metric.__table__, metrics),
        (Deployment.__table__, deployments),
    ):
        if table_rows:
            session.execute(insert(cast(Table, table)), table_rows)


def _uniform(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with the same keys (an ``executemany`` needs that): a missing column gets its
    default, as the ORM would give it (a model without an ``owner`` tag, say)."""
    keys = set().union(*rows) if rows else set()
    defaults = {
        k: d.arg if isinstance(d := table.c[k].default, ColumnDefault) and d.is_scalar else None
        for k in keys
    }
    return [row if len(row) == len(keys) else {**defaults, **row} for row in rows]
