"""``signoff check`` and ``signoff reproduce`` on a real registry, exit codes as documented."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from signoff.cli import main
from signoff.core.common.files import sha256_file
from signoff.core.publishing.publisher import publish
from tests.helpers.reproduction import alter_prediction, prediction_id, publish_scored_customers
from tests.helpers.runner_models import write_pickle_model


def test_reproduce_exit_codes_and_report(registry, home, tmp_path, capsys):
    folder, _ = publish_scored_customers(registry, tmp_path)
    pid = prediction_id(registry, "C-1001")
    report = tmp_path / "r.pdf"
    assert main(["--home", str(home), "reproduce", str(pid), "--report", str(report)]) == 0
    out = capsys.readouterr()
    assert "C-1001, credit-limit v1): reproduced" in out.out
    assert "ok compare      the reproduced output matches" in out.err
    assert report.read_bytes().startswith(b"%PDF-")

    assert (
        main(
            [
                "--home",
                str(home),
                "reproduce",
                "--subject",
                "C-1002",
                "--at",
                "2026-03-10T00:00:00Z",
                "--json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "reproduced" and data["subject_key"] == "C-1002"

    alter_prediction(registry, pid, output={"score": 0.9, "label": "decline"})
    assert main(["--home", str(home), "reproduce", str(pid)]) == 1
    out = capsys.readouterr().out
    assert "differs: output.label: recorded 'decline', reproduced 'accept'" in out

    blob = registry.store.path_for(sha256_file(folder / "score.py"))
    os.chmod(blob, 0o644)
    blob.write_text("raise SystemExit('should never run')\n")
    assert main(["--home", str(home), "reproduce", str(pid)]) == 2
    assert "could not run: hash mismatch (score.py)" in capsys.readouterr().out


def test_reproduce_bad_input_is_exit_2_with_a_clear_message(registry, home, tmp_path, capsys):
    publish_scored_customers(registry, tmp_path)
    assert main(["--home", str(home), "reproduce", "4242"]) == 2
    assert "no prediction with id 4242" in capsys.readouterr().err
    assert main(["--home", str(home), "reproduce"]) == 2
    assert "give a PREDICTION id or --subject" in capsys.readouterr().err
    assert main(["--home", str(home), "reproduce", "--subject", "C-1", "--at", "yesterday"]) == 2
    assert "not an ISO 8601 time" in capsys.readouterr().err


def test_check_command_stores_evidence_and_reports(registry, home, tmp_path, capsys, monkeypatch):
    from signoff.core.governance.people import save_person

    publish(registry, write_pickle_model(tmp_path / "m", name="toy"))  # authored by alice
    with registry.write() as s:
        save_person(s, "vera", actor="vera", roles=["validator"])
    monkeypatch.setenv("SIGNOFF_USER", "alice")  # the author may run nothing that counts
    assert main(["--home", str(home), "check", "toy@1"]) == 2
    assert "must be recorded by someone else" in capsys.readouterr().err
    monkeypatch.setenv("SIGNOFF_USER", "vera")
    assert main(["--home", str(home), "check", "toy@1"]) == 0
    out = capsys.readouterr().out
    assert out.count("PASS") == 4 and "reference_outputs" in out
    assert main(["--home", str(home), "check", "toy@1", "--only", "performance", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["check"] == "performance"
    assert main(["--home", str(home), "check", "toy"]) == 2
    assert "name the version" in capsys.readouterr().err
    assert main(["--home", str(home), "check", "toy@7"]) == 2
    assert "has no v7" in capsys.readouterr().err


def test_reproduce_as_a_real_command(registry, home, tmp_path):
    publish_scored_customers(registry, tmp_path)
    pid = prediction_id(registry, "C-2001")
    done = subprocess.run(
        [sys.executable, "-m", "signoff", "--home", str(home), "reproduce", str(pid)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "reproduced" in done.stdout
