"""The case file headless: campaigns, reports checked later, data locations, a subject's
history, the version live on a date and a version diff, each with its bad inputs."""

from __future__ import annotations

import json

import pytest

from signoff.cli import main
from tests.helpers.campaigns import (
    LAKE_PREFIX,
    build_campaign_registry,
    plant_difference,
    prediction_row,
)


@pytest.fixture
def month(registry, tmp_path):
    return build_campaign_registry(registry, tmp_path, per_model=40)


def run(home, capsys, *argv: str) -> tuple[int, str, str]:  # noqa: ANN001
    code = main(["--home", str(home), *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_audit_sample_lists_exceptions_and_writes_the_report(
    registry, month, home, tmp_path, capsys
):
    code, out, _ = run(
        home,
        capsys,
        "audit",
        "sample",
        "--from",
        "2026-08-01",
        "--to",
        "2026-08-31",
        "--n",
        "30",
        "--seed",
        "cli",
        "--json",
    )
    first = json.loads(out)
    assert code == 0 and first["reproduced"] == 30 and first["status"] == "finished"
    assert first["exceptions"] == []
    victim = _drawn(registry, first["id"])[0]
    plant_difference(registry, victim)
    report = tmp_path / "campaign.pdf"
    code, out, err = run(
        home,
        capsys,
        "audit",
        "sample",
        "--from",
        "2026-08-01",
        "--to",
        "2026-08-31",
        "--n",
        "30",
        "--seed",
        "cli",
        "--report",
        str(report),
    )
    assert code == 1
    assert "29 reproduced, 1 differs, 0 could not run" in out
    assert f"EXCEPTION prediction {victim}" in out and "differs: output.label" in out
    assert "re-run:" in err  # progress on stderr
    assert report.read_bytes().startswith(b"%PDF-")
    code, out, _ = run(home, capsys, "audit", "verify-report", str(report))
    assert code == 0 and "verified: audit chain intact" in out
    assert "the PDF of a campaign report (campaign #2)" in out
    report.write_bytes(report.read_bytes() + b"\n")
    code, _, err = run(home, capsys, "audit", "verify-report", str(report))
    assert code == 1 and "is recorded by no report.stored event" in err

    code, out, _ = run(home, capsys, "audit", "campaigns")
    assert code == 0 and out.splitlines()[0].startswith("#2") and "#1" in out.splitlines()[1]
    stored = tmp_path / "again.html"
    code, out, _ = run(home, capsys, "audit", "campaign", "2", "--report", str(stored))
    assert code == 0 and "campaign #2 (finished)" in out and "<!DOCTYPE html>" in stored.read_text()
    code, _, _ = run(home, capsys, "audit", "verify-report", str(stored))
    assert code == 0


def _drawn(registry, campaign_id: int) -> list[int]:  # noqa: ANN001
    from signoff.core.reproduction.campaigns import campaign_items

    with registry.read() as session:
        return [i.prediction_id for i in campaign_items(session, campaign_id)]


def test_bad_campaign_input_exits_2_and_stores_nothing(registry, month, home, capsys):
    for argv, message in (
        (["--from", "2026-08-31", "--to", "2026-08-01"], "before it starts"),
        (["--from", "August", "--to", "2026-08-31"], "is not an ISO 8601 date"),
        (["--from", "2026-08-01", "--to", "2026-08-31", "--n", "0"], "between 1 and"),
        (["--from", "2026-08-01", "--to", "2026-08-31", "--model", "ghost"], "no model called"),
        (["--from", "2025-01-01", "--to", "2025-01-31"], "nothing to sample"),
        (["--from", "2026-08-01", "--to", "2026-08-31", "--workers", "0"], "at least 1"),
    ):
        code, _, err = run(home, capsys, "audit", "sample", *argv)
        assert code == 2 and message in err, (argv, err)
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "--home",
                str(home),
                "audit",
                "sample",
                "--from",
                "2026-08-01",
                "--to",
                "2026-08-31",
                "--model",
                "limit-a",
                "--tier",
                "high",
            ]
        )
    assert exc.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    code, out, _ = run(home, capsys, "audit", "campaigns")
    assert code == 0 and "no audit campaign is stored yet" in out
    code, _, err = run(home, capsys, "audit", "campaign", "9")
    assert code == 2 and "no audit campaign #9" in err
    code, _, err = run(home, capsys, "audit", "verify-report", "missing.pdf")
    assert code == 2 and "does not exist" in err


