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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from signoff.core.common.files import atomic_write, atomic_writer
from signoff.core.db.registry import db_now
from signoff.core.db.schema import AuditEvent

log = logging.getLogger(__name__)

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept, datetimes as ISO text."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def event_hash(prev_hash: str, event: AuditEvent) -> str:
    """The hash an event must carry, given the previous event's hash."""
    body = canonical_json(
        {
            "seq": event.seq,
            "at": event.at.isoformat(timespec="microseconds"),
            "actor": event.actor,
            "action": event.action,
            "entity_type": event.entity_type,
            "entity_id": event.entity_id,
            "model_id": event.model_id,
            "version_id": event.version_id,
            "payload": event.payload,
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
    events: Iterable[AuditEvent], against: tuple[int, str] | None = None
) -> ChainReport:
    """Walk events in sequence order and report the first broken link."""
    events = list(events)
    prev, expected_seq, count, last = GENESIS, 1, 0, None

    def broken(first_bad: int, why: str) -> ChainReport:
        # everything up to the event before *first_bad* verified
        return ChainReport(False, count, expected_seq - 1, prev, first_bad, why)

    for event in events:
        if event.seq != expected_seq:
            return broken(
                expected_seq, f"event #{expected_seq} is missing (next present is #{event.seq})"
            )
        if event.prev_hash != prev:
            return broken(
                event.seq,
                "its previous-hash does not match the event before it "
                "(events deleted, inserted or reordered)",
            )
        if event_hash(prev, event) != event.hash:
            return broken(
                event.seq, "its content no longer matches its hash (the event was altered)"
            )
        prev, expected_seq, count, last = event.hash, expected_seq + 1, count + 1, event
    head_seq = last.seq if last else 0
    if against is not None:
        want_seq, want_hash = against
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
        if head_seq >= want_seq and last is not None:
            # the exported head must still be in the chain, unchanged
            return _check_head_in_chain(count, head_seq, prev, want_seq, want_hash, events)
    return ChainReport(True, count, head_seq, prev)


def _check_head_in_chain(
    count: int,
    head_seq: int,
    head_hash: str,
    want_seq: int,
    want_hash: str,
    events: list[AuditEvent],
) -> ChainReport:
    for event in events:
        if event.seq == want_seq:
            if event.hash != want_hash:
                return ChainReport(
                    False,
                    count,
                    head_seq,
                    head_hash,
                    want_seq,
                    "the event at the exported head has a different hash: the chain was rewritten",
                )
            return ChainReport(True, count, head_seq, head_hash)
    return ChainReport(
        False, count, head_seq, head_hash, want_seq, "the exported head is not in the chain"
    )


def verify_chain(session: Session, against: tuple[int, str] | None = None) -> ChainReport:
    """Verify the whole audit chain in the database (optionally against an exported head)."""
    events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    return verify_events(events, against)


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
