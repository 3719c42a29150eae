"""Findings, conditional approvals, revalidation and attestations on the command line: the
same rules as the core, refusals with a clear message and exit 2, nothing stored lost."""

from __future__ import annotations

import json
from datetime import date, timedelta

from signoff.cli import main
from tests.helpers.workflow import ALL_CHECKS, add_evidence, add_people, publish_version


def run(home, who, monkeypatch, capsys, *argv):
    monkeypatch.setenv("SIGNOFF_USER", who)
    code = main(["--home", str(home), *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_findings_and_a_conditional_go_live(registry, home, tmp_path, monkeypatch, capsys) -> None:
    cli = lambda who, *a: run(home, who, monkeypatch, capsys, *a)  # noqa: E731
    add_people(registry)
    publish_version(registry, tmp_path)
    soon = (date.today() + timedelta(days=30)).isoformat()
    code, text = cli(
        "alice",
        "findings",
        "raise",
        "credit@1",
        "--title",
        "x",
        "--severity",
        "high",
        "--due",
        soon,
    )
    assert code == 2 and "only a validator or an auditor" in text and "Traceback" not in text
    code, text = cli(
        "val",
        "findings",
        "raise",
        "credit@1",
        "--title",
        "PD drift",
        "--severity",
        "high",
        "--due",
        "31/12/2026",
    )
    assert code == 2 and "must be a date like" in text
    code, text = cli(
        "val",
        "findings",
        "raise",
        "credit@1",
        "--title",
        "PD drift",
        "--severity",
        "high",
        "--due",
        soon,
    )
    assert code == 0 and "finding #1" in text
    assert cli("alice", "submit", "credit@1")[0] == 0
    code, text = cli("val", "approve", "credit@1")
    assert code == 2 and "finding #1 'PD drift' (high, open) blocks" in text
    code, text = cli("alice", "findings", "close", "1")
    assert code == 2 and "separation of duties" in text
    assert cli("alice", "findings", "propose", "1", "-m", "recalibrated")[0] == 0
    code, text = cli("val", "findings", "close", "1")
    assert code == 0 and "remediation proposed → closed" in text
    assert cli("val", "approve", "credit@1")[0] == 0
    assert cli("biz", "approve", "credit@1")[0] == 0
    add_evidence(registry, "credit", 1, ALL_CHECKS)
    from signoff.core.governance.workflow import note_evidence

    with registry.write() as s:
        note_evidence(s, "credit", 1, actor="runner")
    assert (
        cli(
            "val",
            "findings",
            "raise",
            "credit@1",
            "--title",
            "segment gap",
            "--severity",
            "medium",
            "--due",
            soon,
        )[0]
        == 0
    )
    code, text = cli("rel", "approve", "credit@1")
    assert code == 2 and "unless the signature carries it as a condition" in text
    code, text = cli("rel", "approve", "credit@1", "--condition", "2-by-friday")
    assert code == 2 and "give FINDING:DATE" in text
    due = (date.today() + timedelta(days=10)).isoformat()
    assert cli("rel", "approve", "credit@1", "--condition", f"2:{due}")[0] == 0
    assert cli("rel", "go-live", "credit@1")[0] == 0
    code, text = cli("rel", "findings", "ls", "credit", "--json")
    assert [(f["id"], f["status"]) for f in json.loads(text)] == [(1, "closed"), (2, "open")]
    code, text = cli("rel", "findings", "ls", "credit", "--status", "open")
    assert "#2 credit v1 [medium issue] open — segment gap" in text
    # move the clock: the condition goes overdue and raises one alert
    later = (date.today() + timedelta(days=20)).isoformat()
    code, text = cli("val", "findings", "overdue", "--as-of", later, "--alert")
    assert code == 0 and text.count("alert raised") == 1 and "condition overdue" in text
    code, text = cli("val", "findings", "overdue", "--as-of", later, "--alert")
    assert "alert raised" not in text and "condition overdue" in text
    assert "nothing overdue" in cli("val", "findings", "overdue")[1]
    # revalidation: due in a year; a validator signs it with a comment
    year = (date.today() + timedelta(days=380)).isoformat()
    code, text = cli("val", "revalidation", "--as-of", year)
    assert "credit v1 (high, every 12 months): overdue by" in text
    code, text = cli("alice", "revalidate", "credit@1", "-m", "fine")
    assert code == 2 and "author" in text
    before = json.loads(cli("val", "revalidation", "--all", "--json")[1])[0]["last_validated"]
    code, text = cli("val", "revalidate", "credit@1", "-m", "back-tested: still fit")
    assert code == 0 and "revalidate" in text.lower()
    after = json.loads(cli("val", "revalidation", "--all", "--json")[1])[0]["last_validated"]
    assert after > before


def test_attestation_period_on_the_cli(registry, home, tmp_path, monkeypatch, capsys) -> None:
    cli = lambda who, *a: run(home, who, monkeypatch, capsys, *a)  # noqa: E731
    add_people(registry)
    publish_version(registry, tmp_path)
    publish_version(registry, tmp_path, name="fraud")
    due = (date.today() + timedelta(days=30)).isoformat()
    code, text = cli("alice", "attest", "open", "2026-Q4", "--due", due)
    assert code == 2 and "admins only" in text
    assert cli("root", "attest", "open", "2026-Q4", "--due", due)[0] == 0
    code, text = cli("val", "attest", "model", "credit")
    assert code == 2 and "Traceback" not in text
    assert cli("alice", "attest", "model", "credit", "-m", "all true")[0] == 0
    code, text = cli("alice", "attest", "model", "fraud", "--correct", "colour=blue")
    assert code == 2 and "cannot correct colour" in text
    code, text = cli("root", "attest", "progress", "--json")
    progress = json.loads(text)
    verdicts = {m["model"]: m["verdict"] for m in progress["models"]}
    assert verdicts == {"credit": "attested", "fraud": "pending"}
    code, text = cli("root", "attest", "remind")
    assert code == 0 and "1 reminder(s) sent" in text
