"""A registry with a live scoring model and three recorded customer results, for reproduction.

Shared by the reproduction tests of the core, the command line, the report, PostgreSQL and the
Audit area: ``credit-limit`` v1 (a pickled linear model) scored three customers after going live
at :data:`T0`; each recorded output is what the model really returns, so an untouched
prediction reproduces and an edited one differs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from signoff.core.db.schema import Prediction, Version
from signoff.core.governance.deployment import record_go_live
from signoff.core.ingest.records import ingest_records
from signoff.core.publishing.publisher import Published, publish
from signoff.core.reproduction.reproduce import input_hash
from tests.helpers.runner_models import expected_pickle_outputs, write_pickle_model

T0 = datetime(2026, 3, 1, 9, 0)
CUSTOMERS = {
    "C-1001": {"income": 52000, "debt": 9000},
    "C-1002": {"income": 31000, "debt": 26000},
    "C-2001": {"income": 75000, "debt": 500},
}


def publish_scored_customers(
    registry,  # noqa: ANN001 - a Registry
    tmp_path: Path,
    *,
    live: bool = True,
    score_code: str | None = None,
    pickled: bytes | None = None,
) -> tuple[Path, Published]:
    """Publish ``credit-limit`` v1 (live at T0 unless *live* is False) and record its scores.

    One prediction per customer in :data:`CUSTOMERS`, a day apart after T0, with the input's
    hash. *score_code* replaces the model's scoring script. Returns the folder and the publish.
    """
    kw: dict[str, Any] = {"score_code": score_code} if score_code else {}
    if pickled is not None:  # the model object as given (a large one, for transfer tests)
        kw["pickled"] = pickled
    folder = write_pickle_model(tmp_path / "m", name="credit-limit", **kw)
    published = publish(registry, folder)
    if live:
        with registry.write() as session:
            record_go_live(session, session.get(Version, published.version_id), actor="rita", at=T0)
    model = {"w": 0.9, "b": 0.05}
    rows = []
    for i, (key, record) in enumerate(CUSTOMERS.items()):
        rows.append(
            {
                "subject_key": key,
                "predicted_at": (T0 + timedelta(days=i + 1)).isoformat(),
                "version": "credit-limit@1",
                "input_record": record,
                "input_sha256": input_hash(record),
                "output": expected_pickle_outputs(model, [record])[0],
            }
        )
    ingest_records(registry, "predictions", rows, actor="factory")
    return folder, published


def prediction_id(registry, subject_key: str) -> int:  # noqa: ANN001
    """The id of the prediction recorded for *subject_key*."""
    with registry.read() as session:
        return session.scalar(select(Prediction.id).where(Prediction.subject_key == subject_key))


def alter_prediction(registry, prediction: int, **values: Any) -> None:  # noqa: ANN001
    """Overwrite columns of a recorded prediction, as someone with database access could."""
    with registry.write() as session:
        session.execute(update(Prediction).where(Prediction.id == prediction).values(**values))
