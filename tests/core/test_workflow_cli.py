"""The workflow on the command line: same rules, clear refusals, exit codes."""

from __future__ import annotations

import json

import pytest

from signoff.cli import main
from tests.helpers.workflow import ALL_CHECKS, add_evidence, publish_version


def run(home, who, monkeypatch, capsys, *argv):
    monkeypatch.setenv("SIGNOFF_USER", who)
    code = main(["--home", str(home), *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_cli_walks_a_version_to_live(registry, home, tmp_path, monkeypatch, capsys) -> None:
    cli = lambda who, *a: run(home, who, monkeypatch, capsys, *a)  # noqa: E731
    assert cli("root", "users", "add", "root", "--name", "Rita Root", "--role", "admin")[0] == 0
    for login, role in [
        ("val", "validator"),
        ("biz", "business_owner"),
        ("rel", "release_manager"),
        ("runner", "runner"),
    ]:
        assert cli("root", "users", "add", login, "--role", role)[0] == 0
    code, text = cli("val", "users", "roles", "biz", "viewer")
    assert code == 2 and "val is not an admin" in text
    publish_version(registry, tmp_path)
    assert cli("alice", "submit", "credit@1")[0] == 0
    code, text = cli("alice", "approve", "credit@1")
    assert code == 2 and "author never signs" in text
    code, text = cli("val", "reject", "credit@1")
    assert code == 2 and "a reason is required" in text
    code, text = cli("val", "approve", "credit@1", "-m", "fine")
    assert code == 0 and "Approve as validator (still in review)" in text
    assert cli("biz", "approve", "credit@1")[0] == 0
    add_evidence(registry, "credit", 1, ALL_CHECKS)
    code, text = cli("rel", "approvals", "credit@1")
    assert "Victor" not in text and "val" in text and "approved" in text
    code, text = cli("rel", "reviews", "--json")
    assert json.loads(text) == []  # approved, waiting for the checks' verdict to be noted
    from signoff.core.governance.workflow import note_evidence

    with registry.write() as s:
        note_evidence(s, "credit", 1, actor="runner")
    code, text = cli("rel", "reviews", "--json")
    assert [(r["model"], r["gate"]) for r in json.loads(text)] == [("credit", "go_live")]
    assert cli("rel", "approve", "credit@1")[0] == 0
    code, text = cli("rel", "go-live", "credit@1")
    assert code == 0 and "ready → live" in text
    code, text = cli("rel", "approvals", "credit@1", "--json")
    assert json.loads(text)["state"] == "live"


def test_policy_cli(registry, home, monkeypatch, capsys) -> None:
    cli = lambda who, *a: run(home, who, monkeypatch, capsys, *a)  # noqa: E731
    code, text = cli("root", "policy", "show")
    assert "high: the built-in high-tier policy" in text
    assert "validator and business owner" in text and "business_owner" not in text
    code, text = cli("root", "policy", "set", "low", "--checks", "reference_outputs,environment")
    assert code == 0 and "revision 1" in text
    code, text = cli("root", "policy", "set", "low", "--go-live", "author")
    assert code == 2 and "author cannot sign" in text
    code, text = cli("root", "policy", "show", "--json")
    low = [p for p in json.loads(text) if p["risk_tier"] == "low"][0]
    assert low["revision"] == 1 and low["checks"] == ["reference_outputs", "environment"]


def test_the_risk_tier_changes_only_by_decision_of_an_admin_or_business_owner(
    registry, home, tmp_path, monkeypatch, capsys
) -> None:
    from tests.helpers.folders import write_model_folder
    from tests.helpers.workflow import add_people

    cli = lambda who, *a: run(home, who, monkeypatch, capsys, *a)  # noqa: E731
    add_people(registry)
    publish_version(registry, tmp_path)
    code, text = cli("alice", "tier", "credit", "low", "--reason", "cheaper review")
    assert code == 2 and "only an admin or a business owner" in text
    low = write_model_folder(
        tmp_path / "low", name="credit", author="alice", tier="low", weights='{"a": 0.9, "b": 0.0}'
    )
    code, text = cli("alice", "publish", str(low))
    assert code == 2 and "risk tier is changed only by an admin or its business owner" in text
    code, text = cli("biz", "tier", "credit", "medium", "--reason", "scope reduced to one region")
    assert code == 0 and "high → medium" in text
    with pytest.raises(SystemExit) as refused:  # argparse: a reason is required
        cli("biz", "tier", "credit", "low")
    assert refused.value.code == 2
    with registry.read() as s:
        from sqlalchemy import select

        from signoff.core.db.schema import AuditEvent

        event = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "model.risk_tier_changed")
        ).one()
        assert event.actor == "biz" and "scope reduced" in event.payload
