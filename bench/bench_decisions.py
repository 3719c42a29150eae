"""Benchmark: 20 concurrent reviewer processes making decisions against PostgreSQL.

Each process opens its own registry, waits at a barrier, then makes decisions as fast as it
can: mostly comments on random versions (contending for the same models' row locks) and
approval attempts that race each other (each version may be approved exactly once). We
record throughput, the latency of each decision (p50/p95/max), and check afterwards that no
decision was lost or doubled and that the audit chain is intact.

    SIGNOFF_TEST_PG_URL=postgresql://signoff_ci:signoff_ci@localhost:5432/signoff_ci \\
        python bench/bench_decisions.py [--workers 20] [--ops 25]

Writes bench/results/decisions.md.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def worker(url: str, artifacts: str, seed: int, ops: int, targets: list[tuple[str, int]],
           barrier, results) -> None:  # noqa: ANN001
    from signoff.core.db import open_registry
    from signoff.core.errors import ConcurrentChangeError, TransitionError
    from signoff.core.workflow import run_transition

    rnd = random.Random(seed)
    registry = open_registry(db=url, artifacts=artifacts, upgrade=False)
    _ = registry.actor
    out = []
    barrier.wait(timeout=120)
    for i in range(ops):
        model, number = rnd.choice(targets)
        action = "approve" if rnd.random() < 0.2 else "comment"
        started = time.perf_counter()
        try:
            outcome = run_transition(registry, action, model, number,
                                     comment=f"worker {seed} op {i}")
            verdict, decision_id = "ok", outcome.decision_id
        except (TransitionError, ConcurrentChangeError) as exc:
            verdict, decision_id = f"refused: {type(exc).__name__}", None
        out.append((action, verdict, decision_id, time.perf_counter() - started))
    registry.close()
    results.put(out)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--ops", type=int, default=25)
    parser.add_argument("--models", type=int, default=10)
    args = parser.parse_args()
    admin_url = os.environ.get("SIGNOFF_TEST_PG_URL")
    if not admin_url:
        print("set SIGNOFF_TEST_PG_URL to a PostgreSQL server", file=sys.stderr)
        return 2
    import psycopg
    from sqlalchemy import func, select
    from sqlalchemy.engine import make_url

    from signoff.core.audit import verify_chain
    from signoff.core.db import open_registry
    from signoff.core.people import save_person
    from signoff.core.policy import set_policy
    from signoff.core.publish import publish
    from signoff.core.schema import Decision
    from signoff.core.workflow import run_transition
    from tests.helpers.folders import write_model_folder

    base = make_url(admin_url).set(drivername="postgresql")
    name = f"signoff_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    tmp = Path(tempfile.mkdtemp(prefix="signoff-bench-"))
    try:
        registry = open_registry(db=url, artifacts=tmp / "artifacts")
        me = registry.actor
        with registry.write() as s:
            save_person(s, me, actor=me, display_name="Bench Reviewer",
                        roles=["admin", "validator", "author"])
            set_policy(s, "medium", {"gates": {"production_use": ["validator"],
                                               "go_live": ["release_manager"]},
                                     "checks": []}, actor=me)
        targets = []
        for m in range(args.models):
            for v in range(2):
                folder = write_model_folder(tmp / f"m{m}v{v}", name=f"bench-{m}",
                                            author="lab-author", tier="medium",
                                            weights=f'{{"a": 0.{v + 1}, "b": 0.{m}}}')
                number = publish(registry, folder, actor="lab-author").number
                run_transition(registry, "submit", f"bench-{m}", number)
                targets.append((f"bench-{m}", number))
        # baseline: one reviewer alone, the cost of a decision without contention
        solo = []
        for i in range(40):
            t0 = time.perf_counter()
            run_transition(registry, "comment", *targets[i % len(targets)], comment="solo")
            solo.append((time.perf_counter() - t0) * 1000)
        solo.sort()
        with registry.read() as s:
            before = s.scalar(select(func.count()).select_from(Decision))
        load_before = os.getloadavg()[0]
        ctx = mp.get_context("spawn")
        barrier, results = ctx.Barrier(args.workers), ctx.Queue()
        procs = [ctx.Process(target=worker, args=(url, str(tmp / "artifacts"), i, args.ops,
                                                  targets, barrier, results))
                 for i in range(args.workers)]
        for p in procs:
            p.start()
        started = time.perf_counter()
        rows = [r for _ in procs for r in results.get(timeout=600)]
        wall = time.perf_counter() - started
        for p in procs:
            p.join()
        load_after = os.getloadavg()[0]
        with registry.read() as s:
            after = s.scalar(select(func.count()).select_from(Decision))
            approvals = s.scalar(select(func.count()).select_from(Decision)
                                 .where(Decision.action == "approve"))
            chain = verify_chain(s)
        registry.close()
    finally:
        with psycopg.connect(base.render_as_string(hide_password=False), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    ok = [r for r in rows if r[1] == "ok"]
    ids = [r[2] for r in ok]
    latencies = sorted(r[3] * 1000 for r in rows)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    lost_or_doubled = (after - before) - len(ok)
    report = [
        "# Benchmark: concurrent decisions on PostgreSQL",
        "",
        f"`python bench/bench_decisions.py --workers {args.workers} --ops {args.ops}` "
        f"({time.strftime('%Y-%m-%d')}, PostgreSQL at {base.host}, 2-core machine shared "
        "with other work; each worker is its own process and connection).",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| machine load average (1 min) before / after the run | {load_before:.1f} / "
        f"{load_after:.1f} on 2 cores |",
        f"| one reviewer alone: latency p50 / p95 | {statistics.median(solo):.1f} ms / "
        f"{solo[int(0.95 * (len(solo) - 1))]:.1f} ms |",
        f"| reviewer processes | {args.workers} |",
        f"| decisions attempted | {len(rows)} |",
        f"| decisions written | {len(ok)} (of which approvals {approvals}) |",
        f"| refused (already approved / changed meanwhile) | {len(rows) - len(ok)} |",
        f"| wall time | {wall:.2f} s |",
        f"| throughput | {len(rows) / wall:.1f} decisions/s attempted, "
        f"{len(ok) / wall:.1f} written/s |",
        f"| latency p50 | {statistics.median(latencies):.1f} ms |",
        f"| latency p95 | {p95:.1f} ms (target < 100 ms) |",
        f"| latency max | {latencies[-1]:.1f} ms |",
        f"| lost or doubled decisions | {lost_or_doubled} (rows written − successes "
        f"reported); duplicate ids {len(ids) - len(set(ids))} |",
        f"| approvals per version | {approvals} for {len(targets)} versions "
        f"(at most one each) |",
        f"| audit chain | {'intact' if chain.intact else chain.describe()} "
        f"({chain.events} events) |",
        "",
    ]
    text = "\n".join(report)
    print(text)
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "decisions.md").write_text(text)
    return 0 if lost_or_doubled == 0 and approvals <= len(targets) and chain.intact else 1


if __name__ == "__main__":
    sys.exit(main())
