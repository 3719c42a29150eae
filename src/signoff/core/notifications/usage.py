"""Use of do-not-use versions: flagged when the factory reports it, and each consumer's move.

A version marked do not use may still be run by a factory process that never read the
notice. The executions and predictions it reports are facts and are stored as they come;
:func:`flag_do_not_use_use` then compares them with the notice: every execution or
prediction by the version *after* it was marked is counted per consumer in ``dnu_uses`` (the
flag), an audit event is written (from which the model's owner is alerted), the consumer is
sent a ``do_not_use_used`` notice, and the inventory shows "do-not-use still used". It runs
after every ingest and on the service's schedule, and only ever looks at the stored facts,
so calling it again flags nothing new. On PostgreSQL the database flags it
(:mod:`signoff.core.db.pgfactory`).

:func:`migration_rows` is the Migration view: per do-not-use version and consumer, the pinned
version, the last version it actually used, whether it acknowledged, and how long ago the
notice went out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from signoff.core.audit import events
from signoff.core.audit.chain import append_event, canonical_json
from signoff.core.catalog.summary import refresh_model_summary
from signoff.core.db.registry import db_now, pg_function_exists
from signoff.core.db.schema import (
    DO_NOT_USE,
    Consumer,
    Decision,
    DoNotUseUse,
    Execution,
    Model,
    Prediction,
    Version,
)
from signoff.core.notifications.acks import acks_of_version
from signoff.core.notifications.notices import STILL_USED, replacement_fields

log = logging.getLogger(__name__)


def iso(value: datetime | None) -> str | None:
    """A time as notices and events spell it (microseconds always, as the database does)."""
    return value.isoformat(timespec="microseconds") if value is not None else None


@dataclass(frozen=True)
class UseFlag:
    """New use of a do-not-use version found by one pass (what ``signoff ingest`` warns)."""

    model: str
    version: int
    consumer: str
    executions: int
    predictions: int
    rows_scored: int
    last_used_at: datetime | None

    def describe(self) -> str:
        """One line for a person."""
        who = f"consumer '{self.consumer}'" if self.consumer else "an unnamed process"
        return (
            f"{self.model} v{self.version} is marked do not use, but {who} used it after the "
            f"notice: {self.executions} execution(s), {self.predictions} prediction(s), "
            f"{self.rows_scored} rows scored (last at {iso(self.last_used_at)}); stored and "
            "flagged, the owner and the consumer are alerted"
        )


def notice_time(session: Session, version_id: int) -> datetime | None:
    """When the version was marked do not use (its latest such decision)."""
    return session.scalar(
        select(func.max(Decision.at)).where(
            Decision.version_id == version_id, Decision.action == DO_NOT_USE
        )
    )


def _uses_after(session: Session, version_id: int, since: datetime) -> dict[str, list[Any]]:
    """consumer -> [executions, predictions, rows, first, last] after *since*."""
    out: dict[str, list[Any]] = {}
    for consumer, count, rows, first, last in session.execute(
        select(
            Execution.consumer,
            func.count(Execution.id),
            func.coalesce(func.sum(Execution.rows_scored), 0),
            func.min(Execution.started_at),
            func.max(Execution.started_at),
        )
        .where(Execution.version_id == version_id, Execution.started_at >= since)
        .group_by(Execution.consumer)
    ):
        out[consumer or ""] = [int(count), 0, int(rows), first, last]
    who = func.coalesce(Execution.consumer, "")
    for consumer, count, first, last in session.execute(
        select(
            who,
            func.count(Prediction.id),
            func.min(Prediction.predicted_at),
            func.max(Prediction.predicted_at),
        )
        .select_from(Prediction)
        .outerjoin(Execution, Execution.id == Prediction.execution_id)
        .where(Prediction.version_id == version_id, Prediction.predicted_at >= since)
        .group_by(who)
    ):
        entry = out.setdefault(consumer or "", [0, 0, 0, first, last])
        entry[1] = int(count)
        entry[3] = min(x for x in (entry[3], first) if x is not None)
        entry[4] = max(x for x in (entry[4], last) if x is not None)
    return out


def flag_do_not_use_use(session: Session, model_id: int, *, actor: str) -> list[UseFlag]:
    """Flag use of the model's do-not-use versions after their notice; the new flags.

    In the caller's transaction. On PostgreSQL the database does it (``signoff_flag_dnu_use``,
    from the stored facts alone, whoever calls it, and returns what this transaction flagged);
    its triggers flag at commit anyway, so a client that skips this call skips nothing.
    """
    if session.get_bind().dialect.name == "postgresql":
        if not pg_function_exists(session, "signoff_flag_dnu_use"):
            # a registry not yet upgraded to 0011: the facts stay stored, flagged on upgrade
            log.warning("do-not-use use is flagged on this PostgreSQL registry after db upgrade")
            return []
        session.flush()
        rows = session.execute(
            text("SELECT * FROM signoff_flag_dnu_use(:m)"), {"m": model_id}
        ).all()
        model_name = session.scalar(select(Model.name).where(Model.id == model_id)) or ""
        return [UseFlag(model_name, r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]
    model = session.get(Model, model_id)
    if model is None:
        return []
    flags: list[UseFlag] = []
    versions = session.scalars(
        select(Version).where(Version.model_id == model_id, Version.state == DO_NOT_USE)
    ).all()
    for version in versions:
        since = notice_time(session, version.id)
        if since is None:
            continue
        for consumer, (execs, preds, rows, first, last) in sorted(
            _uses_after(session, version.id, since).items()
        ):
            stored = session.scalar(
                select(DoNotUseUse).where(
                    DoNotUseUse.version_id == version.id, DoNotUseUse.consumer == consumer
                )
            )
            if stored is not None and (stored.executions, stored.predictions) == (execs, preds):
                continue
            now = db_now(session)
            if stored is None:
                stored = DoNotUseUse(
                    model_id=model_id, version_id=version.id, consumer=consumer, flagged_at=now
                )
                session.add(stored)
            stored.executions, stored.predictions, stored.rows_scored = execs, preds, rows
            stored.first_used_at, stored.last_used_at, stored.updated_at = first, last, now
            session.flush()
            _announce(session, model, version, consumer, stored, actor)
            flags.append(UseFlag(model.name, version.number, consumer, execs, preds, rows, last))
    refresh_model_summary(session, model_id)
    return flags


def _announce(
    session: Session,
    model: Model,
    version: Version,
    consumer: str,
    use: DoNotUseUse,
    actor: str,
) -> None:
    from signoff.core.notifications.outbox import queue_for_consumers

    facts = {
        "used_by": consumer,
        "executions": use.executions,
        "predictions": use.predictions,
        "rows_scored": use.rows_scored,
        "first_used_at": iso(use.first_used_at),
        "last_used_at": iso(use.last_used_at),
    }
    registered = session.scalar(
        select(Consumer.id).where(
            Consumer.model_id == model.id, Consumer.name == consumer, Consumer.active.is_(True)
        )
    )
    notified = 0
    if registered is not None:
        notified = len(
            queue_for_consumers(
                session,
                version,
                STILL_USED,
                payload={
                    **facts,
                    **replacement_fields(session, model.id, version.id),
                    "must_acknowledge": True,
                },
                only_consumer_ids={registered},
                key_suffix=f"{use.executions}-{use.predictions}",
            )
        )
    append_event(
        session,
        actor=actor,
        action=events.DO_NOT_USE_USED,
        entity_type="version",
        entity_id=f"{model.name} v{version.number}",
        model_id=model.id,
        version_id=version.id,
        payload={
            **{k: v for k, v in facts.items() if k != "used_by"},
            "consumer": consumer,
            "notified": notified,
        },
    )


@dataclass(frozen=True)
class MigrationRow:
    """One consumer of a model with a do-not-use version: has it moved?"""

    model: str
    version: int  # the do-not-use version
    version_id: int
    notice_at: datetime | None
    days_since_notice: int | None
    replacement: int | None
    consumer: str
    consumer_id: int
    kind: str
    pinned: int | None
    last_used_version: int | None
    last_used_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_via: str
    acknowledgement_note: str
    status: str  # moved | still pinned | still using | follows live (still do not use)

    @property
    def acknowledged(self) -> bool:
        """Whether the consumer acknowledged the notice."""
        return self.acknowledged_at is not None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (``signoff consumers migration --json``)."""
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for key in ("notice_at", "last_used_at", "acknowledged_at"):
            data[key] = iso(data[key])
        data["acknowledged"] = self.acknowledged
        return data


