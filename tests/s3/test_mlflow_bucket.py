"""The MLflow importer reads artifacts that MLflow keeps in the registry store's own bucket in
place: nothing passes through the tracking server (it does not even proxy artifacts here), each
file is hashed as it streams in and stored under its sha256 by a server-side copy."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from signoff.core.db.registry import open_registry
from signoff.core.db.schema import Model, Version
from signoff.core.importers.mlflow.importer import import_mlflow
from tests.helpers.mlflow_server import serve_mlflow
from tests.mlflow.conftest import populate_server
from tests.s3.conftest import Bucket

# starting mlflow, filling it with the real client and importing takes minutes on 2 cores
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture
def mlflow_on_bucket(bucket: Bucket, aws_env: dict[str, str], tmp_path: Path) -> Iterator[Any]:
    pytest.importorskip("mlflow", reason="the MLflow importer tests need mlflow (test extra)")
    root = tmp_path / "mlflow"
    root.mkdir()
    env = {**aws_env, "MLFLOW_S3_ENDPOINT_URL": aws_env["AWS_ENDPOINT_URL"]}
    with serve_mlflow(
        root / "mlflow.db",
        root,
        start_timeout_s=420,
        artifact_root=f"s3://{bucket.name}/mlflow",
        env=env,
    ) as url:
        yield url, populate_server(url, root, "base", env)


def _bucket_files(bucket: Bucket, uri: str) -> dict[str, str]:
    """relative path -> sha256 of every object below an s3:// URI, read with a plain client."""
    prefix = uri.split("/", 3)[3].rstrip("/") + "/"
    out = {}
    for page in bucket.client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket.name, Prefix=prefix
    ):
        for item in page.get("Contents", []):
            body = bucket.client.get_object(Bucket=bucket.name, Key=item["Key"])["Body"].read()
            out[item["Key"][len(prefix) :]] = hashlib.sha256(body).hexdigest()
    return out


def test_artifacts_in_the_same_bucket_are_referenced_not_copied_through_mlflow(
    mlflow_on_bucket: Any, bucket: Bucket, tmp_path: Path
) -> None:
    url, expected = mlflow_on_bucket
    registry = open_registry(home=tmp_path / "home", artifacts=bucket.url("signoff"))
    registry.set_actor_for_embedded("alice")
    try:
        report = import_mlflow(registry, url)
        assert not report.cancelled
        item = expected["credit-risk"]["versions"][0]
        assert item["model_artifact_uri"].startswith(f"s3://{bucket.name}/mlflow/")
        with registry.read() as session:
            model = session.scalar(select(Model).where(Model.name == "credit-risk"))
            version = session.scalar(
                select(Version).where(
                    Version.model_id == model.id, Version.number == int(item["version"])
                )
            )
            comps = {c.path: (c.sha256, c.size, c.stored) for c in version.components if c.path}
        want = {
            f"model/{k}": v for k, v in _bucket_files(bucket, item["model_artifact_uri"]).items()
        }
        want.update(
            {f"run/{k}": v for k, v in _bucket_files(bucket, item["run_artifact_uri"]).items()}
        )
        assert {p: sha for p, (sha, _n, _s) in comps.items()} == want
        assert "model/model.pkl" in comps
        for path, (sha, size, stored) in comps.items():
            assert stored
            # stored under its hash in the registry's prefix, and re-hashed on every read
            key = f"signoff/{sha[:2]}/{sha}"
            assert bucket.client.head_object(Bucket=bucket.name, Key=key)["ContentLength"] == size
            assert hashlib.sha256(registry.store.read_bytes(sha, path)).hexdigest() == sha
        # a second import adds nothing
        again = import_mlflow(registry, url)
        assert not again.versions_imported
    finally:
        registry.close()

    # a registry whose store is a folder cannot read the bucket in place: it records them
    registry = open_registry(home=tmp_path / "folder-home")
    registry.set_actor_for_embedded("alice")
    try:
        report = import_mlflow(registry, url, only=["credit-risk"])
        assert any("not served by the MLflow proxy" in line for line in report.skipped)
        with registry.read() as session:
            first = session.scalars(select(Version)).first()
            assert first is not None
            external = [c.stored for c in first.components if c.uri and c.uri.startswith("s3://")]
        assert external and not any(external)
    finally:
        registry.close()
