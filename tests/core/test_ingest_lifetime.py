"""Predictions dated outside their version's lifetime — before the version existed (and before
it was first live), or after it was marked do-not-use or retired — are stored as reported but
flagged: counted apart in the ingest's result and audit event, left out of monitoring."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from signoff.cli import main
from signoff.core.catalog import lookup
from signoff.core.db.migrate import alembic_config
from signoff.core.db.registry import open_registry
from signoff.core.db.schema import AuditEvent, Prediction
from signoff.core.governance.states import change_state
from signoff.core.ingest.records import ingest_records
from signoff.core.monitoring.windows import MonitoringRules, version_series
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder


def prediction(subject: str, at: datetime | str) -> dict:
    return {"subject_key": subject, "predicted_at": at, "version": "toy-model@1", "score": 0.4}


def created_at(registry) -> datetime:
    with registry.read() as session:
        return lookup.get_version(session, "toy-model", 1).created_at


def test_predictions_before_the_version_existed_are_flagged_and_not_monitored(
    registry, tmp_path
) -> None:
    publish(registry, write_model_folder(tmp_path / "m"))
    born = created_at(registry)
    result = ingest_records(
        registry,
        "predictions",
        [
            prediction("early-1", born - timedelta(days=30)),
            prediction("early-2", born - timedelta(seconds=1)),
            prediction("on-time", born + timedelta(minutes=1)),
        ],
    )
    assert result.rows == 3 and result.inserted == 3  # stored as the factory reported them
    assert result.outside_lifetime == {"before_version": 2}
    assert "2 predictions outside their version's lifetime" in result.describe()
    with registry.read() as session:
        flags = dict(
            session.execute(select(Prediction.subject_key, Prediction.outside_lifetime)).all()
        )
        assert flags == {"early-1": "before_version", "early-2": "before_version", "on-time": ""}
        payload = json.loads(
            session.scalar(
                select(AuditEvent.payload).where(
                    AuditEvent.action == "monitoring.predictions_ingested"
                )
            )
        )
        assert payload["outside_lifetime"] == {"before_version": 2}
        version = lookup.get_version(session, "toy-model", 1)
        series = version_series(session, version, MonitoringRules(metric="auc"))
        assert sum(w.predictions for w in series.windows) == 1
        assert series.outside_lifetime == {"before_version": 2}


def test_a_version_live_before_it_was_registered_may_predict_from_then(registry, tmp_path) -> None:
    # history brought in from before the registry: the deployment record says live since May
    from signoff.core.governance.deployment import record_go_live

    publish(registry, write_model_folder(tmp_path / "m"))
    live_from = created_at(registry) - timedelta(days=200)
    with registry.write() as session:
        version = lookup.get_version(session, "toy-model", 1)
        for state in ("in_review", "approved", "ready"):
            change_state(session, version, state, at=live_from - timedelta(days=1))
        record_go_live(session, version, actor="alice", at=live_from)
    result = ingest_records(
        registry,
        "predictions",
        [prediction("live", live_from + timedelta(days=1)), prediction("before", live_from)],
    )
    assert result.outside_lifetime == {}


def test_predictions_after_do_not_use_are_flagged(registry, home, tmp_path, capsys) -> None:
    publish(registry, write_model_folder(tmp_path / "m"))
    marked = created_at(registry) + timedelta(days=10)
    with registry.write() as session:
        change_state(session, lookup.get_version(session, "toy-model", 1), "do_not_use", at=marked)
    rows = tmp_path / "p.jsonl"
    rows.write_text(
        "\n".join(
            json.dumps(prediction(s, (marked + timedelta(days=d)).isoformat()))
            for s, d in (("before-mark", -1), ("after-mark", 1), ("much-later", 40))
        )
        + "\n"
    )
    assert main(["--home", str(home), "ingest", "predictions", str(rows)]) == 0
    out = capsys.readouterr().out
    assert "2 predictions outside their version's lifetime" in out
    assert "2 dated after their version was marked do-not-use" in out
    with registry.read() as session:
        flagged = session.scalars(
            select(Prediction.subject_key).where(Prediction.outside_lifetime != "")
        )
        assert sorted(flagged) == ["after-mark", "much-later"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migration_flags_predictions_already_stored(backend, tmp_path: Path, request):
    if backend == "postgresql":
        url = request.getfixturevalue("pg_url")
        registry = open_registry(db=url, artifacts=tmp_path / "artifacts")
    else:
        registry = open_registry(home=tmp_path / "home")
        registry.set_actor_for_embedded("alice")
    try:
        publish(registry, write_model_folder(tmp_path / "m"), actor=registry.actor)
        born = created_at(registry)
        ingest_records(
            registry,
            "predictions",
            [prediction("old", born - timedelta(days=3)), prediction("new", born)],
        )
        cfg = alembic_config(registry.engine)
        command.downgrade(cfg, "0006_gates_in_the_database")  # as a registry from before
        command.upgrade(cfg, "heads")
        with registry.engine.connect() as conn:
            flags = dict(
                conn.execute(text("SELECT subject_key, outside_lifetime FROM predictions")).all()
            )
        assert flags == {"old": "before_version", "new": ""}
    finally:
        registry.close()
