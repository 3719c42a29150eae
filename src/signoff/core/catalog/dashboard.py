"""The inventory's dashboard figures and its CSV export."""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signoff.core.catalog import inventory
from signoff.core.common.clock import utcnow
from signoff.core.common.files import atomic_writer
from signoff.core.db.schema import IN_REVIEW, Model, Version


@dataclass
class WaitingReview:
    model: str
    version: int | None
    waiting_since: datetime
    days: int


@dataclass
class Dashboard:
    """Counts for managers: by latest state and tier, long-waiting reviews, stale models."""

    total: int
    by_state: dict[str, int]
    by_tier: dict[str, int]
    waiting_reviews: list[WaitingReview]
    waiting_days: int
    stale: int
    dnu_consumed: int
    live: int
    dnu_used: int = 0


def dashboard(
    session: Session, waiting_days: int = 14, now: datetime | None = None, limit: int = 20
) -> Dashboard:
    """The manager dashboard, computed with a handful of aggregate queries."""
    now = now or utcnow()
    by_state = dict(
        session.execute(select(Model.latest_state, func.count()).group_by(Model.latest_state)).all()
    )
    by_tier = dict(
        session.execute(select(Model.risk_tier, func.count()).group_by(Model.risk_tier)).all()
    )
    cutoff = now - timedelta(days=waiting_days)
    waiting_rows = session.execute(
        select(Model.name, Model.review_waiting_since)
        .where(Model.flag_open_review.is_(True), Model.review_waiting_since < cutoff)
        .order_by(Model.review_waiting_since)
        .limit(limit)
    ).all()
    waiting = []
    for model_name, since in waiting_rows:
        assert since is not None  # the WHERE above: a NULL is never before the cutoff
        number = session.scalar(
            select(Version.number)
            .join(Model, Model.id == Version.model_id)
            .where(Model.name == model_name, Version.state == IN_REVIEW)
            .order_by(Version.state_changed_at)
            .limit(1)
        )
        waiting.append(WaitingReview(model_name, number, since, (now - since).days))
    count = lambda *cond: session.scalar(select(func.count(Model.id)).where(*cond)) or 0  # noqa: E731
    return Dashboard(
        total=count(),
        by_state={(k or "none"): v for k, v in by_state.items()},
        by_tier={(k or "none"): v for k, v in by_tier.items()},
        waiting_reviews=waiting,
        waiting_days=waiting_days,
        stale=count(Model.flag_stale.is_(True)),
        dnu_consumed=count(Model.flag_dnu_consumed.is_(True)),
        live=count(Model.live_version.is_not(None)),
        dnu_used=count(Model.flag_dnu_used.is_(True)),
    )


# -- CSV export ---------------------------------------------------------------------------
CSV_COLUMNS = (
    "name",
    "title",
    "owner",
    "business_unit",
    "risk_tier",
    "live_version",
    "latest_version",
    "latest_state",
    "last_activity_at",
    "flags",
    "tags",
)


def export_inventory_csv(
    session: Session, query: inventory.InventoryQuery, out: IO[str], page: int = 1000
) -> int:
    """Write every model matching *query* (all pages, same filter and order) as CSV.

    Returns the number of rows written (the header not counted).
    """
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    written, offset = 0, 0
    while True:
        rows = inventory.inventory(session, dataclasses.replace(query, offset=offset, limit=page))
        for r in rows:
            writer.writerow(
                [
                    r.name,
                    r.title,
                    r.owner,
                    r.business_unit,
                    r.risk_tier,
                    r.live_version or "",
                    r.latest_version or "",
                    r.latest_state or "",
                    r.last_activity_at.isoformat() if r.last_activity_at else "",
                    "; ".join(r.flag_words),
                    "; ".join(r.tags),
                ]
            )
        written += len(rows)
        offset += page
        if len(rows) < page:
            return written


def write_inventory_csv(
    session: Session, query: inventory.InventoryQuery, path: Path | str, page: int = 1000
) -> int:
    """Save every model matching *query* as a CSV file at *path*; returns the rows written.

    The file appears whole or not at all: a failed export (a lost connection, a full disk)
    leaves whatever was at *path* before. A missing folder is an OSError naming the file.
    """
    with atomic_writer(path, newline="") as out:
        return export_inventory_csv(session, query, out, page)
