"""Start-up benchmark: `signoff ls` in a fresh process, next to its floors and an older revision.

    python bench/bench_startup.py [--home DIR] [--models 1000] [--rounds 9] [--baseline REV]

Each round starts, one after the other (interleaved, so a load spike on the shared machine falls
on all of them alike):

* ``python -c pass``: the interpreter alone;
* ``python -c "import sqlalchemy.orm"``: the library every registry command needs, the floor a
  command that opens the database cannot go below; and the same import with the cyclic
  garbage collector held, as ``signoff`` holds it while its modules load (since db6856c: the
  floor that fits this tree);
* ``signoff --home DIR ls`` of this tree, on a registry of ``--models`` models × 10 versions;
* the same command of revision ``--baseline`` (its ``src/`` exported with ``git archive``), when
  given;
* ``signoff --help`` and ``signoff ls --help`` of this tree.

Each is timed on the wall clock and on the CPU time the child used (user + system, from
``getrusage``), which a busy machine inflates less. "Cold" means a new process each time;
the operating system's file cache is warm (the files were read by the round before).

Target (issue 22): ``signoff ls`` cold ≤ 0.5 s. ``--record`` writes bench/results/startup.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

TARGET_S = 0.5


def export_revision(rev: str, into: Path) -> Path:
    """``src/`` of git revision *rev*, unpacked under *into*; returns the folder to import from."""
    archive = into / "src.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


LOG_DIR = Path(tempfile.mkdtemp(prefix="signoff-bench-startup-logs-"))
PYCACHE = Path(tempfile.mkdtemp(prefix="signoff-bench-startup-pycache-"))


def timed(argv: list[str], src: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one run of *argv* importing from *src*."""
    # the warm-up run writes bytecode the timed runs reuse, as an installed copy's: drop
    # PYTHONDONTWRITEBYTECODE (set on this machine) and keep the files out of the tree
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {
        "PYTHONPATH": str(src),
        "SIGNOFF_LOG_DIR": str(LOG_DIR),
        "PYTHONPYCACHEPREFIX": str(PYCACHE),
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default="/tmp/signoff-bench-startup")
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--baseline", help="git revision to compare with (e.g. HEAD~3)")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    from bench_inventory import build_registry

    home = Path(args.home)
    build_registry(home, args.models, 10)
    py = sys.executable
    signoff = [py, "-m", "signoff", "--home", str(home)]
    scratch = Path(tempfile.mkdtemp(prefix="signoff-bench-startup-"))
    this_src = ROOT / "src"
    cases: dict[str, tuple[list[str], Path]] = {
        "python -c pass (interpreter)": ([py, "-c", "pass"], this_src),
        "import sqlalchemy.orm (library floor)": ([py, "-c", "import sqlalchemy.orm"], this_src),
        "import sqlalchemy.orm, collector held": (
            [py, "-c", "import gc; gc.disable(); import sqlalchemy.orm"],
            this_src,
        ),
        "signoff ls": ([*signoff, "ls"], this_src),
    }
    if args.baseline:
        old_src = export_revision(args.baseline, scratch)
        cases[f"signoff ls at {args.baseline}"] = ([*signoff, "ls"], old_src)
    cases["signoff --help"] = ([py, "-m", "signoff", "--help"], this_src)
    cases["signoff ls --help"] = ([py, "-m", "signoff", "ls", "--help"], this_src)

    for argv, src in cases.values():  # compile the bytecode once, outside the timing
        timed(argv, src)
    walls: dict[str, list[float]] = {k: [] for k in cases}
    cpus: dict[str, list[float]] = {k: [] for k in cases}
    load_before = os.getloadavg()[0]
    for _ in range(args.rounds):
        for name, (argv, src) in cases.items():
            wall, cpu = timed(argv, src)
            walls[name].append(wall)
            cpus[name].append(cpu)
    load_after = os.getloadavg()[0]

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:,.0f} ms"

    def worst(values: list[float]) -> str:
        return f"{max(values) * 1000:,.0f} ms"

    ls_wall = statistics.median(walls["signoff ls"])
    ls_cpu = statistics.median(cpus["signoff ls"])
    verdict = "met" if ls_wall <= TARGET_S else "**missed**"
    lines = [
        f"## {datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"On {platform.platform()}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs shared with other work (load "
        f"average {load_before:.1f} before, {load_after:.1f} after). Registry: {args.models:,} "
        f"models × 10 versions, embedded SQLite. {args.rounds} rounds, each case a fresh "
        "process, the cases interleaved within each round.",
        "",
        "| case | wall median | wall worst | CPU median | CPU worst |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name in cases:
        lines.append(
            f"| {name} | {ms(walls[name])} | {worst(walls[name])} | {ms(cpus[name])} | "
            f"{worst(cpus[name])} |"
        )
    floor_cpu = statistics.median(cpus["import sqlalchemy.orm (library floor)"])
    held_cpu = statistics.median(cpus["import sqlalchemy.orm, collector held"])
    lines += [
        "",
        f"Target `signoff ls` cold ≤ {TARGET_S} s: wall median {ls_wall:.2f} s — {verdict}. "
        f"Its CPU time is {ls_cpu:.2f} s, of which importing SQLAlchemy's ORM alone is "
        f"{floor_cpu:.2f} s ({ls_cpu / floor_cpu:.1f}× the floor), {held_cpu:.2f} s with the "
        f"collector held as signoff holds it ({ls_cpu / held_cpu:.1f}×).",
        "",
        f"Reproduce: `python bench/bench_startup.py --record"
        f"{' --baseline ' + args.baseline if args.baseline else ''}`.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.record:
        out = HERE / "results" / "startup.md"
        previous = out.read_text() if out.exists() else "# Start-up benchmark\n"
        out.write_text(previous + "\n" + text)


if __name__ == "__main__":
    main()
