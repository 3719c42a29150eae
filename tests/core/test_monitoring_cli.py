"""The command line: signoff ingest … and signoff monitor, as a person runs them."""

from __future__ import annotations

import json
from pathlib import Path

from signoff.cli import main
from tests.helpers.monitoring import feed, make_live


def test_ingest_cli_stores_then_reports_already_stored(
    registry, home: Path, tmp_path: Path, capsys
) -> None:
    make_live(registry, tmp_path)
    path = tmp_path / "o.csv"
    path.write_text("subject_key,observed_at,actual\nA,2026-01-01,1\nB,2026-01-01,0\n")
    assert main(["--home", str(home), "ingest", "outcomes", str(path)]) == 0
    assert "2 row(s) read" in capsys.readouterr().out
    assert main(["--home", str(home), "ingest", "outcomes", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["rows"], out["inserted"], out["already_present"]) == (2, 0, 2)


def test_ingest_cli_rejects_a_bad_file_with_lines_and_exit_2(
    registry, home: Path, tmp_path: Path, capsys
) -> None:
    make_live(registry, tmp_path)
    path = tmp_path / "p.csv"
    path.write_text("subject_key,predicted_at,version,score\nA,2026-01-01,toy-model@1,high\n")
    assert main(["--home", str(home), "ingest", "predictions", str(path)]) == 2
    err = capsys.readouterr().err
    assert "rejected, nothing was stored" in err
    assert "line 2: score: 'high' is not a number" in err


def test_monitor_cli_flags_stale_models(registry, home: Path, tmp_path: Path, capsys) -> None:
    make_live(registry, tmp_path)
    feed(registry, ["good", "bad", "bad"], seed=3)
    assert main(["--home", str(home), "monitor", "--dry-run", "--json"]) == 1
    [row] = json.loads(capsys.readouterr().out)
    assert row["model"] == "toy-model" and row["stale"] and not row["changed"]
    assert row["reasons"][0].startswith("performance: AUC was below baseline")
    assert main(["--home", str(home), "monitor"]) == 1
    out = capsys.readouterr().out
    assert "toy-model  v1" in out and "STALE" in out
    assert "toy-model: performance: AUC was below baseline 0.800" in out
    assert main(["--home", str(home), "ls", "--json"]) == 0
    [model] = json.loads(capsys.readouterr().out)
    assert model["stale"] and model["stale_reason"].startswith("performance:")
