"""Benchmark: audit campaigns on the demo registry, predictions re-run per second.

Target (issue 20): at least 20 predictions reproduced per second on 2 cores for the demo
models, the model's own load (importing scikit-learn and unpickling the model in a fresh
scoring process) paid once per batch and so amortised across a worker's predictions.

Each run is a whole campaign as ``signoff audit sample`` runs it: draw the sample, store the
campaign, verify every version's artifacts, read every input record (half of the demo's
history is recorded by reference, from its data lake) and check its hash, re-run, compare,
record one audit event per prediction, and render and store the report.

    python bench/bench_campaign.py [--demo DIR] [--sizes 200,500,1000] [--workers 1,2]

--demo reuses a built demo home (copied first, never written to); otherwise the demo is built in
a temporary folder. Prints a Markdown table; bench/results/campaign.md records a run.
"""

from __future__ import annotations

import argparse
import os
import platform
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

WINDOW = (datetime(2026, 5, 1), datetime(2026, 11, 1))  # the demo's whole recorded history


def demo_copy(source: str | None, work: Path) -> Path:
    home = work / "demo"
    if source:
        shutil.copytree(source, home, ignore=shutil.ignore_patterns("sources"))
    else:
        from signoff.demo import build_demo

        build_demo(home, force=True)
    return home


def one_campaign(home: Path, size: int, workers: int, seed: str) -> dict[str, float | int | str]:
    registry = open_registry(home=home)
    registry.set_actor_for_embedded("erin")
    try:
        cpu = time.process_time()
        started = time.perf_counter()
        outcome = run_campaign(
            registry, SampleCriteria(*WINDOW, size, seed), workers=workers, actor="erin"
        )
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
    finally:
        registry.close()
    loads = [t["load_s"] or 0.0 for t in outcome.timings]
    scores = [t["score_s"] or 0.0 for t in outcome.timings]
    return {
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
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", help="a built demo home to copy")
    parser.add_argument("--sizes", default="200,500,1000")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    workers = [int(w) for w in args.workers.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-campaign-") as tmp:
        home = demo_copy(args.demo, Path(tmp))
        load_before = os.getloadavg()
        for repeat in range(args.repeat):
            for size in sizes:
                for w in workers:
                    rows.append(one_campaign(home, size, w, f"bench-{size}-{repeat}"))
        load_after = os.getloadavg()
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} cores; load average (1 min) "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after\n"
    )
    print(
        "| drawn | scoring processes | wall | predictions per second (target >= 20 on 2) | "
        "reproduced | batches (versions) | model's own load, all batches | scoring | "
        "this process's CPU |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['size']} | {r['workers']} | {r['wall']:.1f} s | {r['rate']:.1f} | "
            f"{r['reproduced']} | {r['batches']} ({r['versions']}) | {r['load']:.1f} s | "
            f"{r['score']:.2f} s | {r['parent_cpu']:.1f} s |"
        )


if __name__ == "__main__":
    main()
