"""The same schema and publish path on a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from signoff.core.audit.chain import verify_chain
from signoff.core.catalog import inventory, lookup
from signoff.core.db.migrate import current_revisions, head_revisions
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder

pytestmark = pytest.mark.postgres


def test_migrates_from_empty_on_postgresql(pg_registry) -> None:
    tables = set(inspect(pg_registry.engine).get_table_names())
    assert {"models", "versions", "components", "audit_events", "outbox"} <= tables
    assert current_revisions(pg_registry.engine) == head_revisions(pg_registry.engine)
    assert pg_registry.actor == "signoff_ci"


def test_publish_and_read_back_on_postgresql(pg_registry, tmp_path: Path) -> None:
    publish(pg_registry, write_model_folder(tmp_path / "m"))
    with pg_registry.read() as s:
        version = lookup.get_version(s, "toy-model")
        assert version.number == 1 and version.author == "alice"
        assert verify_chain(s).intact
        assert inventory.inventory(s)[0].latest_state == "draft"


def test_audit_events_append_only_on_postgresql(pg_registry, tmp_path: Path) -> None:
    publish(pg_registry, write_model_folder(tmp_path / "m"))
    for statement in (
        "UPDATE audit_events SET actor='mallory'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ):
        with pytest.raises(DBAPIError, match="append-only"), pg_registry.write() as s:
            s.execute(text(statement))
