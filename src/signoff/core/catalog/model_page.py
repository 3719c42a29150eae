"""A model's page as plain data: versions with key metrics, consumers, deployment periods."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from signoff.core.catalog import inventory, lookup
from signoff.core.db.schema import Metric, Version


@dataclass
class VersionRow:
    number: int
    author: str
    created_at: datetime
    state: str
    manifest_hash: str
    metrics: dict[str, float]


@dataclass
class DeploymentPeriod:
    environment: str
    version: int
    live_from: datetime
    live_to: datetime | None
    actor: str


@dataclass
class ConsumerRow:
    name: str
    kind: str
    contact: str
    pinned_version: int | None
    active: bool


@dataclass
class ModelPage:
    """Everything the model page shows."""

    name: str
    title: str
    description: str
    owner: str
    business_unit: str
    risk_tier: str
    tags: list[str]
    created_at: datetime
    live: dict[str, int]
    consumers: list[ConsumerRow]
    versions: list[VersionRow]
    deployments: list[DeploymentPeriod]
    key_metrics: list[str]
    flags: list[str]
    flag_reasons: dict[str, str] = field(default_factory=dict)  # flag -> why, in words


def model_page(session: Session, name: str) -> ModelPage:
    """The model called *name* with its versions (newest first), consumers and deployments."""
    model = lookup.get_model(session, name)
    versions = list(
        session.scalars(
            select(Version)
            .where(Version.model_id == model.id)
            .options(selectinload(Version.metrics))
            .order_by(Version.number.desc())
        )
    )
    rows: list[VersionRow] = []
    names: Counter[str] = Counter()
    for v in versions:
        metrics: dict[str, float] = {}
        for m in v.metrics:
            label = m.name if m.dataset in ("", "validation") else f"{m.name} ({m.dataset})"
            metrics.setdefault(label, m.value)
        names.update(metrics.keys())
        rows.append(VersionRow(v.number, v.author, v.created_at, v.state, v.manifest_hash, metrics))
    periods = [
        DeploymentPeriod(d.environment, d.version.number, d.live_from, d.live_to, d.actor)
        for d in lookup.deployment_history(session, name)
    ]
    consumers = [
        ConsumerRow(
            c.name,
            c.kind,
            c.contact,
            c.pinned_version.number if c.pinned_version else None,
            c.active,
        )
        for c in lookup.consumers_of(session, model.id)
    ]
    summary = inventory.inventory_row(model)
    flags = summary.flag_words
    return ModelPage(
        name=model.name,
        title=model.title,
        description=model.description,
        owner=model.owner,
        business_unit=model.business_unit,
        risk_tier=model.risk_tier,
        tags=list(model.tags or []),
        created_at=model.created_at,
        live=lookup.live_versions(session, model.id),
        consumers=consumers,
        versions=rows,
        deployments=periods,
        key_metrics=[n for n, _ in names.most_common(4)],
        flags=flags,
        flag_reasons=summary.flag_reasons(),
    )


def live_on(
    session: Session, name: str, day: datetime, environment: str = "production"
) -> int | None:
    """The version number live in *environment* at the end of *day* (None if none)."""
    end = datetime(day.year, day.month, day.day) + timedelta(days=1) - timedelta(microseconds=1)
    version = lookup.live_version_at(session, name, end, environment)
    return version.number if version else None


# -- version overview ---------------------------------------------------------------------


def metric_names(session: Session, model_name: str) -> list[str]:
    """Distinct metric names recorded for a model's versions."""
    model = lookup.get_model(session, model_name)
    return list(
        session.scalars(
            select(Metric.name)
            .join(Version)
            .where(Version.model_id == model.id)
            .distinct()
            .order_by(Metric.name)
        )
    )
