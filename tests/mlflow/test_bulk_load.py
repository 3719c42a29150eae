"""The bulk loader writes the rows the REST importer writes for the same MLflow records.

The benchmark (``bench/bench_mlflow.py``) fills Signoff with ``bulk_load_mlflow`` because
importing 100,000 versions over REST takes hours; these tests are why its numbers count.
A real ``mlflow server`` serves the benchmark's synthetic inventory (30 models × 3
versions); one registry imports it over REST, another is bulk-loaded from the same records,
and the two are compared table by table with the benchmark's own comparison.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from signoff.core.audit.chain import verify_chain
from signoff.core.common.errors import SignoffError
from signoff.core.db.registry import open_registry
from signoff.core.db.schema import AuditEvent, Metric, Model, Version
from signoff.core.importers.mlflow.bulk import bulk_load_mlflow
from signoff.core.importers.mlflow.importer import import_mlflow

BENCH = Path(__file__).resolve().parents[2] / "bench"
MODELS, VERSIONS, SEED = 30, 3, 7


def _bench_inventory() -> Any:
    spec = importlib.util.spec_from_file_location("mlflow_inventory", BENCH / "mlflow_inventory.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


inventory = _bench_inventory()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A real mlflow server on the benchmark's synthetic store; how to regenerate its records."""
    pytest.importorskip("mlflow", reason="needs `pip install mlflow` (it is in the test extra)")
    root = tmp_path_factory.mktemp("mlflow-synthetic")
    now_ms = int(time.time() * 1000)
    built = subprocess.run(
        [
            sys.executable,
            str(BENCH / "mlflow_inventory.py"),
            "build",
            str(root / "mlflow.db"),
            str(MODELS),
            str(VERSIONS),
            str(SEED),
            str(now_ms),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    experiment = json.loads(built.stdout.strip().splitlines()[-1])["experiment_id"]
    with inventory.serve_mlflow(root / "mlflow.db", root) as url:
        yield {
            "url": url,
            "records": lambda: inventory.synthetic_models(
                MODELS, VERSIONS, SEED, experiment, now_ms
            ),
        }


def _registry(home: Path) -> Any:
    registry = open_registry(home=home)
    registry.set_actor_for_embedded("bench")
    return registry


@pytest.fixture(scope="module")
def loaded(
    synthetic: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """One registry imported over REST and one bulk-loaded (in chunks of 7 models)."""
    root = tmp_path_factory.mktemp("signoff-bulk")
    rest, bulk = _registry(root / "rest"), _registry(root / "bulk")
    rest_report = import_mlflow(rest, synthetic["url"], artifacts=False)
    bulk_report = bulk_load_mlflow(
        bulk, synthetic["url"], synthetic["records"](), chunk=7, total=MODELS
    )
    yield {"rest": rest, "bulk": bulk, "rest_report": rest_report, "bulk_report": bulk_report}
    rest.close()
    bulk.close()


def test_bulk_load_writes_the_rows_of_a_rest_import(loaded):
    rest_rows = inventory.registry_rows(loaded["rest"])
    bulk_rows = inventory.registry_rows(loaded["bulk"])
    assert inventory.row_differences(rest_rows, bulk_rows) == []
    # and the compared content is the whole inventory, not an empty agreement
    counts = {table: len(rows) for table, rows in bulk_rows.items()}
    assert counts["models"] == MODELS and counts["versions"] == MODELS * VERSIONS
    assert counts["metrics"] == MODELS * VERSIONS * len(inventory.METRICS)
    assert counts["components"] == MODELS * VERSIONS  # params.json, its blob in the store
    assert all(row[-1] for row in bulk_rows["components"])
    assert 0 < counts["deployments"] < MODELS  # some models have a champion, some do not
    assert ("chain intact", True) in bulk_rows["audit"]
    assert len(bulk_rows["audit"]) == 1 + MODELS  # every model has its audit event
    rest_report, bulk_report = loaded["rest_report"], loaded["bulk_report"]
    assert bulk_report.lines()[1] == rest_report.lines()[1]
    assert sorted(bulk_report.went_live) == sorted(rest_report.went_live)


def test_the_comparison_sees_a_changed_metric_and_a_changed_live_version(
    loaded, synthetic, tmp_path
):
    other = _registry(tmp_path / "bulk-again")
    bulk_load_mlflow(other, synthetic["url"], synthetic["records"]())
    rest_rows = inventory.registry_rows(loaded["rest"])
    assert inventory.row_differences(rest_rows, inventory.registry_rows(other)) == []
    with other.write() as session:
        metric_id = session.scalar(select(Metric.id).limit(1))
        session.execute(
            update(Metric).where(Metric.id == metric_id).values(value=Metric.value + 1e-9)
        )
        model_id = session.scalar(select(Model.id).where(Model.live_version.is_not(None)))
        session.execute(update(Model).where(Model.id == model_id).values(live_version=None))
    differences = inventory.row_differences(rest_rows, inventory.registry_rows(other))
    other.close()
    assert [d.split(":")[0] for d in differences] == ["metrics", "models"]


def test_a_rest_import_after_a_bulk_load_adds_nothing(loaded, synthetic):
    report = import_mlflow(loaded["bulk"], synthetic["url"], artifacts=False)
    assert report.nothing_new and not report.skipped
    assert report.versions_unchanged == MODELS * VERSIONS


def test_bulk_load_is_a_first_load_only(loaded, synthetic):
    bulk = loaded["bulk"]
    with bulk.read() as session:
        before = (
            session.scalar(select(Version.id).order_by(Version.id.desc()).limit(1)),
            session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)),
        )
    with pytest.raises(SignoffError, match="first load only"):
        bulk_load_mlflow(bulk, synthetic["url"], synthetic["records"]())
    with bulk.read() as session:
        after = (
            session.scalar(select(Version.id).order_by(Version.id.desc()).limit(1)),
            session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)),
        )
        assert verify_chain(session).intact
    assert after == before


def test_one_audit_event_per_model_names_each_version_and_the_live_one(loaded):
    with loaded["bulk"].read() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "model.imported")
        ).all()
        assert len(events) == MODELS
        for event in events:
            payload = json.loads(event.payload)
            model = session.get(Model, event.model_id)
            hashes = dict(
                session.execute(
                    select(Version.number, Version.manifest_hash).where(
                        Version.model_id == model.id
                    )
                ).all()
            )
            assert dict(payload["versions"]) == hashes
            assert (payload["live"] or {}).get("version") == model.live_version
