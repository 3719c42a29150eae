"""Checking a report file later: is it the one Signoff stored, and does the trail vouch for it?

A report (HTML or PDF, of one reproduction or of a campaign) is genuine when its sha256 is
recorded by a ``report.stored`` event, the hash chain is intact (up to the head, or against an
exported head), and the event the report is about (the reproduction, or the campaign's end)
is in the chain before it. A campaign's stored row must name the same report hashes; a row
edited since is named.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from signoff.core.artifacts.store import sha256_file
from signoff.core.audit import events
from signoff.core.audit.chain import ChainReport, verify_chain
from signoff.core.common.errors import SignoffError
from signoff.core.db.registry import Registry
from signoff.core.db.schema import AuditCampaign, AuditEvent
from signoff.core.reproduction.campaigns import FINISHED_EVENT


@dataclass
class ReportCheck:
    """What checking one report file found."""

    path: Path
    sha256: str
    event_seq: int | None = None
    event_at: datetime | None = None
    event_actor: str = ""
    kind: str = ""
    rendering: str = ""  # html or pdf
    subject: str = ""  # what the report is of
    chain: ChainReport | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def genuine(self) -> bool:
        return self.event_seq is not None and not self.problems

    def describe(self) -> str:
        if self.event_seq is None:
            return (
                f"{self.path}: sha256 {self.sha256} is recorded by no report.stored event; "
                "it is not a report this registry stored (or it was changed since)"
            )
        head = (
            f"{self.path}: the {self.rendering.upper()} of a {self.kind} ({self.subject}), "
            f"sha256 {self.sha256}, recorded by audit event #{self.event_seq} "
            f"(report.stored, {self.event_at:%Y-%m-%d %H:%M:%S} UTC, by {self.event_actor})"
        )
        if not self.problems:
            intact = self.chain.describe() if self.chain else ""
            return f"{head}\nverified: {intact}"
        return head + "\nNOT VERIFIED:\n" + "\n".join(f"  {p}" for p in self.problems)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "sha256": self.sha256,
            "genuine": self.genuine,
            "event": self.event_seq,
            "event_at": self.event_at.isoformat() if self.event_at else None,
            "event_actor": self.event_actor,
            "kind": self.kind,
            "rendering": self.rendering,
            "subject": self.subject,
            "chain_intact": self.chain.intact if self.chain else None,
            "problems": self.problems,
        }


def _payload(event: AuditEvent) -> dict[str, Any]:
    try:
        value = json.loads(event.payload)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def verify_report_file(
    registry: Registry, path: Path | str, against: tuple[int, str] | None = None
) -> ReportCheck:
    """Check the report at *path* against the audit trail (see the module's description).

    Raises SignoffError when the file cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        raise SignoffError(f"{path} does not exist (or is not a file)")
    try:
        sha = sha256_file(path)
    except OSError as exc:
        raise SignoffError(f"{path} cannot be read: {exc}") from None
    check = ReportCheck(path, sha)
    with registry.read() as session:
        candidates = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == events.REPORT_STORED, AuditEvent.payload.contains(sha))
            .order_by(AuditEvent.seq)
        )
        event = next(
            (
                ev
                for ev in candidates
                if sha in (_payload(ev).get("html_sha256"), _payload(ev).get("pdf_sha256"))
            ),
            None,
        )
        if event is None:
            return check
        payload = _payload(event)
        check.event_seq, check.event_at, check.event_actor = event.seq, event.at, event.actor
        check.kind = str(payload.get("kind", "report"))
        check.rendering = "html" if payload.get("html_sha256") == sha else "pdf"
        check.chain = verify_chain(session, against)
        if not check.chain.intact:
            check.problems.append(f"the audit trail is not intact: {check.chain.describe()}")
        if "campaign" in payload:
            _check_campaign(session, check, event, payload)
        else:
            seq = payload.get("reproduction_event")
            check.subject = f"prediction #{event.entity_id}, reproduction event #{seq}"
            _check_reported_event(session, check, event, seq, "prediction.reproduced")
    return check


def _check_reported_event(
    session: Any, check: ReportCheck, report: AuditEvent, seq: Any, action: str
) -> None:
    reported = session.get(AuditEvent, seq) if isinstance(seq, int) else None
    if reported is None or reported.action != action or reported.seq >= report.seq:
        check.problems.append(
            f"the event the report is about (#{seq}, {action}) is not in the chain before it"
        )


def _check_campaign(
    session: Any, check: ReportCheck, event: AuditEvent, payload: dict[str, Any]
) -> None:
    campaign_id = payload["campaign"]
    check.subject = f"campaign #{campaign_id}"
    finished = session.scalar(
        select(AuditEvent.seq).where(
            AuditEvent.action == FINISHED_EVENT,
            AuditEvent.entity_type == "campaign",
            AuditEvent.entity_id == str(campaign_id),
        )
    )
    _check_reported_event(session, check, event, finished, FINISHED_EVENT)
    row = session.get(AuditCampaign, campaign_id)
    if row is None:
        check.problems.append(f"campaign #{campaign_id} is no longer stored")
    elif (row.report_html_sha256, row.report_pdf_sha256, row.report_event_seq) != (
        payload.get("html_sha256"),
        payload.get("pdf_sha256"),
        event.seq,
    ):
        check.problems.append(
            f"the stored record of campaign #{campaign_id} names another report than its "
            f"audit event #{event.seq} (the record was changed)"
        )
