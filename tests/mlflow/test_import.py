"""Import a real MLflow server into Signoff and compare everything that arrives."""

from __future__ import annotations

import hashlib
from pathlib import Path

import requests
from sqlalchemy import func, select

from signoff.cli import main
from signoff.core.audit.chain import event_count, verify_chain
from signoff.core.db.schema import (
    DRAFT,
    LIVE,
    RETIRED,
    AuditEvent,
    Component,
    Deployment,
    Metric,
    Model,
    Version,
)
from signoff.core.importers.mlflow.importer import import_mlflow


def _files(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _mlflow_model_names(url: str) -> set[str]:
    data = requests.get(
        f"{url}/api/2.0/mlflow/registered-models/search", params={"max_results": 1000}, timeout=10
    ).json()
    return {m["name"] for m in data.get("registered_models", [])}


def test_first_import_brings_every_model_version_metric_and_artifact(mlflow_server, registry):
    report = import_mlflow(registry, mlflow_server.url)
    assert not report.cancelled and not report.changed_upstream
    expected = mlflow_server.expected
    with registry.read() as session:
        names = set(session.scalars(select(Model.name)))
        assert names == _mlflow_model_names(mlflow_server.url)
        for model_name, spec in expected.items():
            model = session.scalar(select(Model).where(Model.name == model_name))
            assert model.version_count == len(spec["versions"])
            assert model.live_version == (int(spec["live"]) if spec["live"] else None)
            for item in spec["versions"]:
                version = session.scalar(
                    select(Version).where(
                        Version.model_id == model.id, Version.number == int(item["version"])
                    )
                )
                origin = version.manifest["mlflow"]
                assert origin["run_id"] == item["run_id"]
                assert origin["name"] == model_name and origin["version"] == item["version"]
                assert origin["aliases"] == spec["aliases"].get(item["version"], [])
                assert version.manifest["params"] == item["params"]
                metrics = {m.name: m.value for m in version.metrics}
                assert metrics == item["metrics"]
                comps = {c.path: c for c in version.components if c.path}
                model_files = _files(mlflow_server.local_path(item["model_artifact_uri"]))
                run_files = _files(mlflow_server.local_path(item["run_artifact_uri"]))
                want = {f"model/{k}": v for k, v in model_files.items()}
                want.update({f"run/{k}": v for k, v in run_files.items()})
                assert {p: c.sha256 for p, c in comps.items()} == want
                assert "model/MLmodel" in comps and "model/model.pkl" in comps
                for path, comp in comps.items():
                    assert comp.stored and comp.size is not None
                    assert registry.store.read_bytes(comp.sha256, path)  # re-hashed on read
                params = [c for c in version.components if c.role == "params"]
                assert len(params) == 1 and params[0].details["params"] == item["params"]
                assert version.python_version.startswith("3.")

    with registry.read() as session:
        credit = session.scalar(select(Model).where(Model.name == "credit-risk"))
        assert (credit.owner, credit.risk_tier, credit.business_unit) == (
            "risk-team",
            "high",
            "retail",
        )
        assert credit.description == "Probability of default"
        assert "owner=risk-team" in credit.tags
        v1, v2 = credit.versions
        assert (v1.state, v2.state) == (DRAFT, LIVE)
        assert v2.release_notes == "Retrained on Q3 data"
        assert v2.manifest["mlflow"]["tags"] == {"validated_by": "carol"}
        notebook = next(c for c in v1.components if c.role == "notebook")
        assert notebook.kind == "documentation" and notebook.path.endswith("validation.ipynb")
        assert b"Validation notes." in registry.store.read_bytes(notebook.sha256)
        dataset = next(c for c in v1.components if c.kind == "data")
        assert dataset.uri == "s3://bucket/train.npy" and not dataset.stored
        assert dataset.details["context"] == "training"
        assert {m.dataset for m in v1.metrics} == {"validation", "train"}
        churn = session.scalar(select(Model).where(Model.name == "churn"))
        assert [v.state for v in churn.versions] == [RETIRED, LIVE]
        deployments = session.scalars(select(Deployment)).all()
        assert sorted((d.model_id, d.version.number) for d in deployments) == sorted(
            [(credit.id, 2), (churn.id, 2)]
        )
        fraud = session.scalar(select(Model).where(Model.name == "fraud-screening"))
        assert fraud.version_count == 0 and fraud.description == "Not trained yet"
        assert verify_chain(session).intact
        actions = set(session.scalars(select(AuditEvent.action)))
        assert {"model.created", "version.imported", "version.went_live"} <= actions
    assert sorted(report.went_live) == [
        "churn v2 (MLflow stage 'Production')",
        "credit-risk v2 (MLflow alias 'champion')",
    ]


def test_second_import_adds_nothing(mlflow_server, registry):
    import_mlflow(registry, mlflow_server.url)

    def counts():
        with registry.read() as session:
            return {
                table.__name__: session.scalar(select(func.count()).select_from(table))
                for table in (Model, Version, Component, Metric, Deployment)
            } | {"events": event_count(session)}

    before = counts()
    blobs_before = sorted(p.name for p in registry.store.root.rglob("*") if p.is_file())
    again = import_mlflow(registry, mlflow_server.url)
    assert again.nothing_new and again.versions_unchanged == before["Version"]
    assert not again.changed_upstream and not again.skipped
    assert counts() == before
    assert sorted(p.name for p in registry.store.root.rglob("*") if p.is_file()) == blobs_before


def test_cancel_keeps_complete_versions_and_the_next_import_finishes(mlflow_server, registry):
    calls = []

    def cancel_after_first_version() -> bool:
        # a model's new versions are written together once downloaded: cancel while the
        # second version's files are coming in
        return any("v2: model/" in message for _f, message in calls)

    report = import_mlflow(
        registry,
        mlflow_server.url,
        cancelled=cancel_after_first_version,
        progress=lambda f, m: calls.append((f, m)),
    )
    assert report.cancelled and report.versions_imported == ["churn v1"]
    assert calls[-1] == (1.0, "cancelled")
    with registry.read() as session:
        (version,) = session.scalars(select(Version)).all()
        assert len([c for c in version.components if c.stored]) >= 6  # complete, not half
        referenced = set(session.scalars(select(Component.sha256).where(Component.stored)))
    stored = {p.name for p in registry.store.root.rglob("*") if p.is_file()}
    assert stored == referenced  # the half-downloaded v2 left no blob behind
    leftovers = [p for p in registry.store.root.rglob(".*") if p.is_file()]
    assert leftovers == []  # no temporary download left behind
    rest = import_mlflow(registry, mlflow_server.url)
    assert not rest.cancelled and len(rest.versions_imported) == 3
    assert rest.versions_unchanged == 1


def test_command_line_import(mlflow_server, tmp_path, capsys):
    home = str(tmp_path / "cli-home")
    assert main(["--home", home, "import", "mlflow", mlflow_server.url]) == 0
    out = capsys.readouterr().out
    assert "versions imported: 4" in out and "went live: credit-risk v2" in out
    assert main(["--home", home, "import", "mlflow", mlflow_server.url]) == 0
    assert "versions imported: 0" in capsys.readouterr().out
    assert main(["--home", home, "import", "mlflow", "http://127.0.0.1:9/"]) == 2
    assert "could not reach" in capsys.readouterr().err
