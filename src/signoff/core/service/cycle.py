"""One cycle of the team's service: judge the models that are due, raise alerts, deliver.

``signoff serve`` runs :func:`run_cycle` every few seconds on one or more machines of a team.
Each step is safe to run on several instances at once, because every piece of work is taken
under a lease in the database before it is done:

* **monitoring**: each live model is a job ``monitor:<model>`` due by its cron schedule in
  the registry (:mod:`signoff.core.service.schedule`), else every
  ``[monitoring] check_every_hours`` (default 24), or every ``monitor_every`` seconds when the
  service is told so; a claim names the run it saw last, so a due run happens once;
* **alerts**: :func:`signoff.core.notifications.fanout.fan_out_alerts` raises each audit
  event's alert once (its cursor and lease are a job too);
* **reminders**: unacknowledged do-not-use notices and overdue reviews
  (:mod:`signoff.core.service.reminders`, keyed so that nothing is sent twice);
* **delivery**: :func:`signoff.core.notifications.outbox.deliver_due` leases each message,
  and only the holder records the outcome, so two instances never both deliver it; a message
  whose deliverer was killed is delivered by another once the lease ends, with the same
  idempotency key.

Each cycle's outcome is kept in ``service_instances`` with a heartbeat, for
``signoff serve --status``.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from signoff.core.db.jobs import all_jobs, claim_job, finish_job, job_state
from signoff.core.db.registry import Registry, db_now
from signoff.core.db.schema import Model, OutboxMessage, ServiceInstance
from signoff.core.monitoring.staleness import evaluate_staleness
from signoff.core.notifications.fanout import fan_out_alerts
from signoff.core.notifications.outbox import PENDING, RetryPolicy, deliver_due
from signoff.core.service.reminders import (
    REMINDER_DAYS,
    REVIEW_DAYS,
    alert_model_risk,
    alert_overdue_reviews,
    remind_unacknowledged,
)
from signoff.core.service.schedule import schedules

log = logging.getLogger(__name__)

DEFAULT_CHECK_HOURS = 24.0
MONITOR_PREFIX = "monitor:"


def instance_name() -> str:
    """A name for one running service: host, process and a random part."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class ServiceOptions:
    """How one instance runs: the monitoring period override and the length of its leases."""

    monitor_every: float | None = None  # seconds for every model; None: each model's rule
    lease_seconds: float = 300.0  # how long work taken by an instance that died stays taken
    deliver_limit: int = 100
    remind_every_days: float = REMINDER_DAYS  # unacknowledged do-not-use notices
    review_overdue_days: float = REVIEW_DAYS

    @property
    def retry(self) -> RetryPolicy:
        """The delivery policy, with this service's lease (an attempt always ends within it)."""
        return RetryPolicy(
            lease_seconds=self.lease_seconds, timeout_seconds=min(5.0, self.lease_seconds / 3)
        )


