"""Benchmark: ingest 1 million prediction rows (CSV) beside the insert-only limit, same run.

Targets: issue 5, 1,000,000 predictions in under 60 s; issue 22, the first send at ≥ 50% of
the insert-only limit measured in the same run (the driver's ``executemany`` of pre-built
tuples into the same table of a fresh registry, one transaction, the same page cache), with
peak memory ≤ 250 MB. Each step runs in its own child process, whose peak resident memory
is read from ``os.wait4``. Also times re-sending the file (nothing added), 1 million outcome
rows, and the pre-built tuples inserted as multi-row statements (how the ingest inserts).

    python bench/bench_ingest.py [--rows N] [--keep DIR]

Prints a Markdown table; bench/results/ingest.md records a run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

MODEL = "bench-model"


def write_predictions(path: Path, rows: int, start: datetime) -> None:
    rng = random.Random(42)
    with path.open("w") as f:
        f.write("subject_key,predicted_at,version,score,input_ref,input_sha256\n")
        for i in range(rows):
            at = (start + timedelta(seconds=i * 30)).isoformat()
            f.write(
                f"C{i:08d},{at}Z,{MODEL}@1,{rng.random():.6f},"
                f"s3://in/batch-{i // 10000}.parquet,{i:064x}\n"
            )


def write_outcomes(path: Path, rows: int, start: datetime) -> None:
    rng = random.Random(7)
    with path.open("w") as f:
        f.write("subject_key,observed_at,actual,model\n")
        for i in range(rows):
            at = (start + timedelta(seconds=i * 30 + 3600)).isoformat()
            f.write(f"C{i:08d},{at}Z,{rng.random() < 0.2:d},{MODEL}\n")


def new_registry(home: Path, work: Path) -> datetime:
    """A fresh registry at *home* with one published model; returns when it was published."""
    from signoff.core.db.registry import open_registry
    from signoff.core.publishing.publisher import publish
    from tests.helpers.folders import write_model_folder

    registry = open_registry(home=home)
    registry.set_actor_for_embedded("bench")
    publish(registry, write_model_folder(work / f"model-{home.name}", name=MODEL))
    registry.close()
    return datetime.now(UTC).replace(tzinfo=None)


# --- child steps (each in its own process) -------------------------------------------------


def step_ingest(home: Path, kind: str, path: Path) -> dict[str, float]:
    from signoff.core.db.registry import open_registry
    from signoff.core.ingest.records import ingest_file

    registry = open_registry(home=home)
    registry.set_actor_for_embedded("bench")
    t0, c0 = time.perf_counter(), time.process_time()
    result = ingest_file(registry, kind, path)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    registry.close()
    return {"rows": result.rows, "new": result.inserted, "wall": wall, "cpu": cpu}


def step_limit(home: Path, path: Path, how: str) -> dict[str, float]:
    """Insert the file's rows, converted beforehand (untimed), as the ingest would store them."""
    from signoff.core.db.registry import open_registry
    from signoff.core.ingest.records import BATCH_ROWS, SQLITE_CACHE_KIB
    from signoff.core.ingest.rows import SPECS
    from signoff.core.ingest.scan import Inserter

    registry = open_registry(home=home)
    spec = SPECS["predictions"]
    with path.open() as f:
        next(f)
        rows = []
        for line in f:
            subject, at, _, score, ref, sha = line.rstrip("\n").split(",")
            when = datetime.fromisoformat(at[:-1]).isoformat(" ", "microseconds")
            rows.append(
                (subject, when, 1, None, None, ref, sha, repr(float(score)), float(score), "")
            )
    t0, c0 = time.perf_counter(), time.process_time()
    with registry.write() as session:
        conn = session.connection()
        conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        insert = Inserter(conn, spec, "sqlite")
        stored = 0
        for start in range(0, len(rows), BATCH_ROWS):
            batch = rows[start : start + BATCH_ROWS]
            if how == "executemany":
                stored += conn.exec_driver_sql(insert.one_row, batch).rowcount
            else:
                stored += insert(batch)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    registry.close()
    return {"rows": len(rows), "new": stored, "wall": wall, "cpu": cpu}


def run_step(*args: str) -> dict[str, float]:
    """Run one step in a child process; its figures plus peak RSS (MB) and the load average."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = subprocess.Popen(
        [sys.executable, __file__, "--step", *args], stdout=subprocess.PIPE, env=env
    )
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"step {args} failed")
    figures = json.loads(out)
    figures["rss"] = usage.ru_maxrss / 1024  # KiB on Linux
    figures["load"] = os.getloadavg()[0]
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--step", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        name, *rest = args.step
        if name == "ingest":
            figures = step_ingest(Path(rest[0]), rest[1], Path(rest[2]))
        else:
            figures = step_limit(Path(rest[0]), Path(rest[1]), rest[2])
        print(json.dumps(figures))
        return 0
    work = args.keep or Path(tempfile.mkdtemp(prefix="signoff-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    homes = {name: work / name for name in ("ingest", "executemany", "multirow")}
    published = max(new_registry(home, work) for home in homes.values())
    predictions, outcomes = work / "predictions.csv", work / "outcomes.csv"
    write_predictions(predictions, args.rows, published + timedelta(minutes=1))
    write_outcomes(outcomes, args.rows, published + timedelta(minutes=1))
    size = predictions.stat().st_size / 1e6
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite embedded registry; "
        f"predictions file {size:.0f} MB\n"
    )
    print(
        "| step | rows | new | wall time | CPU time | throughput | peak RSS | load avg |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    steps = [
        (
            "insert-only limit: executemany of pre-built tuples",
            ("limit", homes["executemany"], predictions, "executemany"),
        ),
        (
            "pre-built tuples as multi-row INSERTs",
            ("limit", homes["multirow"], predictions, "multirow"),
        ),
        ("predictions, first send", ("ingest", homes["ingest"], "predictions", predictions)),
        (
            "predictions, re-sent (idempotent)",
            ("ingest", homes["ingest"], "predictions", predictions),
        ),
        ("outcomes, first send", ("ingest", homes["ingest"], "outcomes", outcomes)),
    ]
    results = {}
    for label, step in steps:
        f = run_step(*map(str, step))
        results[label] = f
        print(
            f"| {label} | {f['rows']:,} | {f['new']:,} | {f['wall']:.1f} s | {f['cpu']:.1f} s | "
            f"{f['rows'] / f['wall']:,.0f} rows/s | {f['rss']:.0f} MB | {f['load']:.1f} |",
            flush=True,
        )
    limit, first = results[steps[0][0]], results[steps[2][0]]
    multirow = results[steps[1][0]]
    ratio = limit["wall"] / first["wall"]
    print(
        f"\nfirst send at {ratio:.0%} of the executemany limit by wall time "
        f"({limit['wall']:.2f} s / {first['wall']:.2f} s), "
        f"{multirow['wall'] / first['wall']:.0%} of the multi-row insert's; "
        f"peak RSS {first['rss']:.0f} MB"
    )
    ok = ratio >= 0.5 and first["rss"] <= 250 and first["wall"] < 60
    print(f"target (≥ 50% of the limit, ≤ 250 MB, < 60 s): {'MET' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
