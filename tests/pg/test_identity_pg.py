"""On PostgreSQL the database stamps the actor and the hash chain; a client cannot forge either."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from signoff.core.audit.chain import append_event, event_hash, verify_chain
from signoff.core.db.schema import AuditEvent

pytestmark = pytest.mark.postgres

AWKWARD = {
    "note": 'quote " backslash \\ newline \n tab \t bell \x07 é ü 中文 😀 \u2028',
    "n": 3,
    "nested": {"b": [1, 2.5, None, True], "a": "x"},
}


def test_database_hash_matches_the_python_verifier(pg_registry) -> None:
    with pg_registry.write() as s:
        append_event(
            s,
            actor="signoff_ci",
            action="test.awkward",
            entity_type="test",
            entity_id="ü/1",
            payload=AWKWARD,
        )
        append_event(
            s,
            actor="signoff_ci",
            action="test.plain",
            entity_type="test",
            entity_id=2,
            payload={},
            model_id=None,
            version_id=7,
        )
    with pg_registry.read() as s:
        events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        assert [e.seq for e in events] == [1, 2]
        assert events[1].prev_hash == events[0].hash
        for prev, event in zip(["0" * 64, events[0].hash], events, strict=True):
            assert event_hash(prev, event) == event.hash
        assert verify_chain(s).intact


def test_client_cannot_claim_another_actor(pg_registry) -> None:
    with pg_registry.write() as s:
        append_event(
            s, actor="alice-the-impostor", action="test.claim", entity_type="test", entity_id=1
        )
    with pg_registry.read() as s:
        event = s.scalars(select(AuditEvent)).one()
        assert event.actor == "signoff_ci"  # the login that really connected
        assert verify_chain(s).intact


def test_client_cannot_forge_hash_or_sequence(pg_registry) -> None:
    with pg_registry.write() as s:
        s.execute(
            text(
                "INSERT INTO audit_events (seq, at, actor, action, entity_type, entity_id, "
                "payload, prev_hash, hash) VALUES (99, '2000-01-01', 'mallory', 'forged', "
                "'x', '1', '{}', "
                "'abc', 'def')"
            )
        )
    with pg_registry.read() as s:
        event = s.scalars(select(AuditEvent)).one()
        assert (event.seq, event.actor) == (1, "signoff_ci")
        assert event.at.year >= 2026
        assert verify_chain(s).intact
