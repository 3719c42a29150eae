"""Audit reproduction against a real registry: predictions ingested, version re-run."""

from __future__ import annotations

import json
import os
import pickle
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from signoff.core.common.errors import NotFoundError
from signoff.core.common.files import sha256_file
from signoff.core.db.schema import AuditEvent
from signoff.core.reproduction.reproduce import (
    CANCELLED,
    COULD_NOT_RUN,
    DIFFERS,
    REPRODUCED,
    STEPS,
    compare_outputs,
    reproduce,
    search_predictions,
)
from signoff.core.runner import Limits
from tests.helpers.reproduction import (
    CUSTOMERS,
    T0,
    alter_prediction,
    prediction_id,
    publish_scored_customers,
)


def test_recorded_predictions_reproduce(registry, tmp_path):
    publish_scored_customers(registry, tmp_path)
    for key in CUSTOMERS:
        seen: list[tuple[str, str]] = []
        repro = reproduce(
            registry,
            prediction_id(registry, key),
            on_step=lambda s, st, d, seen=seen: seen.append((s, st)),
        )
        assert repro.verdict == REPRODUCED, repro.headline
        assert repro.exit_code == 0 and not repro.differences and not repro.findings
        assert repro.reproduced_output == repro.recorded_output
        assert [s for s in STEPS if (s, "done") in seen] == list(STEPS)
        assert repro.live_version_then == 1 and repro.version_number == 1
        assert all(c["ok"] for c in repro.hash_checks)
    with registry.read() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "prediction.reproduced")
        ).all()
        verdicts = [json.loads(e.payload)["verdict"] for e in events]
    assert verdicts == [REPRODUCED] * 3


def test_by_subject_and_time(registry, tmp_path):
    publish_scored_customers(registry, tmp_path)
    repro = reproduce(registry, subject="C-1002", at=T0 + timedelta(days=10))
    assert repro.subject_key == "C-1002" and repro.verdict == REPRODUCED
    with pytest.raises(NotFoundError, match="no prediction recorded for subject 'C-1002'"):
        reproduce(registry, subject="C-1002", at=T0)
    with pytest.raises(NotFoundError, match="no prediction with id 999"):
        reproduce(registry, 999)


def test_altered_recorded_output_differs_with_the_difference_shown(registry, tmp_path):
    publish_scored_customers(registry, tmp_path)
    pid = prediction_id(registry, "C-1001")
    alter_prediction(registry, pid, output={"score": 0.11, "label": "accept"})
    repro = reproduce(registry, pid)
    assert repro.verdict == DIFFERS and repro.exit_code == 1
    assert [d.field for d in repro.differences] == ["output.score"]
    assert repro.differences[0].recorded == 0.11
    assert repro.differences[0].reproduced == pytest.approx(0.205769, abs=1e-6)
    assert "output.score: recorded 0.11, reproduced 0.2057" in repro.headline


def test_altered_artifact_could_not_run_and_is_never_imported(registry, tmp_path):
    folder, _ = publish_scored_customers(registry, tmp_path)
    marker = tmp_path / "IMPORTED"
    blob = registry.store.path_for(sha256_file(folder / "score.py"))
    os.chmod(blob, 0o644)
    blob.write_text(
        f"import pathlib\npathlib.Path({str(marker)!r}).write_text('x')\n"
        "def predict(records):\n    return [{'score': 0.2, 'label': 'accept'}]\n"
    )
    repro = reproduce(registry, prediction_id(registry, "C-1001"))
    assert repro.verdict == COULD_NOT_RUN and repro.exit_code == 2
    assert repro.headline == "could not run: hash mismatch (score.py)"
    assert not marker.exists()
    assert repro.steps["verify"][0] == "failed" and "run" not in repro.steps


def test_tampered_pickle_could_not_run(registry, tmp_path):
    folder, _ = publish_scored_customers(registry, tmp_path)
    marker = tmp_path / "UNPICKLED"

    class Payload:
        def __reduce__(self):  # noqa: ANN204
            return (Path.write_text, (marker, "x"))

    blob = registry.store.path_for(sha256_file(folder / "model.pkl"))
    os.chmod(blob, 0o644)
    blob.write_bytes(pickle.dumps(Payload()))
    repro = reproduce(registry, prediction_id(registry, "C-2001"))
    assert repro.headline == "could not run: hash mismatch (model.pkl)"
    assert not marker.exists()


def test_altered_input_record_is_caught_by_its_hash(registry, tmp_path):
    publish_scored_customers(registry, tmp_path)
    pid = prediction_id(registry, "C-1001")
    alter_prediction(registry, pid, input_record={"income": 52000, "debt": 1})
    repro = reproduce(registry, pid)
    assert repro.verdict == COULD_NOT_RUN and "input hash mismatch" in repro.reason
    assert repro.run is None


def test_deployment_history_disagreement_is_a_finding(registry, tmp_path):
    publish_scored_customers(registry, tmp_path, live=False)
    repro = reproduce(registry, prediction_id(registry, "C-1001"))
    assert repro.verdict == REPRODUCED
    assert any("no version of credit-limit live" in f for f in repro.findings)


def test_failing_run_is_could_not_run_with_the_reason(registry, tmp_path):
    code = "def predict(records):\n    while True:\n        pass\n"
    publish_scored_customers(registry, tmp_path, score_code=code)
    repro = reproduce(registry, prediction_id(registry, "C-1001"), limits=Limits(time_s=1))
    assert repro.verdict == COULD_NOT_RUN
    assert "time limit" in repro.reason and repro.run["status"] == "timeout"


def test_cancel_during_the_run(registry, tmp_path):
    import time

    code = "import time\ndef predict(records):\n    time.sleep(30)\n"
    publish_scored_customers(registry, tmp_path, score_code=code)
    started = {}

    def note_step(step: str, state: str, _detail: str) -> None:
        if step == "run" and state == "running":
            started["t"] = time.monotonic()

    repro = reproduce(
        registry,
        prediction_id(registry, "C-1001"),
        on_step=note_step,
        cancelled=lambda: "t" in started and time.monotonic() - started["t"] > 0.3,
    )
    assert repro.verdict == CANCELLED and repro.exit_code == 2
    assert time.monotonic() - started["t"] < 5


def test_search_predictions_by_subject_prefix_and_dates(registry, tmp_path):
    publish_scored_customers(registry, tmp_path)
    with registry.read() as session:
        assert [r.subject_key for r in search_predictions(session, "C-1")] == ["C-1002", "C-1001"]
        rows = search_predictions(session, "", T0 + timedelta(days=2), T0 + timedelta(days=3))
        assert [(r.subject_key, r.model, r.version) for r in rows] == [
            ("C-1002", "credit-limit", 1)
        ]
        assert search_predictions(session, "C-1%") == []  # % is a literal, not a wildcard


def test_compare_outputs_rules():
    assert compare_outputs({"score": 0.5, "label": "a"}, {"score": 0.5 + 1e-12, "label": "a"}) == []
    diffs = compare_outputs({"score": 0.5, "label": "a"}, {"score": 0.5, "label": "b"})
    assert [d.field for d in diffs] == ["output.label"]
    assert compare_outputs(0.25, {"score": 0.25, "label": "x"}) == []
    assert (
        compare_outputs({"a": 1}, {"a": 1, "b": 2})[0].describe()
        == "output.b: recorded '(absent)', reproduced 2"
    )
    assert compare_outputs({"p": 1.0}, {"p": 1.05}, tolerance=0.1) == []
    assert compare_outputs(True, 1) != []
