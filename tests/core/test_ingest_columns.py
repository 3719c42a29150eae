"""The column-wise path for CSV predictions stores exactly what the row-by-row path stores.

Each file is ingested twice into fresh registries, once as shipped and once with the column
path turned off, and the stored rows, the results and the refusals must be the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from signoff.core.db.registry import open_registry
from signoff.core.db.schema import Prediction
from signoff.core.ingest import columns, scan
from signoff.core.ingest.records import BATCH_ROWS, IngestError, ingest_file
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder

HEADER = "subject_key,predicted_at,version,score,input_ref,input_sha256\n"
SHA = "ab" * 32

FILES = {
    "plain": HEADER + f"A,2026-03-02T09:00:00Z,toy-model@1,0.25,s3://x,{SHA}\n",
    "blanks to trim": HEADER + f" A ,2026-03-02T09:00:00Z,toy-model@1,0.25, s3://x ,{SHA}\n",
    "upper-case hash": HEADER + f"A,2026-03-02T09:00:00Z,toy-model@1,0.25,,{SHA.upper()}\n",
    "offset before Z and no Z": HEADER
    + "A,2026-03-02T09:00:00+01:00,toy-model@1,0.25,,\n"
    + "B,2026-03-02 09:00:00,toy-model@1,1e-3,,\n",
    "quoted comma and line break": HEADER
    + 'A,2026-03-02T09:00:00Z,toy-model@1,0.5,"s3://a,b",\n'
    + '"B\nC",2026-03-02T09:00:00Z,toy-model@1,0.5,,\n'
    + "D,2026-03-02T09:00:00Z,toy-model@1,0.5,,\n",
    "unicode and a bidi override": HEADER
    + "Zoë,2026-03-02T09:00:00Z,toy-model@1,0.5,,\n"
    + "ab\u202ecd,2026-03-02T09:00:00Z,toy-model@1,0.5,,\n",
    "bad number and unknown version": HEADER
    + "A,2026-03-02T09:00:00Z,toy-model@1,NaN,,\n"
    + "B,2026-03-02T09:00:00Z,toy-model@7,0.5,,\n"
    + "C,2026-03-02T09:00:00Z,toy-model@1,,,\n",
    "repeated key": HEADER
    + "A,2026-03-02T09:00:00Z,toy-model@1,0.5,,\n"
    + "B,2026-03-02T09:00:00Z,toy-model@1,0.5,,\n"
    + "A,2026-03-02T09:00:00Z,toy-model@1,0.7,,\n",
    "crlf and a bom": "\ufeff"
    + HEADER.replace("\n", "\r\n")
    + "A,2026-03-02T09:00:00Z,toy-model@1,0.5,,\r\n",
    "model column": "subject_key,predicted_at,model,version,score\n"
    + "A,2026-03-02T09:00:00Z,toy-model,1,0.5\n"
    + "B,2026-03-02T09:00:00Z,toy-model,v1,0.5\n",
    "lifetime: before the version": HEADER + "A,2001-01-01T00:00:00Z,toy-model@1,0.5,,\n",
    # the second repeats a key of the first batch: found across batches
    "many rows": HEADER
    + "".join(f"S{i},2030-01-01T00:00:{i % 60:02d}Z,toy-model@1,0.{i},,\n" for i in range(2500))
    + "S7,2030-01-01T00:00:07Z,toy-model@1,0.1,,\n",
}


def _stored(home: Path, tmp_path: Path, text: str) -> tuple[object, list[tuple]]:
    registry = open_registry(home=home)
    registry.set_actor_for_embedded("tester")
    publish(registry, write_model_folder(home.parent / f"{home.name}-model"))
    path = tmp_path / f"{home.name}.csv"
    path.write_bytes(text.encode())
    try:
        result: object = ingest_file(registry, "predictions", path).to_json()
    except IngestError as exc:
        result = (exc.problems, exc.stopped)
    with registry.read() as s:
        rows = [
            (p.subject_key, p.predicted_at, p.version_id, p.input_ref, p.input_sha256)
            + (p.output, p.score, p.outside_lifetime)
            for p in s.scalars(select(Prediction).order_by(Prediction.id))
        ]
    registry.close()
    return result, rows


@pytest.mark.parametrize("name", list(FILES))
def test_column_path_stores_what_the_row_path_stores(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan, "BATCH_ROWS", 1000)  # several batches for "many rows"
    monkeypatch.setattr("signoff.core.ingest.records.BATCH_ROWS", 1000)
    used = []
    convert = columns.PredictionColumns.convert

    def spy(self, rows):  # noqa: ANN001, ANN202
        batch = convert(self, rows)
        used.append(batch is not None)
        return batch

    monkeypatch.setattr(columns.PredictionColumns, "convert", spy)
    fast = _stored(tmp_path / "fast", tmp_path, FILES[name])
    monkeypatch.setattr(columns.PredictionColumns, "handles", staticmethod(lambda header: False))
    slow = _stored(tmp_path / "slow", tmp_path, FILES[name])
    for result in (fast[0], slow[0]):
        if isinstance(result, dict):
            result.pop("source")
    assert fast == slow
    if name == "plain":
        assert used == [True]  # the column path did the work


def test_batch_rows_is_what_the_scan_uses() -> None:
    assert scan.BATCH_ROWS == BATCH_ROWS