@dataclass
class CycleReport:
    """What one cycle did."""

    at: datetime
    monitored: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    alerts: int = 0
    reminders: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (kept as the instance's last cycle)."""
        return {
            "at": self.at.isoformat(timespec="seconds"),
            "monitored": self.monitored,
            "stale": self.stale,
            "alerts": self.alerts,
            "reminders": self.reminders,
            "delivered": self.delivered,
            "retrying": self.retrying,
            "failed": self.failed,
            "errors": self.errors,
        }


def check_period(model: Model, options: ServiceOptions) -> timedelta:
    """How often *model* is judged: the service's override, else its rule, else daily."""
    if options.monitor_every is not None:
        return timedelta(seconds=options.monitor_every)
    hours = (model.monitoring_rules or {}).get("check_every_hours", DEFAULT_CHECK_HOURS)
    try:
        value = float(hours)
    except (TypeError, ValueError):
        value = DEFAULT_CHECK_HOURS
    return timedelta(hours=value if value > 0 else DEFAULT_CHECK_HOURS)


def _due_models(registry: Registry, instance: str, options: ServiceOptions) -> list[str]:
    """Claim the monitoring job of each live model that is due; the names claimed."""
    claimed = []
    with registry.write() as session:
        now = db_now(session)
        crons = schedules(session)
        models = session.scalars(
            select(Model).where(Model.live_version.is_not(None)).order_by(Model.name)
        ).all()
        for model in models:
            job = MONITOR_PREFIX + model.name
            state = job_state(session, job)
            last = state.last_run_at if state is not None else None
            cron = crons.get(model.name) if options.monitor_every is None else None
            if cron is not None:
                if not cron.due(last, now):
                    continue
            elif last is not None and now - last < check_period(model, options):
                continue
            if claim_job(
                session, job, instance, options.lease_seconds, check_last_run=True, last_run=last
            ):
                claimed.append(model.name)
    return claimed


def monitor_due(registry: Registry, instance: str, options: ServiceOptions) -> CycleReport:
    """Judge every due model (one instance per model and period) and store its stale flag."""
    report = CycleReport(datetime.utcnow())
    for name in _due_models(registry, instance, options):
        try:
            results = evaluate_staleness(registry, models=[name])
            verdict = "stale" if any(h.stale for h in results) else "ok"
        except Exception as exc:  # one model's failure must not stop the others
            log.exception("monitoring %s failed", name)
            report.errors.append(f"monitor {name}: {exc}")
            verdict = f"error: {exc}"
        with registry.write() as session:
            finish_job(session, MONITOR_PREFIX + name, instance, result=verdict)
        report.monitored.append(name)
        if verdict == "stale":
            report.stale.append(name)
    return report


def heartbeat(registry: Registry, instance: str, last_cycle: dict[str, Any] | None = None) -> None:
    """Record that *instance* is alive (and what its last cycle did)."""
    with registry.write() as session:
        now = db_now(session)
        row = session.get(ServiceInstance, instance)
        if row is None:
            row = ServiceInstance(
                instance=instance,
                host=socket.gethostname()[:200],
                pid=os.getpid(),
                login=registry.actor,
                started_at=now,
                heartbeat_at=now,
                last_cycle={},
            )
            session.add(row)
        row.heartbeat_at, row.stopped_at = now, None
        if last_cycle is not None:
            row.last_cycle = last_cycle


def stopped(registry: Registry, instance: str) -> None:
    """Record that *instance* stopped cleanly."""
    with registry.write() as session:
        row = session.get(ServiceInstance, instance)
        if row is not None:
            row.stopped_at = db_now(session)


def run_cycle(registry: Registry, instance: str, options: ServiceOptions) -> CycleReport:
    """Monitoring that is due, alerts from the trail, then delivery; the cycle's report."""
    report = monitor_due(registry, instance, options)
    try:
        report.alerts = fan_out_alerts(registry, holder=instance)
        report.alerts += alert_overdue_reviews(registry, options.review_overdue_days)
        report.alerts += alert_model_risk(registry)
    except Exception as exc:
        log.exception("alert fan-out failed")
        report.errors.append(f"alerts: {exc}")
    try:
        report.reminders = remind_unacknowledged(registry, options.remind_every_days)
    except Exception as exc:
        log.exception("reminders failed")
        report.errors.append(f"reminders: {exc}")
    try:
        delivery = deliver_due(
            registry, limit=options.deliver_limit, retry=options.retry, holder=instance
        )
        report.delivered = len(delivery.delivered)
        report.retrying = len(delivery.retrying)
        report.failed = len(delivery.failed)
    except Exception as exc:
        log.exception("delivery failed")
        report.errors.append(f"delivery: {exc}")
    heartbeat(registry, instance, report.to_json())
    return report


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def service_status(registry: Registry, *, alive_seconds: float = 120.0) -> dict[str, Any]:
    """Instances (alive when their heartbeat is recent), jobs and the outbox backlog."""

    with registry.read() as session:
        now = db_now(session)
        instances = [
            {
                "instance": i.instance,
                "host": i.host,
                "pid": i.pid,
                "login": i.login,
                "started_at": i.started_at.isoformat(timespec="seconds"),
                "heartbeat_at": i.heartbeat_at.isoformat(timespec="seconds"),
                "alive": i.stopped_at is None
                and (now - i.heartbeat_at).total_seconds() <= alive_seconds,
                "stopped_at": i.stopped_at.isoformat(timespec="seconds") if i.stopped_at else None,
                "last_cycle": i.last_cycle,
            }
            for i in session.scalars(
                select(ServiceInstance).order_by(ServiceInstance.heartbeat_at.desc())
            )
        ]
        jobs = [
            {
                "name": j.name,
                "last_run_at": j.last_run_at.isoformat(timespec="seconds")
                if j.last_run_at
                else None,
                "last_result": j.last_result,
                "held_by": j.holder if j.lease_until and j.lease_until > now else "",
            }
            for j in all_jobs(session)
        ]
        pending = session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.state == PENDING)
        )
    return {"instances": instances, "jobs": jobs, "pending_messages": int(pending or 0)}
