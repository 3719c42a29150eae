"""Reproducing a prediction recorded by reference: the record supplied by the auditor, or read
read-only from a configured data location, and always checked against its recorded hash."""

from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import func, select

from signoff.cli import main
from signoff.core.db.schema import AuditEvent, Prediction
from signoff.core.reproduction.datalocations import (
    add_data_location,
    configured_locations,
    remove_data_location,
)
from signoff.core.reproduction.inputs import (
    DATA_LOCATION,
    STORED,
    SUPPLIED,
    DataLocation,
    InputFileError,
    RecordReader,
    RecordUnavailable,
    location_for,
    read_supplied_input,
)
from signoff.core.reproduction.reproduce import COULD_NOT_RUN, REPRODUCED, reproduce
from tests.helpers.campaigns import LAKE_PREFIX, build_campaign_registry, plant_altered_lake_record


@pytest.fixture
def lake_registry(registry, tmp_path):
    built = build_campaign_registry(registry, tmp_path, per_model=10)
    return registry, built.lake


def _by_reference(registry) -> Prediction:  # noqa: ANN001
    with registry.read() as session:
        found = session.scalars(
            select(Prediction).where(Prediction.input_record.is_(None)).order_by(Prediction.id)
        ).first()
        session.expunge(found)
        return found


def _events(registry) -> int:  # noqa: ANN001
    with registry.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent))


def test_a_prediction_recorded_by_reference_is_read_from_its_data_location(lake_registry):
    registry, _lake = lake_registry
    p = _by_reference(registry)
    assert p.input_ref.startswith(LAKE_PREFIX) and p.input_sha256
    repro = reproduce(registry, p.id)
    assert repro.verdict == REPRODUCED, repro.headline
    assert (repro.input_source, repro.input_where) == (DATA_LOCATION, p.input_ref)
    assert repro.input_sha256_computed == p.input_sha256
    stored = reproduce(registry, p.id - 1)  # its neighbour carries the record itself
    assert stored.input_source == STORED and stored.verdict == REPRODUCED


def test_supplied_input_that_matches_reproduces(lake_registry, tmp_path):
    registry, lake = lake_registry
    p = _by_reference(registry)
    line = int(p.input_ref.rsplit("#", 1)[1])
    record = (lake / "limit-a" / "august.jsonl").read_text().splitlines()[line - 1]
    supplied = tmp_path / "record.json"
    supplied.write_text(json.dumps(json.loads(record), indent=2))  # other spacing, same record
    repro = reproduce(registry, p.id, input_file=supplied, locations=[])
    assert repro.verdict == REPRODUCED, repro.headline
    assert (repro.input_source, repro.input_where) == (SUPPLIED, str(supplied))
    whole_file = reproduce(registry, p.id, input_file=f"{lake / 'limit-a' / 'august.jsonl'}#{line}")
    assert whole_file.verdict == REPRODUCED


def test_an_altered_supplied_input_is_refused_with_both_hashes(lake_registry, tmp_path):
    registry, _lake = lake_registry
    p = _by_reference(registry)
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps({"income": 99999, "debt": 1}))
    repro = reproduce(registry, p.id, input_file=altered)
    assert repro.verdict == COULD_NOT_RUN and repro.exit_code == 2
    assert "input hash mismatch" in repro.reason
    assert p.input_sha256 in repro.reason and repro.input_sha256_computed in repro.reason
    assert repro.input_sha256_computed != p.input_sha256
    assert repro.run is None and "run" not in repro.steps  # nothing was scored
    assert repro.findings[0].startswith("the reproduction could not run: input hash mismatch")
    with registry.read() as session:
        payload = session.scalars(
            select(AuditEvent.payload).where(AuditEvent.action == "prediction.reproduced")
        ).all()[-1]
    assert json.loads(payload)["verdict"] == COULD_NOT_RUN


def test_a_missing_or_unreadable_supplied_input_is_a_clear_error_and_nothing_is_recorded(
    lake_registry, tmp_path
):
    registry, _lake = lake_registry
    p = _by_reference(registry)
    before = _events(registry)
    with pytest.raises(InputFileError, match="does not exist"):
        reproduce(registry, p.id, input_file=tmp_path / "nowhere.json")
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(InputFileError, match="not a record"):
        reproduce(registry, p.id, input_file=tmp_path / "list.json")
    (tmp_path / "broken.json").write_text("{income: 1")
    with pytest.raises(InputFileError, match="not JSON"):
        reproduce(registry, p.id, input_file=tmp_path / "broken.json")
    (tmp_path / "two.jsonl").write_text('{"a": 1}\n{"a": 2}\n')
    with pytest.raises(InputFileError, match="name the record's line"):
        read_supplied_input(tmp_path / "two.jsonl")
    with pytest.raises(InputFileError, match="has 2 lines, not line 5"):
        read_supplied_input(f"{tmp_path / 'two.jsonl'}#5")
    assert read_supplied_input(f"{tmp_path / 'two.jsonl'}#2")[0] == {"a": 2}
    assert _events(registry) == before


