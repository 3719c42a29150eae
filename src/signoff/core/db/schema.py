"""The registry's tables, as SQLAlchemy 2 declarative models.

Alembic migrations under ``signoff/core/db/migrations`` create and evolve these tables; the
constraint names come from the naming convention below so migrations stay predictable on
SQLite and PostgreSQL alike.

The ``models`` table carries a few denormalised summary columns (latest and live version, flags,
last activity). They are maintained by
:func:`signoff.core.catalog.summary.refresh_model_summary` on every write so that the inventory,
which may hold 100,000 versions, is a single indexed query over one table.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from signoff.core.common.clock import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Lifecycle states (see DESIGN.md). Kept as plain strings so the database stays readable.
DRAFT = "draft"
IN_REVIEW = "in_review"
APPROVED = "approved"
READY = "ready"
LIVE = "live"
SUPERSEDED = "superseded"
RETIRED = "retired"
REJECTED = "rejected"
DO_NOT_USE = "do_not_use"
STATES = (DRAFT, IN_REVIEW, APPROVED, READY, LIVE, SUPERSEDED, RETIRED, REJECTED, DO_NOT_USE)

# The versioning dimensions of a version.
COMPONENT_KINDS = (
    "data",
    "script",
    "configuration",
    "model_object",
    "documentation",
    "environment",
    "tests",
)

RISK_TIERS = ("high", "medium", "low")
ROLES = (
    "viewer",
    "author",
    "validator",
    "business_owner",
    "release_manager",
    "auditor",
    "admin",
    "runner",  # a service login that runs deployment checks and monitoring
    "notifier",  # a service login that delivers notifications (reads webhook secrets)
)

PRODUCTION = "production"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Model(Base):
    """A named business capability with its versions."""

    __tablename__ = "models"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(200), default="", index=True)
    business_unit: Mapped[str] = mapped_column(String(200), default="", index=True)
    risk_tier: Mapped[str] = mapped_column(String(20), default="medium", index=True)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    # A lower-cased "name title owner tags" string the search box matches against.
    search_text: Mapped[str] = mapped_column(Text, default="")
    task: Mapped[str] = mapped_column(String(40), default="classification")
    # staleness rules for monitoring (metric, baseline tolerance, windows, drift, max age)
    monitoring_rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    # --- summary columns maintained by summary.refresh_model_summary -------------------
    latest_version: Mapped[int | None] = mapped_column(Integer)
    latest_state: Mapped[str | None] = mapped_column(String(20), index=True)
    live_version: Mapped[int | None] = mapped_column(Integer)
    version_count: Mapped[int] = mapped_column(Integer, default=0)
    last_activity_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    flag_stale: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    stale_reason: Mapped[str] = mapped_column(Text, default="")
    flag_open_review: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    flag_dnu_consumed: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # a do-not-use version still *used*: executions or predictions by it after its notice
    flag_dnu_used: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="0", index=True
    )
    review_waiting_since: Mapped[datetime | None] = mapped_column(DateTime)
    # model risk: when the live version was last validated (its production-use approval or
    # its latest revalidation), and the earliest date a condition on a signature is due by;
    # "overdue" is judged against these at query time, so it needs no job to turn true
    last_validated_at: Mapped[datetime | None] = mapped_column(DateTime)
    condition_due: Mapped[date | None] = mapped_column(Date, index=True)

    versions: Mapped[list[Version]] = relationship(
        back_populates="model", order_by="Version.number", cascade="all, delete-orphan"
    )
    consumers: Mapped[list[Consumer]] = relationship(back_populates="model")


class Version(Base):
    """One immutable, hash-pinned bundle of a model's components."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("model_id", "number", name="uq_versions_model_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    state_changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    release_notes: Mapped[str] = mapped_column(Text, default="")
    manifest_hash: Mapped[str] = mapped_column(String(64), index=True)
    manifest: Mapped[dict[str, Any]] = mapped_column(default=dict)
    entry_point: Mapped[str] = mapped_column(String(300), default="")
    python_version: Mapped[str] = mapped_column(String(40), default="")
    # optimistic lock: every UPDATE checks and bumps it
    row_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # each submission opens a new review round: only signatures of the current round count,
    # judged under the policy recorded at submission (or a stricter one, never a weaker one)
    review_round: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    review_rules: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))

    model: Mapped[Model] = relationship(back_populates="versions")
    components: Mapped[list[Component]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="Component.id"
    )
    metrics: Mapped[list[Metric]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="Metric.id"
    )

    __mapper_args__ = {"version_id_col": row_version}

    @property
    def label(self) -> str:
        return f"{self.model.name} v{self.number}"


