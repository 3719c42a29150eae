"""Read-only views for browsing: model page, version overview, dashboard, CSV.

Version comparison lives in :mod:`signoff.core.compare`.

Everything here returns plain dataclasses built inside one session, so the GUI's worker
threads can hand them to the GUI thread (and the command line and tests can use them) with no
session or lazy loading left open. Qt-free, like the rest of ``signoff.core``.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from signoff.core import registry as q
from signoff.core.component_ref import ComponentRef
from signoff.core.db import Registry
from signoff.core.errors import NotFoundError
from signoff.core.schema import COMPONENT_KINDS, IN_REVIEW, Metric, Model, Version
from signoff.core.timeutil import utcnow

SAME, CHANGED, ADDED, REMOVED = "same", "changed", "added", "removed"
TEXT_SUFFIXES = {".py", ".txt", ".md", ".json", ".toml", ".yaml", ".yml", ".cfg", ".ini",
                 ".csv", ".jsonl", ".sql", ".r", ".sh", ".lock", ".ipynb", ".xml", ".html"}
MAX_TEXT_BYTES = 2 * 1024 * 1024  # larger files are described, not shown


# -- model page ---------------------------------------------------------------------------
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


def model_page(session: Session, name: str) -> ModelPage:
    """The model called *name* with its versions (newest first), consumers and deployments."""
    model = q.get_model(session, name)
    versions = list(session.scalars(
        select(Version).where(Version.model_id == model.id)
        .options(selectinload(Version.metrics)).order_by(Version.number.desc())))
    rows, names = [], Counter()
    for v in versions:
        metrics = {}
        for m in v.metrics:
            label = m.name if m.dataset in ("", "validation") else f"{m.name} ({m.dataset})"
            metrics.setdefault(label, m.value)
        names.update(metrics.keys())
        rows.append(VersionRow(v.number, v.author, v.created_at, v.state, v.manifest_hash,
                               metrics))
    periods = [DeploymentPeriod(d.environment, d.version.number, d.live_from, d.live_to, d.actor)
               for d in q.deployment_history(session, name)]
    consumers = [ConsumerRow(c.name, c.kind, c.contact,
                             c.pinned_version.number if c.pinned_version else None, c.active)
                 for c in q.consumers_of(session, model.id)]
    flags = q.inventory_row(model).flag_words
    return ModelPage(
        name=model.name, title=model.title, description=model.description, owner=model.owner,
        business_unit=model.business_unit, risk_tier=model.risk_tier,
        tags=list(model.tags or []), created_at=model.created_at,
        live=q.live_versions(session, model.id), consumers=consumers, versions=rows,
        deployments=periods, key_metrics=[n for n, _ in names.most_common(4)], flags=flags)


def live_on(session: Session, name: str, day: datetime, environment: str = "production"
            ) -> int | None:
    """The version number live in *environment* at the end of *day* (None if none)."""
    end = datetime(day.year, day.month, day.day) + timedelta(days=1) - timedelta(microseconds=1)
    version = q.live_version_at(session, name, end, environment)
    return version.number if version else None


# -- version overview ---------------------------------------------------------------------
@dataclass
class VersionOverview:
    """Everything the version page's Overview tab shows."""

    model: str
    model_title: str
    number: int
    state: str
    author: str
    created_at: datetime
    state_changed_at: datetime
    manifest_hash: str
    entry_point: str
    python_version: str
    risk_tier: str
    components: list[ComponentRef]
    metrics: list[tuple[str, str, float]]
    numbers: list[int] = field(default_factory=list)  # all versions of the model


def _kind_order(row: ComponentRef) -> tuple[int, str]:
    kind = COMPONENT_KINDS.index(row.kind) if row.kind in COMPONENT_KINDS else 99
    return kind, row.name


