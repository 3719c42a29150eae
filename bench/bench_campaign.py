"""Benchmark: audit campaigns on the demo registry, predictions re-run per second.

Target (issue 20): at least 20 predictions reproduced per second on 2 cores for the demo
models, the model's own load (importing scikit-learn and unpickling the model in a fresh
scoring process) paid once per batch and so amortised across a worker's predictions.

Each run is a whole campaign as ``signoff audit sample`` runs it: draw the sample, store the
campaign, verify every version's artifacts, read every input record (half of the demo's
history is recorded by reference, from its data lake) and check its hash, re-run, compare,
record one audit event per prediction, and render and store the report.

    python bench/bench_campaign.py [--demo DIR] [--sizes 200,1000] [--workers 2,1]

Two scopes: the issue's own example (August 2026, every high-tier model: three versions were
live) and the demo's whole history (every model, six months: seven versions). --demo reuses a
built demo home (copied first, never written to); otherwise the demo is built in a temporary
folder. Besides the wall time it records the CPU time of this process and of every scoring
process it started, because the project machine's two cores are shared: the CPU time divided
by two is what the wall time would be if the cores were ours (when the batches balance).
Prints a Markdown table; bench/results/campaign.md records runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from signoff.core.db.registry import open_registry  # noqa: E402
from signoff.core.reproduction.campaign import run_campaign  # noqa: E402
from signoff.core.reproduction.sampling import SampleCriteria  # noqa: E402

SCOPES = {
    "August, high tier": (datetime(2026, 8, 1), datetime(2026, 9, 1), "high"),
    "whole history, every model": (datetime(2026, 5, 1), datetime(2026, 11, 1), ""),
}


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the scoring processes, waited for
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def demo_copy(source: str | None, work: Path) -> Path:
    home = work / "demo"
    if source:
        shutil.copytree(source, home, ignore=shutil.ignore_patterns("sources"))
    else:
        from signoff.demo import build_demo

        build_demo(home, force=True)
    return home


def one_campaign(
    home: Path, scope: str, size: int, workers: int, seed: str
) -> dict[str, float | int | str]:
    start, end, tier = SCOPES[scope]
    registry = open_registry(home=home)
    registry.set_actor_for_embedded("erin")
    try:
        own0, children0 = _cpu()
        started = time.perf_counter()
        outcome = run_campaign(
            registry, SampleCriteria(start, end, size, seed, tier=tier), workers=workers
        )
        wall = time.perf_counter() - started
        own1, children1 = _cpu()
    finally:
        registry.close()
    cpu, children = own1 - own0, children1 - children0
    loads = [t["load_s"] or 0.0 for t in outcome.timings]
    scores = [t["score_s"] or 0.0 for t in outcome.timings]
    return {
        "scope": scope,
        "size": outcome.drawn,
        "workers": workers,
        "wall": wall,
        "rate": outcome.drawn / wall,
        "reproduced": outcome.counts.get("reproduced", 0),
        "batches": len(outcome.timings),
        "versions": len({(t["model"], t["version"]) for t in outcome.timings}),
        "load": sum(loads),
        "score": sum(scores),
        "parent_cpu": cpu,
        "children_cpu": children,
        # the wall time if the cores were ours and the batches kept every process busy
        "idle_rate": outcome.drawn / ((cpu + children) / min(workers, os.cpu_count() or 1)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", help="a built demo home to copy")
    parser.add_argument("--sizes", default="200,1000")
    parser.add_argument("--workers", default="2,1")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    workers = [int(w) for w in args.workers.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-campaign-") as tmp:
        home = demo_copy(args.demo, Path(tmp))
        load_before = os.getloadavg()
        for repeat in range(args.repeat):
            for scope in SCOPES:
                for size in sizes if scope.startswith("whole") else sizes[:1]:
                    for w in workers:
                        seed = f"bench-{size}-{repeat}"
                        rows.append(one_campaign(home, scope, size, w, seed))
        load_after = os.getloadavg()
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} cores; load average (1 min) "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after\n"
    )
    print(
        "| scope | drawn | scoring processes | batches (versions) | reproduced | wall | "
        "per second, measured | CPU: this process + scoring processes | per second if the "
        "cores were ours (CPU / processes) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['scope']} | {r['size']} | {r['workers']} | {r['batches']} ({r['versions']}) | "
            f"{r['reproduced']} | {r['wall']:.1f} s | {r['rate']:.1f} | "
            f"{r['parent_cpu']:.1f} + {r['children_cpu']:.1f} s | {r['idle_rate']:.1f} |"
        )


if __name__ == "__main__":
    main()