class Component(Base):
    """One versioning dimension of a version: a file or an external reference."""

    __tablename__ = "components"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(300))
    # path inside the model folder as published ("score.py", "data/train.csv")
    path: Mapped[str | None] = mapped_column(String(500))
    # external location for data that is not stored ("s3://…", "https://…")
    uri: Mapped[str | None] = mapped_column(String(1000))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    size: Mapped[int | None] = mapped_column(BigInteger)
    stored: Mapped[bool] = mapped_column(Boolean, default=True)
    role: Mapped[str] = mapped_column(String(40), default="")  # notebook, release_notes, ...
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    version: Mapped[Version] = relationship(back_populates="components")


class Metric(Base):
    """A development metric of a version (recorded at publish)."""

    __tablename__ = "metrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    value: Mapped[float] = mapped_column(Float)
    dataset: Mapped[str] = mapped_column(String(100), default="validation")

    version: Mapped[Version] = relationship(back_populates="metrics")


class Consumer(Base):
    """A process or team that uses a model: pinned to a version or following what is live."""

    __tablename__ = "consumers"
    __table_args__ = (UniqueConstraint("model_id", "name", name="uq_consumers_model_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="batch")
    contact: Mapped[str] = mapped_column(String(300), default="")
    webhook_url: Mapped[str | None] = mapped_column(String(1000))
    # the consumer's e-mail channel (a consumer may have a webhook, an address, or both)
    email: Mapped[str] = mapped_column(String(300), default="", server_default="")
    pinned_version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    model: Mapped[Model] = relationship(back_populates="consumers")
    pinned_version: Mapped[Version | None] = relationship()


class ConsumerSecret(Base):
    """A consumer's webhook signing secret, apart so that only the deliverer can read it."""

    __tablename__ = "consumer_secrets"

    consumer_id: Mapped[int] = mapped_column(ForeignKey("consumers.id"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(200), default="")


class Deployment(Base):
    """A period during which a version was live in an environment."""

    __tablename__ = "deployments"
    __table_args__ = (
        Index("ix_deployments_lookup", "model_id", "environment", "live_from"),
        # at most one open period per model and environment, whatever two racers do; the same
        # condition for PostgreSQL is added by attach_postgresql_options (see there)
        Index(
            "uq_deployments_open",
            "model_id",
            "environment",
            unique=True,
            sqlite_where=text("live_to IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"), index=True)
    environment: Mapped[str] = mapped_column(String(60), default=PRODUCTION)
    live_from: Mapped[datetime] = mapped_column(DateTime)
    live_to: Mapped[datetime | None] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(200), default="")

    version: Mapped[Version] = relationship()


class User(Base):
    """A person (or database login) known to the registry."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role", name="uq_user_roles_user_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(40))

    user: Mapped[User] = relationship(back_populates="roles")


class Policy(Base):
    """Approval policy for a risk tier; never edited in place, a change is a new revision."""

    __tablename__ = "policies"
    __table_args__ = (UniqueConstraint("risk_tier", "revision", name="uq_policies_tier_rev"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    risk_tier: Mapped[str] = mapped_column(String(20))
    revision: Mapped[int] = mapped_column(Integer)
    rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")


class Decision(Base):
    """A signed decision on a version; insert-only."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)
    action: Mapped[str] = mapped_column(String(40))
    gate: Mapped[str] = mapped_column(String(40), default="")
    role: Mapped[str] = mapped_column(String(40), default="")
    meaning: Mapped[str] = mapped_column(String(300), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    manifest_hash: Mapped[str] = mapped_column(String(64))
    review_round: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )


class Evidence(Base):
    """The stored result of a deployment check run on a version."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"), index=True)
    check: Mapped[str] = mapped_column(String(60))
    passed: Mapped[bool] = mapped_column(Boolean)
    summary: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200), default="")
    manifest_hash: Mapped[str] = mapped_column(String(64), default="")


class Execution(Base):
    """A scoring run reported by the factory."""

    __tablename__ = "executions"
    __table_args__ = (Index("ix_executions_version_started", "version_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    consumer: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    rows_scored: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="succeeded")
    duration_s: Mapped[float | None] = mapped_column(Float)
    input_uri: Mapped[str] = mapped_column(String(1000), default="")
    input_sha256: Mapped[str] = mapped_column(String(64), default="")
    output_uri: Mapped[str] = mapped_column(String(1000), default="")
    output_sha256: Mapped[str] = mapped_column(
        String(64), nullable=False, default="", server_default=""
    )


class Prediction(Base):
    """One output given for one subject (for example a customer) by a version."""

    __tablename__ = "predictions"
    __table_args__ = (
        UniqueConstraint("subject_key", "predicted_at", "version_id", name="uq_predictions_key"),
        Index("ix_predictions_version_time", "version_id", "predicted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_key: Mapped[str] = mapped_column(String(200), index=True)
    predicted_at: Mapped[datetime] = mapped_column(DateTime)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    execution_id: Mapped[int | None] = mapped_column(ForeignKey("executions.id"))
    input_record: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    input_ref: Mapped[str] = mapped_column(String(1000), default="")
    input_sha256: Mapped[str] = mapped_column(String(64), default="")
    output: Mapped[Any] = mapped_column(JSON)
    score: Mapped[float | None] = mapped_column(Float)
    # why the prediction cannot have been made by its version as the registry knows it:
    # "" (it can), "before_version", "after_do_not_use" or "after_retired"; monitoring leaves
    # flagged predictions out of its windows (signoff.core.ingest.lifetime)
    outside_lifetime: Mapped[str] = mapped_column(String(30), default="", server_default="")


class Outcome(Base):
    """The actual value observed later for a subject."""

    __tablename__ = "outcomes"
    __table_args__ = (Index("ix_outcomes_subject", "subject_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_key: Mapped[str] = mapped_column(String(200))
    observed_at: Mapped[datetime] = mapped_column(DateTime)
    actual: Mapped[float] = mapped_column(Float)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("models.id"), index=True)


# One outcome per subject and time for each model; an outcome without a model (it applies to
# every model that scored the subject) counts as model 0, since NULLs never collide in SQL.
Index(
    "uq_outcomes_model_subject_time",
    func.coalesce(Outcome.model_id, 0),
    Outcome.subject_key,
    Outcome.observed_at,
    unique=True,
)


class AuditEvent(Base):
    """An append-only, hash-chained record of a write."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60), index=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(200))
    model_id: Mapped[int | None] = mapped_column(Integer, index=True)
    version_id: Mapped[int | None] = mapped_column(Integer, index=True)
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, hashed as stored
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditCampaign(Base):
    """An auditor's sampled re-run of recorded predictions: what was drawn, how, and the tally.

    The sampling criteria, seed and the hashes of the population and the sample are fixed when
    the campaign starts; the counts, the audit head at the end and the report's hashes are
    written once when it ends (on PostgreSQL a trigger refuses anything else).
    """

    __tablename__ = "audit_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    window_from: Mapped[datetime] = mapped_column(DateTime)
    window_to: Mapped[datetime] = mapped_column(DateTime)  # exclusive
    model: Mapped[str] = mapped_column(String(200), default="")
    tier: Mapped[str] = mapped_column(String(20), default="")
    requested: Mapped[int] = mapped_column(Integer)
    seed: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(Text, default="")
    population: Mapped[int] = mapped_column(Integer, default=0)
    population_sha256: Mapped[str] = mapped_column(String(64), default="")
    sample_sha256: Mapped[str] = mapped_column(String(64), default="")
    workers: Mapped[int] = mapped_column(Integer, default=1)
    head_start_seq: Mapped[int] = mapped_column(Integer, default=0)
    head_start_hash: Mapped[str] = mapped_column(String(64), default="")
    head_end_seq: Mapped[int | None] = mapped_column(Integer)
    head_end_hash: Mapped[str] = mapped_column(String(64), default="")
    reproduced: Mapped[int] = mapped_column(Integer, default=0)
    differs: Mapped[int] = mapped_column(Integer, default=0)
    could_not_run: Mapped[int] = mapped_column(Integer, default=0)
    not_run: Mapped[int] = mapped_column(Integer, default=0)  # left when it was cancelled
    started_event_seq: Mapped[int | None] = mapped_column(Integer)
    finished_event_seq: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    report_html_sha256: Mapped[str] = mapped_column(String(64), default="")
    report_pdf_sha256: Mapped[str] = mapped_column(String(64), default="")
    report_event_seq: Mapped[int | None] = mapped_column(Integer)


class CampaignItem(Base):
    """One sampled prediction of a campaign and what its re-run found."""

    __tablename__ = "audit_campaign_items"
    __table_args__ = (
        UniqueConstraint("campaign_id", "prediction_id", name="uq_audit_campaign_items_pick"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("audit_campaigns.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # its rank in the sample, from 1
    prediction_id: Mapped[int] = mapped_column(ForeignKey("predictions.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    verdict: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    findings: Mapped[list[Any]] = mapped_column(default=list)
    event_seq: Mapped[int | None] = mapped_column(Integer)


class OutboxMessage(Base):
    """A notification to a consumer (by webhook or e-mail), or an alert e-mailed to a person,
    written with the event that causes it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # the consumer notified; None for an alert e-mailed to a person
    consumer_id: Mapped[int | None] = mapped_column(ForeignKey("consumers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="webhook", server_default="webhook")
    # the e-mail address an e-mail goes to (empty for a webhook)
    recipient: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # the person (login) an alert e-mail is for
    person: Mapped[str] = mapped_column(String(200), default="", server_default="")
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    # the deliverer holding the lease (next_attempt_at is when the lease ends)
    claimed_by: Mapped[str] = mapped_column(String(100), default="", server_default="")
    event: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)


class Setting(Base):
    """Registry-wide key/value settings (staleness rules, limits)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ConsumerAck(Base):
    """A consumer's acknowledgement of a do-not-use notice: by its signed link, or recorded
    by an admin (a phone call). The first one counts; insert-only."""

    __tablename__ = "consumer_acks"
    __table_args__ = (
        UniqueConstraint("consumer_id", "version_id", name="uq_consumer_acks_consumer_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer_id: Mapped[int] = mapped_column(ForeignKey("consumers.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    via: Mapped[str] = mapped_column(String(20))  # link | admin
    actor: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    notice_key: Mapped[str] = mapped_column(String(100), default="")


class DoNotUseUse(Base):
    """Use of a do-not-use version after its notice, found in the executions and predictions
    the factory reported: stored facts stay, and this row flags them (one per consumer)."""

    __tablename__ = "dnu_uses"
    __table_args__ = (
        UniqueConstraint("version_id", "consumer", name="uq_dnu_uses_version_consumer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    consumer: Mapped[str] = mapped_column(String(200), default="")  # "" when not reported
    executions: Mapped[int] = mapped_column(Integer, default=0)
    predictions: Mapped[int] = mapped_column(Integer, default=0)
    rows_scored: Mapped[int] = mapped_column(Integer, default=0)
    first_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    flagged_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Alert(Base):
    """Something a person responsible should know: a stale flag, a do-not-use mark, a go-live,
    an overdue review, a failed delivery. Raised once per ``dedupe_key``."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    severity: Mapped[str] = mapped_column(String(20), default="info")  # info|warning|critical
    model_id: Mapped[int | None] = mapped_column(ForeignKey("models.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"))
    subject: Mapped[str] = mapped_column(String(300), default="")
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(200), default="")


class AlertRecipient(Base):
    """One person an alert is for, and when they read it."""

    __tablename__ = "alert_recipients"
    __table_args__ = (
        UniqueConstraint("alert_id", "person", name="uq_alert_recipients_alert_person"),
        Index("ix_alert_recipients_person", "person", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"))
    person: Mapped[str] = mapped_column(String(200))
    read_at: Mapped[datetime | None] = mapped_column(DateTime)


class ServiceJob(Base):
    """A scheduled job of ``signoff serve`` (monitoring a model, reminders, alert fan-out):
    when it last ran, and the lease of the instance running it now. Leases always expire."""

    __tablename__ = "service_jobs"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100), default="")
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_result: Mapped[str] = mapped_column(Text, default="")
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)  # e.g. the last event fanned out


class ServiceInstance(Base):
    """One running (or last seen) ``signoff serve``: its heartbeat and last cycle, for status."""

    __tablename__ = "service_instances"

    instance: Mapped[str] = mapped_column(String(100), primary_key=True)
    host: Mapped[str] = mapped_column(String(200), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    login: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_cycle: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ServiceKey(Base):
    """Keys only the notifier service and admins read (the key that signs acknowledgement links)."""

    __tablename__ = "service_keys"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    key: Mapped[str] = mapped_column(String(200))


# -- model risk management (see signoff.core.db.model_risk) ----------------------------------
class Finding(Base):
    """A finding on a version (or a whole model): an issue, a limitation or a policy exception.

    The row is the finding as it stands; every change to it is a :class:`FindingChange` with
    the whole state after the change, recorded by the same audited decision.
    """

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40), default="issue")
    owner: Mapped[str] = mapped_column(String(200))
    due: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(40), default="open", index=True)
    compensating_controls: Mapped[str] = mapped_column(Text, default="")
    expires: Mapped[date | None] = mapped_column(Date)
    raised_by: Mapped[str] = mapped_column(String(200))
    raised_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    row_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


class FindingChange(Base):
    """One audited change to a finding (insert-only): who, when, what, and the state after."""

    __tablename__ = "finding_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    status_from: Mapped[str] = mapped_column(String(40), default="")
    status_to: Mapped[str] = mapped_column(String(40))
    comment: Mapped[str] = mapped_column(Text, default="")
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Condition(Base):
    """A finding a signature was given on condition of: it must be resolved by *due*."""

    __tablename__ = "conditions"
    __table_args__ = (
        UniqueConstraint("decision_id", "finding_id", name="uq_conditions_decision_finding"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    due: Mapped[date] = mapped_column(Date)


class AttestationPeriod(Base):
    """A round in which every model's owner attests that its inventory entry is true."""

    __tablename__ = "attestation_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    due: Mapped[date] = mapped_column(Date)
    opened_by: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    closed_by: Mapped[str] = mapped_column(String(200), default="")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    scope: Mapped[list[Any]] = mapped_column(default=list)  # model ids in scope when opened


class Attestation(Base):
    """An owner's statement about one model in a period: attested as is, or corrected."""

    __tablename__ = "attestations"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("attestation_periods.id"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)
    verdict: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    corrections: Mapped[dict[str, Any]] = mapped_column(default=dict)
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CardEntry(Base):
    """An audited edit of one model-card field, of a version (or of the model as a whole)."""

    __tablename__ = "card_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"), index=True)
    field: Mapped[str] = mapped_column(String(60))
    value: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)


def attach_postgresql_options() -> None:
    """Give the tables their PostgreSQL-only options; called before a PostgreSQL engine is made.

    Declaring ``postgresql_where`` in the class would import SQLAlchemy's PostgreSQL dialect
    and all its drivers' modules in every process (a tenth of ``signoff ls``'s start-up), SQLite
    ones included. Idempotent.
    """
    for index in Base.metadata.tables[Deployment.__tablename__].indexes:
        if index.name == "uq_deployments_open":
            index.dialect_options["postgresql"]["where"] = text("live_to IS NULL")
