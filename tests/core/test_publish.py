"""Publishing a model folder: round trip, versions, duplicates, and nothing written on failure."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from signoff.core.audit.chain import verify_chain
from signoff.core.catalog import inventory, lookup
from signoff.core.common.errors import DuplicatePublishError, HashMismatchError, ManifestError
from signoff.core.db.schema import AuditEvent, Component, Model, Version
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder


def _counts(registry) -> tuple[int, int, int, int, int]:
    with registry.read() as s:
        blobs = (
            sum(1 for p in registry.store.root.rglob("*") if p.is_file())
            if registry.store.root.exists()
            else 0
        )
        return (
            s.scalar(select(func.count(Model.id))),
            s.scalar(select(func.count(Version.id))),
            s.scalar(select(func.count(Component.id))),
            s.scalar(select(func.count(AuditEvent.seq))),
            blobs,
        )


def test_publish_round_trip_every_component(registry, tmp_path: Path) -> None:
    folder = write_model_folder(tmp_path / "m")
    result = publish(registry, folder)
    assert str(result) == "toy-model v1"
    with registry.read() as s:
        version = lookup.get_version(s, "toy-model", 1)
        assert version.state == "draft"
        assert version.author == "alice"
        assert version.release_notes.startswith("# Release notes")
        stored = [c for c in version.components if c.stored]
        assert {c.path for c in stored} == {
            "score.py",
            "model.json",
            "requirements.txt",
            "RELEASE_NOTES.md",
            "config.json",
            "data/train.csv",
            "tests/inputs.jsonl",
            "tests/outputs.jsonl",
        }
        for c in stored:
            original = (folder / c.path).read_bytes()
            assert registry.store.read_bytes(c.sha256, c.name) == original
            assert c.sha256 == hashlib.sha256(original).hexdigest()
            assert c.size == len(original)
        external = [c for c in version.components if not c.stored]
        assert [(c.kind, c.uri) for c in external] == [
            ("data", "s3://bucket/bureau/2026-10.parquet")
        ]
        kinds = {c.kind for c in version.components}
        assert kinds == {
            "script",
            "model_object",
            "environment",
            "documentation",
            "data",
            "configuration",
            "tests",
        }
        assert [(m.name, m.value) for m in version.metrics] == [("auc", 0.8)]
        assert verify_chain(s).intact


def test_next_publish_is_next_version(registry, tmp_path: Path) -> None:
    publish(registry, write_model_folder(tmp_path / "a"))
    second = publish(registry, write_model_folder(tmp_path / "b", weights='{"a": 0.2, "b": 0.1}'))
    assert second.number == 2
    with registry.read() as s:
        rows = inventory.inventory(s)
        assert [(r.name, r.latest_version, r.latest_state, r.tags) for r in rows] == [
            ("toy-model", 2, "draft", ["toy", "linear"])
        ]


def test_duplicate_content_is_refused_and_nothing_written(registry, tmp_path: Path) -> None:
    folder = write_model_folder(tmp_path / "m")
    publish(registry, folder)
    before = _counts(registry)
    with pytest.raises(DuplicatePublishError, match="v1 already has exactly this content"):
        publish(registry, folder)
    assert _counts(registry) == before


def test_pinned_hash_mismatch_writes_nothing(registry, tmp_path: Path) -> None:
    folder = write_model_folder(tmp_path / "m")
    toml = (
        (folder / "signoff.toml")
        .read_text()
        .replace('path = "config.json"', 'path = "config.json"\nsha256 = "' + "0" * 64 + '"')
    )
    (folder / "signoff.toml").write_text(toml)
    with pytest.raises(HashMismatchError, match="config.json"):
        publish(registry, folder)
    assert _counts(registry) == (0, 0, 0, 0, 0)


def test_pinned_hash_that_matches_is_accepted(registry, tmp_path: Path) -> None:
    folder = write_model_folder(tmp_path / "m")
    digest = hashlib.sha256((folder / "config.json").read_bytes()).hexdigest()
    toml = (
        (folder / "signoff.toml")
        .read_text()
        .replace('path = "config.json"', f'path = "config.json"\nsha256 = "{digest.upper()}"')
    )
    (folder / "signoff.toml").write_text(toml)
    assert publish(registry, folder).number == 1


def test_missing_file_writes_nothing(registry, tmp_path: Path) -> None:
    folder = write_model_folder(tmp_path / "m")
    (folder / "model.json").unlink()
    with pytest.raises(ManifestError, match="model.json.*does not exist"):
        publish(registry, folder)
    assert _counts(registry) == (0, 0, 0, 0, 0)


def test_failed_database_write_removes_new_blobs(registry, tmp_path: Path, monkeypatch) -> None:
    import signoff.core.publishing.publisher as pub

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pub, "_register", boom)
    with pytest.raises(RuntimeError):
        publish(registry, write_model_folder(tmp_path / "m"))
    assert _counts(registry) == (0, 0, 0, 0, 0)


def test_model_metadata_change_is_audited(registry, tmp_path: Path) -> None:
    publish(registry, write_model_folder(tmp_path / "a"))
    changed = write_model_folder(tmp_path / "b", auc=0.9)
    manifest = changed / "signoff.toml"
    manifest.write_text(manifest.read_text().replace('title = "A toy model"', 'title = "Toy v2"'))
    publish(registry, changed)
    with registry.read() as s:
        model = lookup.get_model(s, "toy-model")
        assert model.title == "Toy v2"
        actions = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
        assert actions == [
            "model.created",
            "version.published",
            "model.updated",
            "version.published",
        ]


def test_a_manifest_cannot_change_the_risk_tier(registry, tmp_path: Path) -> None:
    """The tier chooses the approval policy: an author's manifest saying otherwise is refused
    and nothing is written; only an audited decision changes it (``signoff tier``)."""
    publish(registry, write_model_folder(tmp_path / "a", tier="high"))
    with registry.read() as s:
        before = list(s.scalars(select(AuditEvent.seq)))
    with pytest.raises(ManifestError, match="risk_tier = 'low' but toy-model is 'high'"):
        publish(registry, write_model_folder(tmp_path / "b", tier="low", auc=0.9))
    with registry.read() as s:
        assert lookup.get_model(s, "toy-model").risk_tier == "high"
        assert lookup.get_model(s, "toy-model").version_count == 1
        assert list(s.scalars(select(AuditEvent.seq))) == before
