"""``signoff consumers …`` and ``signoff alerts …`` as a person runs them: records kept field by
field, bad input exits 2 with the reason, the migration table, alerts and a test e-mail sent
through a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from signoff.cli import main
from signoff.core.governance.workflow import run_transition
from signoff.core.notifications.fanout import fan_out_alerts
from tests.helpers.smtp import PASSWORD, USER, SmtpServer
from tests.helpers.workflow import add_people, publish_version


def run(home: Path, *args: str) -> int:
    return main(["--home", str(home), *args])


@pytest.fixture
def reg(registry, tmp_path):
    add_people(registry)
    publish_version(registry, tmp_path)
    return registry


def test_consumer_records_change_field_by_field(reg, home, capsys) -> None:
    assert run(home, "consumers", "add", "credit", "billing", "--kind", "online",
               "--contact", "Ann, ext 42", "--email", "billing@example.org") == 0  # fmt: skip
    assert run(home, "consumers", "add", "credit", "billing", "--pin", "1") == 0
    assert run(home, "consumers", "add", "credit", "reports") == 0
    capsys.readouterr()
    assert run(home, "consumers", "show", "billing", "--json") == 0
    shown = json.loads(capsys.readouterr().out)["models"][0]
    assert (shown["kind"], shown["contact"], shown["email"]) == (
        "online",
        "Ann, ext 42",
        "billing@example.org",
    )  # re-pinning kept them
    assert shown["pinned_version"] == 1 and shown["uses"] == "pinned to v1"
    assert run(home, "consumers", "update", "credit", "billing", "--follow-live") == 0
    assert run(home, "consumers", "update", "credit", "reports", "--email", "r@example.org") == 0
    assert run(home, "consumers", "remove", "credit", "reports") == 0
    capsys.readouterr()
    assert run(home, "consumers", "ls") == 0
    listed = capsys.readouterr().out
    assert "billing" in listed and "follows live" in listed and "reports" not in listed
    assert run(home, "consumers", "ls", "--all") == 0
    assert "(removed)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["consumers", "show", "nobody"], "no consumer called 'nobody'"),
        (["consumers", "update", "credit", "ghost", "--kind", "x"], "has no consumer 'ghost'"),
        (["consumers", "update", "credit", "billing"], "nothing to change"),
        (["consumers", "update", "credit", "billing", "--email", "not-an-address"], "e-mail"),
        (["consumers", "update", "credit", "billing", "--pin", "9"], "9"),
        (["consumers", "ack", "credit", "billing", "1", "--note", "phone"], "not marked do not"),
        (["consumers", "ack", "credit", "billing", "1", "--note", " "], "how the consumer"),
        (["consumers", "migration", "no-such-model"], "no-such-model"),
        (["alerts", "smtp", "--port", "70000"], "--port"),
        (["alerts", "smtp", "--sender", "nobody"], "--sender"),
    ],
)
def test_bad_input_exits_2_with_the_reason(reg, home, capsys, args, message) -> None:
    assert run(home, "consumers", "add", "credit", "billing") == 0
    capsys.readouterr()
    assert run(home, *args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_migration_ack_and_alerts(reg, home, tmp_path, capsys) -> None:
    assert run(home, "consumers", "add", "credit", "billing", "--pin", "1") == 0
    assert run(home, "consumers", "add", "credit", "reports") == 0
    run_transition(reg, "do_not_use", "credit", 1, actor="val", comment="leaks the label")
    assert run(home, "consumers", "ack", "credit", "reports", "1", "--note", "call, Ann") == 0
    assert run(home, "consumers", "ack", "credit", "reports", "1", "--note", "again") == 0
    out = capsys.readouterr().out
    assert "reports acknowledged" in out and "had already acknowledged" in out
    assert run(home, "consumers", "migration", "credit", "--json") == 0
    rows = {r["consumer"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["billing"]["status"] == "still pinned" and not rows["billing"]["acknowledged"]
    assert rows["reports"]["acknowledged_via"] == "admin"
    assert run(home, "consumers", "migration") == 0
    table = capsys.readouterr().out
    assert "still pinned" in table and "admin" in table

    fan_out_alerts(reg)
    assert run(home, "alerts", "ls", "--everyone", "--json") == 0
    everyone = json.loads(capsys.readouterr().out)
    dnu = next(a for a in everyone if a["kind"] == "do_not_use")
    assert "alice" in dnu["people"] and dnu["title"] == "credit v1 was marked do not use"
    assert any(a["kind"] == "acknowledged" for a in everyone)


def test_smtp_setting_and_test_mail(reg, home, tmp_path, capsys, monkeypatch) -> None:
    server = SmtpServer(tmp_path)
    try:
        monkeypatch.setenv("SIGNOFF_SMTP_PASSWORD", PASSWORD)
        assert run(home, "alerts", "smtp", "--host", "127.0.0.1", "--port", str(server.port),
                   "--sender", "signoff@example.org", "--username", USER,
                   "--cafile", str(server.cert), "--test", "ops@example.org") == 0  # fmt: skip
        assert "test e-mail sent" in capsys.readouterr().out
        assert [m["Subject"] for m in server.mailbox.to("ops@example.org")] == [
            "[Signoff] test e-mail"
        ]
        monkeypatch.setenv("SIGNOFF_SMTP_PASSWORD", "wrong")
        assert run(home, "alerts", "smtp", "--test", "ops@example.org") == 2
        assert "535" in capsys.readouterr().err
    finally:
        server.stop()


def test_ingest_warns_of_use_after_the_notice_and_stores_it(reg, home, tmp_path, capsys) -> None:
    run_transition(reg, "do_not_use", "credit", 1, actor="val", comment="leaks the label")
    path = tmp_path / "runs.jsonl"
    path.write_text(
        json.dumps(
            {
                "external_id": "late-1",
                "version": "credit@1",
                "consumer": "billing",
                "started_at": "2099-01-01T00:00:00Z",
                "rows_scored": 500,
                "status": "succeeded",
            }
        )
        + "\n"
    )
    assert run(home, "ingest", "executions", str(path)) == 0
    captured = capsys.readouterr()
    assert "signoff: warning: credit v1 is marked do not use" in captured.err
    assert "consumer 'billing'" in captured.err and "500 rows scored" in captured.err
    assert run(home, "ls", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    credit = next(r for r in rows if r["name"] == "credit")
    assert credit["dnu_used"] is True