def test_without_a_record_or_a_data_location_it_says_how_to_supply_one(lake_registry):
    registry, _lake = lake_registry
    p = _by_reference(registry)
    repro = reproduce(registry, p.id, locations=[])
    assert repro.verdict == COULD_NOT_RUN
    assert f"its reference {p.input_ref} is under no configured data location" in repro.reason
    assert "supply the record" in repro.reason


def test_an_altered_or_missing_lake_record_is_caught(lake_registry):
    registry, lake = lake_registry
    p = _by_reference(registry)
    line = int(p.input_ref.rsplit("#", 1)[1])
    plant_altered_lake_record(lake / "limit-a" / "august.jsonl", line)
    repro = reproduce(registry, p.id)
    assert repro.verdict == COULD_NOT_RUN and "input hash mismatch" in repro.reason
    assert f"the record read from {p.input_ref} hashes to" in repro.reason
    assert p.input_sha256 in repro.reason
    (lake / "limit-a" / "august.jsonl").unlink()
    gone = reproduce(registry, p.id)
    assert gone.verdict == COULD_NOT_RUN and "no such file in the data location" in gone.reason


def test_references_never_leave_their_data_location(tmp_path):
    lake, outside = tmp_path / "lake", tmp_path / "secret.json"
    lake.mkdir()
    outside.write_text('{"password": "x"}')
    (lake / "rec.jsonl").write_text('{"a": 1}\n')
    os.symlink(outside, lake / "link.json")
    reader = RecordReader([DataLocation("lake://", lake)])
    assert reader.read("lake://rec.jsonl#1")[0] == {"a": 1}
    # a file:// reference under a folder configured by itself
    own = RecordReader([DataLocation(lake.resolve().as_uri() + "/", lake)])
    assert own.read(f"{lake.resolve().as_uri()}/rec.jsonl#1")[0] == {"a": 1}
    with pytest.raises(RecordUnavailable, match="under no configured data location"):
        own.read(outside.resolve().as_uri())
    for ref, message in (
        ("lake://../secret.json", "does not name a file inside"),
        ("lake://%2E%2E/secret.json", "does not name a file inside"),
        ("lake://link.json", "leads out of the data location"),
        ("lake://rec.jsonl#2", "the file has 1 lines, not 2"),
        ("lake://rec.jsonl#x", "is not a line number"),
        ("other://rec.jsonl#1", "under no configured data location"),
    ):
        with pytest.raises(RecordUnavailable, match=message):
            reader.read(ref)


def test_the_longest_prefix_wins_and_locations_are_audited(registry, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    general = add_data_location(registry, str(tmp_path / "a"), "s3://lake/", actor="frank")
    special = add_data_location(registry, (tmp_path / "b").as_uri(), "s3://lake/fraud/")
    locations = configured_locations(registry)
    assert location_for(locations, "s3://lake/fraud/x.jsonl#1") == special
    assert location_for(locations, "s3://lake/credit/x.jsonl#1") == general
    own = add_data_location(registry, str(tmp_path / "a"))
    assert own.prefix == (tmp_path / "a").resolve().as_uri() + "/"
    assert remove_data_location(registry, "s3://lake/fraud/") is True
    assert remove_data_location(registry, "s3://lake/fraud/") is False
    with registry.read() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity_id == "data_locations")
        ).all()
    assert actions == ["data_locations.changed"] * 4
    with pytest.raises(Exception, match="is not a folder"):
        add_data_location(registry, str(tmp_path / "missing"))


def test_reproduce_command_with_input(lake_registry, home, tmp_path, capsys):
    registry, lake = lake_registry
    p = _by_reference(registry)
    line = int(p.input_ref.rsplit("#", 1)[1])
    good = f"{lake / 'limit-a' / 'august.jsonl'}#{line}"
    assert main(["--home", str(home), "reproduce", str(p.id), "--input", good]) == 0
    assert f"input: {SUPPLIED} ({good})" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text('{"income": 1, "debt": 2}')
    assert main(["--home", str(home), "reproduce", str(p.id), "--input", str(bad)]) == 2
    out = capsys.readouterr().out
    assert "input hash mismatch" in out and p.input_sha256 in out
    assert main(["--home", str(home), "reproduce", str(p.id), "--input", "missing.json"]) == 2
    captured = capsys.readouterr()
    assert "the input file missing.json does not exist" in captured.err
    assert "Traceback" not in captured.err
