"""A whole registry on a bucket: publish and read through the command line, with the store
named by SIGNOFF_ARTIFACTS; a publish that fails takes back what it uploaded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from signoff.cli import main
from signoff.core.common.errors import ManifestError
from signoff.core.db.registry import open_registry
from signoff.core.publishing.publisher import publish
from tests.s3.conftest import Bucket

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "credit-risk"


def _keys(bucket: Bucket) -> list[str]:
    listed = bucket.client.list_objects_v2(Bucket=bucket.name).get("Contents", [])
    return sorted(item["Key"] for item in listed)


def test_publish_and_show_with_the_store_in_the_environment(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("SIGNOFF_DB", f"sqlite:///{tmp_path / 'registry.db'}")
    monkeypatch.setenv("SIGNOFF_ARTIFACTS", bucket.url("team"))
    monkeypatch.setenv("SIGNOFF_USER", "alice")
    assert main(["publish", str(EXAMPLE)]) == 0
    assert "credit-risk v1" in capsys.readouterr().out
    assert main(["show", "credit-risk@1", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    stored = [c for c in shown["components"] if c.get("sha256") and c.get("path")]
    assert stored and {f"team/{c['sha256'][:2]}/{c['sha256']}" for c in stored} <= set(
        _keys(bucket)
    )
    assert main(["artifacts", "verify"]) == 0
    assert "0 missing, 0 altered, 0 orphaned" in capsys.readouterr().out


def test_a_failed_publish_takes_back_its_uploads(bucket: Bucket, tmp_path: Path) -> None:
    registry = open_registry(home=tmp_path / "home", artifacts=bucket.url("team"))
    registry.set_actor_for_embedded("alice")
    try:
        publish(registry, EXAMPLE)
        before = _keys(bucket)
        changed = tmp_path / "v2"
        shutil.copytree(EXAMPLE, changed)
        (changed / "RELEASE_NOTES.md").write_text("# v2\n\nNew notes.\n")
        toml = (changed / "signoff.toml").read_text()
        (changed / "signoff.toml").write_text(
            toml.replace('risk_tier = "high"', 'risk_tier = "low"')
        )
        # the new notes are uploaded first; the database then refuses the changed risk tier
        with pytest.raises(ManifestError, match="risk tier"):
            publish(registry, changed)
        assert _keys(bucket) == before
    finally:
        registry.close()


@pytest.mark.postgres
def test_the_team_setup_postgresql_and_a_bucket(
    pg_url: str, bucket: Bucket, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's recommended team setup: a shared PostgreSQL database, artifacts in a bucket."""
    from signoff.core.render.versions import load_version_document

    registry = open_registry(db=pg_url, artifacts=bucket.url("team"))
    try:
        published = publish(registry, EXAMPLE)
        notebook = load_version_document(registry, "credit-risk", published.number, "notebook")
        assert notebook.data is not None and b'"cells"' in notebook.data
    finally:
        registry.close()
    assert main(["--db", pg_url, "--artifacts", bucket.url("team"), "artifacts", "verify"]) == 0
    assert "0 missing, 0 altered, 0 orphaned" in capsys.readouterr().out
