"""Migration 0011: the factory loop's rules into a shared registry's database, applied to a
registry at 0010 that holds a do-not-use version still used after its notice.

On SQLite nothing changes (the Python rules flagged the use at ingest). On PostgreSQL no
function flagged it before 0011: the upgrade flags the stored facts, and from then on the
database flags new use itself.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select, text

from signoff.core.audit.verify import verify_registry
from signoff.core.catalog.lookup import get_model
from signoff.core.db.migrate import alembic_config, current_revisions, head_revisions
from signoff.core.db.registry import Registry, db_now, open_registry
from signoff.core.db.schema import DoNotUseUse
from signoff.core.governance.people import save_person
from signoff.core.governance.workflow import run_transition
from signoff.core.ingest.records import ingest_records
from signoff.core.notifications.consumers import save_consumer
from tests.helpers.monitoring import make_live

BEFORE = "0010_factory_loop"


def _used_after_notice(reg: Registry, tmp_path: Path) -> None:
    with reg.write() as s:
        save_person(s, reg.actor, actor=reg.actor, roles=["admin", "validator"])
    make_live(reg, tmp_path)
    with reg.write() as s:
        save_consumer(s, get_model(s, "toy-model"), "billing", actor=reg.actor)
    run_transition(reg, "do_not_use", "toy-model", 1, actor=reg.actor, comment="leaks the label")
    with reg.read() as s:
        after = db_now(s) + timedelta(minutes=1)
    runs = [
        {
            "external_id": f"n-{i}",
            "version": "toy-model@1",
            "consumer": "billing",
            "started_at": (after + timedelta(hours=i)).isoformat(),
            "rows_scored": 10,
        }
        for i in range(3)
    ]
    ingest_records(reg, "executions", runs)


def _flag(reg: Registry) -> tuple[int, bool]:
    with reg.read() as s:
        uses = s.scalar(select(func.coalesce(func.sum(DoNotUseUse.executions), 0)))
        return int(uses or 0), bool(get_model(s, "toy-model").flag_dnu_used)


def _round_trip(reg: Registry) -> None:
    cfg = alembic_config(reg.engine)
    assert _flag(reg) == (3, True)
    command.downgrade(cfg, BEFORE)
    if reg.dialect == "postgresql":
        # as 0010 left a shared registry: the facts stored, nothing flagged
        with reg.engine.begin() as conn:
            conn.execute(text("DELETE FROM dnu_uses"))
            conn.execute(text("UPDATE models SET flag_dnu_used = false"))
        assert _flag(reg) == (0, False)
    command.upgrade(cfg, "heads")
    assert current_revisions(reg.engine) == head_revisions(reg.engine)
    assert _flag(reg) == (3, True)
    with reg.read() as s:
        assert verify_registry(s).intact


def test_factory_rules_migration_on_sqlite(registry, tmp_path) -> None:
    _used_after_notice(registry, tmp_path)
    _round_trip(registry)


@pytest.mark.postgres
def test_factory_rules_migration_on_postgresql(pg_url: str, tmp_path) -> None:
    from signoff.core.db.pgroles import init_roles

    reg = open_registry(db=pg_url, artifacts=tmp_path / "artifacts")
    try:
        init_roles(reg.engine)
        _used_after_notice(reg, tmp_path)
        _round_trip(reg)
        with reg.read() as s:
            assert (
                s.execute(
                    text("SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%dnu%'")
                ).scalar_one()
                == 3
            )
    finally:
        reg.close()
