"""Ingest: every kind round-trips, re-sending adds nothing, and bad files store nothing."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from signoff.core.audit.chain import head, verify_chain
from signoff.core.db.schema import AuditEvent, Execution, Model, Outcome, Prediction
from signoff.core.ingest.records import BATCH_ROWS, IngestError, ingest_file, ingest_records
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder


@pytest.fixture
def reg(registry, tmp_path: Path):
    publish(registry, write_model_folder(tmp_path / "m1"))
    publish(registry, write_model_folder(tmp_path / "m2", weights='{"a": 0.3, "b": 0.0}'))
    return registry


def snapshot(registry) -> tuple:
    """Everything ingest could touch: row counts and the audit head."""
    with registry.read() as s:
        return (
            s.scalar(select(func.count(Execution.id))),
            s.scalar(select(func.count(Prediction.id))),
            s.scalar(select(func.count(Outcome.id))),
            s.scalar(select(func.count(AuditEvent.seq))),
            head(s),
        )


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


PREDICTIONS = (
    """\
subject_key,predicted_at,version,score,output,input_ref,input_sha256
C-001,2026-03-02T09:00:00Z,toy-model@1,0.31,"{""score"": 0.31, ""label"": ""low""}",s3://in/1.json,\
"""
    + "a" * 64
    + """
