"""Benchmark: build the demo registry from nothing (issue 2: well under a minute here).

Each run builds into a fresh temporary home and reports the wall time, the time of each
phase (model folders: data, training, reference outputs and notebook execution; publishing;
lifecycle history; runs, predictions and outcomes) and the machine's load, because the
project machine's two cores are shared.

    python bench/bench_demo.py [--runs N]

Prints a Markdown table; bench/results/demo.md records runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from signoff.demo import MARKER, build_demo  # noqa: E402


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def one_build() -> tuple[float, float, dict[str, float], str, float]:
    """Build once; returns (wall s, CPU s, phase seconds, summary, 1-minute load before).

    The build is single-threaded, so its CPU time is what the wall time would be on an
    otherwise idle machine.
    """
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="signoff-bench-demo-") as tmp:
        started, cpu = time.perf_counter(), _cpu_seconds()
        summary = build_demo(Path(tmp) / "demo")
        wall, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        phases = json.loads((Path(tmp) / "demo" / MARKER).read_text())["timings"]
    return wall, cpu, phases, summary, load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}\n"
    )
    rows = []
    for run in range(1, args.runs + 1):
        wall, cpu, phases, summary, load = one_build()
        rows.append((run, wall, cpu, phases, load))
        print(f"run {run}: {summary}", file=sys.stderr)
    names = list(rows[0][3])
    print("| run | load avg (1 min) before | wall s | CPU s | " + " | ".join(names) + " |")
    print("| --- | --- | --- | --- | " + " | ".join("---" for _ in names) + " |")
    for run, wall, cpu, phases, load in rows:
        print(
            f"| {run} | {load:.1f} | {wall:.1f} | {cpu:.1f} | "
            + " | ".join(f"{phases[n]:.1f}" for n in names)
            + " |"
        )
    print(
        f"\nbest wall {min(r[1] for r in rows):.1f} s, CPU {min(r[2] for r in rows):.1f} s; "
        "target < 60 s"
    )


if __name__ == "__main__":
    main()