def version_overview(session: Session, name: str, number: int) -> VersionOverview:
    """One version's metadata and its versioning-dimensions matrix (in dimension order)."""
    v = q.get_version(session, name, number)
    numbers = list(session.scalars(select(Version.number).where(Version.model_id == v.model_id)
                                   .order_by(Version.number)))
    return VersionOverview(
        model=v.model.name, model_title=v.model.title, number=v.number, state=v.state,
        author=v.author, created_at=v.created_at, state_changed_at=v.state_changed_at,
        manifest_hash=v.manifest_hash, entry_point=v.entry_point,
        python_version=v.python_version, risk_tier=v.model.risk_tier,
        components=sorted((ComponentRef.of(c) for c in v.components), key=_kind_order),
        metrics=[(m.name, m.dataset, m.value) for m in v.metrics], numbers=numbers)


@dataclass
class ComponentContent:
    """A component's content for display: text, or a description of a binary."""

    name: str
    text: str | None
    description: str
    language: str


def looks_like_text(data: bytes, filename: str = "") -> bool:
    """True when *data* decodes as UTF-8 with no NUL bytes (a text file a person can read)."""
    if b"\x00" in data[:8192]:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def language_for(filename: str) -> str:
    """The highlighting language for a file name: python, json, toml, markdown, … or text."""
    lower = filename.lower()
    for suffix, lang in ((".py", "python"), (".json", "json"), (".jsonl", "json"),
                         (".ipynb", "json"), (".toml", "toml"), (".ini", "toml"),
                         (".cfg", "toml"), (".md", "markdown"), (".yaml", "yaml"),
                         (".yml", "yaml"), (".txt", "requirements"), (".lock", "requirements"),
                         (".csv", "csv"), (".sql", "sql")):
        if lower.endswith(suffix):
            return lang
    return "text"


def component_content(registry: Registry, component: ComponentRef) -> ComponentContent:
    """Read a component from the artifact store (hash re-checked) and prepare it for display.

    External data (a URI only) and binaries are described rather than shown; text over
    MAX_TEXT_BYTES is described too. Raises HashMismatchError if the stored blob changed.
    """
    label = component.path or component.name
    if not component.stored or not component.sha256:
        where = component.uri or component.path or "an external location"
        pin = f", pinned to sha256 {component.sha256}" if component.sha256 else ""
        return ComponentContent(label, None, f"External {component.kind}: {where}{pin}. "
                                "It is referenced by the version, not stored in the registry.",
                                "text")
    if (component.size or 0) > MAX_TEXT_BYTES:
        return ComponentContent(label, None, f"{label}: {component.size:,} bytes, too large to "
                                f"show here. sha256 {component.sha256}.", "text")
    data = registry.store.read_bytes(component.sha256, f"{component.kind} '{label}'")
    if looks_like_text(data, label):
        return ComponentContent(label, data.decode("utf-8"), "", language_for(label))
    return ComponentContent(label, None, _describe_binary(label, data, component.sha256),
                            "text")


def _describe_binary(label: str, data: bytes, sha: str) -> str:
    kinds = [(b"PK\x03\x04", "a ZIP archive (for example a skops or joblib bundle)"),
             (b"\x80", "a Python pickle (joblib / pickle model object)"),
             (b"\x08", "possibly an ONNX protobuf model"),
             (b"PAR1", "a Parquet table"), (b"\x89PNG", "a PNG image"),
             (b"%PDF", "a PDF document"), (b"\x1f\x8b", "gzip-compressed data")]
    what = next((desc for magic, desc in kinds if data.startswith(magic)), "binary data")
    return (f"{label} is {what}: {len(data):,} bytes, sha256 {sha}. Binary files are "
            "described, not shown; the hash was re-checked when it was read.")


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


