"""The streaming chain walk keeps the hash rule and the verdicts of the walk over ORM objects.

The rule is ``sha256(prev_hash + "\\n" + canonical_json(event))``; the walk writes the canonical
JSON of the usual column types out directly, so a property test compares it with ``json.dumps``
itself for any text, integer or null a row may hold, and with the general rule for types a
tampered SQLite row could hold instead. The walk's verdicts are compared with a walk over the
ORM objects of the same chain, intact and after each kind of tampering.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from signoff.core.audit.chain import append_event, event_hash, verify_chain, verify_events
from signoff.core.db.schema import AuditEvent


def reference_hash(prev: str, e: SimpleNamespace) -> str:
    """The rule as first written: a dictionary through json.dumps."""
    body = json.dumps(
        {
            "seq": e.seq,
            "at": e.at.isoformat(timespec="microseconds"),
            "actor": e.actor,
            "action": e.action,
            "entity_type": e.entity_type,
            "entity_id": e.entity_id,
            "model_id": e.model_id,
            "version_id": e.version_id,
            "payload": e.payload,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(f"{prev}\n{body}".encode()).hexdigest()


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
OPTIONAL_ID = st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
ODD_VALUE = st.integers() | st.floats(allow_nan=False) | st.booleans() | st.none() | TEXT


@settings(max_examples=300, deadline=None)
@given(
    seq=st.integers(min_value=0, max_value=2**40),
    at=st.datetimes(),
    actor=TEXT,
    action=TEXT,
    entity_type=TEXT,
    entity_id=TEXT,
    model_id=OPTIONAL_ID,
    version_id=OPTIONAL_ID,
    payload=TEXT,
)
def test_the_hash_of_usual_columns_is_the_json_rule(**fields) -> None:  # noqa: ANN003
    event = SimpleNamespace(**fields)
    assert event_hash("0" * 64, event) == reference_hash("0" * 64, event)


@settings(max_examples=200, deadline=None)
@given(actor=ODD_VALUE, model_id=ODD_VALUE, seq=ODD_VALUE)
def test_a_tampered_row_of_other_types_falls_back_to_the_json_rule(actor, model_id, seq) -> None:  # noqa: ANN001
    event = SimpleNamespace(
        seq=seq,
        at=datetime(2026, 1, 2, 3, 4, 5, 6),
        actor=actor,
        action="a",
        entity_type="t",
        entity_id="1",
        model_id=model_id,
        version_id=None,
        payload="{}",
    )
    assert event_hash("f" * 64, event) == reference_hash("f" * 64, event)


@pytest.fixture
def chain(registry, home):  # noqa: ANN001
    with registry.write() as s:
        for i in range(1, 13):
            append_event(
                s,
                actor='validator ünïcode "quoted" \\ back',
                action="test.event",
                entity_type="test",
                entity_id=i,
                payload={"n": i, "note": f"line\nbreak {i}", "emoji": "✓"},
                model_id=i if i % 2 else None,
            )
    return home / "registry.db"


def orm_walk(session, against=None):  # noqa: ANN001, ANN201
    return verify_events(
        list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq))), against
    )


def test_the_walk_holds_no_objects_and_agrees_with_the_orm_walk(registry, chain) -> None:  # noqa: ANN001
    with registry.read() as s:
        report = verify_chain(s)
        assert len(s.identity_map) == 0  # plain rows, never ORM objects
        assert report.intact and report.events == 12
        assert report == orm_walk(s)
        for against in ((12, report.head_hash), (5, None), (13, "0" * 64), (0, "0" * 64)):
            want = (
                against
                if against[1] is not None
                else (5, s.scalar(select(AuditEvent.hash).where(AuditEvent.seq == 5)))
            )
            assert verify_chain(s, want) == orm_walk(s, want), want
        assert verify_chain(s, (7, "e" * 64)).problem.endswith("the chain was rewritten")


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_events SET actor = 'mallory' WHERE seq = 4",
        "UPDATE audit_events SET actor = 42 WHERE seq = 4",  # SQLite keeps an integer
        "UPDATE audit_events SET model_id = 'x' WHERE seq = 6",
        "UPDATE audit_events SET payload = payload || ' ' WHERE seq = 9",
        "DELETE FROM audit_events WHERE seq = 8",
        "DELETE FROM audit_events WHERE seq >= 10",
    ],
)
def test_each_tampering_gets_the_verdict_of_the_orm_walk(registry, chain, tamper) -> None:  # noqa: ANN001
    with registry.read() as s:
        head = (12, s.scalar(select(AuditEvent.hash).where(AuditEvent.seq == 12)))
    conn = sqlite3.connect(chain)
    for verb in ("update", "delete"):
        conn.execute(f"DROP TRIGGER audit_events_no_{verb}")
    conn.execute(tamper)
    conn.commit()
    conn.close()
    with registry.read() as s:
        streamed, walked = verify_chain(s), orm_walk(s)
        assert streamed == walked
        assert verify_chain(s, head) == orm_walk(s, head)
    if "seq >= 10" in tamper:  # the shorter chain is intact on its own, not against its head
        assert streamed.intact and not verify_chain_against(registry, head).intact
    else:
        assert not streamed.intact


def verify_chain_against(registry, head):  # noqa: ANN001, ANN201
    with registry.read() as s:
        return verify_chain(s, head)
