"""An attacker who owns the database: rewrites the audit chain so that it walks cleanly.

The append-only triggers stop everyone else; the owner (or whoever holds the SQLite file) can
drop or disable them. :func:`rechain` then renumbers and re-hashes the edited events, so only
an anchored head kept elsewhere (or a full export) shows what happened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, delete, insert, select, text

from signoff.core.audit.chain import GENESIS, event_hash
from signoff.core.db.schema import AuditEvent

Rows = list[dict[str, Any]]
EVENTS = AuditEvent.__table__


@contextmanager
def sqlite_owner(db_file: Path) -> Iterator[Connection]:
    """A connection to the SQLite file with the append-only triggers dropped (committed)."""
    engine = create_engine(f"sqlite:///{db_file}")
    try:
        with engine.begin() as conn:
            for verb in ("update", "delete"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS audit_events_no_{verb}"))
            yield conn
    finally:
        engine.dispose()


@contextmanager
def pg_owner(engine: Engine) -> Iterator[Connection]:
    """The PostgreSQL tables' owner with the chain's triggers disabled for one transaction."""
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        yield conn
        conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))


def rechain(conn: Connection, edit: Callable[[Rows], Rows]) -> None:
    """Replace the chain by *edit*'s version of its events, renumbered and re-hashed."""
    rows = [dict(r) for r in conn.execute(select(EVENTS).order_by(EVENTS.c.seq)).mappings()]
    rows = edit(rows)
    prev = GENESIS
    for seq, row in enumerate(rows, 1):
        row["seq"], row["prev_hash"] = seq, prev
        row["hash"] = prev = event_hash(prev, AuditEvent(**row))
    conn.execute(delete(EVENTS))
    if rows:
        conn.execute(insert(EVENTS), rows)


def alter(seq: int, **changes: Any) -> Callable[[Rows], Rows]:
    """An edit that changes columns of event *seq*."""

    def edit(rows: Rows) -> Rows:
        for row in rows:
            if row["seq"] == seq:
                row.update(changes)
        return rows

    return edit


def drop(*seqs: int) -> Callable[[Rows], Rows]:
    """An edit that removes events *seqs*."""
    return lambda rows: [r for r in rows if r["seq"] not in seqs]
