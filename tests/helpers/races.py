"""Shared race scenarios, run on SQLite (two processes) and PostgreSQL (two processes)."""

from __future__ import annotations

import multiprocessing as mp

from sqlalchemy import func, select

from signoff.core.audit.chain import verify_chain
from signoff.core.db.schema import AuditEvent, Decision
from tests.helpers.race_workers import decide_after_barrier


def race(db: str, artifacts: str, contenders: list[tuple[str, str, str, int, dict]]) -> list[tuple]:
    """Every contender on the same database URL (the embedded case)."""
    return race_urls(artifacts, [(db, *c) for c in contenders])


def race_urls(
    artifacts: str, contenders: list[tuple[str, str, str, str, int, dict]]
) -> list[tuple]:
    """One process per (db url, actor, action, model, number, kwargs); they meet at a barrier
    after loading the version as a screen would, then act at the same moment."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(len(contenders))
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=decide_after_barrier,
            args=(db, artifacts, actor, action, model, number, kw, barrier, results),
        )
        for db, actor, action, model, number, kw in contenders
    ]
    for p in procs:
        p.start()
    out = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    return sorted(out, key=lambda r: r[2], reverse=True)  # "won" before "lost"


def counts(registry) -> tuple[int, int]:
    with registry.read() as s:
        return (
            s.scalar(select(func.count()).select_from(AuditEvent)),
            s.scalar(select(func.count()).select_from(Decision)),
        )


def assert_one_winner(registry, outcomes, before) -> None:
    assert [o[2] for o in outcomes] == ["won", "lost"], outcomes
    events, decisions = counts(registry)
    assert (events - before[0], decisions - before[1]) == (1, 1)  # only the winner's
    with registry.read() as s:
        assert verify_chain(s).intact