def _last_use(session: Session, model_id: int, consumer: str) -> tuple[int | None, datetime | None]:
    """The version a consumer used last (executions, and predictions in its executions)."""
    run = session.execute(
        select(Version.number, Execution.started_at)
        .join(Version, Version.id == Execution.version_id)
        .where(Version.model_id == model_id, Execution.consumer == consumer)
        .order_by(Execution.started_at.desc())
        .limit(1)
    ).first()
    scored = session.execute(
        select(Version.number, Prediction.predicted_at)
        .join(Execution, Execution.id == Prediction.execution_id)
        .join(Version, Version.id == Prediction.version_id)
        .where(Version.model_id == model_id, Execution.consumer == consumer)
        .order_by(Prediction.predicted_at.desc())
        .limit(1)
    ).first()
    found = [r for r in (run, scored) if r is not None]
    if not found:
        return None, None
    number, at = max(found, key=lambda r: r[1])
    return number, at


def migration_rows(session: Session, model_name: str | None = None) -> list[MigrationRow]:
    """Per do-not-use version and active consumer of its model: pinned, last used, acknowledged,
    days since the notice and whether it has moved (newest notice first)."""
    stmt = (
        select(Version, Model)
        .join(Model, Model.id == Version.model_id)
        .where(Version.state == DO_NOT_USE)
        .order_by(Model.name, Version.number)
    )
    if model_name:
        stmt = stmt.where(Model.name == model_name)
    now = db_now(session)
    out: list[MigrationRow] = []
    for version, model in session.execute(stmt).all():
        notice = notice_time(session, version.id)
        replacement = replacement_fields(session, model.id, version.id)["replacement"]
        acks = acks_of_version(session, version.id)
        consumers = session.execute(
            select(Consumer, Version.number)
            .outerjoin(Version, Version.id == Consumer.pinned_version_id)
            .where(Consumer.model_id == model.id, Consumer.active.is_(True))
            .order_by(Consumer.name)
        ).all()
        for consumer, pinned in consumers:
            used, used_at = _last_use(session, model.id, consumer.name)
            ack = acks.get(consumer.id)
            if used == version.number and notice is not None and used_at and used_at >= notice:
                status = "still using"
            elif pinned == version.number:
                status = "still pinned"
            elif pinned is None and model.live_version == version.number:
                status = "follows live (still do not use)"
            else:
                status = "moved"
            out.append(
                MigrationRow(
                    model.name,
                    version.number,
                    version.id,
                    notice,
                    (now - notice).days if notice is not None else None,
                    replacement["version"] if replacement else None,
                    consumer.name,
                    consumer.id,
                    consumer.kind,
                    pinned,
                    used,
                    used_at,
                    ack.at if ack else None,
                    ack.via if ack else "",
                    ack.note if ack else "",
                    status,
                )
            )
    return out


def stored_uses(session: Session, model_id: int) -> list[dict[str, Any]]:
    """The model's flagged uses, for the model page and ``consumers migration --json``."""
    rows = session.execute(
        select(DoNotUseUse, Version.number)
        .join(Version, Version.id == DoNotUseUse.version_id)
        .where(DoNotUseUse.model_id == model_id)
        .order_by(Version.number, DoNotUseUse.consumer)
    ).all()
    return [
        {
            "version": number,
            "consumer": use.consumer,
            "executions": use.executions,
            "predictions": use.predictions,
            "rows_scored": use.rows_scored,
            "first_used_at": iso(use.first_used_at),
            "last_used_at": iso(use.last_used_at),
        }
        for use, number in rows
    ]


__all__ = ["MigrationRow", "UseFlag", "canonical_json", "flag_do_not_use_use", "migration_rows"]
