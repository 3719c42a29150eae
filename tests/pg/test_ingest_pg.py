"""Ingest and monitoring on a real PostgreSQL database (skipped without SIGNOFF_TEST_PG_URL)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from signoff.core.audit.chain import verify_chain
from signoff.core.db.schema import AuditEvent, Prediction
from signoff.core.ingest.records import IngestError, ingest_file, ingest_records
from signoff.core.monitoring.staleness import assess_all, evaluate_staleness
from tests.helpers.monitoring import feed, make_live

pytestmark = pytest.mark.postgres


def test_ingest_is_idempotent_and_atomic_on_postgres(pg_registry, tmp_path: Path) -> None:
    pg_registry._actor = "alice"  # noqa: SLF001 - the login is the actor on PostgreSQL
    make_live(pg_registry, tmp_path)
    path = tmp_path / "p.jsonl"
    path.write_text(
        '{"subject_key": "A", "predicted_at": "2026-03-02T09:00:00Z", "version": "toy-model@1",'
        ' "output": {"score": 0.4, "label": "low"}, "input_record": {"x": 1}}\n'
        '{"subject_key": "B", "predicted_at": "2026-03-02T09:00:00Z", "version": "toy-model@1",'
        ' "score": 0.9}\n'
    )
    assert ingest_file(pg_registry, "predictions", path).inserted == 2
    assert ingest_file(pg_registry, "predictions", path).inserted == 0
    with pg_registry.read() as s:
        rows = {p.subject_key: p for p in s.scalars(select(Prediction))}
        assert rows["A"].output == {"score": 0.4, "label": "low"}
        assert rows["A"].input_record == {"x": 1} and rows["A"].score == 0.4
        assert rows["B"].output == 0.9
        assert rows["A"].predicted_at == datetime(2026, 3, 2, 9, 0)
        events = s.scalar(select(func.count(AuditEvent.seq)))
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "subject_key,predicted_at,version,score\nC,2026-03-02,toy-model@1,0.1\n"
        "D,2026-03-02,toy-model@1,x\n"
    )
    with pytest.raises(IngestError, match="line 3: score: 'x' is not a number"):
        ingest_file(pg_registry, "predictions", bad)
    with pg_registry.read() as s:
        assert s.scalar(select(func.count(Prediction.id))) == 2
        assert s.scalar(select(func.count(AuditEvent.seq))) == events
        assert verify_chain(s).intact


def test_staleness_on_postgres(pg_registry, tmp_path: Path) -> None:
    pg_registry._actor = "alice"  # noqa: SLF001
    make_live(pg_registry, tmp_path)
    feed(pg_registry, ["good", "bad", "bad"], seed=3)
    ingest_records(
        pg_registry,
        "executions",
        [
            {
                "external_id": "r1",
                "version": "toy-model@1",
                "started_at": "2026-01-06",
                "status": "failed",
            }
        ],
    )
    [health] = assess_all(pg_registry, now=datetime(2026, 4, 1))
    assert health.stale and health.reasons[0].startswith("performance:")
    assert health.series.windows[0].failed_executions == 1
    [stored] = evaluate_staleness(pg_registry, now=datetime(2026, 4, 1))
    assert stored.changed
