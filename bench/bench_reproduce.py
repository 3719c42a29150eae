"""Benchmark: audit reproduction end to end on the demo registry, and hash verification.

Targets (issue 7): one reproduction under 3 s beyond the model's own load and score time
(the child's import + first call + scoring, as it reports them); sha256 verification of a
1 GB artifact at 500 MB/s or more.

    python bench/bench_reproduce.py [--demo DIR] [--predictions N] [--gigabytes G]

--demo reuses a built demo home (copied first, never written to); otherwise the demo is
built in a temporary folder. Prints a Markdown table; bench/results/reproduce.md records a run.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from signoff.core.artifacts.folder import FolderStore  # noqa: E402
from signoff.core.common.files import sha256_file  # noqa: E402
from signoff.core.db.registry import open_registry  # noqa: E402
from signoff.core.db.schema import Model, Prediction, Version  # noqa: E402
from signoff.core.reproduction.reproduce import reproduce  # noqa: E402
from signoff.core.runner.workspace import ComponentRef, prepare_workspace  # noqa: E402


def demo_copy(source: str | None, work: Path) -> Path:
    home = work / "demo"
    if source:
        shutil.copytree(source, home, ignore=shutil.ignore_patterns("sources"))
    else:
        from signoff.demo import build_demo

        build_demo(home, force=True)
    return home


def bench_reproductions(home: Path, count: int) -> list[dict[str, float | str]]:
    registry = open_registry(home=home)
    with registry.read() as session:
        ids = session.execute(
            sa.select(Model.name, sa.func.max(Prediction.id))
            .join(Version, Version.id == Prediction.version_id)
            .join(Model, Model.id == Version.model_id)
            .group_by(Model.name)
            .order_by(Model.name)
        ).all()[:count]
    rows = []
    for name, pid in ids:
        marks: dict[str, float] = {}
        started = time.perf_counter()
        repro = reproduce(
            registry,
            pid,
            progress=lambda s, st, _d, m=marks: m.setdefault(f"{s}:{st}", time.perf_counter()),
        )
        total = time.perf_counter() - started
        run = repro.run or {}
        own = (run.get("load_s") or 0.0) + (run.get("score_s") or 0.0)
        rows.append(
            {
                "model": name,
                "verdict": repro.verdict,
                "total": total,
                "own": own,
                "child": run.get("duration_s") or 0.0,
                "overhead": total - own,
                "verify": marks.get("verify:done", started) - marks.get("resolve:done", started),
                "environment": marks.get("environment:done", 0)
                - marks.get("environment:running", 0),
            }
        )
    registry.close()
    return rows


def bench_hashing(work: Path, gigabytes: float) -> dict[str, float]:
    size = int(gigabytes * 1024**3)
    source = work / "artifact.bin"
    block = os.urandom(8 * 1024 * 1024)
    with open(source, "wb") as out:
        for _ in range(size // len(block)):
            out.write(block)
    store = FolderStore(work / "store")
    sha, stored_size, _ = store.put_file(source)
    source.unlink()
    sha256_file(store.path_for(sha))  # warm the page cache: measure hashing, not the disk
    wall, cpu = time.perf_counter(), time.process_time()
    store.verify(sha, "1 GB artifact")
    verify_wall, verify_cpu = time.perf_counter() - wall, time.process_time() - cpu
    wall, cpu = time.perf_counter(), time.process_time()
    assert sha256_file(store.path_for(sha)) == sha
    own_wall, own_cpu = time.perf_counter() - wall, time.process_time() - cpu
    component = ComponentRef("data", "big", "big.bin", None, sha, stored_size, True, "")
    wall, cpu = time.perf_counter(), time.process_time()
    workspace = prepare_workspace(store, [component], parent=work)
    copy_wall, copy_cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert workspace.verified
    workspace.cleanup()
    mb = stored_size / 1024**2
    return {
        "mb": mb,
        "verify_wall": mb / verify_wall,
        "verify_cpu": mb / verify_cpu,
        "own_wall": mb / own_wall,
        "own_cpu": mb / own_cpu,
        "copy_wall": mb / copy_wall,
        "copy_cpu": mb / copy_cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", help="a built demo home to copy")
    parser.add_argument("--predictions", type=int, default=5)
    parser.add_argument("--gigabytes", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-reproduce-") as tmp:
        work = Path(tmp)
        rows = bench_reproductions(demo_copy(args.demo, work), args.predictions)
        hashing = bench_hashing(work, args.gigabytes)
    load = os.getloadavg()
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} cores, load average "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}\n"
    )
    print(
        "| model | verdict | end to end | model's own load + score | beyond the model "
        "(target < 3 s) | of which verify | of which environment |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['model']} | {r['verdict']} | {r['total']:.2f} s | {r['own']:.2f} s | "
            f"{r['overhead']:.2f} s | {r['verify']:.2f} s | {r['environment']:.2f} s |"
        )
    print(
        f"\n| hashing {hashing['mb']:.0f} MB (target >= 500 MB/s) | wall clock | per CPU "
        "second of this process |"
    )
    print("| --- | --- | --- |")
    print(
        f"| store.verify (sha256 of the stored blob) | {hashing['verify_wall']:.0f} MB/s | "
        f"{hashing['verify_cpu']:.0f} MB/s |"
    )
    print(
        f"| sha256_file (hashlib.file_digest) | {hashing['own_wall']:.0f} MB/s | "
        f"{hashing['own_cpu']:.0f} MB/s |"
    )
    print(
        f"| runner workspace (kernel copy + sha256 of the copy) | "
        f"{hashing['copy_wall']:.0f} MB/s | {hashing['copy_cpu']:.0f} MB/s |"
    )


if __name__ == "__main__":
    main()
