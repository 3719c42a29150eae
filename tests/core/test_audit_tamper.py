"""Tamper tests: an attacker with DDL rights edits the SQLite file; verify names the break.

The append-only triggers refuse UPDATE and DELETE, so each test first drops them as such an
attacker would, then changes a byte, deletes a middle event, reorders, or truncates.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from signoff.cli import main
from signoff.core.audit.chain import append_event, verify_chain


@pytest.fixture
def chain(registry, home: Path):
    with registry.write() as s:
        for i in range(1, 8):
            append_event(
                s,
                actor="alice",
                action="test.event",
                entity_type="test",
                entity_id=i,
                payload={"n": i, "note": f"event {i}"},
            )
    registry.close()
    return home / "registry.db"


@contextmanager
def attacker(db: Path) -> Iterator[sqlite3.Connection]:
    """A connection with the append-only triggers dropped; commits and closes at the end."""
    conn = sqlite3.connect(db)
    try:
        for verb in ("update", "delete"):
            conn.execute(f"DROP TRIGGER audit_events_no_{verb}")
        yield conn
        conn.commit()
    finally:
        conn.close()


def verify(home: Path, *extra: str, capsys) -> tuple[int, str]:
    code = main(["--home", str(home), "audit", "verify", *extra])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_intact_chain_exits_zero(chain, home, capsys) -> None:
    code, text = verify(home, capsys=capsys)
    assert code == 0 and "intact: 7 events, head #7" in text


def test_triggers_refuse_update_and_delete(chain) -> None:
    conn = sqlite3.connect(chain)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit_events SET actor='mallory' WHERE seq=3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit_events WHERE seq=3")
    conn.close()


def test_changed_byte_is_found(chain, home, capsys) -> None:
    with attacker(chain) as conn:
        conn.execute(
            "UPDATE audit_events SET payload=replace(payload, 'event 4', 'event 5') WHERE seq=4"
        )
    code, text = verify(home, capsys=capsys)
    assert code == 1
    assert "broken at event #4" in text and "altered" in text


def test_changed_actor_is_found(chain, home, capsys) -> None:
    with attacker(chain) as conn:
        conn.execute("UPDATE audit_events SET actor='bob' WHERE seq=2")
    code, text = verify(home, capsys=capsys)
    assert code == 1 and "broken at event #2" in text


def test_deleted_middle_event_is_found(chain, home, capsys) -> None:
    with attacker(chain) as conn:
        conn.execute("DELETE FROM audit_events WHERE seq=5")
    code, text = verify(home, capsys=capsys)
    assert code == 1 and "broken at event #5" in text and "missing" in text


def test_deleted_and_renumbered_is_found(chain, home, capsys) -> None:
    # a careful attacker closes the gap: the previous-hash link still breaks
    with attacker(chain) as conn:
        conn.execute("DELETE FROM audit_events WHERE seq=5")
        for seq in (6, 7):
            conn.execute("UPDATE audit_events SET seq=? WHERE seq=?", (seq - 1, seq))
    code, text = verify(home, capsys=capsys)
    assert code == 1 and "broken at event #5" in text and "previous-hash" in text


def test_reordered_events_are_found(chain, home, capsys) -> None:
    with attacker(chain) as conn:
        conn.execute("UPDATE audit_events SET seq=-1 WHERE seq=3")
        conn.execute("UPDATE audit_events SET seq=3 WHERE seq=4")
        conn.execute("UPDATE audit_events SET seq=4 WHERE seq=-1")
    code, text = verify(home, capsys=capsys)
    assert code == 1 and "broken at event #3" in text


def test_truncated_tail_is_found_against_exported_head(chain, home, tmp_path, capsys) -> None:
    export = tmp_path / "audit.json"
    assert main(["--home", str(home), "audit", "export", str(export)]) == 0
    capsys.readouterr()
    doc = json.loads(export.read_text())
    assert doc["head"]["seq"] == 7 and len(doc["events"]) == 7
    head_file = tmp_path / "audit.json.head.json"
    assert verify(home, "--against", str(head_file), capsys=capsys)[0] == 0
    with attacker(chain) as conn:
        conn.execute("DELETE FROM audit_events WHERE seq>=6")
    code, text = verify(home, capsys=capsys)
    assert code == 0  # without the head the shorter chain looks fine …
    code, text = verify(home, "--against", str(head_file), capsys=capsys)
    assert code == 1 and "broken at event #6" in text and "removed from the tail" in text


def test_rewritten_chain_is_found_against_exported_head(
    chain, home, registry, tmp_path, capsys
) -> None:
    head_file = tmp_path / "head.json"
    assert (
        main(
            [
                "--home",
                str(home),
                "audit",
                "export",
                str(tmp_path / "a.csv"),
                "--head-file",
                str(head_file),
            ]
        )
        == 0
    )
    assert (tmp_path / "a.csv").read_text().startswith("seq,at,actor,action")
    # a superuser rewrites everything from event 3 on with a consistent new chain
    with attacker(chain) as conn:
        conn.execute("DELETE FROM audit_events WHERE seq>=3")
    from signoff.core.db.registry import open_registry

    reg = open_registry(home=home)
    with reg.write() as s:
        for i in range(3, 9):
            append_event(
                s,
                actor="mallory",
                action="test.event",
                entity_type="test",
                entity_id=i,
                payload={"n": i},
            )
        assert verify_chain(s).intact
    reg.close()
    code, text = verify(home, "--against", str(head_file), capsys=capsys)
    assert code == 1 and "broken at event #7" in text and "rewritten" in text


def test_bad_head_file_is_a_clear_error(chain, home, tmp_path, capsys) -> None:
    bad = tmp_path / "head.json"
    bad.write_text('{"seq": "seven"}')
    code, text = verify(home, "--against", str(bad), capsys=capsys)
    assert code == 2 and "not a Signoff audit head" in text


@pytest.mark.parametrize("at", ["2025-02-30 10:00:00.000000", "garbage", 12345, None])
def test_an_unreadable_time_is_named_not_a_crash(chain, home, capsys, at) -> None:
    """An attacker writes a time no calendar has (or no time at all) into an event: verify
    names the event and exits 1, with no traceback."""
    with attacker(chain) as conn:
        if at is None:  # the column is NOT NULL: the attacker rebuilds the row without it
            conn.execute("PRAGMA ignore_check_constraints = ON")
            conn.execute("UPDATE audit_events SET at = '' WHERE seq = 3")
        else:
            conn.execute("UPDATE audit_events SET at = ? WHERE seq = 3", (at,))
    code, text = verify(home, capsys=capsys)
    assert code == 1, text
    assert "broken at event #3" in text and "Traceback" not in text
