"""The chain compared event by event with a full export, to name the first altered event.

An anchored head says *that* the chain was rewritten; a full export written earlier
(``signoff audit export FILE.json``) says *where*: the first event whose stored content differs
from what was exported, or the first exported event that is no longer there. The export is
itself checked first (its events must chain to its own head), so an edited export is refused
rather than trusted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.audit.chain import EXPORT_COLUMNS, event_row, verify_events
from signoff.core.common.errors import SignoffError
from signoff.core.db.schema import AuditEvent

#: columns shown first when an event differs (the hashes only say that something changed)
_CONTENT_COLUMNS = tuple(c for c in EXPORT_COLUMNS if c not in ("prev_hash", "hash"))


class ExportError(SignoffError):
    """A file that is not an intact JSON export of a Signoff audit chain."""


@dataclass(frozen=True)
class ExportComparison:
    """How the registry's chain compares with an earlier full export."""

    exported: int
    first_altered: int | None = None
    problem: str = ""
    later: int = 0

    @property
    def matches(self) -> bool:
        return self.first_altered is None

    def describe(self) -> str:
        if self.matches:
            note = f"; {self.later} later event(s) since" if self.later else ""
            return f"all {self.exported} exported events are unchanged{note}"
        return f"first altered event: #{self.first_altered}: {self.problem}"


def read_export(path: Path) -> list[dict[str, Any]]:
    """The events of a JSON export, after checking that they chain to the export's head."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ExportError(f"cannot read the export {path}: {exc}") from exc
    except ValueError:
        doc = None
    events = doc.get("events") if isinstance(doc, dict) else None
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise ExportError(
            f"{path} is not a JSON export of the audit trail ('signoff audit export FILE.json' "
            "writes one; a CSV export cannot be compared)"
        )
    try:
        walked = verify_events(_as_event(row) for row in events)
    except (KeyError, TypeError, ValueError) as exc:
        raise ExportError(f"{path} holds an event that is not one: {exc}") from exc
    if not walked.intact:
        raise ExportError(
            f"the export {path} is itself altered (its event #{walked.broken_seq}: "
            f"{walked.problem}); it cannot be trusted to compare with"
        )
    head = doc.get("head")
    if isinstance(head, dict) and (head.get("seq"), head.get("hash")) != (
        walked.head_seq,
        walked.head_hash,
    ):
        raise ExportError(f"the export {path} does not end at the head it records")
    return events


def _as_event(row: dict[str, Any]) -> AuditEvent:
    values = {c: row[c] for c in EXPORT_COLUMNS}
    values["at"] = datetime.fromisoformat(values["at"])
    return AuditEvent(**values)


def compare_with_export(session: Session, exported: list[dict[str, Any]]) -> ExportComparison:
    """Compare the chain with *exported* (from :func:`read_export`) event by event."""
    stored = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    by_seq = {event.seq: event for event in stored}
    end = stored[-1].seq if stored else 0
    for row in exported:
        seq = row["seq"]
        event = by_seq.get(seq)
        if event is None:
            if seq > end:
                gone = f"#{seq}" if seq == exported[-1]["seq"] else f"#{seq}–#{exported[-1]['seq']}"
                problem = (
                    f"the chain ends at #{end}; exported events {gone} were removed (truncated)"
                )
            else:
                problem = f"exported event #{seq} ({_summary(row)}) was deleted"
            return ExportComparison(len(exported), seq, problem)
        now = event_row(event)
        changed = [c for c in _CONTENT_COLUMNS if now[c] != row[c]]
        if changed:
            detail = "; ".join(f"{c} was {_short(row[c])}, now {_short(now[c])}" for c in changed)
            return ExportComparison(len(exported), seq, f"{_summary(row)} changed: {detail}")
        if (now["prev_hash"], now["hash"]) != (row["prev_hash"], row["hash"]):
            return ExportComparison(
                len(exported), seq, f"{_summary(row)}: its hashes differ from the export"
            )
    last = exported[-1]["seq"] if exported else 0
    return ExportComparison(len(exported), later=sum(1 for e in stored if e.seq > last))


def _summary(row: dict[str, Any]) -> str:
    return f"{row['action']} by {row['actor']} at {row['at']}"


def _short(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…'"
