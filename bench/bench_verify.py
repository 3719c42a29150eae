"""Audit verify benchmark: events per CPU-second and peak memory against the chain's length.

    python bench/bench_verify.py [--sizes 50000 200000] [--rounds 3] [--baseline REV]

For each chain length a registry is built once (``/tmp/signoff-bench-verify-N``): N audit
events with realistic payloads, chained with Signoff's own hash rule and inserted in bulk.
Then, in a fresh process each (so that the peak resident memory is the walk's own), interleaved
round by round:

* this tree's ``verify_chain`` (plain column tuples streamed from the cursor);
* the same with ``against=`` the chain's head (``signoff audit verify --against``);
* with ``--baseline REV``: the same two calls of revision REV (its ``src/`` exported with
  ``git archive``): the walk over ORM objects at 3db9325, Core rows at bd987d3;
* the floor: the same columns read with the sqlite3 module alone, nothing hashed.

Each child reports the CPU time of the walk (``time.process_time``, so a busy machine inflates it
less than the wall clock), the wall time and its peak RSS (``ru_maxrss``) next to its RSS
before the walk. Target (issue 22): ≥ 200,000 events/s per core, memory flat in the chain
length. ``--record`` appends to bench/results/verify.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_PER_S = 200_000
ACTIONS = (
    "version.published",
    "decision.approve",
    "decision.request_changes",
    "version.state_changed",
    "evidence.recorded",
    "version.went_live",
    "consumer.added",
)


def build_chain(home: Path, events: int) -> None:
    """A registry holding *events* chained audit events (skipped when it already has them)."""
    sys.path.insert(0, str(ROOT / "src"))
    from sqlalchemy import func, insert, select, text

    from signoff.core.audit.chain import GENESIS, canonical_json, event_hash
    from signoff.core.db.registry import open_registry
    from signoff.core.db.schema import AuditEvent

    registry = open_registry(home=home)
    with registry.read() as s:
        if s.scalar(select(func.count()).select_from(AuditEvent)) == events:
            registry.close()
            return
    rng = random.Random(22)
    start = datetime(2025, 1, 1, 9, 0, 0, 1)
    prev = GENESIS
    t0 = time.perf_counter()
    with registry.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events"))
        batch: list[dict] = []
        for seq in range(1, events + 1):
            action = ACTIONS[rng.randrange(len(ACTIONS))]
            model = rng.randrange(1, 5000)
            payload = {
                "comment": "reviewed the validation report and the monitoring plan",
                "from": "in_review",
                "manifest_hash": f"{rng.getrandbits(256):064x}",
                "to": "approved",
            }
            row = {
                "seq": seq,
                "at": start + timedelta(seconds=seq * 7, microseconds=rng.randrange(10**6)),
                "actor": f"user{rng.randrange(300):03d}",
                "action": action,
                "entity_type": "version",
                "entity_id": str(model * 10 + rng.randrange(10)),
                "model_id": model,
                "version_id": model * 10,
                "payload": canonical_json(payload),
                "prev_hash": prev,
            }
            row["hash"] = prev = event_hash(prev, argparse.Namespace(**row))
            batch.append(row)
            if len(batch) == 20_000:
                conn.execute(insert(AuditEvent), batch)
                batch = []
        if batch:
            conn.execute(insert(AuditEvent), batch)
    registry.close()
    took = time.perf_counter() - t0
    print(f"built a chain of {events:,} events in {took:.1f} s", file=sys.stderr)


def child(home: str, how: str, against: bool) -> None:
    """Walk the chain once, print one JSON line: events, cpu_s, wall_s, rss before/peak MB."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if how == "sqlite3":
        import sqlite3

        conn = sqlite3.connect(Path(home) / "registry.db")
        t0, c0 = time.perf_counter(), time.process_time()
        n = sum(
            1
            for _row in conn.execute(
                "SELECT seq, at, actor, action, entity_type, entity_id, model_id, version_id, "
                "payload, prev_hash, hash FROM audit_events ORDER BY seq"
            )
        )
        cpu, wall, intact = time.process_time() - c0, time.perf_counter() - t0, True
    else:
        from signoff.core.audit.chain import head, verify_chain
        from signoff.core.db.registry import open_registry

        registry = open_registry(home=home)
        with registry.read() as session:
            want = head(session) if against else None
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            t0, c0 = time.perf_counter(), time.process_time()
            report = verify_chain(session, want)
            cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        n, intact = report.events, report.intact
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            dict(
                events=n,
                cpu_s=cpu,
                wall_s=wall,
                rss_before_mb=rss_before,
                peak_mb=peak,
                intact=intact,
            )
        )
    )


