"""Migration 0005: outcomes keyed per model, applied to a database that already has outcomes."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from signoff.core.db.migrate import alembic_config, current_revisions, head_revisions

BEFORE = "0004_pg_seal_at_commit"
ROWS = [("C-1", "2026-04-01 00:00:00.000000", 1.0), ("C-2", "2026-04-01 00:00:00.000000", 0.0)]


def _outcomes(conn) -> list[tuple]:  # noqa: ANN001
    return [
        tuple(r)
        for r in conn.execute(
            text("SELECT subject_key, actual, model_id FROM outcomes ORDER BY subject_key")
        )
    ]


def _insert(conn, subject: str, at: str, actual: float) -> None:  # noqa: ANN001
    conn.execute(
        text("INSERT INTO outcomes (subject_key, observed_at, actual) VALUES (:s, :t, :a)"),
        {"s": subject, "t": at, "a": actual},
    )


def upgrade_with_outcomes(url: str) -> None:
    engine = create_engine(url)
    cfg = alembic_config(engine)
    command.upgrade(cfg, BEFORE)
    with engine.begin() as conn:
        for row in ROWS:
            _insert(conn, *row)
    command.upgrade(cfg, "heads")
    assert current_revisions(engine) == head_revisions(engine)
    with engine.begin() as conn:
        assert _outcomes(conn) == [("C-1", 1.0, None), ("C-2", 0.0, None)]
    # an outcome without a model still cannot be stored twice
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _insert(conn, *ROWS[0])
    command.downgrade(cfg, BEFORE)
    with engine.begin() as conn:
        assert _outcomes(conn) == [("C-1", 1.0, None), ("C-2", 0.0, None)]
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _insert(conn, *ROWS[1])
    command.upgrade(cfg, "heads")
    engine.dispose()


def test_outcomes_migration_on_sqlite(tmp_path: Path) -> None:
    upgrade_with_outcomes(f"sqlite:///{tmp_path / 'registry.db'}")


@pytest.mark.postgres
def test_outcomes_migration_on_postgresql(pg_url: str) -> None:
    upgrade_with_outcomes(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
