"""The append-only, hash-chained audit log.

Each event's hash is ``sha256(prev_hash + "\\n" + canonical_json(event))`` where the event
covers its sequence number, database time, actor, action, entity and payload. Changing a byte,
deleting or reordering events breaks the chain at the first affected event; truncating the
tail is caught by comparing with an exported head (sequence number and hash).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Row, func, insert, select, text
from sqlalchemy.orm import Session

from signoff.core.common.files import atomic_write, atomic_writer
from signoff.core.db.registry import db_now
from signoff.core.db.schema import AuditEvent

log = logging.getLogger(__name__)

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept, datetimes as ISO text."""
    return _CANONICAL.encode(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


# what json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
# default=_json_default) builds on every call, built once
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
)
# the string encoder json uses with ensure_ascii=False (the C one where available)
_json_str = json.encoder.encode_basestring


def event_hash(prev_hash: str, event: AuditEvent | Row[Any]) -> str:
    """The hash an event must carry, given the previous event's hash."""
    return _hash_fields(
        prev_hash,
        event.seq,
        event.at,
        event.actor,
        event.action,
        event.entity_type,
        event.entity_id,
        event.model_id,
        event.version_id,
        event.payload,
    )


def _hash_fields(
    prev_hash: str,
    seq: Any,
    at: datetime,
    actor: Any,
    action: Any,
    entity_type: Any,
    entity_id: Any,
    model_id: Any,
    version_id: Any,
    payload: Any,
) -> str:
    """``sha256(prev_hash + "\\n" + canonical_json(event))`` of an event given field by field."""
    stamp = at.isoformat(timespec="microseconds")
    if (
        type(seq) is int
        and type(actor) is str
        and type(action) is str
        and type(entity_type) is str
        and type(entity_id) is str
        and type(payload) is str
        and (model_id is None or type(model_id) is int)
        and (version_id is None or type(version_id) is int)
    ):
        # the canonical JSON of exactly these types, keys in sorted order, written out
        # directly: the general encoder's dictionary and key sort were most of a walk's cost
        body = (
            f'{{"action":{_json_str(action)},"actor":{_json_str(actor)},'
            f'"at":{_json_str(stamp)},"entity_id":{_json_str(entity_id)},'
            f'"entity_type":{_json_str(entity_type)},'
            f'"model_id":{"null" if model_id is None else int.__repr__(model_id)},'
            f'"payload":{_json_str(payload)},"seq":{int.__repr__(seq)},'
            f'"version_id":{"null" if version_id is None else int.__repr__(version_id)}}}'
        )
    else:  # anything else a tampered row may hold: the general rule decides
        body = canonical_json(
            {
                "seq": seq,
                "at": stamp,
                "actor": actor,
                "action": action,
                "entity_type": entity_type,
                "entity_id": entity_id,
                "model_id": model_id,
                "version_id": version_id,
                "payload": payload,
            }
        )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def append_event(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int,
    payload: dict[str, Any] | None = None,
    model_id: int | None = None,
    version_id: int | None = None,
    sealed: bool = False,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction.

    The chain is a global order, so sealing an event (numbering it and hashing it onto the
    head) serialises writers until they commit.

    - SQLite: the event is sealed at once; the write transaction already holds the database's
      single write lock (``BEGIN IMMEDIATE``).
    - PostgreSQL: the database seals it (migrations 0002 and 0004): it stamps the actor
      (``session_user``) on insert and, under the chain's advisory lock, the sequence, time and
      hash when the transaction commits, so the lock is held only for the commit itself. The
      returned event then still carries placeholders. With *sealed* the event is sealed now
      (the lock is then held from here to the commit) and the sealed row is returned: use it
      only when the caller needs the sequence number before committing.
    """
    body = {
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "model_id": model_id,
        "version_id": version_id,
        "payload": canonical_json(payload or {}),
    }
    if session.get_bind().dialect.name == "postgresql":
        # placeholders: the BEFORE INSERT trigger replaces them, the seal numbers and hashes
        event = session.scalars(
            insert(AuditEvent).returning(AuditEvent),
            [
                {
                    **body,
                    "seq": 0,
                    "at": datetime(1970, 1, 1),
                    "actor": actor,
                    "prev_hash": "",
                    "hash": f"pending-{uuid.uuid4().hex}",
                }
            ],
        ).one()
        if sealed:
            session.execute(text("SET CONSTRAINTS audit_events_seal IMMEDIATE"))
            session.expunge(event)
            # the chain is locked by this transaction now, so the head is this event
            event = session.scalars(
                select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)
            ).one()
        log.debug("audit %s %s %s#%s", event.seq, action, entity_type, entity_id)
        return event
    head = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    event = AuditEvent(seq=seq, at=db_now(session), actor=actor, prev_hash=prev, **body)
    event.hash = event_hash(prev, event)
    session.add(event)
    session.flush()
    log.debug("audit %s %s %s#%s", seq, action, entity_type, entity_id)
    return event


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
    )


# the columns a walk reads, in the order _walk unpacks them
_WALK_COLUMNS = (
    "seq",
    "at",
    "actor",
    "action",
    "entity_type",
    "entity_id",
    "model_id",
    "version_id",
    "payload",
    "prev_hash",
    "hash",
)
WALK_BATCH = 2000


def verify_chain(session: Session, against: tuple[int, str] | None = None) -> ChainReport:
    """Verify the whole audit chain in the database (optionally against an exported head).

    The events are streamed as plain rows in batches of :data:`WALK_BATCH` (a server-side
    cursor on PostgreSQL): an ORM object per event cost four to six times the CPU of the
    hashing and held the whole chain in memory (about 2 KB an event).
    """
    table = AuditEvent.__table__
    stmt = (
        select(*(table.c[name] for name in _WALK_COLUMNS))
        .order_by(table.c.seq)
        .execution_options(yield_per=WALK_BATCH)
    )
    result = session.execute(stmt)
    try:
        return _walk((row for batch in result.partitions() for row in batch), against)
    finally:
        result.close()  # a walk that stops at a broken link leaves the cursor open otherwise


def _walk(rows: Iterable[Sequence[Any]], against: tuple[int, str] | None) -> ChainReport:
    """The chain walk over (seq, at, …, payload, prev_hash, hash) tuples in sequence order."""
    prev, expected_seq, count = GENESIS, 1, 0
    want_seq, want_hash = against if against is not None else (None, "")
    hash_at_want: str | None = None

    def broken(first_bad: int, why: str) -> ChainReport:
        # everything up to the event before *first_bad* verified
        return ChainReport(False, count, expected_seq - 1, prev, first_bad, why)

    hash_fields = _hash_fields
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
        if hash_fields(prev, seq, at, actor, action, etype, eid, model_id, version_id, payload) != (
            hash_
        ):
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


def head(session: Session) -> tuple[int, str]:
    """The chain's head: (sequence number, hash); (0, GENESIS) when empty."""
    row = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else (0, GENESIS)


def event_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


EXPORT_COLUMNS = (
    "seq",
    "at",
    "actor",
    "action",
    "entity_type",
    "entity_id",
    "model_id",
    "version_id",
    "payload",
    "prev_hash",
    "hash",
)


def event_row(event: AuditEvent) -> dict[str, Any]:
    """An event as plain data, exactly as stored (time as ISO text with microseconds)."""
    row = {c: getattr(event, c) for c in EXPORT_COLUMNS}
    row["at"] = event.at.isoformat(timespec="microseconds")
    return row


def export_events(
    session: Session, out: Path, fmt: str = "json", head_file: Path | None = None
) -> tuple[int, str]:
    """Write every event to *out* (``json`` or ``csv``) plus the head; returns the head.

    JSON holds ``{"head": {"seq", "hash"}, "events": [...]}``. The head is also written to
    *head_file* (default ``OUT.head.json``) so ``signoff audit verify --against`` can later
    prove that nothing was removed or rewritten.
    """
    if fmt not in ("json", "csv"):
        raise ValueError(f"export format must be json or csv, not {fmt!r}")
    events = [event_row(e) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    seq, hash_ = head(session)
    exported_at = db_now(session).isoformat()
    head_doc = {"seq": seq, "hash": hash_, "events": len(events), "exported_at": exported_at}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        atomic_write(
            out, json.dumps({"head": head_doc, "events": events}, indent=1, ensure_ascii=False)
        )
    else:
        with atomic_writer(out, newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=EXPORT_COLUMNS)
            writer.writeheader()
            writer.writerows(events)
    head_path = Path(head_file) if head_file else out.with_name(out.name + ".head.json")
    atomic_write(head_path, json.dumps(head_doc, indent=1) + "\n")
    return seq, hash_


def read_head_file(path: Path) -> tuple[int, str]:
    """The (seq, hash) recorded in a head file or a JSON export; ValueError when unreadable."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read head file {path}: {exc}") from exc
    doc = doc.get("head", doc) if isinstance(doc, dict) else None
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("seq"), int)
        or not isinstance(doc.get("hash"), str)
        or len(doc["hash"]) != 64
    ):
        raise ValueError(
            f"{path} is not a Signoff audit head (needs integer 'seq' and a 64-character 'hash')"
        )
    return doc["seq"], doc["hash"]
