"""The append-only, hash-chained audit log.

Each event's hash is ``sha256(prev_hash + "\\n" + canonical_json(event))`` where the event
covers its sequence number, database time, actor, action, entity and payload. Changing a byte,
deleting or reordering events breaks the chain at the first affected event; truncating the
tail is caught by comparing with an exported head (sequence number and hash).
"""

from __future__ import annotations

import csv
import json
import logging
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from signoff.core.audit.hashing import EVENT_COLUMNS, GENESIS, canonical_json, event_hash
from signoff.core.audit.walk import WALK_BATCH, ChainReport, verify_chain, verify_events
from signoff.core.common.files import atomic_write, atomic_writer
from signoff.core.db.registry import db_now
from signoff.core.db.schema import AuditEvent

log = logging.getLogger(__name__)

# the rule and the walk live in their own modules; the chain is where callers find them
__all__ = [
    "EXPORT_COLUMNS",
    "GENESIS",
    "WALK_BATCH",
    "ChainReport",
    "append_event",
    "canonical_json",
    "event_count",
    "event_hash",
    "event_row",
    "export_events",
    "head",
    "read_head_file",
    "verify_chain",
    "verify_events",
]


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


def head(session: Session) -> tuple[int, str]:
    """The chain's head: (sequence number, hash); (0, GENESIS) when empty."""
    row = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else (0, GENESIS)


def event_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


EXPORT_COLUMNS = EVENT_COLUMNS


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