C-002,2026-03-02T09:00:00+01:00,toy-model@v2,0.72,,,
C-003,2026-03-02 10:15:00,toy-model@1,,0.55,,
"""
)


def test_predictions_csv_round_trip(reg, tmp_path: Path) -> None:
    result = ingest_file(reg, "predictions", write(tmp_path, "p.csv", PREDICTIONS))
    assert (result.rows, result.inserted, result.models) == (3, 3, ["toy-model"])
    assert len(result.sha256) == 64
    with reg.read() as s:
        rows = {p.subject_key: p for p in s.scalars(select(Prediction))}
        assert rows["C-001"].output == {"score": 0.31, "label": "low"}
        assert rows["C-001"].score == 0.31
        assert rows["C-001"].input_sha256 == "a" * 64
        # +01:00 is stored as naive UTC
        assert rows["C-002"].predicted_at == datetime(2026, 3, 2, 8, 0)
        assert rows["C-002"].output == 0.72  # no output given: the score stands for it
        assert rows["C-003"].score == 0.55  # no score given: read from the numeric output
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "monitoring.predictions_ingested")
        ).all()
        assert len(events) == 1 and json.loads(events[0].payload)["inserted"] == 3
        assert verify_chain(s).intact


def test_resending_adds_nothing_twice(reg, tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", PREDICTIONS)
    ingest_file(reg, "predictions", path)
    before = snapshot(reg)
    again = ingest_file(reg, "predictions", path)
    assert (again.rows, again.inserted, again.already_present) == (3, 0, 3)
    assert snapshot(reg) == before  # not even an audit event
    # a file overlapping the stored rows adds only the new one
    more = PREDICTIONS + "C-004,2026-03-03T09:00:00Z,toy-model@1,0.9,,,\n"
    result = ingest_file(reg, "predictions", write(tmp_path, "p2.csv", more))
    assert (result.rows, result.inserted) == (4, 1)


def test_executions_jsonl_and_predictions_linked_to_them(reg, tmp_path: Path) -> None:
    lines = [
        {
            "external_id": "run-1",
            "model": "toy-model",
            "version": 1,
            "consumer": "nightly-batch",
            "started_at": "2026-03-02T01:00:00Z",
            "ended_at": "2026-03-02T01:00:42Z",
            "rows_scored": 1200,
            "status": "succeeded",
            "input_uri": "s3://in/2026-03-02.parquet",
            "input_sha256": "b" * 64,
            "output_uri": "s3://out/2026-03-02.parquet",
        },
        {
            "external_id": "run-2",
            "version": "toy-model@1",
            "started_at": "2026-03-03T01:00:00Z",
            "status": "failed",
        },
    ]
    path = write(tmp_path, "runs.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    assert ingest_file(reg, "executions", path).inserted == 2
    with reg.read() as s:
        run = s.scalar(select(Execution).where(Execution.external_id == "run-1"))
        assert (run.consumer, run.rows_scored, run.duration_s) == ("nightly-batch", 1200, 42.0)
        run_id = run.id
        assert (
            s.scalar(select(Execution.status).where(Execution.external_id == "run-2")) == "failed"
        )
    result = ingest_records(
        reg,
        "predictions",
        [
            {
                "subject_key": "C-9",
                "predicted_at": datetime(2026, 3, 2, 1, 0, 5),
                "version": "toy-model@1",
                "output": {"score": 0.4, "label": "low"},
                "input_record": {"x": 2.0},
                "execution": "run-1",
            }
        ],
    )
    assert result.inserted == 1
    with reg.read() as s:
        p = s.scalar(select(Prediction))
        assert (p.score, p.input_record, p.execution_id) == (0.4, {"x": 2.0}, run_id)


def test_outcomes_with_and_without_model(reg, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "o.csv",
        "subject_key,observed_at,actual,model\nC-001,2026-04-01,1,toy-model\nC-002,2026-04-01,0,\n",
    )
    assert ingest_file(reg, "outcomes", path).inserted == 2
    with reg.read() as s:
        got = {
            o.subject_key: (o.actual, o.model_id is not None) for o in s.scalars(select(Outcome))
        }
    assert got == {"C-001": (1.0, True), "C-002": (0.0, False)}


def test_two_models_may_get_an_outcome_for_the_same_subject_and_time(reg, tmp_path: Path) -> None:
    publish(reg, write_model_folder(tmp_path / "other", name="other-model"))
    text = (
        "subject_key,observed_at,actual,model\n"
        "C-001,2026-04-01,1,toy-model\n"
        "C-001,2026-04-01,0,other-model\n"
        "C-001,2026-04-01,1,\n"
    )  # and one for every model that scored C-001
    path = write(tmp_path, "o.csv", text)
    assert ingest_file(reg, "outcomes", path).inserted == 3
    before = snapshot(reg)
    again = ingest_file(reg, "outcomes", path)  # re-sending adds nothing, model-less row too
    assert (again.rows, again.inserted) == (3, 0)
    assert snapshot(reg)[:3] == before[:3]
    with reg.read() as s:
        names = dict(s.execute(select(Model.id, Model.name)).all())
        got = sorted((names.get(o.model_id, ""), o.actual) for o in s.scalars(select(Outcome)))
    assert got == [("", 1.0), ("other-model", 0.0), ("toy-model", 1.0)]


def _rejected(reg, tmp_path: Path, kind: str, name: str, text: str) -> IngestError:
    before = snapshot(reg)
    with pytest.raises(IngestError) as info:
        ingest_file(reg, kind, write(tmp_path, name, text))
    assert snapshot(reg) == before, "a rejected file must leave the database exactly as it was"
    assert "nothing was stored" in str(info.value)
    return info.value


def test_wrong_columns(reg, tmp_path: Path) -> None:
    err = _rejected(
        reg,
        tmp_path,
        "predictions",
        "p.csv",
        "customer,when,version,score\nC-1,2026-01-01,toy-model@1,0.3\n",
    )
    assert err.problems[0][0] == 1
    assert "unknown column(s) customer, when" in str(err)
    assert "missing required column(s) subject_key, predicted_at" in str(err)
    err = _rejected(
        reg,
        tmp_path,
        "outcomes",
        "o.jsonl",
        '{"subject_key": "a", "observed_at": "2026-01-01", "actual": 1}\n'
        '{"subject_key": "b", "observed_at": "2026-01-01", "actual": 1, "x": 2}\n',
    )
    assert err.problems == [(2, err.problems[0][1])] and "unknown column(s) x" in str(err)


def test_unknown_version_and_model(reg, tmp_path: Path) -> None:
    err = _rejected(
        reg,
        tmp_path,
        "predictions",
        "p.csv",
        "subject_key,predicted_at,version,score\n"
        "C-1,2026-01-01,toy-model@1,0.3\n"
        "C-2,2026-01-01,toy-model@7,0.3\n"
        "C-3,2026-01-01,no-such-model@1,0.3\n"
        "C-4,2026-01-01,toy-model,0.3\n",
    )
    assert [n for n, _ in err.problems] == [3, 4, 5]
    assert "model 'toy-model' has no v7" in err.problems[0][1]
    assert "unknown model 'no-such-model'" in err.problems[1][1]
    assert "must be 'model@number'" in err.problems[2][1]


def test_non_numeric_values(reg, tmp_path: Path) -> None:
    err = _rejected(
        reg,
        tmp_path,
        "outcomes",
        "o.csv",
        "subject_key,observed_at,actual\nC-1,2026-01-01,1\nC-2,2026-01-01,yes\n"
        "C-3,2026-01-01,nan\nC-4,last tuesday,0\n",
    )
    assert err.problems == [
        (3, "actual: 'yes' is not a number"),
        (4, "actual: 'nan' is not a finite number"),
        (5, "observed_at: 'last tuesday' is not an ISO-8601 time such as 2026-03-01T09:30:00Z"),
    ]
    err = _rejected(
        reg,
        tmp_path,
        "executions",
        "e.csv",
        "external_id,version,started_at,rows_scored,status\nr1,toy-model@1,2026-01-01,-5,done\n",
    )
    assert "rows_scored: '-5' is not a whole number ≥ 0" in str(err)
    assert "status: 'done' is not one of succeeded, failed, running, cancelled" in str(err)


def test_duplicated_keys_in_one_file(reg, tmp_path: Path) -> None:
    err = _rejected(
        reg,
        tmp_path,
        "predictions",
        "p.csv",
        "subject_key,predicted_at,version,score\n"
        "C-1,2026-01-01T00:00:00Z,toy-model@1,0.3\n"
        "C-1,2026-01-01T01:00:00+01:00,toy-model@1,0.4\n",
    )
    assert err.problems[0][0] == 3 and "repeats the key of line 2" in err.problems[0][1]
    err = _rejected(
        reg,
        tmp_path,
        "executions",
        "e.csv",
        "external_id,version,started_at\nr1,toy-model@1,2026-01-01\nr1,toy-model@2,2026-01-02\n",
    )
    assert "repeats the key of line 2 (external_id=r1)" in str(err)


def test_empty_files(reg, tmp_path: Path) -> None:
    assert "the file is empty" in str(_rejected(reg, tmp_path, "predictions", "a.csv", ""))
    assert "the file is empty" in str(
        _rejected(reg, tmp_path, "predictions", "b.csv", "subject_key,predicted_at,version,score\n")
    )
    assert "the file is empty" in str(_rejected(reg, tmp_path, "outcomes", "c.jsonl", "\n\n"))
    with pytest.raises(IngestError, match="the file is empty"):
        ingest_records(reg, "outcomes", [])


def test_huge_binary_file_is_refused_without_reading_it(reg, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:  # a 2 GB sparse file: costs no disk, no time
        f.write(b"subject_key,predicted_at,version,score\n")
        f.truncate(2 * 1024**3)
    before = snapshot(reg)
    with pytest.raises(IngestError) as info:
        ingest_file(reg, "predictions", path)
    assert snapshot(reg) == before
    assert info.value.problems[0][0] == 2
    assert "longer than 1024 KiB" in info.value.problems[0][1]


def test_bad_row_after_many_good_batches_rolls_back_everything(reg, tmp_path: Path) -> None:
    n = BATCH_ROWS + 5000  # the first batch has been sent to the database before the bad row
    lines = ["subject_key,predicted_at,version,score"]
    lines += [f"S{i},2026-02-01T00:00:00Z,toy-model@1,0.5" for i in range(n)]
    lines.append("bad,2026-02-01T00:00:00Z,toy-model@1,NOPE")
    err = _rejected(reg, tmp_path, "predictions", "big.csv", "\n".join(lines) + "\n")
    assert err.problems == [(n + 2, "score: 'NOPE' is not a number")]


def test_problems_are_capped(reg, tmp_path: Path) -> None:
    lines = ["subject_key,observed_at,actual"] + [f"S{i},2026-01-01,x" for i in range(500)]
    err = _rejected(reg, tmp_path, "outcomes", "o.csv", "\n".join(lines))
    assert len(err.problems) == 100 and err.stopped
    assert "stopped looking after 100" in str(err) and "… and 80 more" in str(err)


def test_not_utf8_and_bad_json_and_ragged_csv(reg, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("subject_key,observed_at,actual\nJos\xe9,2026-01-01,1\n".encode("latin-1"))
    before = snapshot(reg)
    with pytest.raises(IngestError, match="line 2: is not UTF-8 text"):
        ingest_file(reg, "outcomes", path)
    assert snapshot(reg) == before
    err = _rejected(
        reg,
        tmp_path,
        "outcomes",
        "o.jsonl",
        '{"subject_key": "a", "observed_at": "2026-01-01", "actual": 1}\n{oops\n[1]\n',
    )
    assert [(n, r.split(" (")[0]) for n, r in err.problems] == [
        (2, "is not valid JSON"),
        (3, "is not a JSON object"),
    ]
    err = _rejected(
        reg, tmp_path, "outcomes", "r.csv", "subject_key,observed_at,actual\na,2026-01-01\n"
    )
    assert err.problems == [(2, "has 2 values but the header names 3 columns")]


def test_unknown_kind_and_missing_file(reg, tmp_path: Path) -> None:
    from signoff.core.common.errors import SignoffError

    with pytest.raises(SignoffError, match="unknown ingest kind 'runs'"):
        ingest_records(reg, "runs", [])
    with pytest.raises(IngestError, match="no such file"):
        ingest_file(reg, "outcomes", tmp_path / "nope.csv")


def test_score_is_read_from_structured_outputs(reg) -> None:
    ingest_records(
        reg,
        "predictions",
        [
            {
                "subject_key": "R1",
                "predicted_at": "2026-01-01T00:00:00Z",
                "version": "toy-model@1",
                "output": {"prediction": 12.5},
            },
            {
                "subject_key": "R2",
                "predicted_at": "2026-01-01T00:00:00Z",
                "version": "toy-model@1",
                "output": {"label": "high"},
            },
        ],
    )
    with reg.read() as s:
        scores = dict(s.execute(select(Prediction.subject_key, Prediction.score)).all())
    assert scores == {"R1": 12.5, "R2": None}  # a label alone has no score to monitor
