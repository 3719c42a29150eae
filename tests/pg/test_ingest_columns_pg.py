"""CSV predictions through the column path on PostgreSQL (times bound as datetimes)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from signoff.core.db.schema import Prediction
from signoff.core.ingest.records import ingest_file
from tests.helpers.monitoring import make_live

pytestmark = pytest.mark.postgres


def test_csv_predictions_by_columns_on_postgres(pg_registry, tmp_path: Path) -> None:
    pg_registry._actor = "alice"  # noqa: SLF001 - the login is the actor on PostgreSQL
    make_live(pg_registry, tmp_path)
    path = tmp_path / "p.csv"
    path.write_text(
        "subject_key,predicted_at,version,score,input_ref,input_sha256\n"
        + "".join(
            f"S{i},2026-06-01T00:00:{i:02d}Z,toy-model@1,0.{i + 1},s3://x,{'ab' * 32}\n"
            for i in range(50)
        )
    )
    first = ingest_file(pg_registry, "predictions", path)
    assert (first.rows, first.inserted) == (50, 50)
    assert ingest_file(pg_registry, "predictions", path).inserted == 0
    with pg_registry.read() as s:
        rows = s.scalars(select(Prediction).order_by(Prediction.id).limit(2)).all()
        shown = [(p.subject_key, p.predicted_at, p.output, p.score) for p in rows]
        stored = (rows[0].input_sha256, rows[0].input_ref)
    assert shown == [
        ("S0", datetime(2026, 6, 1, 0, 0, 0), 0.1, 0.1),
        ("S1", datetime(2026, 6, 1, 0, 0, 1), 0.2, 0.2),
    ]
    assert stored == ("ab" * 32, "s3://x")
