"""Opening registries: migrations, SQLite pragmas, network filesystems, configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from signoff.core.common.errors import DatabaseLocationError
from signoff.core.db.migrate import current_revisions, head_revisions
from signoff.core.db.registry import (
    check_local_database_path,
    filesystem_type,
    open_registry,
    resolve_location,
)

MOUNTS = """\
/dev/vda / ext4 rw,relatime 0 0
server:/export /mnt/shared nfs4 rw,relatime 0 0
//fs/models /mnt/smb cifs rw 0 0
tmpfs /mnt/shared/local tmpfs rw 0 0
"""

EXPECTED_TABLES = {
    "models",
    "versions",
    "components",
    "metrics",
    "consumers",
    "deployments",
    "users",
    "user_roles",
    "policies",
    "decisions",
    "evidence",
    "executions",
    "predictions",
    "outcomes",
    "audit_events",
    "outbox",
    "settings",
    "alembic_version",
}


def test_migrates_from_empty_on_sqlite(home: Path) -> None:
    reg = open_registry(home=home)
    assert set(inspect(reg.engine).get_table_names()) >= EXPECTED_TABLES
    assert current_revisions(reg.engine) == head_revisions(reg.engine)
    reg.close()
    # opening again is a no-op
    assert open_registry(home=home).is_embedded


def test_sqlite_pragmas(registry) -> None:
    with registry.read() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        # a write waits this long for another process's lock (signoff.core.db.embedded)
        assert s.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_write_sessions_take_the_write_lock_at_begin(registry) -> None:
    """BEGIN IMMEDIATE: a second writer cannot start while the first holds the lock."""
    import sqlite3

    db_file = registry.engine.url.database
    with registry.write() as s:
        s.execute(text("SELECT 1"))
        other = sqlite3.connect(db_file, timeout=0.1, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


def test_audit_events_and_decisions_refuse_update_and_delete(registry, tmp_path) -> None:
    from sqlalchemy.exc import IntegrityError

    from signoff.core.publishing.publisher import publish
    from tests.helpers.folders import write_model_folder

    publish(registry, write_model_folder(tmp_path / "m"))
    for statement in ("UPDATE audit_events SET actor='mallory'", "DELETE FROM audit_events"):
        with pytest.raises(IntegrityError, match="append-only"), registry.write() as s:
            s.execute(text(statement))


def test_filesystem_type_from_mount_table() -> None:
    assert filesystem_type(Path("/mnt/shared/reg"), MOUNTS) == "nfs4"
    assert filesystem_type(Path("/mnt/shared/local/reg"), MOUNTS) == "tmpfs"
    assert filesystem_type(Path("/home/alice"), MOUNTS) == "ext4"


@pytest.mark.parametrize("path", ["/mnt/shared/registry.db", "/mnt/smb/x/registry.db"])
def test_network_filesystem_is_refused(path: str) -> None:
    with pytest.raises(DatabaseLocationError, match="network filesystem"):
        check_local_database_path(Path(path), MOUNTS)


def test_unc_path_is_refused() -> None:
    with pytest.raises(DatabaseLocationError, match="network share"):
        check_local_database_path(Path("//server/share/registry.db"), MOUNTS)


def test_local_path_is_accepted() -> None:
    check_local_database_path(Path("/home/alice/registry.db"), MOUNTS)


def test_location_from_environment(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SIGNOFF_HOME", str(tmp_path / "h"))
    monkeypatch.delenv("SIGNOFF_DB", raising=False)
    loc = resolve_location()
    assert loc.db_url.endswith("/h/registry.db")
    assert loc.artifacts == tmp_path / "h" / "artifacts"
    monkeypatch.setenv("SIGNOFF_DB", str(tmp_path / "other.db"))
    assert resolve_location().db_url == f"sqlite:///{tmp_path / 'other.db'}"
    assert resolve_location(db="postgresql://u@h/db").db_url == "postgresql://u@h/db"


def test_heads_read_from_files_match_alembic(registry) -> None:
    from signoff.core.db.migrate import head_revisions_from_files

    assert set(head_revisions_from_files()) == head_revisions(registry.engine)


def test_an_explicit_home_is_never_redirected_by_the_environment(
    monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SIGNOFF_DB", "postgresql://team@db/signoff")
    monkeypatch.setenv("SIGNOFF_ARTIFACTS", "/mnt/shared")
    loc = resolve_location(home=tmp_path / "demo")
    assert loc.db_url == f"sqlite:///{(tmp_path / 'demo' / 'registry.db').resolve()}"
    assert loc.artifacts == tmp_path / "demo" / "artifacts"
    assert resolve_location().db_url == "postgresql://team@db/signoff"


def test_migration_identifiers_are_read_from_the_assignments() -> None:
    from signoff.core.db.migrate import _identifiers

    plain = '"""Revision ID: x\nRevises: y\n"""\nrevision = "0009_x"\ndown_revision = "0008_y"\n'
    assert _identifiers(plain) == {"revision": "0009_x", "down_revision": "0008_y"}
    annotated = 'revision: str = "b"\ndown_revision: str | None = None\n'
    assert _identifiers(annotated) == {"revision": "b", "down_revision": None}
    merge = 'revision = "m"\ndown_revision = (\n    "a",\n    "b",\n)\n'  # a merge point
    assert _identifiers(merge)["down_revision"] == ("a", "b")