def export_revision(rev: str, into: Path) -> Path:
    archive = into / "src.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def run_child(src: Path, home: Path, how: str, against: bool) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(home), how, "1" if against else "0"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4] == "1")
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 200_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", help="git revision to compare with (e.g. HEAD~3)")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    homes = {n: Path(f"/tmp/signoff-bench-verify-{n}") for n in args.sizes}
    for n, home in homes.items():
        build_chain(home, n)
    this_src = ROOT / "src"
    cases: dict[str, tuple[Path, str, bool]] = {
        "streamed rows (this tree)": (this_src, "signoff", False),
        "streamed rows, --against the head (this tree)": (this_src, "signoff", True),
    }
    if args.baseline:
        old = export_revision(args.baseline, Path(tempfile.mkdtemp(prefix="bench-verify-")))
        cases[f"the same walk at {args.baseline}"] = (old, "signoff", False)
        cases[f"the same walk, --against, at {args.baseline}"] = (old, "signoff", True)
    cases["floor: sqlite3 reads the columns, no hashing"] = (this_src, "sqlite3", False)

    results: dict[tuple[str, int], list[dict]] = {}
    load_before = os.getloadavg()[0]
    for _ in range(args.rounds):
        for n, home in homes.items():
            for name, (src, how, against) in cases.items():
                r = run_child(src, home, how, against)
                assert r["events"] == n and r["intact"], (name, r)
                results.setdefault((name, n), []).append(r)
    load_after = os.getloadavg()[0]

    lines = [
        f"## {datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"On {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs "
        f"shared with other work (load average {load_before:.1f} before, {load_after:.1f} "
        f"after), embedded SQLite. Median of {args.rounds} runs, each a fresh process, the cases "
        "interleaved within each round. Events/s are per CPU-second of the walk.",
        "",
        "| walk | events | events/s (CPU) | CPU | wall | RSS before → peak |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    verdicts = []
    for name in cases:
        for n in args.sizes:
            rs = results[(name, n)]
            cpu = statistics.median(r["cpu_s"] for r in rs)
            wall = statistics.median(r["wall_s"] for r in rs)
            before = statistics.median(r["rss_before_mb"] for r in rs)
            peak = max(r["peak_mb"] for r in rs)
            lines.append(
                f"| {name} | {n:,} | {n / cpu:,.0f} | {cpu:.2f} s | {wall:.2f} s | "
                f"{before:.0f} → {peak:.0f} MB |"
            )
            if "this tree" in name:
                verdicts.append((name, n, n / cpu, peak - before))
    lines.append("")
    for name, n, rate, grown in verdicts:
        ok = rate >= TARGET_PER_S
        lines.append(
            f"- {name} at {n:,} events: {rate:,.0f} events/s per core — "
            f"{'met' if ok else '**missed**'} (target ≥ {TARGET_PER_S:,}); memory grew "
            f"{grown:.0f} MB during the walk."
        )
    lines += [
        "",
        "Reproduce: `python bench/bench_verify.py --record"
        f"{' --baseline ' + args.baseline if args.baseline else ''}`.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.record:
        out = HERE / "results" / "verify.md"
        previous = out.read_text() if out.exists() else "# Audit verify benchmark\n"
        out.write_text(previous + "\n" + text)


if __name__ == "__main__":
    main()
