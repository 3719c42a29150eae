"""Benchmark: ingest 1 million prediction rows (CSV) into a fresh embedded registry.

Target (issue 5): under 60 seconds on the project machine. Also times re-sending the same
file (idempotent: nothing added) and 1 million outcome rows.

    python bench/bench_ingest.py [--rows N] [--keep DIR]

Prints a Markdown table; bench/results/ingest.md records a run.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from signoff.core.db.registry import open_registry  # noqa: E402
from signoff.core.ingest.records import ingest_file  # noqa: E402
from signoff.core.publishing.publisher import publish  # noqa: E402
from tests.helpers.folders import write_model_folder  # noqa: E402


def write_predictions(path: Path, rows: int) -> None:
    rng = random.Random(42)
    start = datetime(2026, 1, 1)
    with path.open("w") as f:
        f.write("subject_key,predicted_at,version,score,input_ref,input_sha256\n")
        for i in range(rows):
            at = (start + timedelta(seconds=i * 30)).isoformat()
            f.write(
                f"C{i:08d},{at}Z,bench-model@1,{rng.random():.6f},"
                f"s3://in/batch-{i // 10000}.parquet,{i:064x}\n"
            )


def write_outcomes(path: Path, rows: int) -> None:
    rng = random.Random(7)
    start = datetime(2026, 3, 1)
    with path.open("w") as f:
        f.write("subject_key,observed_at,actual,model\n")
        for i in range(rows):
            at = (start + timedelta(seconds=i * 30)).isoformat()
            f.write(f"C{i:08d},{at}Z,{rng.random() < 0.2:d},bench-model\n")


def timed(label: str, fn):  # noqa: ANN001, ANN201
    t0, c0 = time.perf_counter(), time.process_time()
    result = fn()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    load = os.getloadavg()[0]
    print(
        f"| {label} | {result.rows:,} | {result.inserted:,} | {elapsed:.1f} s | {cpu:.1f} s | "
        f"{result.rows / elapsed:,.0f} rows/s | {load:.1f} |",
        flush=True,
    )
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="signoff-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    registry = open_registry(home=work / "home")
    registry.set_actor_for_embedded("bench")
    publish(registry, write_model_folder(work / "model", name="bench-model"))
    predictions, outcomes = work / "predictions.csv", work / "outcomes.csv"
    write_predictions(predictions, args.rows)
    write_outcomes(outcomes, args.rows)
    size = predictions.stat().st_size / 1e6
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite embedded registry; "
        f"predictions file {size:.0f} MB\n"
    )
    print(
        "| step | rows | new | wall time | CPU time | throughput | load avg |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    first = timed(
        "predictions, first send", lambda: ingest_file(registry, "predictions", predictions)
    )
    timed(
        "predictions, re-sent (idempotent)",
        lambda: ingest_file(registry, "predictions", predictions),
    )
    timed("outcomes, first send", lambda: ingest_file(registry, "outcomes", outcomes))
    registry.close()
    verdict = "PASS" if first < 60 else "FAIL"
    print(f"\ntarget: {args.rows:,} prediction rows in under 60 s: {verdict} ({first:.1f} s)")
    return 0 if first < 60 else 1


if __name__ == "__main__":
    sys.exit(main())
