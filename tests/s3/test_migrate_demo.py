"""``signoff artifacts migrate`` moves the demo registry's store into a bucket; predictions then
reproduce from the bucket alone, and ``signoff artifacts verify`` judges both kinds of store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from signoff.cli import main
from signoff.core.artifacts.integrity import migrate_store
from signoff.core.artifacts.location import open_store
from signoff.core.artifacts.protocol import TransferCancelled
from signoff.core.db.references import referenced_objects
from signoff.core.db.registry import open_registry
from signoff.core.db.schema import Model, Prediction, Version
from signoff.core.reproduction.reproduce import COULD_NOT_RUN, REPRODUCED, reproduce
from tests.s3.conftest import Bucket

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_copy(demo_home: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "demo"
    shutil.copytree(demo_home, copy, ignore=shutil.ignore_patterns("sources"))
    return copy


def _newest_prediction(home: Path, model: str = "credit-risk") -> int:
    registry = open_registry(home=home)
    try:
        with registry.read() as session:
            return session.scalar(
                sa.select(sa.func.max(Prediction.id))
                .join(Version, Version.id == Prediction.version_id)
                .join(Model, Model.id == Version.model_id)
                .where(Model.name == model)
            )
    finally:
        registry.close()


def test_migrate_resume_verify_and_reproduce_from_the_bucket(
    demo_copy: Path, bucket: Bucket, capsys: pytest.CaptureFixture[str]
) -> None:
    url = bucket.url("demo")
    registry = open_registry(home=demo_copy)
    with registry.read() as session:
        references = referenced_objects(session)
    assert len(references) > 10
    # an interrupted first run: cancelled after three objects went over
    copied: list[str] = []
    with pytest.raises(TransferCancelled):
        migrate_store(
            registry.store,
            open_store(url),
            references,
            step=lambda _d, _t, m: copied.append(m) if m.startswith("copied") else None,
            cancelled=lambda: len(copied) >= 3,
        )
    registry.close()

    assert main(["--home", str(demo_copy), "artifacts", "migrate", "--to", url, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["complete"] and summary["already_there"] == 3
    assert summary["copied"] == len(references) - 3
    # a third run finds everything there and copies nothing
    assert main(["--home", str(demo_copy), "artifacts", "migrate", "--to", url]) == 0
    assert f"0 copied (0 kB), {len(references)} already there" in capsys.readouterr().out

    assert main(["--home", str(demo_copy), "--artifacts", url, "artifacts", "verify"]) == 0
    out = capsys.readouterr().out
    assert f"{len(references)} referenced object(s) re-hashed" in out and "0 altered" in out

    # the folder is gone: the prediction reproduces from the bucket, through the cache
    prediction = _newest_prediction(demo_copy)
    shutil.rmtree(demo_copy / "artifacts")
    on_bucket = open_registry(home=demo_copy, artifacts=url)
    try:
        assert on_bucket.store.kind == "s3"
        repro = reproduce(on_bucket, prediction)
        assert repro.verdict == REPRODUCED, repro.headline
        assert repro.hash_checks and all(c["ok"] for c in repro.hash_checks)
    finally:
        on_bucket.close()


def test_verify_names_missing_altered_and_orphaned_objects_in_a_bucket(
    demo_copy: Path, bucket: Bucket, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = bucket.url("demo")
    assert main(["--home", str(demo_copy), "artifacts", "migrate", "--to", url]) == 0
    capsys.readouterr()
    store = open_store(url)
    registry = open_registry(home=demo_copy, artifacts=url)
    with registry.read() as session:
        references = referenced_objects(session)
        prediction = _newest_prediction(demo_copy)
        version = session.get(Version, session.get(Prediction, prediction).version_id)
        assert version is not None
        script_sha = next(c.sha256 for c in version.components if c.path == "score.py")
    assert script_sha is not None
    others = sorted(s for s in references if s != script_sha)
    # someone replaces the scoring script in the bucket, deletes another object, adds a stray
    bucket.client.put_object(
        Bucket=bucket.name, Key=f"demo/{script_sha[:2]}/{script_sha}", Body=b"import os"
    )
    bucket.client.delete_object(Bucket=bucket.name, Key=f"demo/{others[0][:2]}/{others[0]}")
    stray, _, _ = store.put_bytes(b"an upload whose publish never committed")

    assert (
        main(["--home", str(demo_copy), "--artifacts", url, "artifacts", "verify", "--json"]) == 1
    )
    verdict = json.loads(capsys.readouterr().out)
    assert [p["sha256"] for p in verdict["altered"]] == [script_sha]
    assert any("'score.py'" in u for u in verdict["altered"][0]["used_by"])
    assert [p["sha256"] for p in verdict["missing"]] == [others[0]]
    assert [o["sha256"] for o in verdict["orphaned"]] == [stray]

    # the altered script is never run: reproducing a prediction of that version is refused
    repro = reproduce(registry, prediction)
    assert repro.verdict == COULD_NOT_RUN and "hash mismatch" in repro.reason
    registry.close()


def test_verify_on_a_folder_store(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--home", str(demo_copy), "artifacts", "verify"]) == 0
    assert "verdict: every referenced object is intact" in capsys.readouterr().out
    victim = next(p for p in (demo_copy / "artifacts").rglob("*") if p.is_file())
    victim.chmod(0o644)
    victim.write_bytes(b"altered")
    assert main(["--home", str(demo_copy), "artifacts", "verify"]) == 1
    out = capsys.readouterr().out
    assert "1 altered" in out and f"altered: {victim.name[:16]}" in out


def test_bad_targets_are_refused_with_a_message(
    demo_copy: Path, capsys: pytest.CaptureFixture[str], aws_env: dict[str, str]
) -> None:
    home = ["--home", str(demo_copy), "artifacts", "migrate", "--to"]
    assert main([*home, "s3://no-such-bucket-here/x"]) == 2
    assert "the bucket 'no-such-bucket-here' does not exist" in capsys.readouterr().err
    assert main([*home, "s3://Bad_Bucket/x"]) == 2
    assert "not a valid bucket name" in capsys.readouterr().err
    assert main([*home, "s3://bucket/x?aws_secret_access_key=abc"]) == 2
    assert "credentials never go in the artifacts URL" in capsys.readouterr().err
    assert main([*home, "gs://bucket/x"]) == 2
    assert "through their S3 interface" in capsys.readouterr().err
