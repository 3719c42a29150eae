"""Stored audit campaigns as plain data: the list, one campaign, and its sampled predictions."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.common.errors import NotFoundError
from signoff.core.db.schema import AuditCampaign, CampaignItem, Model, Prediction, Version

RUNNING, FINISHED, CANCELLED, FAILED = "running", "finished", "cancelled", "failed"
STARTED_EVENT, FINISHED_EVENT = events.CAMPAIGN_STARTED, events.CAMPAIGN_FINISHED


@dataclass(frozen=True)
class CampaignView:
    """One campaign: its criteria, tally, audit heads and stored report."""

    id: int
    actor: str
    status: str
    created_at: datetime
    finished_at: datetime | None
    window_from: datetime
    window_to: datetime
    model: str
    tier: str
    requested: int
    drawn: int
    seed: str
    method: str
    population: int
    population_sha256: str
    sample_sha256: str
    workers: int
    reproduced: int
    differs: int
    could_not_run: int
    not_run: int
    head_start: tuple[int, str]
    head_end: tuple[int | None, str]
    started_event: int | None
    finished_event: int | None
    report_html_sha256: str
    report_pdf_sha256: str
    report_event: int | None

    @property
    def scope(self) -> str:
        if self.model:
            return f"model {self.model}"
        if self.tier:
            return f"every {self.tier}-tier model"
        return "every model"

    @property
    def exceptions(self) -> int:
        return self.differs + self.could_not_run

    def summary(self) -> str:
        """One line: ``200 drawn: 196 reproduced, 2 differ, 2 could not run``."""
        text = (
            f"{self.drawn} drawn: {self.reproduced} reproduced, {differ_words(self.differs)}, "
            f"{self.could_not_run} could not run"
        )
        return text + (f", {self.not_run} not run ({self.status})" if self.not_run else "")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["scope"] = self.scope
        data["summary"] = self.summary()
        return data


def differ_words(n: int) -> str:
    """``1 differs``, ``2 differ``."""
    return f"{n} differs" if n == 1 else f"{n} differ"


def _view(row: AuditCampaign, drawn: int) -> CampaignView:
    return CampaignView(
        row.id,
        row.actor,
        row.status,
        row.created_at,
        row.finished_at,
        row.window_from,
        row.window_to,
        row.model,
        row.tier,
        row.requested,
        drawn,
        row.seed,
        row.method,
        row.population,
        row.population_sha256,
        row.sample_sha256,
        row.workers,
        row.reproduced,
        row.differs,
        row.could_not_run,
        row.not_run,
        (row.head_start_seq, row.head_start_hash),
        (row.head_end_seq, row.head_end_hash),
        row.started_event_seq,
        row.finished_event_seq,
        row.report_html_sha256,
        row.report_pdf_sha256,
        row.report_event_seq,
    )


def _drawn(row: AuditCampaign) -> int:
    return row.reproduced + row.differs + row.could_not_run + row.not_run


def list_campaigns(session: Session, limit: int = 500) -> list[CampaignView]:
    """Stored campaigns, newest first."""
    rows = session.scalars(select(AuditCampaign).order_by(AuditCampaign.id.desc()).limit(limit))
    return [_view(r, _drawn(r)) for r in rows]


def get_campaign(session: Session, campaign_id: int) -> CampaignView:
    """One campaign; NotFoundError when there is no such campaign."""
    row = session.get(AuditCampaign, campaign_id)
    if row is None:
        raise NotFoundError(f"no audit campaign #{campaign_id}")
    drawn = session.scalar(
        select(func.count(CampaignItem.id)).where(CampaignItem.campaign_id == campaign_id)
    )
    return _view(row, max(_drawn(row), drawn or 0))


@dataclass(frozen=True)
class CampaignItemView:
    """One sampled prediction of a campaign and its verdict."""

    position: int
    prediction_id: int
    subject_key: str
    predicted_at: datetime
    model: str
    version: int
    verdict: str
    reason: str
    findings: tuple[str, ...]
    event_seq: int | None

    @property
    def is_exception(self) -> bool:
        return self.verdict != "reproduced"


def campaign_items(session: Session, campaign_id: int) -> list[CampaignItemView]:
    """Every recorded result of the campaign, in sample order."""
    rows = session.execute(
        select(
            CampaignItem,
            Prediction.subject_key,
            Prediction.predicted_at,
            Model.name,
            Version.number,
        )
        .join(Prediction, Prediction.id == CampaignItem.prediction_id)
        .join(Version, Version.id == CampaignItem.version_id)
        .join(Model, Model.id == Version.model_id)
        .where(CampaignItem.campaign_id == campaign_id)
        .order_by(CampaignItem.position)
    )
    return [
        CampaignItemView(
            item.position,
            item.prediction_id,
            subject,
            at,
            model,
            number,
            item.verdict,
            item.reason,
            tuple(item.findings or ()),
            item.event_seq,
        )
        for item, subject, at, model, number in rows
    ]
