"""Findings as plain rows for the command line, the model page and the reports.

Reads only. A finding's history is its insert-only changes
(:class:`~signoff.core.db.schema.FindingChange`), each holding the whole state after it, so the
findings "as of" a past moment are the last change of each finding made by then.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signoff.core.db import model_risk as rk
from signoff.core.db.schema import Finding, FindingChange, Model, Version


@dataclass(frozen=True)
class FindingRow:
    """One finding as it stands (or stood): plain values."""

    id: int
    model: str
    version: int | None
    title: str
    severity: str
    kind: str
    owner: str
    due: str
    status: str
    raised_by: str
    compensating_controls: str = ""
    expires: str | None = None
    description: str = ""

    @property
    def status_words(self) -> str:
        return rk.STATUS_WORDS.get(self.status, self.status)

    def describe(self) -> str:
        """One line: ``#3 credit v4 [high issue] open — PD drifts (owner alice, due …)``."""
        where = f"{self.model} v{self.version}" if self.version else f"{self.model} (model)"
        kind = rk.KIND_WORDS.get(self.kind, self.kind)
        extra = f", expires {self.expires}" if self.expires else ""
        return (
            f"#{self.id} {where} [{self.severity} {kind}] {self.status_words} — {self.title} "
            f"(owner {self.owner}, due {self.due}, raised by {self.raised_by}{extra})"
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _names(session: Session) -> tuple[dict[int, str], dict[int, int]]:
    models = {i: n for i, n in session.execute(select(Model.id, Model.name))}
    versions = {i: n for i, n in session.execute(select(Version.id, Version.number))}
    return models, versions


def _row(
    fid: int, state: dict[str, Any], models: dict[int, str], numbers: dict[int, int]
) -> FindingRow:
    def text(key: str) -> str:
        value = state.get(key)
        return "" if value is None else str(value)

    version_id = state.get("version_id")
    return FindingRow(
        fid,
        models.get(int(state.get("model_id") or 0), "?"),
        numbers.get(int(version_id)) if version_id else None,
        text("title"),
        text("severity"),
        text("kind"),
        text("owner"),
        text("due"),
        text("status"),
        text("raised_by"),
        text("compensating_controls"),
        text("expires") or None,
        text("description"),
    )


def list_findings(
    session: Session,
    *,
    model: str | None = None,
    number: int | None = None,
    statuses: tuple[str, ...] = (),
    as_of: datetime | None = None,
) -> list[FindingRow]:
    """Findings (of one model or version; in *statuses*), as they stand or stood at *as_of*,
    oldest first."""
    models, numbers = _names(session)
    states: dict[int, dict[str, Any]] = {}
    if as_of is None:
        for f in session.scalars(select(Finding).order_by(Finding.id)):
            values = {k: getattr(f, k) for k in rk.SNAPSHOT_FIELDS}
            states[f.id] = {
                k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()
            }
    else:
        query = select(FindingChange).where(FindingChange.at <= as_of).order_by(FindingChange.id)
        for change in session.scalars(query):
            states[change.finding_id] = dict(change.snapshot)
    rows = [_row(fid, state, models, numbers) for fid, state in sorted(states.items())]
    if model is not None:
        rows = [r for r in rows if r.model == model]
    if number is not None:
        rows = [r for r in rows if r.version in (None, number)]
    if statuses:
        rows = [r for r in rows if r.status in statuses]
    return rows


def open_by_severity(rows: list[FindingRow], today: date) -> dict[str, int]:
    """Severity -> how many of *rows* are unresolved on *today* (an expired exception is)."""
    out: dict[str, int] = {}
    for row in rows:
        expired = row.status == rk.EXCEPTION and row.expires and row.expires < today.isoformat()
        if row.status in rk.UNRESOLVED or expired:
            out[row.severity] = out.get(row.severity, 0) + 1
    return out


__all__ = ["FindingRow", "list_findings", "open_by_severity"]
