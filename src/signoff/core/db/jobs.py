"""Scheduled jobs and their leases, kept in the database so several services can share them.

``signoff serve`` may run on more than one machine of a team. Each scheduled job (judging one
model, sending reminders, fanning alerts out) has one row in ``service_jobs``: when it last
ran, a cursor (the last audit event fanned out) and a lease. An instance runs a job only
after :func:`claim_job` gave it the lease; the lease names the holder and ends after at most
:data:`MAX_LEASE_SECONDS`, so an instance that died (``kill -9``) or a login that takes a
lease to block the others holds it only that long. :func:`finish_job` records the run and
frees the lease, only for the holder.

A claim may also say which run it saw last (*last_run*): when another instance ran the job
in between, the claim fails, so a job due once runs once. On a PostgreSQL registry that has
them, both go through ``signoff_claim_job`` and ``signoff_finish_job``; otherwise the row is
locked (``FOR UPDATE``) and written by the caller, which needs the grants to do so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from signoff.core.db.registry import db_now, pg_function_exists
from signoff.core.db.schema import ServiceJob

MAX_LEASE_SECONDS = 900


@dataclass(frozen=True)
class JobState:
    """One job as stored: who holds it until when, when it last ran, its cursor."""

    name: str
    holder: str
    lease_until: datetime | None
    last_run_at: datetime | None
    last_result: str
    cursor: int


def _state(job: ServiceJob) -> JobState:
    return JobState(
        job.name, job.holder, job.lease_until, job.last_run_at, job.last_result, job.cursor or 0
    )


def _pg_rules(session: Session, function: str) -> bool:
    return session.get_bind().dialect.name == "postgresql" and pg_function_exists(session, function)


def job_state(session: Session, name: str) -> JobState | None:
    """The stored state of job *name*, or None when it never ran."""
    job = session.get(ServiceJob, name, populate_existing=True)
    return _state(job) if job is not None else None


def all_jobs(session: Session) -> list[JobState]:
    """Every job, by name (for ``signoff serve --status``)."""
    return [_state(j) for j in session.scalars(select(ServiceJob).order_by(ServiceJob.name))]


def claim_job(
    session: Session,
    name: str,
    holder: str,
    seconds: float,
    *,
    check_last_run: bool = False,
    last_run: datetime | None = None,
) -> bool:
    """Take the lease on job *name* for *holder* (at most :data:`MAX_LEASE_SECONDS`).

    False when another holder's lease has not ended, or (with *check_last_run*) when the job
    ran since the caller saw it run at *last_run*.
    """
    seconds = int(min(max(seconds, 1), MAX_LEASE_SECONDS))
    if _pg_rules(session, "signoff_claim_job"):
        return bool(
            session.execute(
                text("SELECT signoff_claim_job(:n, :h, :s, :c, :l)"),
                {"n": name, "h": holder, "s": seconds, "c": check_last_run, "l": last_run},
            ).scalar_one()
        )
    now = db_now(session)
    job = session.get(ServiceJob, name, populate_existing=True, with_for_update=True)
    if job is None:
        job = ServiceJob(name=name, holder="", last_result="", cursor=0)
        session.add(job)
    elif job.holder and job.holder != holder and job.lease_until and job.lease_until > now:
        return False
    if check_last_run and job.last_run_at != last_run:
        return False
    job.holder, job.lease_until = holder, now + timedelta(seconds=seconds)
    session.flush()
    return True


def finish_job(
    session: Session,
    name: str,
    holder: str,
    *,
    result: str = "",
    cursor: int | None = None,
    ran: bool = True,
) -> bool:
    """Free *holder*'s lease on job *name*; with *ran*, record the run (time, result, cursor).

    False when *holder* no longer holds the lease (it ended and another instance took it).
    """
    if _pg_rules(session, "signoff_finish_job"):
        return bool(
            session.execute(
                text("SELECT signoff_finish_job(:n, :h, :r, :c, :ran)"),
                {"n": name, "h": holder, "r": result[:2000], "c": cursor, "ran": ran},
            ).scalar_one()
        )
    job = session.get(ServiceJob, name, populate_existing=True)
    if job is None or job.holder != holder:
        return False
    job.holder, job.lease_until = "", None
    if ran:
        job.last_run_at, job.last_result = db_now(session), result[:2000]
        if cursor is not None:
            job.cursor = max(job.cursor or 0, cursor)
    session.flush()
    return True
