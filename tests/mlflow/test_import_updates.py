"""Changes upstream after a first import: a new version arrives, an alias moves, and a version
whose artifacts changed in MLflow is reported, never overwritten.

This module changes the session's MLflow server (it adds credit-risk v3), so it sorts after
``test_import.py``, whose expectations are those of the first population.
"""

from __future__ import annotations

from sqlalchemy import func, select

from signoff.core.audit.chain import verify_chain
from signoff.core.db.schema import DRAFT, LIVE, SUPERSEDED, Component, Deployment, Model, Version
from signoff.core.importers.mlflow.importer import import_mlflow


def _blob_count(registry) -> int:
    return sum(1 for p in registry.store.root.rglob("*") if p.is_file())


def test_new_version_arrives_and_changed_artifacts_are_reported(mlflow_server, registry):
    url = mlflow_server.url
    import_mlflow(registry, url)
    v1 = mlflow_server.expected["credit-risk"]["versions"][0]
    upstream = mlflow_server.local_path(v1["run_artifact_uri"]) / "requirements.txt"
    original = upstream.read_bytes()
    with registry.read() as session:
        imported_sha = session.scalar(
            select(Component.sha256)
            .join(Version)
            .join(Model)
            .where(
                Model.name == "credit-risk",
                Version.number == 1,
                Component.path == "run/requirements.txt",
            )
        )
    try:
        late = mlflow_server.populate("late")
        upstream.write_bytes(original + b"# edited in MLflow after import\n")

        report = import_mlflow(registry, url)
        assert report.versions_imported == ["credit-risk v3"]
        assert report.went_live == ["credit-risk v3 (MLflow alias 'champion')"]
        assert report.models_updated == ["credit-risk"]
        assert [u.split(":")[0] for u in report.versions_updated] == ["credit-risk v2"]
        assert len(report.changed_upstream) == 1
        assert report.changed_upstream[0].startswith(
            "credit-risk v1: its artifact files changed in MLflow after import"
        )
        with registry.read() as session:
            model = session.scalar(select(Model).where(Model.name == "credit-risk"))
            assert model.description == "Probability of default (PD)"
            assert (model.latest_version, model.live_version) == (3, 3)
            states = {v.number: v.state for v in model.versions}
            assert states == {1: DRAFT, 2: SUPERSEDED, 3: LIVE}
            v3 = model.versions[2]
            assert v3.manifest["mlflow"]["run_id"] == late["credit-risk"]["versions"][0]["run_id"]
            assert {m.name: m.value for m in v3.metrics} == late["credit-risk"]["versions"][0][
                "metrics"
            ]
            periods = session.scalars(
                select(Deployment)
                .where(Deployment.model_id == model.id)
                .order_by(Deployment.live_from)
            ).all()
            assert [(p.version.number, p.live_to is None) for p in periods] == [
                (2, False),
                (3, True),
            ]
            assert model.versions[1].manifest["mlflow"]["aliases"] == []
            kept = session.scalar(
                select(Component)
                .join(Version)
                .where(
                    Version.model_id == model.id,
                    Version.number == 1,
                    Component.path == "run/requirements.txt",
                )
            )
            assert kept.sha256 == imported_sha  # reported, not overwritten
            assert registry.store.read_bytes(kept.sha256) == original
            assert verify_chain(session).intact

        # a same-size edit is invisible to the listing; --verify-artifacts re-hashes and sees it
        upstream.write_bytes(original.replace(b"scikit", b"SCIKIT"))
        assert len(upstream.read_bytes()) == len(original)
        blobs = _blob_count(registry)
        quick = import_mlflow(registry, url)
        assert quick.nothing_new and quick.changed_upstream == []
        verified = import_mlflow(registry, url, verify_artifacts=True)
        assert verified.nothing_new
        assert [c.split(":")[0] for c in verified.changed_upstream] == ["credit-risk v1"]
        assert "content of its artifact files changed" in verified.changed_upstream[0]
        assert _blob_count(registry) == blobs  # verification stored nothing
        with registry.read() as session:
            assert session.scalar(select(func.count()).select_from(Version)) == 5
    finally:
        upstream.write_bytes(original)
