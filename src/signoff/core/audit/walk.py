"""Walking the audit chain: every event re-hashed in sequence order, the first broken link named.

The walk is the cost of ``signoff audit verify``, so it reads plain column tuples (on SQLite
straight from the driver's cursor, the time still as the text SQLite stores) and writes each
event's canonical JSON with one format. It trusts that shortcut only where it is the rule by
construction (exact column types, the time in the one text form Signoff stores); any other row,
and any row whose shortcut hash does not match, is hashed again by the rule itself
(:func:`~signoff.core.audit.hashing.hash_fields`), so the verdicts are those of the rule.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from signoff.core.audit.hashing import EVENT_COLUMNS, GENESIS, hash_fields, json_str
from signoff.core.db.schema import AuditEvent


@dataclass(frozen=True)
class ChainReport:
    """What a walk of the chain found."""

    intact: bool
    events: int
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    problem: str = ""

    def describe(self) -> str:
        if self.intact:
            return (
                f"audit chain intact: {self.events} events, head #{self.head_seq} {self.head_hash}"
            )
        return f"audit chain broken at event #{self.broken_seq}: {self.problem}"


def verify_events(
    events: Iterable[AuditEvent | Row[Any]], against: tuple[int, str] | None = None
) -> ChainReport:
    """Walk events in sequence order and report the first broken link.

    *events* may be ORM objects or anything with the same attributes; they are consumed once,
    one at a time, so a chain of any length is walked in constant memory.
    """
    return _walk(
        (
            (
                e.seq,
                e.at,
                e.actor,
                e.action,
                e.entity_type,
                e.entity_id,
                e.model_id,
                e.version_id,
                e.payload,
                e.prev_hash,
                e.hash,
            )
            for e in events
        ),
        against,
        _no_text_times,
    )


WALK_BATCH = 2000


def verify_chain(session: Session, against: tuple[int, str] | None = None) -> ChainReport:
    """Verify the whole audit chain in the database (optionally against an exported head).

    The events are streamed as plain tuples, never ORM objects (an object per event cost four
    to six times the CPU of the hashing and held the whole chain in memory): on SQLite from the
    driver's own cursor inside the session's transaction, elsewhere as Core rows in batches of
    :data:`WALK_BATCH` (a server-side cursor on PostgreSQL).
    """
    table = AuditEvent.__table__
    stmt = (
        select(*(table.c[name] for name in EVENT_COLUMNS))
        .order_by(table.c.seq)
        .execution_options(yield_per=WALK_BATCH)
    )
    connection = session.connection()
    dialect = connection.dialect
    driver = connection.connection.driver_connection
    if isinstance(driver, sqlite3.Connection):
        cursor = driver.cursor()
        cursor.arraysize = WALK_BATCH
        try:
            cursor.execute(str(stmt.compile(dialect=dialect)))
            # what SQLAlchemy itself makes of the stored time, for rows off the usual form
            read_time = table.c.at.type.dialect_impl(dialect).result_processor(dialect, None)
            return _walk(cursor, against, read_time or _no_text_times)
        finally:
            cursor.close()  # a walk that stops at a broken link leaves it open otherwise
    result = session.execute(stmt)
    try:
        rows = (row for batch in result.partitions() for row in batch)
        return _walk(rows, against, _no_text_times)
    finally:
        result.close()


def _no_text_times(value: Any) -> Any:
    return value


# the one text form SQLAlchemy stores a DateTime in on SQLite; for a valid time in it,
# isoformat(timespec="microseconds") is the same text with "T" for the space
_STORED_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2} (?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{6}"
).fullmatch


def _walk(
    rows: Iterable[Sequence[Any]],
    against: tuple[int, str] | None,
    read_time: Callable[[Any], Any],
) -> ChainReport:
    """The chain walk over (seq, at, …, payload, prev_hash, hash) tuples in sequence order.

    *read_time* turns an ``at`` that is not already a datetime (SQLite's text) into one.
    """
    prev, expected_seq, count = GENESIS, 1, 0
    want_seq, want_hash = against if against is not None else (None, "")
    hash_at_want: str | None = None

    def broken(first_bad: int, why: str) -> ChainReport:
        # everything up to the event before *first_bad* verified
        return ChainReport(False, count, expected_seq - 1, prev, first_bad, why)

    stored_time, from_text, js = _STORED_TIME, datetime.fromisoformat, json_str
    for seq, at, actor, action, etype, eid, model_id, version_id, payload, prev_hash, hash_ in rows:
        if seq != expected_seq:
            return broken(
                expected_seq, f"event #{expected_seq} is missing (next present is #{seq})"
            )
        if prev_hash != prev:
            return broken(
                seq,
                "its previous-hash does not match the event before it "
                "(events deleted, inserted or reordered)",
            )
        # the shortcut, the rule written out for exactly these types (json_str refuses anything
        # but text; the type tests keep out bool, which JSON spells true) and the stored time
        if (
            type(at) is str
            and stored_time(at) is not None
            and type(seq) is int
            and (model_id is None or type(model_id) is int)
            and (version_id is None or type(version_id) is int)
        ):
            try:
                from_text(at)  # a valid date, as the rule's reading of it requires
                event = (
                    f'{prev}\n{{"action":{js(action)},"actor":{js(actor)},'
                    f'"at":"{at[:10]}T{at[11:]}","entity_id":{js(eid)},'
                    f'"entity_type":{js(etype)},'
                    f'"model_id":{"null" if model_id is None else model_id},'
                    f'"payload":{js(payload)},"seq":{seq},'
                    f'"version_id":{"null" if version_id is None else version_id}}}'
                )
                matches = sha256(event.encode()).hexdigest() == hash_
            except (TypeError, ValueError):
                matches = False
        else:
            matches = False
        if not matches:  # the rule itself decides
            try:
                when = at if isinstance(at, datetime) else read_time(at)
            except (TypeError, ValueError):
                when = None
            if not isinstance(when, datetime):
                return broken(seq, f"its time {at!r} is not a readable timestamp")
            fields = (seq, when, actor, action, etype, eid, model_id, version_id, payload)
            matches = hash_fields(prev, *fields) == hash_
        if not matches:
            return broken(seq, "its content no longer matches its hash (the event was altered)")
        if seq == want_seq:
            hash_at_want = hash_
        prev, expected_seq, count = hash_, expected_seq + 1, count + 1
    head_seq = expected_seq - 1
    if want_seq is not None:
        if head_seq < want_seq:
            return ChainReport(
                False,
                count,
                head_seq,
                prev,
                head_seq + 1,
                f"the chain ends at #{head_seq} but the exported head is "
                f"#{want_seq}: events were removed from the tail",
            )
        if count:
            # the exported head must still be in the chain, unchanged
            if hash_at_want is None:
                return ChainReport(
                    False, count, head_seq, prev, want_seq, "the exported head is not in the chain"
                )
            if hash_at_want != want_hash:
                return ChainReport(
                    False,
                    count,
                    head_seq,
                    prev,
                    want_seq,
                    "the event at the exported head has a different hash: the chain was rewritten",
                )
    return ChainReport(True, count, head_seq, prev)