def test_data_locations_command(registry, month, home, tmp_path, capsys, monkeypatch):
    from signoff.core.governance.people import save_person

    code, out, _ = run(home, capsys, "data-locations", "ls")
    assert code == 0 and f"{LAKE_PREFIX}  ->  {month.lake}" in out
    folder = tmp_path / "mirror"
    folder.mkdir()
    monkeypatch.setenv("SIGNOFF_USER", "root-ish")
    code, out, _ = run(home, capsys, "data-locations", "add", str(folder), "--prefix", "s3://x/")
    assert code == 0 and f"under s3://x/ are read from {folder}" in out  # no admin yet
    with registry.write() as session:
        save_person(session, "frank", actor="frank", roles=["admin"])
    code, _, err = run(home, capsys, "data-locations", "remove", "s3://x/")
    assert code == 2 and "root-ish is not an admin" in err
    monkeypatch.setenv("SIGNOFF_USER", "frank")
    code, out, _ = run(home, capsys, "data-locations", "remove", "s3://x/")
    assert code == 0 and "removed the data location s3://x/" in out
    code, _, err = run(home, capsys, "data-locations", "remove", "s3://x/")
    assert code == 2 and "no data location has the prefix s3://x/" in err
    code, _, err = run(home, capsys, "data-locations", "add", str(tmp_path / "absent"))
    assert code == 2 and "is not a folder" in err
    code, out, _ = run(home, capsys, "data-locations", "ls", "--json")
    assert json.loads(out) == [{"prefix": LAKE_PREFIX, "folder": str(month.lake)}]


def test_history_live_at_and_diff(registry, month, home, capsys):
    code, out, _ = run(home, capsys, "history", "LIMIT-A-0001")
    assert code == 0 and "1 prediction(s) for LIMIT-A-0001" in out
    assert "limit-a v1" in out and f"by reference {LAKE_PREFIX}limit-a/august.jsonl#1" in out
    code, out, _ = run(home, capsys, "history", "LIMIT-A-0001", "--json")
    row = json.loads(out)[0]
    assert row["model"] == "limit-a" and row["version"] == 1 and row["outcome"] is None
    code, _, err = run(home, capsys, "history", "NOBODY")
    assert code == 2 and "no prediction is recorded for subject 'NOBODY'" in err
    code, _, err = run(home, capsys, "history", "LIMIT-A-0001", "--model", "ghost")
    assert code == 2 and "no model called 'ghost'" in err

    code, out, _ = run(home, capsys, "live-at", "limit-a", "2026-08-20")
    assert code == 0 and "limit-a v2 was live in production at 2026-08-20 00:00" in out
    code, out, _ = run(home, capsys, "live-at", "limit-a", "2026-08-10T12:00", "--json")
    data = json.loads(out)
    assert data["version"] == 1 and data["live_to"] == "2026-08-16T00:00:00"
    code, out, _ = run(home, capsys, "live-at", "limit-a", "2026-07-01")
    assert code == 1 and "no version of limit-a was live" in out
    code, _, err = run(home, capsys, "live-at", "limit-a", "yesterday")
    assert code == 2 and "is not an ISO 8601" in err

    code, out, _ = run(home, capsys, "diff", "limit-a@1", "limit-a@2")
    assert code == 0 and "2 of 6 dimensions differ" in out
    assert "changed  model_object" in out and '+{"score": 0.24' in out
    code, out, _ = run(home, capsys, "diff", "limit-a@1", "limit-a@2", "--json")
    data = json.loads(out)
    changed = {d["name"]: d for d in data["dimensions"] if d["status"] != "same"}
    assert set(changed) == {"model.pkl", "reference outputs"}
    assert changed["reference outputs"]["diff"].startswith("--- left/reference outputs")
    assert "binary" in changed["model.pkl"]["note"]
    for argv, message in (
        (["limit-a@1", "limit-b@2"], "two versions of one model"),
        (["limit-a@1", "limit-a@1"], "name two different versions"),
        (["limit-a", "limit-a@2"], "name the version"),
        (["limit-a@1", "limit-a@9"], "has no v9"),
    ):
        code, _, err = run(home, capsys, "diff", *argv)
        assert code == 2 and message in err, (argv, err)


def test_prediction_row_helper_is_detached(registry, month):
    row = prediction_row(registry, 1)
    assert row.subject_key == "LIMIT-A-0000"
