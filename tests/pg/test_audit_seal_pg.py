"""On PostgreSQL an audit event is sealed (numbered, timed, hashed) when its transaction commits.

The chain's lock is therefore held only for the commit, not from the insert onwards: a writer
that is slow to commit (a client waiting for a CPU, a reviewer's long transaction) no longer
holds every other writer up. The order of the chain is the order of the commits.
"""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from signoff.core.audit.chain import append_event, event_hash, verify_chain
from signoff.core.db.migrate import alembic_config, current_revisions, head_revisions
from signoff.core.db.schema import AuditEvent

pytestmark = pytest.mark.postgres


def _append(session, label: str, **kwargs) -> AuditEvent:  # noqa: ANN001
    return append_event(
        session,
        actor="signoff_ci",
        action=f"test.{label}",
        entity_type="test",
        entity_id=label,
        payload={"label": label},
        **kwargs,
    )


def test_a_slow_writer_does_not_hold_up_the_chain(pg_registry) -> None:
    with pg_registry.write() as slow:
        _append(slow, "slow")
        # a second writer appends and commits while the first is still open; with the old
        # lock-at-insert it would wait for the first and hit the lock timeout
        with pg_registry.write() as quick:
            quick.execute(text("SET LOCAL lock_timeout = '2s'"))
            _append(quick, "quick")
    with pg_registry.read() as s:
        events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        assert [(e.seq, e.action) for e in events] == [(1, "test.quick"), (2, "test.slow")]
        assert events[0].at <= events[1].at  # times follow the chain's order
        assert verify_chain(s).intact


def test_events_of_one_transaction_are_sealed_in_order(pg_registry) -> None:
    with pg_registry.write() as s:
        pending = [_append(s, f"e{i}") for i in range(3)]
        assert all(e.seq < 0 for e in pending)  # not numbered before the commit
    with pg_registry.read() as s:
        events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        assert [(e.seq, e.action) for e in events] == [
            (1, "test.e0"),
            (2, "test.e1"),
            (3, "test.e2"),
        ]
        prev = "0" * 64
        for event in events:
            assert event.prev_hash == prev and event_hash(prev, event) == event.hash
            prev = event.hash


def test_sealed_append_gives_the_number_before_the_commit(pg_registry) -> None:
    with pg_registry.write() as s:
        _append(s, "first")
        event = _append(s, "second", sealed=True)
        assert (event.seq, event.action) == (2, "test.second")
        number, digest = event.seq, event.hash
        _append(s, "third")  # sealing stays immediate for the rest of the transaction
    with pg_registry.read() as s:
        stored = s.get(AuditEvent, number)
        assert stored is not None and stored.hash == digest
        assert [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))] == [
            "test.first",
            "test.second",
            "test.third",
        ]
        assert verify_chain(s).intact


def test_a_client_cannot_rewrite_its_own_pending_event(pg_registry) -> None:
    with pg_registry.write() as s:
        _append(s, "kept")
    for statement in (
        "UPDATE audit_events SET actor = 'mallory' WHERE seq < 0",
        "UPDATE audit_events SET seq = 7, hash = 'x' WHERE seq < 0",
        "DELETE FROM audit_events WHERE seq < 0",
    ):
        with pytest.raises(DBAPIError, match="append-only"), pg_registry.write() as s:
            _append(s, "tampered")
            s.flush()
            s.execute(text(statement))
    with pg_registry.read() as s:
        assert [e.action for e in s.scalars(select(AuditEvent))] == ["test.kept"]
        assert verify_chain(s).intact


def test_downgrade_restores_sealing_at_insert(pg_registry) -> None:
    cfg = alembic_config(pg_registry.engine)
    with pg_registry.write() as s:
        _append(s, "before")
    command.downgrade(cfg, "0003_pg_state_function")
    with pg_registry.write() as s:
        assert _append(s, "old-style").seq == 2  # numbered at insert again
    command.upgrade(cfg, "heads")
    assert current_revisions(pg_registry.engine) == head_revisions(pg_registry.engine)
    with pg_registry.write() as s:
        _append(s, "after")
    with pg_registry.read() as s:
        assert [e.seq for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))] == [1, 2, 3]
        assert verify_chain(s).intact