def dashboard(session: Session, waiting_days: int = 14, now: datetime | None = None,
              limit: int = 20) -> Dashboard:
    """The manager dashboard, computed with a handful of aggregate queries."""
    now = now or utcnow()
    by_state = dict(session.execute(
        select(Model.latest_state, func.count()).group_by(Model.latest_state)).all())
    by_tier = dict(session.execute(
        select(Model.risk_tier, func.count()).group_by(Model.risk_tier)).all())
    cutoff = now - timedelta(days=waiting_days)
    waiting_rows = session.execute(
        select(Model.name, Model.review_waiting_since)
        .where(Model.flag_open_review.is_(True), Model.review_waiting_since < cutoff)
        .order_by(Model.review_waiting_since).limit(limit)).all()
    waiting = []
    for model_name, since in waiting_rows:
        number = session.scalar(
            select(Version.number).join(Model, Model.id == Version.model_id)
            .where(Model.name == model_name, Version.state == IN_REVIEW)
            .order_by(Version.state_changed_at).limit(1))
        waiting.append(WaitingReview(model_name, number, since, (now - since).days))
    count = lambda *cond: session.scalar(select(func.count(Model.id)).where(*cond)) or 0  # noqa: E731
    return Dashboard(
        total=count(), by_state={(k or "none"): v for k, v in by_state.items()},
        by_tier={(k or "none"): v for k, v in by_tier.items()}, waiting_reviews=waiting,
        waiting_days=waiting_days, stale=count(Model.flag_stale.is_(True)),
        dnu_consumed=count(Model.flag_dnu_consumed.is_(True)),
        live=count(Model.live_version.is_not(None)))


# -- CSV export ---------------------------------------------------------------------------
CSV_COLUMNS = ("name", "title", "owner", "business_unit", "risk_tier", "live_version",
               "latest_version", "latest_state", "last_activity_at", "flags", "tags")


def export_inventory_csv(session: Session, query: q.InventoryQuery, out: IO[str],
                         page: int = 1000) -> int:
    """Write every model matching *query* (all pages, same filter and order) as CSV.

    Returns the number of rows written (the header not counted).
    """
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    written, offset = 0, 0
    while True:
        rows = q.inventory(session, q.InventoryQuery(
            search=query.search, business_units=query.business_units,
            risk_tiers=query.risk_tiers, states=query.states, flags=query.flags,
            sort=query.sort, descending=query.descending, offset=offset, limit=page))
        for r in rows:
            writer.writerow([r.name, r.title, r.owner, r.business_unit, r.risk_tier,
                             r.live_version or "", r.latest_version or "", r.latest_state or "",
                             r.last_activity_at.isoformat() if r.last_activity_at else "",
                             "; ".join(r.flag_words), "; ".join(r.tags)])
        written += len(rows)
        offset += page
        if len(rows) < page:
            return written


def metric_names(session: Session, model_name: str) -> list[str]:
    """Distinct metric names recorded for a model's versions."""
    model = q.get_model(session, model_name)
    return list(session.scalars(select(Metric.name).join(Version).where(
        Version.model_id == model.id).distinct().order_by(Metric.name)))



@dataclass
class VersionHeader:
    """What the version page's header says: title, state, and what to compare it with."""

    model: str
    model_title: str
    number: int
    state: str
    live: int | None  # the version live in production now
    previous: int | None  # the version before this one

    @property
    def compare_with(self) -> int | None:
        """The natural version to compare with: the live one, else the previous one."""
        if self.live is not None and self.live != self.number:
            return self.live
        return self.previous


def version_header(session: Session, name: str, number: int) -> VersionHeader:
    """Title, state, live and previous version numbers for one version's page header."""
    model = q.get_model(session, name)
    state = session.scalar(select(Version.state).where(Version.model_id == model.id,
                                                       Version.number == number))
    if state is None:
        raise NotFoundError(f"model '{name}' has no v{number}")
    previous = session.scalar(select(func.max(Version.number)).where(
        Version.model_id == model.id, Version.number < number))
    return VersionHeader(model.name, model.title, number, state, model.live_version, previous)
